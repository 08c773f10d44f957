import { isPlausible, METRICS } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { reportValue, VITAL_METRICS, VITAL_SIGN_MODELS } from './vital-signs.js';

describe('vital-sign models', () => {
  it('covers every vital metric with a baseline range inside the core plausibility range', () => {
    for (const metric of VITAL_METRICS) {
      const model = VITAL_SIGN_MODELS[metric];
      expect(model.metric).toBe(metric);
      expect(METRICS[metric]).toBeDefined();
      expect(isPlausible(metric, model.baseline.min)).toBe(true);
      expect(isPlausible(metric, model.baseline.max)).toBe(true);
      expect(model.baseline.min).toBeLessThanOrEqual(model.baseline.mean);
      expect(model.baseline.mean).toBeLessThanOrEqual(model.baseline.max);
      expect(model.sd).toBeGreaterThan(0);
    }
  });

  it('reports like a bedside monitor: integers, temperature to 0.1, clamped to plausibility', () => {
    expect(reportValue('heart-rate', 72.5)).toBe(73);
    expect(reportValue('heart-rate', 72.49)).toBe(72);
    expect(reportValue('body-temperature', 36.84)).toBe(36.8);
    expect(reportValue('body-temperature', 36.86)).toBe(36.9);
    expect(reportValue('spo2', 100.4)).toBe(100);
    expect(reportValue('spo2', 101.7)).toBe(100);
    expect(reportValue('spo2', 12)).toBe(METRICS.spo2.plausible.min);
    expect(reportValue('bp-systolic', 400)).toBe(METRICS['bp-systolic'].plausible.max);
    expect(reportValue('body-temperature', 50)).toBe(45);
  });
});
