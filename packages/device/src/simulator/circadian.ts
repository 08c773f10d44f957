import { VITAL_METRICS, type VitalMetric } from './vital-signs.js';

/** A 24-hour cosine rhythm of one vital sign, added to the patient's mean. */
export interface CircadianRhythm {
  /** Half the peak-to-trough swing, in the metric's canonical unit (the rhythm spans ±amplitude). */
  readonly amplitude: number;
  /** Local time of the lowest value, in hours after midnight (0 ≤ nadirHour < 24). */
  readonly nadirHour: number;
}

/** Circadian rhythms by vital sign; a vital sign not listed has none. */
export type CircadianRhythms = { readonly [M in VitalMetric]?: CircadianRhythm };

/**
 * The default circadian rhythms: one cosine per vital sign with a 24-hour period, so a patient's
 * baseline is their 24-hour mean (the MESOR) and the rhythm averages out over a day.
 *
 * **Approximate**, a single cosine fitted by eye to published figures, for a resting ward patient:
 *
 * - body temperature: ±0.25 °C (0.5 °C peak to trough), lowest at 06:00 — Mackowiak, Wasserman &
 *   Levine (JAMA 1992;268(12):1578–1580) found a 6 AM nadir, a 4–6 PM zenith and a mean amplitude
 *   of variability of 0.5 °C in oral temperatures of healthy adults.
 * - heart rate: ±5 /min, lowest at 03:00; systolic pressure ±6 mm Hg and diastolic ±5 mm Hg,
 *   lowest at 03:00 — Degaute et al. (Hypertension 1991;18(2):199–210) found a profound nocturnal
 *   nadir around 03:00 with 24-hour amplitudes of about 20 % (heart rate), 14 % (diastolic) and
 *   11 % (systolic) of the mean in ambulatory young men; Morris et al. (Am J Hypertens
 *   2013;26(6):822–828) measured a sleep-time fall of about 11/8 mm Hg ambulatory and 8/4 mm Hg
 *   in bed rest. We use roughly the bed-rest size, since ward patients are mostly recumbent, and
 *   ignore the smaller afternoon dip.
 * - respiratory rate and SpO2: no rhythm (small and inconsistent in the literature).
 */
export const CIRCADIAN_RHYTHMS: CircadianRhythms = Object.freeze({
  'heart-rate': Object.freeze({ amplitude: 5, nadirHour: 3 }),
  'body-temperature': Object.freeze({ amplitude: 0.25, nadirHour: 6 }),
  'bp-systolic': Object.freeze({ amplitude: 6, nadirHour: 3 }),
  'bp-diastolic': Object.freeze({ amplitude: 5, nadirHour: 3 }),
});

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The circadian offset of `metric` at the epoch time `ts`: `−amplitude·cos(2π(h − nadirHour)/24)`
 * where `h` is the local hour of day (`ts` shifted by `utcOffsetMinutes`). 0 for a vital sign
 * without a rhythm.
 *
 * @example
 * ```ts
 * circadianOffset('body-temperature', Date.UTC(2025, 0, 1, 6)); // −0.25 (the 06:00 nadir)
 * ```
 */
export function circadianOffset(
  metric: VitalMetric,
  ts: number,
  utcOffsetMinutes = 0,
  rhythms: CircadianRhythms = CIRCADIAN_RHYTHMS,
): number {
  const rhythm = rhythms[metric];
  if (rhythm === undefined || rhythm.amplitude === 0) return 0;
  const localMs = (((ts + utcOffsetMinutes * 60_000) % DAY_MS) + DAY_MS) % DAY_MS;
  const hours = localMs / HOUR_MS;
  return -rhythm.amplitude * Math.cos((2 * Math.PI * (hours - rhythm.nadirHour)) / 24);
}

/**
 * Checks a set of rhythms.
 *
 * @throws {RangeError} for a metric that is not a vital sign, a negative or non-finite amplitude, or
 *   a nadir hour outside [0, 24).
 */
export function assertCircadianRhythms(rhythms: CircadianRhythms, where: string): void {
  for (const [metric, rhythm] of Object.entries(rhythms)) {
    if (!(VITAL_METRICS as readonly string[]).includes(metric)) {
      throw new RangeError(
        `${where}: "${metric}" is not a vital sign; use one of ${VITAL_METRICS.join(', ')}`,
      );
    }
    if (rhythm === undefined) continue;
    if (!Number.isFinite(rhythm.amplitude) || rhythm.amplitude < 0) {
      throw new RangeError(
        `${where}.${metric}.amplitude must be a finite number >= 0, got ${rhythm.amplitude}`,
      );
    }
    if (!Number.isFinite(rhythm.nadirHour) || rhythm.nadirHour < 0 || rhythm.nadirHour >= 24) {
      throw new RangeError(`${where}.${metric}.nadirHour must be in [0, 24), got ${rhythm.nadirHour}`);
    }
  }
}
