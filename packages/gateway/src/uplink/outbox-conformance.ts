import { isHealthItError } from '@healthit/core';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Outbox, OutboxEntry } from './outbox.js';
import { OUTBOX_ENTRY_OVERHEAD_BYTES, type OutboxBounds } from './outbox-policy.js';
import type { UplinkRecord, UplinkRecordKind } from './uplink.js';

/** One outbox store under test, opened (and for a durable one, reopened) by the suite. */
export interface OutboxUnderTest {
  /** Opens the outbox. A durable one is opened again after `close()` to check replay. */
  open(): Outbox;
  /** Closes what is open and removes files. */
  dispose(): void;
}

/** Creates a fresh, empty outbox store with the given bounds. */
export type OutboxFactory = (bounds: OutboxBounds) => OutboxUnderTest;

/** Options of {@link describeOutboxConformance}. */
export interface OutboxConformanceOptions {
  /** True when `open()` after `close()` returns the same contents (a disk outbox): replay is tested. */
  readonly durable: boolean;
}

const encoder = new TextEncoder();

/** A record whose payload is `payloadBytes` long (the id, padded). */
function rec(id: string, kind: UplinkRecordKind = 'reading', key = 'dev-1', payloadBytes = 36): UplinkRecord {
  const payload = new Uint8Array(payloadBytes);
  payload.set(encoder.encode(id).subarray(0, payloadBytes));
  return { id, kind, key, payload };
}

/** Bytes one record of `payloadBytes` counts. */
const size = (payloadBytes = 36) => payloadBytes + OUTBOX_ENTRY_OVERHEAD_BYTES;

function ids(entries: readonly Pick<UplinkRecord, 'id'>[]): string[] {
  return entries.map((e) => e.id);
}

/**
 * The behaviour every {@link Outbox} must have: order, acknowledgement, bounds, both full
 * policies, alerts kept, stats — and, for a durable outbox, replay after reopening. Run it from a
 * test file.
 *
 * @example
 * ```ts
 * describeOutboxConformance('memory outbox', (bounds) => {
 *   const outbox = createMemoryOutbox(bounds);
 *   return { open: () => outbox, dispose: () => outbox.close() };
 * }, { durable: false });
 * ```
 */
