import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  auroc,
  brierScore,
  calibrateByScore,
  evaluateBinary,
  expectedCalibrationError,
  logLoss,
  reliabilityBins,
} from './metrics.js';

/** AUROC by definition: over every positive × negative pair, 1 when the positive scores higher, ½ on a tie. */
function bruteAuroc(scores: readonly number[], labels: readonly number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((sp, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((sn, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += sp > sn ? 1 : sp === sn ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

/**
 * Scores with many ties (integers 0–6, like NEWS2 totals) or finely spaced (sixteenths, so that the
 * monotone maps below stay strictly monotone in floating point), and labels with both classes.
 */
const scored = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.integer({ min: 0, max: 6 }),
        fc.integer({ min: -160, max: 160 }).map((i) => i / 16),
      ),
      fc.integer({ min: 0, max: 1 }),
    ),
    { minLength: 2, maxLength: 60 },
  )
  .filter((xs) => xs.some(([, y]) => y === 1) && xs.some(([, y]) => y === 0))
  .map((xs) => ({ scores: xs.map(([s]) => s), labels: xs.map(([, y]) => y) }));

describe('auroc', () => {
  it('matches hand-computed values', () => {
    expect(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
    expect(auroc([0.1, 0.2, 0.3], [0, 0, 1])).toBe(1);
    expect(auroc([0.3, 0.2, 0.1], [0, 0, 1])).toBe(0);
    // A tie between a positive and a negative counts one half: (0.5 + 1 + 1 + 1) / 4.
    expect(auroc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBe(0.875);
    // All tied: chance.
    expect(auroc([3, 3, 3, 3], [0, 1, 0, 1])).toBe(0.5);
    // NEWS2-like totals: positives 5, 3, 7; negatives 3, 1, 0, 3. Pairs won: 5 → 4; 3 → 1 + 1 + ½ + ½ = 3; 7 → 4.
    expect(auroc([5, 3, 7, 3, 1, 0, 3], [1, 1, 1, 0, 0, 0, 0])).toBeCloseTo(11 / 12, 15);
    expect(auroc([0.2, 0.8], [false, true])).toBe(1);
  });

  it('equals the pairwise definition, ties included', () => {
    fc.assert(
      fc.property(scored, ({ scores, labels }) => {
        expect(auroc(scores, labels)).toBeCloseTo(bruteAuroc(scores, labels), 12);
      }),
      { numRuns: 300 },
    );
  });

  it('depends only on the order of the scores, and reverses with them', () => {
    fc.assert(
      fc.property(scored, ({ scores, labels }) => {
        const a = auroc(scores, labels);
        expect(
          auroc(
            scores.map((s) => 3 * s + 7),
            labels,
          ),
        ).toBeCloseTo(a, 12);
        expect(
          auroc(
            scores.map((s) => Math.atan(s)),
            labels,
          ),
        ).toBeCloseTo(a, 12);
        expect(
          auroc(
            scores.map((s) => -s),
            labels,
          ),
        ).toBeCloseTo(1 - a, 12);
        expect(
          auroc(
            scores,
            labels.map((y) => 1 - y),
          ),
        ).toBeCloseTo(1 - a, 12);
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the order of the examples', () => {
    fc.assert(
      fc.property(scored, fc.integer({ min: 0, max: 1000 }), ({ scores, labels }, shift) => {
        const k = shift % scores.length;
        const rot = <T>(xs: readonly T[]) => [...xs.slice(k), ...xs.slice(0, k)];
        expect(auroc(rot(scores), rot(labels))).toBeCloseTo(auroc(scores, labels), 12);
      }),
    );
  });

  it('refuses what it cannot define', () => {
    expect(() => auroc([0.1, 0.2], [1, 1])).toThrow(/at least one positive and one negative/);
    expect(() => auroc([0.1], [1, 0])).toThrow(/1 scores but 2 labels/);
    expect(() => auroc([0.1, Number.NaN], [1, 0])).toThrow(/finite/);
    expect(() => auroc([0.1, 0.2], [1, 2])).toThrow(/labels\[1\]/);
  });
});

describe('brierScore and logLoss', () => {
  it('match hand-computed values', () => {
    // (0.01 + 0.01 + 0.04 + 0.09) / 4
    expect(brierScore([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0])).toBeCloseTo(0.0375, 15);
    expect(brierScore([0.5, 0.5], [0, 1])).toBe(0.25);
    expect(brierScore([1, 0], [1, 0])).toBe(0);
    expect(logLoss([0.9, 0.1], [1, 0])).toBeCloseTo(-Math.log(0.9), 15);
    expect(logLoss([1], [0])).toBe(-Math.log(1 - (1 - 1e-15))); // clipped, finite
  });

  it('stay within their bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1 })), {
          minLength: 1,
        }),
        (xs) => {
          const b = brierScore(
            xs.map(([p]) => p),
            xs.map(([, y]) => y),
          );
          expect(b).toBeGreaterThanOrEqual(0);
          expect(b).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('refuse probabilities outside 0..1 and empty input', () => {
    expect(() => brierScore([1.2], [1])).toThrow(/0..1/);
    expect(() => brierScore([], [])).toThrow(/no predictions/);
    expect(() => logLoss([-0.1], [0])).toThrow(/0..1/);
  });
});

describe('reliability bins and expected calibration error', () => {
  it('bin by equal width, 1 in the last bin, and match a hand-computed ECE', () => {
    const p = [0.05, 0.15, 0.15, 0.95, 1];
    const y = [0, 0, 1, 1, 1];
    const bins = reliabilityBins(p, y, 10);
    expect(bins.map((b) => b.count)).toEqual([1, 2, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(bins[1]).toMatchObject({ from: 0.1, to: 0.2, meanPredicted: 0.15, observedRate: 0.5 });
    expect(bins[2]?.meanPredicted).toBeNaN();
    // (1/5)·0.05 + (2/5)·0.35 + (2/5)·|1 − 0.975|
    expect(expectedCalibrationError(p, y, 10)).toBeCloseTo(0.01 + 0.14 + 0.01, 12);
  });

  it('is 0 for predictions that equal the observed rate of their bin', () => {
    // In the 0.2–0.3 bin, 1 in 4 positive at 0.25; in the 0.7–0.8 bin, 3 in 4 at 0.75.
    const p = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75];
    const y = [1, 0, 0, 0, 1, 1, 1, 0];
    expect(expectedCalibrationError(p, y)).toBeCloseTo(0, 15);
  });

  it('lies in 0..1 and weights bins by their counts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 1 })), {
          minLength: 1,
          maxLength: 100,
        }),
        fc.integer({ min: 1, max: 20 }),
        (xs, k) => {
          const p = xs.map(([q]) => q);
          const y = xs.map(([, v]) => v);
          const bins = reliabilityBins(p, y, k);
          expect(bins.reduce((s, b) => s + b.count, 0)).toBe(xs.length);
          const ece = expectedCalibrationError(p, y, k);
          expect(ece).toBeGreaterThanOrEqual(0);
          expect(ece).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it('refuses a bin count that is not a positive integer', () => {
    expect(() => reliabilityBins([0.5], [1], 0)).toThrow(/bins/);
    expect(() => expectedCalibrationError([], [])).toThrow(/no predictions/);
  });
});

describe('evaluateBinary', () => {
  it('reports every metric consistently', () => {
    const p = [0.1, 0.9, 0.8, 0.3];
    const y = [0, 1, 1, 0];
    const e = evaluateBinary(p, y, { bins: 10 });
    expect(e).toMatchObject({ n: 4, positives: 2, prevalence: 0.5, auroc: 1 });
    expect(e.brier).toBeCloseTo(0.0375, 15);
    expect(e.brierSkill).toBeCloseTo(1 - 0.0375 / 0.25, 15);
    expect(e.ece).toBeCloseTo(expectedCalibrationError(p, y, 10), 15);
    expect(e.logLoss).toBeCloseTo(logLoss(p, y), 15);
  });
});

describe('calibrateByScore', () => {
  it('maps each score to its observed rate, and an unseen score to the overall rate', () => {
    const p = calibrateByScore([0, 0, 0, 0, 3, 3, 7], [0, 0, 0, 1, 1, 0, 1]);
    expect(p(0)).toBe(0.25);
    expect(p(3)).toBe(0.5);
    expect(p(7)).toBe(1);
    expect(p(5)).toBe(3 / 7);
    expect(() => calibrateByScore([], [])).toThrow(/no scores/);
  });
});
