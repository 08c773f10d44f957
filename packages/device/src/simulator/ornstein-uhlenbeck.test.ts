import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ouAdvance, ouStep } from './ornstein-uhlenbeck.js';
import { seededRandom, seededStreams } from './random.js';

describe('ouStep', () => {
  it('is exact: two steps of Δ equal one step of 2Δ in mean and variance (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 20, noNaN: true }),
        fc.integer({ min: 1, max: 3_600_000 }),
        fc.integer({ min: 1, max: 600_000 }),
        (sd, tauMs, stepMs) => {
          const one = ouStep(sd, tauMs, stepMs);
          const two = ouStep(sd, tauMs, 2 * stepMs);
          // Mean of a deviation after two steps: x·a², after one double step: x·a(2Δ).
          expect(one.decay * one.decay).toBeCloseTo(two.decay, 12);
          // Variance after two steps: s²a² + s², after one double step: s(2Δ)².
          const twoStepVariance = one.innovationSd ** 2 * one.decay ** 2 + one.innovationSd ** 2;
          expect(twoStepVariance).toBeCloseTo(two.innovationSd ** 2, 9);
        },
      ),
    );
  });

  it('keeps the stationary variance sd² and lag-one autocorrelation e^(−Δ/τ) over a long run', () => {
    const sd = 3;
    const step = ouStep(sd, 60_000, 5_000);
    const [g] = seededStreams(12345, 1);
    const random = seededRandom(g as NonNullable<typeof g>);
    let x = sd * random.normal();
    const xs: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      x = ouAdvance(step, x, 0, random.normal());
      xs.push(x);
    }
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    let lag = 0;
    for (let i = 1; i < xs.length; i++) lag += ((xs[i] as number) - mean) * ((xs[i - 1] as number) - mean);
    const autocorrelation = lag / (xs.length - 1) / variance;
    expect(Math.abs(mean)).toBeLessThan(0.15);
    expect(Math.abs(variance / (sd * sd) - 1)).toBeLessThan(0.05);
    expect(Math.abs(autocorrelation - Math.exp(-5_000 / 60_000))).toBeLessThan(0.01);
  });

  it('reverts to the mean without noise', () => {
    const step = ouStep(2, 1_000, 1_000);
    expect(ouAdvance(step, 10, 4, 0)).toBeCloseTo(4 + 6 * Math.exp(-1), 12);
  });

  it('rejects a negative sd and non-positive times', () => {
    expect(() => ouStep(-1, 1, 1)).toThrow(RangeError);
    expect(() => ouStep(1, 0, 1)).toThrow(/timeConstantMs/);
    expect(() => ouStep(1, 1, Number.NaN)).toThrow(/stepMs/);
  });
});
