import { HealthItError } from '@healthit/core';
import * as fc from 'fast-check';
import { from, lastValueFrom, Observable, VirtualTimeScheduler } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type AppendToOutboxEvent, appendToOutbox, dropNewestOverBound } from './append-to-outbox.js';
import { createMemoryOutbox } from './memory-outbox.js';
import type { Outbox } from './outbox.js';
import { alertRec } from './outbox-conformance.js';
import { OUTBOX_ENTRY_OVERHEAD_BYTES, type OutboxWhenFull } from './outbox-policy.js';
import type { UplinkRecord, UplinkRecordKind } from './uplink.js';

/** Every record counts exactly 100 bytes against an outbox's bound. */
const RECORD_BYTES = 100;
const payload = new Uint8Array(RECORD_BYTES - OUTBOX_ENTRY_OVERHEAD_BYTES);

function rec(id: string, kind: UplinkRecordKind = 'reading', key = 'd1'): UplinkRecord {
  return { id, kind, key, payload };
}

/** An outbox with room for `records` non-alert records (and plenty for alerts). */
function outboxFor(records: number, whenFull: OutboxWhenFull = 'refuse-new'): Outbox {
  return createMemoryOutbox({
    maxBytes: records * RECORD_BYTES,
    whenFull,
    maxAlertBytes: 1_000 * RECORD_BYTES,
  });
}

/** Acknowledges everything pending (what a forwarder does once the uplink took it). */
function drainAll(outbox: Outbox): string[] {
  const entries = outbox.peek(1_000_000);
  outbox.ack(entries.map((e) => e.position));
  return entries.map((e) => e.id);
}

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Runs `build` in virtual time and returns every event (and the completion) with its frame. */
function timeline(
  ts: TestScheduler,
  build: (helpers: RunHelpers) => Observable<AppendToOutboxEvent>,
): [number, AppendToOutboxEvent | 'complete'][] {
  const out: [number, AppendToOutboxEvent | 'complete'][] = [];
  ts.run((helpers) => {
    build(helpers).subscribe({
      next: (e) => out.push([ts.now(), e]),
      complete: () => out.push([ts.now(), 'complete']),
    });
  });
  return out;
}

