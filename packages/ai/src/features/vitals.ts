import type { MetricId, Tensor } from '@healthit/core';

/**
 * The vital signs the deterioration models read, in the column order of their input tensor. Values
 * are in each metric's canonical UCUM unit: `/min`, `/min`, `%`, `Cel`, `mm[Hg]`.
 */
export const VITALS_FEATURES = [
  'heart-rate',
  'respiratory-rate',
  'spo2',
  'body-temperature',
  'bp-systolic',
] as const satisfies readonly MetricId[];

/** One of the {@link VITALS_FEATURES}. */
export type VitalsFeature = (typeof VITALS_FEATURES)[number];

/** One patient's vital signs, one value per feature, in canonical units. */
export type VitalsSample = Readonly<Record<VitalsFeature, number>>;

const FEATURE_SET: ReadonlySet<string> = new Set(VITALS_FEATURES);

/** True when `metric` is one of the {@link VITALS_FEATURES}. */
export function isVitalsFeature(metric: string): metric is VitalsFeature {
  return FEATURE_SET.has(metric);
}

/**
 * One sample as a feature row, in {@link VITALS_FEATURES} order.
 *
 * @throws {RangeError} when a value is missing or not a finite number.
 * @example
 * ```ts
 * vitalsFeatures({ 'heart-rate': 72, 'respiratory-rate': 14, spo2: 98, 'body-temperature': 36.8, 'bp-systolic': 122 });
 * // Float32Array [72, 14, 98, 36.8, 122]
 * ```
 */
export function vitalsFeatures(sample: VitalsSample): Float32Array {
  const row = new Float32Array(VITALS_FEATURES.length);
  VITALS_FEATURES.forEach((feature, i) => {
    const value = sample[feature];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new RangeError(
        `vitals sample: ${feature} must be a finite number in its canonical unit, got ${value}`,
      );
    }
    row[i] = value;
  });
  return row;
}

/**
 * Samples as the float32 `[N, 5]` input tensor of a vitals model (row-major, one row per sample).
 *
 * @throws {RangeError} when a value is missing or not a finite number.
 * @example
 * ```ts
 * const { risk } = await model.run({ vitals: vitalsTensor([sample]) });
 * ```
 */
export function vitalsTensor(samples: readonly VitalsSample[]): Extract<Tensor, { type: 'float32' }> {
  const width = VITALS_FEATURES.length;
  const data = new Float32Array(samples.length * width);
  samples.forEach((sample, i) => {
    data.set(vitalsFeatures(sample), i * width);
  });
  return { type: 'float32', data, dims: [samples.length, width] };
}