export function describeOutboxConformance(
  name: string,
  factory: OutboxFactory,
  options: OutboxConformanceOptions,
): void {
  const { durable } = options;
  describe(`Outbox conformance: ${name}`, () => {
    const opened: OutboxUnderTest[] = [];
    function make(bounds: Partial<OutboxBounds> = {}): { store: OutboxUnderTest; outbox: Outbox } {
      const store = factory({ maxBytes: 1 << 20, whenFull: 'refuse-new', ...bounds });
      opened.push(store);
      return { store, outbox: store.open() };
    }
    afterEach(() => {
      for (const s of opened.splice(0)) s.dispose();
    });

    it('returns appended records oldest first, with strictly increasing positions and intact fields', () => {
      const { outbox } = make();
      const a = [rec('r1', 'reading', 'dev-a'), rec('a1', 'alert', 'dev-b', 80), rec('e1', 'event', 'gw')];
      expect(outbox.append(a)).toEqual({ accepted: 3, refused: [], shed: 0 });
      expect(outbox.append([rec('r2', 'reading', 'dev-a')]).accepted).toBe(1);
      const peeked = outbox.peek(10);
      expect(ids(peeked)).toEqual(['r1', 'a1', 'e1', 'r2']);
      expect(peeked.map((e) => [e.kind, e.key])).toEqual([
        ['reading', 'dev-a'],
        ['alert', 'dev-b'],
        ['event', 'gw'],
        ['reading', 'dev-a'],
      ]);
      for (let i = 1; i < peeked.length; i++)
        expect(peeked[i]!.position).toBeGreaterThan(peeked[i - 1]!.position);
      expect([...peeked[1]!.payload]).toEqual([...a[1]!.payload]);
      expect(peeked[1]!.payload.byteLength).toBe(80);
    });

    it('peek honours its limit and removes nothing', () => {
      const { outbox } = make();
      outbox.append(Array.from({ length: 10 }, (_, i) => rec(`r${i}`)));
      expect(ids(outbox.peek(3))).toEqual(['r0', 'r1', 'r2']);
      expect(ids(outbox.peek(3))).toEqual(['r0', 'r1', 'r2']);
      expect(outbox.peek(0)).toEqual([]);
      expect(outbox.stats().pending).toBe(10);
    });

    it('ack removes every entry up to and including the position; lower positions are a no-op', () => {
      const { outbox } = make();
      outbox.append(Array.from({ length: 5 }, (_, i) => rec(`r${i}`)));
      const [, second, third] = outbox.peek(5);
      outbox.ack(second!.position);
      expect(ids(outbox.peek(10))).toEqual(['r2', 'r3', 'r4']);
      outbox.ack(second!.position);
      outbox.ack(0);
      expect(outbox.peek(10)).toHaveLength(3);
      outbox.ack(third!.position);
      expect(ids(outbox.peek(10))).toEqual(['r3', 'r4']);
      expect(outbox.stats()).toMatchObject({
        pending: 2,
        appended: 5,
        acknowledged: 3,
        pendingBytes: 2 * size(),
      });
    });

    it('refuses to acknowledge a position never appended (RangeError)', () => {
      const { outbox } = make();
      outbox.append([rec('r0')]);
      const last = outbox.peek(1)[0]!.position;
      expect(() => outbox.ack(last + 1)).toThrow(RangeError);
      expect(outbox.stats().pending).toBe(1);
    });

    it('keeps positions increasing after the outbox was emptied', () => {
      const { outbox } = make();
      outbox.append([rec('r0'), rec('r1')]);
      const last = outbox.peek(2)[1]!.position;
      outbox.ack(last);
      expect(outbox.stats()).toMatchObject({ pending: 0, pendingBytes: 0 });
      outbox.append([rec('r2')]);
      expect(outbox.peek(1)[0]!.position).toBeGreaterThan(last);
    });

    it('counts payload bytes plus the per-entry overhead in stats', () => {
      const { outbox } = make({ maxBytes: 10_000 });
      outbox.append([rec('r0', 'reading', 'd', 10), rec('r1', 'alert', 'd', 100)]);
      expect(outbox.stats()).toEqual({
        pending: 2,
        pendingBytes: 110 + 2 * OUTBOX_ENTRY_OVERHEAD_BYTES,
        maxBytes: 10_000,
        appended: 2,
        acknowledged: 0,
        refused: 0,
        shed: 0,
      });
    });

    it('rejects invalid bounds', () => {
      expect(() => factory({ maxBytes: 0, whenFull: 'refuse-new' }).open()).toThrow(RangeError);
      expect(() => factory({ maxBytes: 1000, whenFull: 'drop-all' as never }).open()).toThrow(TypeError);
    });

    it('throws store/closed after close', () => {
      const { outbox } = make();
      outbox.close();
      const err = (() => {
        try {
          outbox.append([rec('r0')]);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      expect(isHealthItError(err, 'store/closed')).toBe(true);
    });

    describe('when full, policy refuse-new', () => {
      it('refuses the readings that do not fit, in order, and every later non-alert of the call', () => {
        const { outbox } = make({ maxBytes: 3 * size(), whenFull: 'refuse-new' });
        const batch = [rec('r0'), rec('r1'), rec('r2'), rec('r3', 'reading', 'dev-1', 1), rec('e4', 'event')];
        const result = outbox.append(batch);
        expect(result.accepted).toBe(3);
        expect(ids(result.refused)).toEqual(['r3', 'e4']);
        expect(result.shed).toBe(0);
        expect(outbox.stats()).toMatchObject({ pending: 3, refused: 2, pendingBytes: 3 * size() });
        expect(ids(outbox.peek(10))).toEqual(['r0', 'r1', 'r2']);
      });

      it('accepts alerts over the limit, also after refusing readings of the same call', () => {
        const { outbox } = make({ maxBytes: 2 * size(), whenFull: 'refuse-new' });
        const result = outbox.append([
          rec('r0'),
          rec('r1'),
          rec('r2'),
          rec('a0', 'alert'),
          rec('a1', 'alert'),
        ]);
        expect(result.accepted).toBe(4);
        expect(ids(result.refused)).toEqual(['r2']);
        expect(ids(outbox.peek(10))).toEqual(['r0', 'r1', 'a0', 'a1']);
        expect(outbox.stats().pendingBytes).toBe(4 * size());
        expect(outbox.append([rec('a2', 'alert')]).accepted).toBe(1);
        expect(outbox.append([rec('r3')]).refused).toHaveLength(1);
        expect(outbox.stats()).toMatchObject({ pending: 5, refused: 2, shed: 0 });
      });

      it('accepts refused records again once acknowledgements made room', () => {
        const { outbox } = make({ maxBytes: 2 * size(), whenFull: 'refuse-new' });
        const { refused } = outbox.append([rec('r0'), rec('r1'), rec('r2')]);
        outbox.ack(outbox.peek(1)[0]!.position);
        expect(outbox.append(refused)).toEqual({ accepted: 1, refused: [], shed: 0 });
        expect(ids(outbox.peek(10))).toEqual(['r1', 'r2']);
      });
    });

    describe('when full, policy shed-oldest-readings', () => {
      it('sheds the oldest readings to fit, keeps the rest in order, and never refuses', () => {
        const { outbox } = make({ maxBytes: 3 * size(), whenFull: 'shed-oldest-readings' });
        outbox.append([rec('r0'), rec('r1'), rec('r2')]);
        const result = outbox.append([rec('r3'), rec('r4')]);
        expect(result).toEqual({ accepted: 2, refused: [], shed: 2 });
        expect(ids(outbox.peek(10))).toEqual(['r2', 'r3', 'r4']);
        expect(outbox.stats()).toMatchObject({ pending: 3, pendingBytes: 3 * size(), shed: 2, refused: 0 });
      });

      it('never sheds alerts, sheds readings before other kinds, and sheds within a call', () => {
        const { outbox } = make({ maxBytes: 4 * size(), whenFull: 'shed-oldest-readings' });
        outbox.append([rec('a0', 'alert'), rec('e0', 'event'), rec('r0'), rec('c0', 'command-status')]);
        outbox.append([rec('r1'), rec('r2')]);
        // Over by two: r0 then r1 go (readings first, oldest first); e0 and c0 stay.
        expect(ids(outbox.peek(10))).toEqual(['a0', 'e0', 'c0', 'r2']);
        outbox.append([rec('a1', 'alert'), rec('a2', 'alert')]);
        // Over by two again, one reading left: r2 goes, then the oldest other kind, e0.
        expect(ids(outbox.peek(10))).toEqual(['a0', 'c0', 'a1', 'a2']);
        expect(outbox.stats()).toMatchObject({ pending: 4, shed: 4, appended: 8 });
      });

      it('keeps alerts over the limit when nothing else is left to shed', () => {
        const { outbox } = make({ maxBytes: 2 * size(), whenFull: 'shed-oldest-readings' });
        const result = outbox.append([rec('a0', 'alert'), rec('r0'), rec('a1', 'alert'), rec('a2', 'alert')]);
        expect(result.shed).toBe(1);
        expect(ids(outbox.peek(10))).toEqual(['a0', 'a1', 'a2']);
        expect(outbox.stats()).toMatchObject({ pending: 3, pendingBytes: 3 * size(), shed: 1 });
      });

      it('keeps pending = appended − acknowledged − shed', () => {
        const { outbox } = make({ maxBytes: 10 * size(), whenFull: 'shed-oldest-readings' });
        for (let i = 0; i < 20; i++) {
          outbox.append([rec(`r${i}`), ...(i % 5 === 0 ? [rec(`a${i}`, 'alert')] : [])]);
          if (i % 3 === 0) outbox.ack(outbox.peek(1)[0]!.position);
        }
        const s = outbox.stats();
        expect(s.shed).toBeGreaterThan(0);
        expect(s.pending).toBe(s.appended - s.acknowledged - s.shed);
        expect(outbox.peek(100).filter((e) => e.kind === 'alert').length).toBeGreaterThan(0);
      });
    });

    if (durable) {
      it('replays from the first unacknowledged entry after reopening, positions and counters intact', () => {
        const { store, outbox } = make({ maxBytes: 4 * size(), whenFull: 'shed-oldest-readings' });
        outbox.append([rec('r0'), rec('r1'), rec('a0', 'alert'), rec('r2'), rec('r3')]);
        const before = outbox.peek(10);
        outbox.ack(before[0]!.position);
        const stats = outbox.stats();
        outbox.close();
        const again = store.open();
        expect(again.peek(10)).toEqual(before.slice(1).map((e) => ({ ...e, payload: expect.anything() })));
        expect(again.peek(10).map((e) => [...e.payload])).toEqual(before.slice(1).map((e) => [...e.payload]));
        expect(again.stats()).toEqual(stats);
        again.append([rec('r4')]);
        expect(again.peek(10).at(-1)!.position).toBeGreaterThan(before.at(-1)!.position);
        again.close();
      });
    }

    it('property: any interleaving of append/peek/ack/reopen keeps order and loses nothing accepted', () => {
      type Op =
        | { op: 'append'; kinds: UplinkRecordKind[] }
        | { op: 'peek'; limit: number }
        | { op: 'ack'; index: number }
        | { op: 'reopen' };
      const kind = fc.constantFrom<UplinkRecordKind>('reading', 'alert', 'event');
      const op: fc.Arbitrary<Op> = fc.oneof(
        fc.record({ op: fc.constant('append' as const), kinds: fc.array(kind, { maxLength: 8 }) }),
        fc.record({ op: fc.constant('peek' as const), limit: fc.integer({ min: 0, max: 12 }) }),
        fc.record({ op: fc.constant('ack' as const), index: fc.integer({ min: 0, max: 12 }) }),
        fc.constant({ op: 'reopen' as const }),
      );
      fc.assert(
        fc.property(
          fc.array(op, { maxLength: 30 }),
          fc.constantFrom<OutboxBounds['whenFull']>('refuse-new', 'shed-oldest-readings'),
          fc.integer({ min: 1, max: 12 }),
          (ops, whenFull, capacity) => {
            const store = factory({ maxBytes: capacity * size(), whenFull });
            try {
              let outbox = store.open();
              // The model: ids accepted and neither acknowledged nor shed, in append order.
              let model: string[] = [];
              let next = 0;
              const acked = new Set<string>();
              let lastPosition = 0;
              const check = (peeked: readonly OutboxEntry[]) => {
                // Peeked entries are a subsequence of the model (shedding may drop some), in order,
                // with every alert of the model present.
                let j = 0;
                for (const e of peeked) {
                  while (j < model.length && model[j] !== e.id) {
                    expect(model[j]!.startsWith('alert')).toBe(false);
                    j++;
                  }
                  expect(j).toBeLessThan(model.length);
                  j++;
                }
                for (let i = 1; i < peeked.length; i++) {
                  expect(peeked[i]!.position).toBeGreaterThan(peeked[i - 1]!.position);
                }
              };
              for (const o of ops) {
                if (o.op === 'append') {
                  const batch = o.kinds.map((k) => rec(`${k}-${next++}`, k));
                  const result = outbox.append(batch);
                  const refused = new Set(ids(result.refused));
                  expect(result.accepted + refused.size).toBe(batch.length);
                  for (const r of batch) {
                    if (r.kind === 'alert') expect(refused.has(r.id)).toBe(false);
                    if (!refused.has(r.id)) model.push(r.id);
                  }
                  const all = outbox.peek(1000);
                  check(all);
                  // Shedding applied: the model keeps only what is still stored.
                  const stored = new Set(ids(all));
                  model = model.filter((id) => stored.has(id));
                  const fresh = new Set(ids(batch));
                  for (const e of all) if (fresh.has(e.id)) expect(e.position).toBeGreaterThan(lastPosition);
                  lastPosition = Math.max(lastPosition, ...all.map((e) => e.position));
                } else if (o.op === 'peek') {
                  const peeked = outbox.peek(o.limit);
                  expect(ids(peeked)).toEqual(model.slice(0, o.limit));
                } else if (o.op === 'ack') {
                  const peeked = outbox.peek(o.index + 1);
                  const target = peeked[o.index] ?? peeked.at(-1);
                  if (target !== undefined) {
                    outbox.ack(target.position);
                    const k = model.indexOf(target.id);
                    for (const id of model.slice(0, k + 1)) acked.add(id);
                    model = model.slice(k + 1);
                  }
                } else if (durable) {
                  outbox.close();
                  outbox = store.open();
                }
                expect(ids(outbox.peek(1000))).toEqual(model);
                const s = outbox.stats();
                expect(s.pending).toBe(model.length);
                expect(s.pending).toBe(s.appended - s.acknowledged - s.shed);
                expect(s.acknowledged).toBe(acked.size);
                const alertBytes = outbox.peek(1000).filter((e) => e.kind === 'alert').length * size();
                expect(s.pendingBytes).toBeLessThanOrEqual(
                  whenFull === 'refuse-new' ? s.maxBytes + alertBytes : Math.max(s.maxBytes, alertBytes),
                );
              }
              outbox.close();
            } finally {
              store.dispose();
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  });
}