describe('appendToOutbox', () => {
  it('appends a batch when it is full or maxWaitMs after its first record, and the rest on completion', () => {
    const outbox = outboxFor(100);
    testScheduler().run(({ cold, expectObservable }) => {
      const src = cold('abc---d|', { a: rec('a'), b: rec('b'), c: rec('c'), d: rec('d') });
      expectObservable(src.pipe(appendToOutbox(outbox, { maxBatch: 2, maxWaitMs: 3 }))).toBe('-x---y-(z|)', {
        x: { type: 'appended', count: 2 },
        y: { type: 'appended', count: 1 },
        z: { type: 'appended', count: 1 },
      });
    });
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(outbox.stats()).toMatchObject({ appended: 4, refused: 0 });
  });

  it('holds refused readings, retries them every retryMs before newer ones, and lets alerts through at once', () => {
    const outbox = outboxFor(2);
    const r = [rec('r1'), rec('r2'), rec('r3'), rec('r4')];
    const alert = rec('a1', 'alert');
    const ts = testScheduler();
    // r1..r3 fill a batch at 2: r3 is refused and held. The alert and r4 are appended at 6 after
    // the held r3: the alert is stored (in its own bound), r3 and r4 wait. At 9 the forwarder empties
    // the outbox; the retry at 11 (5 ms after the last attempt) stores r3 and r4, in order.
    const events = timeline(ts, ({ cold }) => {
      ts.schedule(() => drainAll(outbox), 9);
      return cold('abc-de 20ms |', { a: r[0]!, b: r[1]!, c: r[2]!, d: alert, e: r[3]! }).pipe(
        appendToOutbox(outbox, { maxBatch: 3, maxWaitMs: 2, retryMs: 5, scheduler: ts }),
      );
    });
    expect(events).toEqual([
      [2, { type: 'appended', count: 2 }],
      [2, { type: 'refused', records: [r[2]!] }],
      [2, { type: 'held', count: 1 }],
      [6, { type: 'appended', count: 1 }],
      [6, { type: 'refused', records: [r[3]!] }],
      [6, { type: 'held', count: 2 }],
      [11, { type: 'appended', count: 2 }],
      [11, { type: 'held', count: 0 }],
      [26, 'complete'],
    ]);
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['r3', 'r4']);
    // The outbox counts each refused record once (r3, r4) and every refusal (r3 at 2 and 6, r4 at
    // 6); the operator reports each record once.
    expect(outbox.stats()).toMatchObject({ appended: 5, refused: 2, refusals: 3, shed: 0 });
  });

  it('keeps the hold queue within maxHeld by dropping the newest readings (never alerts), and completes once the rest is stored', () => {
    const outbox = outboxFor(1);
    const r = [rec('r1'), rec('r2'), rec('r3'), rec('r4'), rec('r5')];
    const alert = rec('a1', 'alert');
    const ts = testScheduler();
    const events = timeline(ts, ({ cold }) => {
      ts.schedule(() => drainAll(outbox), 3);
      ts.schedule(() => drainAll(outbox), 13);
      return cold('(abcdef|)', { a: r[0]!, b: r[1]!, c: alert, d: r[2]!, e: r[3]!, f: r[4]! }).pipe(
        appendToOutbox(outbox, { maxBatch: 100, maxWaitMs: 1, retryMs: 10, maxHeld: 2, scheduler: ts }),
      );
    });
    expect(events).toEqual([
      [0, { type: 'appended', count: 2 }], // r1 and the alert
      [0, { type: 'refused', records: [r[1]!, r[2]!, r[3]!, r[4]!] }],
      [0, { type: 'dropped', records: [r[3]!, r[4]!] }],
      [0, { type: 'held', count: 2 }],
      // The source has completed; the output waits for the held records, one per retry.
      [10, { type: 'appended', count: 1 }],
      [10, { type: 'held', count: 1 }],
      [20, { type: 'appended', count: 1 }],
      [20, { type: 'held', count: 0 }],
      [20, 'complete'],
    ]);
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['r3']);
  });

  it('reports what the outbox shed under shed-oldest-readings and holds nothing', () => {
    const outbox = outboxFor(2, 'shed-oldest-readings');
    testScheduler().run(({ cold, expectObservable }) => {
      const src = cold('(abc)|', { a: rec('r1'), b: rec('r2'), c: rec('r3') });
      expectObservable(src.pipe(appendToOutbox(outbox, { maxBatch: 3, maxWaitMs: 1 }))).toBe('(xy)-|', {
        x: { type: 'appended', count: 3 },
        y: { type: 'shed', count: 1 },
      });
    });
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['r2', 'r3']);
  });

  it('reports the alerts the outbox gave up under its alert bound, and holds none of them', () => {
    const outbox = createMemoryOutbox({
      maxBytes: 10 * RECORD_BYTES,
      whenFull: 'refuse-new',
      maxAlertBytes: 2 * (200 + OUTBOX_ENTRY_OVERHEAD_BYTES),
    });
    const f = [0, 1, 2].map((i) => alertRec(`f${i}`, 'dev-1', 'spo2-low', 'high'));
    const low = alertRec('t0', 'dev-2', 'temp-high', 'low');
    const ts = testScheduler();
    const events = timeline(ts, ({ cold }) =>
      cold('(abcd|)', { a: f[0]!, b: f[1]!, c: f[2]!, d: low }).pipe(
        appendToOutbox(outbox, { maxBatch: 10, maxWaitMs: 1, scheduler: ts }),
      ),
    );
    // f2 pushes out f0 (superseded by f1); the low alert finds f1 superseded by f2 and takes its
    // room. A later low alert of another series finds only alerts at least as severe: not stored.
    expect(events).toEqual([
      [0, { type: 'appended', count: 4 }],
      [
        0,
        {
          type: 'alerts-dropped',
          alerts: [
            { record: expect.objectContaining({ id: 'f0' }), reason: 'superseded' },
            { record: expect.objectContaining({ id: 'f1' }), reason: 'superseded' },
          ],
        },
      ],
      [0, 'complete'],
    ]);
    const late = alertRec('t1', 'dev-3', 'temp-high', 'low');
    const more: AppendToOutboxEvent[] = [];
    from([late])
      .pipe(appendToOutbox(outbox, { maxBatch: 1, maxWaitMs: 1 }))
      .subscribe((e) => more.push(e));
    expect(more).toEqual([{ type: 'alerts-dropped', alerts: [{ record: late, reason: 'no-room' }] }]);
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['f2', 't0']);
    expect(outbox.stats()).toMatchObject({ alertsShed: 2, alertsRejected: 1 });
  });

  it('appends the last batch before forwarding a source error', () => {
    const outbox = outboxFor(10);
    const boom = new Error('gateway failed');
    testScheduler().run(({ cold, expectObservable }) => {
      const src = cold('ab#', { a: rec('a'), b: rec('b') }, boom);
      expectObservable(src.pipe(appendToOutbox(outbox, { maxBatch: 10, maxWaitMs: 5 }))).toBe(
        '--(x#)',
        { x: { type: 'appended', count: 2 } },
        boom,
      );
    });
  });

  it('errors when the outbox throws (e.g. closed)', async () => {
    const outbox = outboxFor(10);
    outbox.close();
    const out = lastValueFrom(from([rec('a')]).pipe(appendToOutbox(outbox, { maxBatch: 10, maxWaitMs: 5 })));
    await expect(out).rejects.toSatisfy((e) => e instanceof HealthItError && e.code === 'store/closed');
  });

  it('validates its options', () => {
    const outbox = outboxFor(1);
    expect(() => appendToOutbox(outbox, { maxBatch: 0, maxWaitMs: 1 })).toThrow(RangeError);
    expect(() => appendToOutbox(outbox, { maxBatch: 1, maxWaitMs: 0 })).toThrow(RangeError);
    expect(() => appendToOutbox(outbox, { maxBatch: 1, maxWaitMs: 1, retryMs: -1 })).toThrow(RangeError);
    expect(() => appendToOutbox(outbox, { maxBatch: 1, maxWaitMs: 1, maxHeld: 1.5 })).toThrow(RangeError);
    expect(() => appendToOutbox(outbox, { maxBatch: '1' as unknown as number, maxWaitMs: 1 })).toThrow(
      TypeError,
    );
    expect(() => appendToOutbox({} as Outbox, { maxBatch: 1, maxWaitMs: 1 })).toThrow(TypeError);
  });

  it('dropNewestOverBound drops the newest readings first, then other non-alerts, never alerts', () => {
    const rs = [rec('r1'), rec('c1', 'command-status'), rec('r2'), rec('a1', 'alert'), rec('r3')];
    const ids = (xs: readonly UplinkRecord[]) => xs.map((x) => x.id);
    expect(ids(dropNewestOverBound(rs, 3).dropped)).toEqual(['r2', 'r3']);
    expect(ids(dropNewestOverBound(rs, 1).kept)).toEqual(['a1']);
    expect(ids(dropNewestOverBound(rs, 0).kept)).toEqual(['a1']);
    expect(dropNewestOverBound(rs, 5).kept).toBe(rs);
  });

  it('property: every record is stored exactly once or dropped (never an alert), in per-device order, held ≤ maxHeld', () => {
    const arb = fc.record({
      items: fc.array(
        fc.record({ gapMs: fc.nat(3), device: fc.nat(2), alert: fc.nat(9).map((n) => n === 0) }),
        { maxLength: 80 },
      ),
      capacity: fc.integer({ min: 1, max: 12 }),
      maxBatch: fc.integer({ min: 1, max: 10 }),
      maxWaitMs: fc.integer({ min: 1, max: 5 }),
      retryMs: fc.integer({ min: 1, max: 6 }),
      maxHeld: fc.integer({ min: 0, max: 15 }),
      drainEveryMs: fc.integer({ min: 1, max: 20 }),
      drainMax: fc.integer({ min: 1, max: 8 }),
    });
    fc.assert(
      fc.property(arb, (c) => {
        const outbox = outboxFor(c.capacity);
        const seq = [0, 0, 0];
        let t = 0;
        const timed = c.items.map(({ gapMs, device, alert }) => {
          t += gapMs;
          const n = seq[device]!++;
          return {
            t,
            r: rec(`${alert ? 'a' : 'r'}:d${device}:${n}`, alert ? 'alert' : 'reading', `d${device}`),
          };
        });
        const delivered: string[] = [];
        const events: AppendToOutboxEvent[] = [];
        let done = false;
        const scheduler = new VirtualTimeScheduler(undefined, Number.POSITIVE_INFINITY);
        const source$ = new Observable<UplinkRecord>((sub) => {
          for (const { t: at, r } of timed) scheduler.schedule(() => sub.next(r), at);
          scheduler.schedule(() => sub.complete(), t + 1);
        });
        source$
          .pipe(
            appendToOutbox(outbox, {
              maxBatch: c.maxBatch,
              maxWaitMs: c.maxWaitMs,
              retryMs: c.retryMs,
              maxHeld: c.maxHeld,
              scheduler,
            }),
          )
          .subscribe({ next: (e) => events.push(e), complete: () => (done = true) });
        const forward = () => {
          const entries = outbox.lease(c.drainMax);
          outbox.ack(entries.map((e) => e.position));
          delivered.push(...entries.map((e) => e.id));
          if (!done || outbox.stats().pending > 0) scheduler.schedule(forward, c.drainEveryMs);
        };
        scheduler.schedule(forward, c.drainEveryMs);
        scheduler.flush();

        expect(done).toBe(true);
        const dropped = events.flatMap((e) => (e.type === 'dropped' ? e.records.map((r) => r.id) : []));
        const appended = events.reduce((n, e) => n + (e.type === 'appended' ? e.count : 0), 0);
        expect(appended).toBe(delivered.length);
        expect(new Set(delivered).size).toBe(delivered.length);
        expect([...delivered, ...dropped].sort()).toEqual(timed.map((x) => x.r.id).sort());
        expect(dropped.every((id) => id.startsWith('r:'))).toBe(true);
        for (const e of events) if (e.type === 'held') expect(e.count).toBeLessThanOrEqual(c.maxHeld);
        // Per device, readings arrive in order (alerts may overtake readings the outbox refused).
        for (const d of [0, 1, 2]) {
          const seqs = delivered
            .filter((id) => id.startsWith(`r:d${d}:`))
            .map((id) => Number(id.split(':')[2]));
          expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
        }
      }),
      { numRuns: 200 },
    );
  });
});
