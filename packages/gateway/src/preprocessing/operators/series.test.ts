import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PairSeriesTable, SeriesTable } from './series.js';

/** The reference: a Map re-inserted on every touch (insertion order = recency order). */
class ReferenceTable {
  readonly states = new Map<string, number>();
  readonly evicted: string[] = [];
  constructor(private readonly max: number) {}
  touch(key: string, create: () => number): number {
    let s = this.states.get(key);
    if (s !== undefined) this.states.delete(key);
    else {
      if (this.states.size >= this.max) {
        const oldest = this.states.keys().next().value as string;
        this.states.delete(oldest);
        this.evicted.push(oldest);
      }
      s = create();
    }
    this.states.set(key, s);
    return s;
  }
}

const op = fc.oneof(
  fc.record({ op: fc.constant('touch' as const), key: fc.integer({ min: 0, max: 12 }).map(String) }),
  fc.record({ op: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 12 }).map(String) }),
);

describe('SeriesTable', () => {
  it('behaves as a least-recently-used map: same states, evictions and order as the reference', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
        const evicted: string[] = [];
        const table = new SeriesTable<number>(max, (key) => evicted.push(key));
        const ref = new ReferenceTable(max);
        let created = 0;
        for (const { op: kind, key } of ops) {
          if (kind === 'touch') {
            const n = created;
            expect(table.touch(key, () => ++created)).toBe(ref.touch(key, () => n + 1));
          } else {
            table.delete(key);
            ref.states.delete(key);
          }
          expect(table.size).toBe(ref.states.size);
          expect([...table.entries()]).toEqual([...ref.states.entries()]);
          expect(evicted).toEqual(ref.evicted);
        }
        for (const [key, state] of ref.states) expect(table.get(key)).toBe(state);
      }),
      { numRuns: 500 },
    );
  });
});

describe('PairSeriesTable', () => {
  it('behaves as a SeriesTable keyed by the pair: same states, evictions and order', () => {
    const pairOp = fc.record({
      outer: fc.integer({ min: 0, max: 4 }).map(String),
      inner: fc.constantFrom('hr', 'spo2', 'rr'),
    });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(pairOp, { maxLength: 200 }), (max, ops) => {
        const evictedPairs: string[] = [];
        const evictedKeys: string[] = [];
        const pairs = new PairSeriesTable<number>(max, (o, i) => evictedPairs.push(`${o}/${i}`));
        const keys = new SeriesTable<number>(max, (k) => evictedKeys.push(k));
        let created = 0;
        for (const { outer, inner } of ops) {
          const n = created;
          const a = pairs.touch(outer, inner, () => ++created);
          expect(keys.touch(`${outer}/${inner}`, () => n + 1)).toBe(a);
          expect(pairs.size).toBe(keys.size);
          expect(evictedPairs).toEqual(evictedKeys);
          expect([...pairs.entries()].map(([o, i, s]) => [`${o}/${i}`, s])).toEqual([...keys.entries()]);
        }
        for (const [key, state] of keys.entries()) {
          const [o, i] = key.split('/') as [string, string];
          expect(pairs.get(o, i)).toBe(state);
        }
      }),
      { numRuns: 500 },
    );
  });
});
