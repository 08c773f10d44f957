import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exactSum, percentileCont, summariseValues } from './exact.js';

describe('exactSum', () => {
  it('is correctly rounded where the plain sum is not', () => {
    expect(exactSum(Array.from({ length: 10 }, () => 0.1))).toBe(1);
    expect(exactSum([1e100, 1, -1e100])).toBe(1);
    expect(exactSum([1, 1e-16, 1e-16])).toBe(1.0000000000000002);
    expect(exactSum([])).toBe(0);
    expect(exactSum([1, Number.POSITIVE_INFINITY])).toBe(Number.POSITIVE_INFINITY);
  });

  it('equals the exact sum of dyadic values, in any order (property)', () => {
    // Integers scaled by 2^-20: every partial sum is exact, so the reference is exact.
    const dyadic = fc.integer({ min: -(2 ** 30), max: 2 ** 30 }).map((k) => k / 2 ** 20);
    fc.assert(
      fc.property(fc.array(dyadic, { maxLength: 50 }), (values) => {
        const reference = values.reduce((s, v) => s + v, 0);
        expect(exactSum(values)).toBe(reference);
        expect(exactSum([...values].reverse())).toBe(reference);
      }),
    );
  });

  it('does not depend on the order of arbitrary doubles (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e200, max: 1e200 })),
        (v) => {
          expect(exactSum([...v].reverse())).toBe(exactSum(v));
          expect(exactSum([...v].sort((a, b) => a - b))).toBe(exactSum(v));
        },
      ),
    );
  });
});

describe('percentileCont', () => {
  it('interpolates like SQL percentile_cont', () => {
    expect(percentileCont([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentileCont([1, 2, 3], 0.5)).toBe(2);
    expect(percentileCont([10], 0.9)).toBe(10);
    expect(percentileCont([0, 10], 0.9)).toBe(9);
  });
});

describe('summariseValues', () => {
  it('summarises unsorted values without changing them', () => {
    const values = [97, 94, 99, 90];
    expect(summariseValues(values)).toEqual({ n: 4, mean: 95, min: 90, max: 99, p50: 95.5 });
    expect(values).toEqual([97, 94, 99, 90]);
  });
});
