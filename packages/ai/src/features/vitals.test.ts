import { METRICS } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import {
  isVitalsFeature,
  VITALS_FEATURES,
  type VitalsSample,
  vitalsFeatures,
  vitalsTensor,
} from './vitals.js';

const sample: VitalsSample = {
  'bp-systolic': 122,
  spo2: 98,
  'heart-rate': 72,
  'body-temperature': 36.8,
  'respiratory-rate': 14,
};

describe('vitals features', () => {
  it('are five catalogue metrics in a fixed order, matching the model units', () => {
    expect(VITALS_FEATURES).toEqual([
      'heart-rate',
      'respiratory-rate',
      'spo2',
      'body-temperature',
      'bp-systolic',
    ]);
    expect(VITALS_FEATURES.map((f) => METRICS[f].unit)).toEqual(['/min', '/min', '%', 'Cel', 'mm[Hg]']);
  });

  it('recognise their metrics only', () => {
    expect(isVitalsFeature('spo2')).toBe(true);
    expect(isVitalsFeature('bp-diastolic')).toBe(false);
    expect(isVitalsFeature('glucose')).toBe(false);
  });

  it('turn a sample into a row in feature order, whatever the key order', () => {
    expect(Array.from(vitalsFeatures(sample))).toEqual([72, 14, 98, Math.fround(36.8), 122]);
  });

  it('turn samples into a float32 [N, 5] tensor', () => {
    const t = vitalsTensor([sample, { ...sample, spo2: 90 }]);
    expect(t.type).toBe('float32');
    expect(t.dims).toEqual([2, 5]);
    expect(Array.from(t.data).slice(5)).toEqual([72, 14, 90, Math.fround(36.8), 122]);
    expect(vitalsTensor([]).dims).toEqual([0, 5]);
  });

  it('refuse missing or non-finite values, naming the feature', () => {
    const { spo2: _, ...missing } = sample;
    expect(() => vitalsFeatures(missing as VitalsSample)).toThrow(/spo2 must be a finite number/);
    expect(() => vitalsTensor([{ ...sample, 'heart-rate': Number.NaN }])).toThrow(RangeError);
  });
});
