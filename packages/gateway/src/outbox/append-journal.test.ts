import { utf8Encode } from '@healthit/core';
import * as fc from 'fast-check';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type AppendToOutboxEvent, appendToOutbox } from '../uplink/append-to-outbox.js';
import type { MessageJournal } from '../uplink/message-journal.js';
import type { Outbox } from '../uplink/outbox.js';
import { OUTBOX_ENTRY_OVERHEAD_BYTES } from '../uplink/outbox-policy.js';
import type { UplinkRecord } from '../uplink/uplink.js';
import { createSqliteOutbox } from './sqlite-outbox.js';

/** Every record counts exactly 100 bytes against the outbox's bound. */
const RECORD_BYTES = 100;
const payload = new Uint8Array(RECORD_BYTES - OUTBOX_ENTRY_OVERHEAD_BYTES);
const rec = (id: string): UplinkRecord => ({ id, kind: 'reading', key: 'd1', payload });

const opened: Outbox[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
});

/** An in-memory SQLite outbox with a journal and room for `records` records. */
function journaled(records = 10_000): Outbox & { journal: MessageJournal } {
  const outbox = createSqliteOutbox({
    path: ':memory:',
    maxBytes: records * RECORD_BYTES,
    whenFull: 'refuse-new',
    journal: {},
  });
  opened.push(outbox);
  return outbox as Outbox & { journal: MessageJournal };
}

/**
 * The transport's part, as the MQTT transport plays it: record a message, then hand it over inside
 * its delivery; `records` are what the (synchronous) pipeline makes of it.
 */
function deliverer(journal: MessageJournal, source: Subject<UplinkRecord>) {
  let n = 0;
  return (records: readonly UplinkRecord[]): number => {
    n++;
    const seq = journal.record({ topic: `devices/d1/m${n}`, payload: utf8Encode(`m${n}`), retained: false });
    journal.deliver(seq, () => {
      for (const r of records) source.next(r);
    });
    return seq;
  };
}

function pipeline(
  outbox: Outbox & { journal: MessageJournal },
  options: { maxBatch: number; maxHeld?: number },
) {
  const scheduler = new VirtualTimeScheduler();
  const source = new Subject<UplinkRecord>();
  const events: AppendToOutboxEvent[] = [];
  const subscription = source
    .pipe(
      appendToOutbox(outbox, {
        maxWaitMs: 10,
        retryMs: 10,
        scheduler,
        journal: outbox.journal,
        ...options,
      }),
    )
    .subscribe((e) => events.push(e));
  const deliver = deliverer(outbox.journal, source);
  const unsettled = () => outbox.journal.unsettled().map((e) => e.seq);
  /** Runs the timers due in the next 100 virtual ms (a held record retries forever while refused). */
  const advance = () => {
    scheduler.maxFrames = scheduler.frame + 100;
    scheduler.flush();
  };
  return { scheduler, source, events, subscription, deliver, unsettled, advance };
}

describe('appendToOutbox with a message journal', () => {
  it('settles a message in the append that stores its records; one still being delivered waits', () => {
    const outbox = journaled();
    const p = pipeline(outbox, { maxBatch: 2 });
    const m1 = p.deliver([rec('a')]);
    // m2's first record fills the batch while m2 is still being delivered: appended, not settled.
    const m2 = p.deliver([rec('b'), rec('c')]);
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['a', 'b']);
    expect(p.unsettled()).toEqual([m2]);
    expect(m1).toBeLessThan(m2);
    p.advance(); // maxWaitMs later: c is appended and m2 settled with it
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(p.unsettled()).toEqual([]);
  });

  it('settles a message that produced no record within maxWaitMs, by an append of nothing', () => {
    const outbox = journaled();
    const p = pipeline(outbox, { maxBatch: 100 });
    p.deliver([]);
    p.deliver([]);
    expect(p.unsettled()).toHaveLength(2);
    p.advance();
    expect(p.unsettled()).toEqual([]);
    expect(outbox.stats().appended).toBe(0);
    expect(p.events).toEqual([]);
  });

  it('keeps the message of a refused record in the journal until the record is stored', () => {
    const outbox = journaled(1);
    const p = pipeline(outbox, { maxBatch: 1 });
    p.deliver([rec('a')]);
    const m2 = p.deliver([rec('b')]); // the outbox is full: b is held
    expect(p.events.map((e) => e.type)).toContain('refused');
    expect(p.unsettled()).toEqual([m2]);
    outbox.ack(outbox.peek(1).map((e) => e.position)); // the forwarder sent a
    p.advance(); // the retry stores b
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['b']);
    expect(p.unsettled()).toEqual([]);
  });

  it('never settles the message of a dropped record: the next process delivers it again', () => {
    const outbox = journaled(1);
    const p = pipeline(outbox, { maxBatch: 1, maxHeld: 0 });
    p.deliver([rec('a')]);
    const m2 = p.deliver([rec('b')]); // refused and, with maxHeld 0, dropped
    expect(p.events.map((e) => e.type)).toContain('dropped');
    const m3 = p.deliver([]);
    p.advance();
    expect(p.unsettled()).toEqual([m2]);
    expect(m3).toBeGreaterThan(m2);
  });

  it("refuses a journal that is not the outbox's own", () => {
    const outbox = journaled();
    const other = journaled();
    expect(() => appendToOutbox(outbox, { maxBatch: 1, maxWaitMs: 1, journal: other.journal })).toThrow(
      /outbox's own journal/,
    );
  });

  it('property: whenever the process could die, each message is in the journal or all its records are in the outbox', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 12 }),
        (recordsPerMessage, maxBatch, room) => {
          const outbox = journaled(room);
          const p = pipeline(outbox, { maxBatch });
          const recordsOf = new Map<number, string[]>();
          let id = 0;
          let stored = new Set<string>();
          const check = () => {
            const inJournal = new Set(p.unsettled());
            for (const [seq, ids] of recordsOf) {
              if (inJournal.has(seq)) continue;
              for (const rid of ids) expect(stored.has(rid), `message ${seq}, record ${rid}`).toBe(true);
            }
          };
          for (const [i, count] of recordsPerMessage.entries()) {
            const ids = Array.from({ length: count }, () => `r${id++}`);
            const seq = p.deliver(ids.map(rec));
            recordsOf.set(seq, ids);
            for (const e of outbox.peek(1_000)) stored.add(e.id);
            check();
            if (i % 3 === 2) {
              // The forwarder empties the outbox now and then; what it took was stored.
              outbox.ack(outbox.peek(1_000).map((e) => e.position));
              p.advance();
              for (const e of outbox.peek(1_000)) stored.add(e.id);
              check();
            }
          }
          outbox.ack(outbox.peek(1_000).map((e) => e.position));
          p.advance();
          for (const e of outbox.peek(1_000)) stored.add(e.id);
          check();
          stored = new Set();
          p.subscription.unsubscribe();
          outbox.close();
          opened.splice(opened.indexOf(outbox), 1);
        },
      ),
      { numRuns: 200 },
    );
  });
});
