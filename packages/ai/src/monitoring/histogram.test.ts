import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  binOf,
  DriftWindow,
  PSI_EPSILON,
  populationStabilityIndex,
  quantileHistogram,
  shares,
} from './histogram.js';

describe('binOf', () => {
  it('counts the edges at or below the value; NaN goes to the missing bin', () => {
    const edges = [1, 2, 5];
    expect([0, 1, 1.5, 2, 4.9, 5, 100].map((v) => binOf(edges, v))).toEqual([0, 1, 1, 2, 2, 3, 3]);
    expect(binOf(edges, Number.NaN)).toBe(4);
    expect(binOf([], 3)).toBe(0);
    expect(binOf([], Number.NaN)).toBe(1);
  });
});

describe('quantileHistogram', () => {
  it('puts a tenth of distinct values in each decile bin, and counts missing values', () => {
    const values = [...Array.from({ length: 100 }, (_, i) => i), Number.NaN, Number.NaN];
    const h = quantileHistogram(values, 10);
    expect(h.edges).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    expect(h.expected).toHaveLength(11);
    for (const p of h.expected.slice(0, 10)) expect(p).toBeCloseTo(10 / 102, 12);
    expect(h.expected[10]).toBeCloseTo(2 / 102, 12);
  });

  it('gives a heavily tied value a bin of its own and counts the shares exactly', () => {
    // SpO2-like: most at 98, a few lower.
    const values = [...Array(80).fill(98), ...Array(10).fill(95), ...Array(10).fill(92)];
    const h = quantileHistogram(values, 10);
    expect(h.edges).toEqual([95, 98]);
    expect(h.expected).toEqual([0.1, 0.1, 0.8, 0]);
  });

  it('has no edges when nothing is defined, and refuses infinities and bad bin counts', () => {
    expect(quantileHistogram([Number.NaN, Number.NaN])).toEqual({ edges: [], expected: [0, 1] });
    expect(() => quantileHistogram([1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(() => quantileHistogram([1, 2], 1)).toThrow(RangeError);
    expect(() => quantileHistogram([1, 2], 65)).toThrow(RangeError);
  });

  it('shares of any data sum to 1 and the data scores a PSI of 0 against its own histogram (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(Number.NaN)), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.integer({ min: 2, max: 64 }),
        (values, bins) => {
          const h = quantileHistogram(values, bins);
          expect(h.expected.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 9);
          for (let i = 1; i < h.edges.length; i++)
            expect(h.edges[i]).toBeGreaterThan(h.edges[i - 1] as number);
          const counts = shares(h.edges, values).map((p) => p * values.length);
          expect(populationStabilityIndex(h.expected, counts, values.length)).toBeCloseTo(0, 9);
        },
      ),
    );
  });
});

describe('populationStabilityIndex', () => {
  it('matches the definition by hand, with empty bins floored', () => {
    const expected = [0.5, 0.5, 0];
    const psi = populationStabilityIndex(expected, [3, 1, 0], 4);
    const byHand = (0.75 - 0.5) * Math.log(0.75 / 0.5) + (0.25 - 0.5) * Math.log(0.25 / 0.5);
    expect(psi).toBeCloseTo(byHand, 12);
    // A value where the reference had none counts, but finitely.
    const surprise = populationStabilityIndex([1, 0], [0, 4], 4);
    expect(surprise).toBeCloseTo((1 - PSI_EPSILON) * Math.log(1 / PSI_EPSILON) * 2, 6);
  });

  it('is never negative (property) and refuses mismatched input', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(100), fc.nat(100)), { minLength: 2, maxLength: 20 }), (pairs) => {
        const refTotal = pairs.reduce((s, [a]) => s + a, 0) || 1;
        const total = pairs.reduce((s, [, b]) => s + b, 0);
        fc.pre(total > 0);
        const expected = pairs.map(([a]) => a / refTotal);
        expect(
          populationStabilityIndex(
            expected,
            pairs.map(([, b]) => b),
            total,
          ),
        ).toBeGreaterThanOrEqual(0);
      }),
    );
    expect(() => populationStabilityIndex([0.5, 0.5], [1], 1)).toThrow(RangeError);
    expect(() => populationStabilityIndex([1], [0], 0)).toThrow(RangeError);
  });
});

describe('DriftWindow', () => {
  it('keeps the counts of exactly the last `capacity` observations (property)', () => {
    const histograms = [
      { edges: [0, 10], expected: [0.25, 0.5, 0.25, 0] },
      { edges: [5], expected: [0.4, 0.4, 0.2] },
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(
          fc.tuple(
            fc.oneof(fc.double({ min: -20, max: 30, noNaN: true }), fc.constant(Number.NaN)),
            fc.oneof(fc.double({ min: -5, max: 15, noNaN: true }), fc.constant(Number.NaN)),
          ),
          { maxLength: 80 },
        ),
        (capacity, rows) => {
          const w = new DriftWindow(histograms, capacity);
          rows.forEach((row, i) => {
            w.push(row, i);
          });
          const kept = rows.slice(-capacity);
          expect(w.size).toBe(kept.length);
          for (let f = 0; f < 2; f++) {
            const h = histograms[f] as (typeof histograms)[number];
            const expected = new Array(h.expected.length).fill(0);
            for (const row of kept) expected[binOf(h.edges, row[f] as number)]++;
            expect(w.countsOf(f)).toEqual(expected);
          }
          if (kept.length > 0) expect(w.oldestTs).toBe(rows.length - kept.length);
        },
      ),
    );
  });

  it('measures a shift: a stable sample scores low, a shifted one above 0.25', () => {
    const reference = Array.from({ length: 1000 }, (_, i) => 60 + (i % 40));
    const h = quantileHistogram(reference, 10);
    const stable = new DriftWindow([h], 200);
    const shifted = new DriftWindow([h], 200);
    for (let i = 0; i < 200; i++) {
      stable.push([60 + ((i * 7) % 40)], i);
      shifted.push([80 + ((i * 7) % 40)], i);
    }
    expect(stable.psi(0)).toBeLessThan(0.05);
    expect(shifted.psi(0)).toBeGreaterThan(0.25);
    shifted.clear();
    expect(shifted.size).toBe(0);
    expect(Number.isNaN(shifted.psi(0))).toBe(true);
    expect(() => new DriftWindow([h], 0)).toThrow(RangeError);
  });
});
