import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSequenceGuard } from './sequence-guard.js';

describe('createSequenceGuard', () => {
  it('accepts increasing seqs and reports the last seq for repeats and older ones', () => {
    const g = createSequenceGuard();
    expect(g.check('a', 1)).toBeUndefined();
    expect(g.check('a', 2)).toBeUndefined();
    expect(g.check('a', 2)).toBe(2);
    expect(g.check('a', 1)).toBe(2);
    expect(g.check('b', 1)).toBeUndefined();
  });

  it('is bounded: forgets the device heard from least recently', () => {
    const g = createSequenceGuard(2);
    g.check('a', 1);
    g.check('b', 1);
    g.check('a', 2);
    g.check('c', 1);
    expect(g.size).toBe(2);
    expect(g.check('b', 1)).toBeUndefined();
    expect(g.check('a', 2)).toBeUndefined(); // a was evicted when b came back
  });

  it('accepts exactly the readings whose seq exceeds every earlier one of the device', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(50))), (events) => {
        const g = createSequenceGuard();
        const max = new Map<string, number>();
        for (const [d, s] of events) {
          const expectedNew = !max.has(d) || s > (max.get(d) ?? -1);
          expect(g.check(d, s) === undefined).toBe(expectedNew);
          if (expectedNew) max.set(d, s);
        }
      }),
    );
  });

  it('rejects a non-positive bound', () => {
    expect(() => createSequenceGuard(0)).toThrow(RangeError);
  });
});
