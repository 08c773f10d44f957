import type { MetricId } from '@healthit/core';

const SHIFT_HOURS = 12;

/**
 * The default "stable" band of {@link patientTrend}, per metric, in the metric's canonical UCUM
 * unit per hour: a trend whose |slope| is below it is `stable`.
 *
 * Rule: a change of one clinically meaningful step over a 12-hour shift. For the NEWS2 parameters
 * the step is the width of the first scoring band away from normal in the direction of
 * deterioration (RCP NEWS2 2017, Chart 1); for the others a comparable, commonly used step:
 *
 * | metric | step | per hour |
 * | --- | --- | --- |
 * | heart-rate, pulse-rate | 20 /min (band 91–110) | 1.667 |
 * | respiratory-rate | 4 /min (band 21–24) | 0.333 |
 * | spo2 | 2 % (band 94–95, scale 1) | 0.167 |
 * | body-temperature | 1 Cel (band 38.1–39.0) | 0.0833 |
 * | bp-systolic | 10 mm[Hg] (band 101–110) | 0.833 |
 * | bp-diastolic, bp-mean | 10 mm[Hg] (as systolic) | 0.833 |
 * | body-weight | 2 kg over 3 days (heart-failure fluid gain), not 12 h | 0.0278 |
 * | glucose | 18 mg/dL ≈ 1 mmol/L | 1.5 |
 * | device-temperature | 1 Cel (a sixth of the 2–8 °C cold-chain range) | 0.0833 |
 *
 * These are defaults for dashboards, not clinical thresholds: pass `stableBelowPerHour` to use
 * your own.
 */
export const STABLE_SLOPE_PER_HOUR = {
  'heart-rate': 20 / SHIFT_HOURS,
  'pulse-rate': 20 / SHIFT_HOURS,
  'respiratory-rate': 4 / SHIFT_HOURS,
  spo2: 2 / SHIFT_HOURS,
  'body-temperature': 1 / SHIFT_HOURS,
  'bp-systolic': 10 / SHIFT_HOURS,
  'bp-diastolic': 10 / SHIFT_HOURS,
  'bp-mean': 10 / SHIFT_HOURS,
  'body-weight': 2 / 72,
  glucose: 18 / SHIFT_HOURS,
  'device-temperature': 1 / SHIFT_HOURS,
} as const satisfies Record<MetricId, number>;
