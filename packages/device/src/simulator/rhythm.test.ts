import { describe, expect, it } from 'vitest';
import { seededRandom, seededStreams } from './random.js';
import { createBeatGenerator, RHYTHM_MODELS } from './rhythm.js';
import type { Rhythm } from './scenarios.js';

function beats(rhythm: Rhythm, heartRate: number, windowMs: number, windows: number, seed = 1): number[] {
  const [g] = seededStreams(seed, 1);
  const generator = createBeatGenerator(seededRandom(g as NonNullable<typeof g>), windowMs);
  const out: number[] = [];
  for (let k = 1; k <= windows; k++) out.push(...generator.beats(k * windowMs, heartRate, 15, rhythm));
  return out;
}

function stats(xs: number[]): { mean: number; cv: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, cv: sd / mean };
}

describe('createBeatGenerator', () => {
  it('produces intervals averaging 60 000 / heart rate that fill the time, in any window size', () => {
    for (const windowMs of [250, 1_000, 60_000]) {
      for (const rhythm of ['sinus', 'af'] as const) {
        const rr = beats(rhythm, 80, windowMs, (30 * 60_000) / windowMs);
        const { mean } = stats(rr);
        expect(Math.abs(mean - 750) / 750).toBeLessThan(0.02);
        const total = rr.reduce((a, b) => a + b, 0);
        expect(Math.abs(total - 30 * 60_000)).toBeLessThan(3_000);
        expect(Math.min(...rr)).toBeGreaterThanOrEqual(RHYTHM_MODELS.minIntervalMs);
      }
    }
  });

  it('is regular in sinus rhythm and irregularly irregular in AF', () => {
    const sinus = beats('sinus', 70, 1_000, 1_800);
    const af = beats('af', 95, 1_000, 1_800);
    expect(stats(sinus).cv).toBeGreaterThan(0.02);
    expect(stats(sinus).cv).toBeLessThan(0.05);
    expect(Math.abs(stats(af).cv - RHYTHM_MODELS.af.coefficientOfVariation)).toBeLessThan(0.03);
    // Successive AF intervals are uncorrelated (lag-one autocorrelation near 0).
    const { mean } = stats(af);
    let num = 0;
    let den = 0;
    for (let i = 1; i < af.length; i++) num += ((af[i] as number) - mean) * ((af[i - 1] as number) - mean);
    for (const x of af) den += (x - mean) ** 2;
    expect(Math.abs(num / den)).toBeLessThan(0.06);
  });
});
