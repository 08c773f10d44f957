import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weightedLinearFit } from './weighted-fit.js';

/** The textbook normal equations, uncentred: an independent reference. */
function reference(points: readonly { x: number; y: number; w: number }[]) {
  let sw = 0;
  let swx = 0;
  let swy = 0;
  let swxx = 0;
  let swxy = 0;
  let swyy = 0;
  for (const { x, y, w } of points) {
    sw += w;
    swx += w * x;
    swy += w * y;
    swxx += w * x * x;
    swxy += w * x * y;
    swyy += w * y * y;
  }
  const sxx = swxx - (swx * swx) / sw;
  const sxy = swxy - (swx * swy) / sw;
  const syy = swyy - (swy * swy) / sw;
  const slope = sxy / sxx;
  return { slope, intercept: (swy - slope * swx) / sw, r2: (sxy * sxy) / (sxx * syy) };
}

const relClose = (actual: number, expected: number, rel: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.max(Math.abs(expected), 1e-300));

describe('weightedLinearFit', () => {
  it('matches the normal equations on a fixed weighted set', () => {
    const points = [
      { x: 0.5, y: 97.5, w: 2 },
      { x: 1.5, y: 97, w: 1 },
      { x: 2.5, y: 95.75, w: 4 },
      { x: 4.5, y: 94, w: 3 },
    ];
    const fit = weightedLinearFit(points);
    const ref = reference(points);
    relClose(fit.slope, ref.slope, 1e-12);
    relClose(fit.intercept, ref.intercept, 1e-12);
    relClose(fit.r2, ref.r2, 1e-12);
    expect(fit.weight).toBe(10);
  });

  it('refuses fewer than two distinct x and non-positive weights', () => {
    expect(() => weightedLinearFit([{ x: 1, y: 1, w: 1 }])).toThrow(RangeError);
    expect(() =>
      weightedLinearFit([
        { x: 1, y: 1, w: 1 },
        { x: 1, y: 2, w: 3 },
      ]),
    ).toThrow(RangeError);
    expect(() =>
      weightedLinearFit([
        { x: 1, y: 1, w: 0 },
        { x: 2, y: 2, w: 1 },
      ]),
    ).toThrow(RangeError);
  });

  // A linear series: y = a + b·x at distinct x, arbitrary positive weights.
  const series = fc.record({
    a: fc.integer({ min: -1000, max: 1000 }),
    b: fc.integer({ min: -400, max: 400 }).map((k) => k / 8),
    c: fc.integer({ min: -10_000, max: 10_000 }).map((k) => k / 4),
    xs: fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 40 }),
    weights: fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 40, maxLength: 40 }),
  });

  it('gives a linear series its slope (1e-9 relative), r² = 1, and ignores an added constant (property)', () => {
    fc.assert(
      fc.property(series, ({ a, b, c, xs, weights }) => {
        const points = xs.map((i, j) => {
          const x = i / 7; // not dyadic: rounding happens
          return { x, y: a + b * x, w: weights[j] as number };
        });
        const fit = weightedLinearFit(points);
        if (b === 0) expect(fit.slope).toBe(0);
        else relClose(fit.slope, b, 1e-9);
        expect(Math.abs(fit.r2 - 1)).toBeLessThanOrEqual(1e-9);
        const shifted = weightedLinearFit(points.map((p) => ({ ...p, y: p.y + c })));
        if (b === 0) expect(shifted.slope).toBe(0);
        else relClose(shifted.slope, fit.slope, 1e-9);
      }),
      { numRuns: 300 },
    );
  });
});
