import { METRICS } from '@healthit/core';

/**
 * The vital signs a simulated bedside monitor reports, in the order each tick emits them. Every
 * one is a metric of the core catalogue and is reported in that metric's canonical UCUM unit.
 */
export const VITAL_METRICS = [
  'heart-rate',
  'respiratory-rate',
  'spo2',
  'body-temperature',
  'bp-systolic',
  'bp-diastolic',
] as const satisfies readonly (keyof typeof METRICS)[];

/** One of {@link VITAL_METRICS}. */
export type VitalMetric = (typeof VITAL_METRICS)[number];

/** A value for every vital sign. */
export type VitalValues = { readonly [M in VitalMetric]: number };

/** How one vital sign of one simulated patient behaves. All values in the metric's canonical unit. */
export interface VitalSignModel {
  /** The vital sign this model is of, e.g. `heart-rate`. */
  readonly metric: VitalMetric;
  /**
   * The population a patient's resting baseline is drawn from: a normal distribution with this
   * `mean` and `sd`, truncated to [`min`, `max`].
   */
  readonly baseline: {
    readonly mean: number;
    readonly sd: number;
    readonly min: number;
    readonly max: number;
  };
  /** Standard deviation of the moment-to-moment fluctuation around the (scenario-adjusted) baseline. */
  readonly sd: number;
  /** Mean-reversion time constant of the fluctuation, in ms (1/θ of the Ornstein–Uhlenbeck process). */
  readonly timeConstantMs: number;
  /** Decimal places a bedside monitor reports (0: integers; 1: tenths). */
  readonly decimals: 0 | 1;
}

const MINUTE_MS = 60_000;

/**
 * The vital-sign models of a resting adult on a general ward.
 *
 * **These numbers are approximate.** Baselines are normal distributions chosen so that drawn
 * patients fall inside commonly quoted adult reference ranges; they are not fitted to any data set.
 * Where the ranges come from:
 *
 * - heart rate: resting adult 60–100 /min (American Heart Association); NEWS2 scores 0 for
 *   51–90 /min (Royal College of Physicians, *National Early Warning Score (NEWS) 2*, 2017).
 * - respiratory rate: adult 12–20 /min (NEWS2 scores 0 for 12–20 /min).
 * - SpO2: healthy adults at sea level about 95–100 % (NEWS2 SpO2 scale 1 scores 0 for ≥ 96 %).
 * - body temperature: mean oral temperature of healthy adults about 36.8 °C (Mackowiak, Wasserman
 *   & Levine, JAMA 1992;268(12):1578–1580); NEWS2 scores 0 for 36.1–38.0 °C.
 * - blood pressure: adult means around 120–125 / 70–80 mm Hg (roughly the averages reported by
 *   US NHANES surveys); "normal" is < 120 / < 80 mm Hg (ACC/AHA 2017 guideline).
 *
 * The fluctuation (`sd`, `timeConstantMs`) is an illustrative choice that gives plausible
 * beat-to-beat-smoothed, minute-to-minute variation on a resting monitor (a few /min for heart
 * rate, about 1 /min for respiratory rate, under 1 % for SpO2, a few mm Hg for blood pressure, a
 * few hundredths of a degree per minute for temperature); it too is approximate, not measured.
 */
export const VITAL_SIGN_MODELS = {
  'heart-rate': {
    metric: 'heart-rate',
    baseline: { mean: 76, sd: 10, min: 58, max: 98 },
    sd: 3,
    timeConstantMs: 1 * MINUTE_MS,
    decimals: 0,
  },
  'respiratory-rate': {
    metric: 'respiratory-rate',
    baseline: { mean: 16, sd: 2, min: 12, max: 20 },
    sd: 1.2,
    timeConstantMs: 2 * MINUTE_MS,
    decimals: 0,
  },
  spo2: {
    metric: 'spo2',
    baseline: { mean: 97, sd: 1, min: 95, max: 99 },
    sd: 0.7,
    timeConstantMs: 1 * MINUTE_MS,
    decimals: 0,
  },
  'body-temperature': {
    metric: 'body-temperature',
    baseline: { mean: 36.8, sd: 0.3, min: 36.1, max: 37.4 },
    sd: 0.08,
    timeConstantMs: 30 * MINUTE_MS,
    decimals: 1,
  },
  'bp-systolic': {
    metric: 'bp-systolic',
    baseline: { mean: 122, sd: 12, min: 100, max: 150 },
    sd: 4,
    timeConstantMs: 5 * MINUTE_MS,
    decimals: 0,
  },
  'bp-diastolic': {
    metric: 'bp-diastolic',
    baseline: { mean: 76, sd: 8, min: 60, max: 92 },
    sd: 3,
    timeConstantMs: 5 * MINUTE_MS,
    decimals: 0,
  },
} as const satisfies { readonly [M in VitalMetric]: VitalSignModel & { readonly metric: M } };

/** A drawn baseline keeps at least this pulse pressure (systolic − diastolic), in mm Hg. */
export const MIN_BASELINE_PULSE_PRESSURE_MMHG = 30;

/** A reported diastolic value is at most the reported systolic value minus this, in mm Hg. */
export const MIN_REPORTED_PULSE_PRESSURE_MMHG = 10;

/**
 * Correlation of the systolic and diastolic fluctuations (they share the same time constant, so
 * the pair is a correlated two-dimensional Ornstein–Uhlenbeck process). Approximate.
 */
export const BP_FLUCTUATION_CORRELATION = 0.6;

/**
 * A value as a bedside monitor reports it: rounded to the model's decimals, then clamped into the
 * core catalogue's plausibility range for the metric (so SpO2 never exceeds 100 %).
 */
export function reportValue(metric: VitalMetric, value: number): number {
  const scale = VITAL_SIGN_MODELS[metric].decimals === 1 ? 10 : 1;
  const rounded = Math.round(value * scale) / scale;
  const { min, max } = METRICS[metric].plausible;
  return Math.min(max, Math.max(min, rounded));
}

/**
 * Every metric a simulated device can report: the {@link VITAL_METRICS}, plus the pulse rate (a
 * pulse oximeter's or cuff's view of the heart rate) and the mean arterial pressure a cuff reports.
 */
export const SIMULATED_METRICS = [
  ...VITAL_METRICS,
  'pulse-rate',
  'bp-mean',
] as const satisfies readonly (keyof typeof METRICS)[];

/** One of {@link SIMULATED_METRICS}. */
export type SimulatedMetric = (typeof SIMULATED_METRICS)[number];

/** True when `metric` is one of {@link SIMULATED_METRICS}. */
export function isSimulatedMetric(metric: unknown): metric is SimulatedMetric {
  return typeof metric === 'string' && (SIMULATED_METRICS as readonly string[]).includes(metric);
}

/**
 * A value as a device reports it: like {@link reportValue} for the vital signs; pulse rate and mean
 * arterial pressure as integers, clamped into the catalogue's plausibility range.
 */
export function reportMeasurement(metric: SimulatedMetric, value: number): number {
  if (metric === 'pulse-rate' || metric === 'bp-mean') {
    const { min, max } = METRICS[metric].plausible;
    return Math.min(max, Math.max(min, Math.round(value)));
  }
  return reportValue(metric, value);
}
