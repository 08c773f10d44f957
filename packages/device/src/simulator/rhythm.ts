import type { SeededRandom } from './random.js';
import type { Rhythm } from './scenarios.js';

/** How beat-to-beat (RR) intervals are drawn in each rhythm. Fractions are of the mean interval. */
export interface RhythmModels {
  /** Sinus rhythm: regular in the short term, modulated by breathing. */
  readonly sinus: {
    /** Respiratory sinus arrhythmia: amplitude of the sinusoidal modulation at the breathing rate. */
    readonly respiratoryModulation: number;
    /** Standard deviation of the independent beat-to-beat jitter. */
    readonly jitter: number;
  };
  /** Atrial fibrillation: irregularly irregular, independent intervals. */
  readonly af: {
    /** Coefficient of variation of the intervals (standard deviation / mean). */
    readonly coefficientOfVariation: number;
  };
  /** No interval is shorter than this, in ms (300 /min). */
  readonly minIntervalMs: number;
}

/**
 * The default rhythm models.
 *
 * - Sinus rhythm: `RR = m·(1 + 0.03·sin φ + 0.02·z)` where `m = 60 000 / heart rate`, `φ` advances
 *   with the respiratory rate (respiratory sinus arrhythmia) and `z ~ N(0, 1)`: a coefficient of
 *   variation of about 3 % beat to beat, regular in the short term.
 * - Atrial fibrillation, irregularly irregular: independent intervals from a shifted exponential
 *   distribution, `RR = m·(1 − c) + Exp(mean c·m)` with `c = 0.3`, so the mean is `m`, the
 *   coefficient of variation is `c` and successive intervals are uncorrelated. Hennig et al.
 *   (arXiv:cond-mat/0605295, 2006) found such an exponential tail, with a decay
 *   rate of 3–12 Hz, in 130 long-term AF recordings and none in sinus rhythm (`c = 0.3` at 90 /min
 *   gives about 5 Hz); RR-interval variability detectors (e.g. Tateno & Glass, Med Biol Eng Comput
 *   2001;39:664–671) rely on this difference.
 *
 * Approximate: a sketch of the statistics, not an ECG model (no ectopic beats, no slow
 * heart-rate-variability components beyond the heart-rate fluctuation itself).
 */
export const RHYTHM_MODELS: RhythmModels = Object.freeze({
  sinus: Object.freeze({ respiratoryModulation: 0.03, jitter: 0.02 }),
  af: Object.freeze({ coefficientOfVariation: 0.3 }),
  minIntervalMs: 200,
});

/** Produces a patient's heartbeats over consecutive windows of time. */
export interface BeatGenerator {
  /**
   * The RR intervals (ms, rounded) of the beats that fall in the window ending at `toMs` (elapsed
   * ms), each reported at the beat that ends it, for the current heart rate, respiratory rate and
   * rhythm. Windows must be consecutive and of `windowMs`.
   */
  beats(toMs: number, heartRate: number, respiratoryRate: number, rhythm: Rhythm): number[];
}

/**
 * A beat generator over `random` (advanced in place; give each patient its own). The first beat's
 * phase within the first window is random.
 */
export function createBeatGenerator(
  random: SeededRandom,
  windowMs: number,
  models: RhythmModels = RHYTHM_MODELS,
): BeatGenerator {
  let lastBeatMs = Number.NaN;
  let nextBeatMs = Number.NaN;
  let respiratoryPhase = 2 * Math.PI * random.uniform();

  const draw = (heartRate: number, respiratoryRate: number, rhythm: Rhythm): number => {
    const mean = 60_000 / Math.max(heartRate, 1);
    let interval: number;
    if (rhythm === 'af') {
      const c = models.af.coefficientOfVariation;
      interval = mean * (1 - c) - c * mean * Math.log(1 - random.uniform());
    } else {
      const { respiratoryModulation, jitter } = models.sinus;
      interval = mean * (1 + respiratoryModulation * Math.sin(respiratoryPhase) + jitter * random.normal());
    }
    interval = Math.max(models.minIntervalMs, interval);
    respiratoryPhase =
      (respiratoryPhase + (2 * Math.PI * respiratoryRate * interval) / 60_000) % (2 * Math.PI);
    return interval;
  };

  return {
    beats(toMs, heartRate, respiratoryRate, rhythm) {
      if (Number.isNaN(nextBeatMs)) {
        const first = draw(heartRate, respiratoryRate, rhythm);
        lastBeatMs = toMs - windowMs - random.uniform() * first;
        nextBeatMs = lastBeatMs + first;
      }
      const intervals: number[] = [];
      while (nextBeatMs <= toMs) {
        intervals.push(Math.round(nextBeatMs - lastBeatMs));
        lastBeatMs = nextBeatMs;
        nextBeatMs = lastBeatMs + draw(heartRate, respiratoryRate, rhythm);
      }
      return intervals;
    },
  };
}
