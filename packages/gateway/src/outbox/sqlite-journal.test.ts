import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHealthItError, type TransportMessage, utf8Encode } from '@healthit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryOutbox } from '../uplink/memory-outbox.js';
import type { MessageJournal } from '../uplink/message-journal.js';
import type { Outbox } from '../uplink/outbox.js';
import type { UplinkRecord } from '../uplink/uplink.js';
import { createSqliteOutbox } from './sqlite-outbox.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'healthit-journal-'));
  dirs.push(dir);
  return join(dir, 'outbox.db');
}
const opened: Outbox[] = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function open(path: string, maxBytes = 1 << 20, journalBytes?: number): Outbox & { journal: MessageJournal } {
  const outbox = createSqliteOutbox({
    path,
    maxBytes,
    whenFull: 'refuse-new',
    journal: journalBytes === undefined ? {} : { maxBytes: journalBytes },
  });
  opened.push(outbox);
  if (outbox.journal === undefined) throw new Error('no journal');
  return outbox as Outbox & { journal: MessageJournal };
}

const message = (n: number, retained = false): TransportMessage => ({
  topic: `devices/d${n}/readings`,
  payload: utf8Encode(`[{"n":${n}}]`),
  retained,
});
const record = (id: string, bytes = 16): UplinkRecord => ({
  id,
  kind: 'reading',
  key: 'd',
  payload: new Uint8Array(bytes),
});

describe('the SQLite outbox message journal', () => {
  it('keeps recorded messages across a restart, oldest first, with their topic, payload and retained flag', () => {
    const path = tempFile();
    const first = open(path);
    const seqs = [first.journal.record(message(1)), first.journal.record(message(2, true))];
    expect(seqs[1]).toBeGreaterThan(seqs[0] as number);
    first.close();
    const second = open(path);
    const entries = second.journal.unsettled();
    expect(entries.map((e) => e.seq)).toEqual(seqs);
    expect(entries.map((e) => [e.topic, new TextDecoder().decode(e.payload), e.retained])).toEqual([
      ['devices/d1/readings', '[{"n":1}]', false],
      ['devices/d2/readings', '[{"n":2}]', true],
    ]);
    expect(second.journal.stats()).toMatchObject({ unsettled: 2, recorded: 0, settled: 0 });
    expect(second.journal.stats().bytes).toBeGreaterThan(0);
  });

  it('settles messages in the transaction of the append; numbers go on from the highest one left', () => {
    const path = tempFile();
    const outbox = open(path);
    const a = outbox.journal.record(message(1));
    const b = outbox.journal.record(message(2));
    outbox.append([record('r1'), record('r2')], { seqs: [a, b], tags: [a, b] });
    expect(outbox.journal.unsettled()).toEqual([]);
    expect(outbox.journal.stats()).toMatchObject({ unsettled: 0, bytes: 0, recorded: 2, settled: 2 });
    expect(outbox.peek(10).map((e) => e.id)).toEqual(['r1', 'r2']);
    const c = outbox.journal.record(message(3));
    expect(c).toBeGreaterThan(b); // also after settling the highest
    outbox.close();
    const again = open(path);
    expect(again.journal.unsettled().map((e) => e.seq)).toEqual([c]);
    expect(again.journal.record(message(4))).toBeGreaterThan(c);
  });

  it('settles a message that produced no record with an empty append', () => {
    const outbox = open(tempFile());
    const a = outbox.journal.record(message(1));
    expect(outbox.append([], { seqs: [a], tags: [] })).toEqual({
      accepted: 0,
      refused: [],
      shed: 0,
      alertsDropped: [],
      settled: [a],
    });
    expect(outbox.journal.unsettled()).toEqual([]);
  });

  it('keeps the message of a record the outbox refused (full), and settles the others', () => {
    // Room for one 100-byte record (plus its overhead), not two.
    const outbox = open(tempFile(), 200);
    const a = outbox.journal.record(message(1));
    const b = outbox.journal.record(message(2));
    const r = outbox.append([record('r1', 100), record('r2', 100)], { seqs: [a, b], tags: [a, b] });
    expect(r.refused.map((x) => x.id)).toEqual(['r2']);
    expect(r.settled).toEqual([a]);
    expect(outbox.journal.unsettled().map((e) => e.seq)).toEqual([b]);
  });

  it('refuses a message that would exceed maxBytes with a typed buffer/overflow error, and counts it', () => {
    const outbox = open(tempFile(), 1 << 20, 100);
    outbox.journal.record(message(1));
    let error: unknown;
    try {
      outbox.journal.record({ topic: 't', payload: new Uint8Array(200), retained: false });
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error) && error.code).toBe('buffer/overflow');
    expect((error as Error).message).toMatch(/journal .* is full/);
    expect(outbox.journal.stats()).toMatchObject({ unsettled: 1, refused: 1, maxBytes: 100 });
  });

  it('refuses to settle on an outbox without a journal', () => {
    const sqlite = createSqliteOutbox({ path: tempFile(), maxBytes: 1 << 20, whenFull: 'refuse-new' });
    opened.push(sqlite);
    expect(sqlite.journal).toBeUndefined();
    expect(() => sqlite.append([record('r1')], { seqs: [1], tags: [1] })).toThrow(TypeError);
    const memory = createMemoryOutbox({ maxBytes: 1 << 20, whenFull: 'refuse-new' });
    expect(() => memory.append([record('r1')], { seqs: [1], tags: [1] })).toThrow(/no message journal/);
    expect(memory.stats().appended).toBe(0);
  });

  it('refuses a journal maxBytes that is not a positive integer', () => {
    expect(() =>
      createSqliteOutbox({
        path: tempFile(),
        maxBytes: 1 << 20,
        whenFull: 'refuse-new',
        journal: { maxBytes: 0 },
      }),
    ).toThrow(RangeError);
  });
});
