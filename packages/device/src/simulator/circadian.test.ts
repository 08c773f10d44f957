import { describe, expect, it } from 'vitest';
import { CIRCADIAN_RHYTHMS, circadianOffset } from './circadian.js';

const DAY = Date.UTC(2025, 5, 1);
const HOUR = 3_600_000;

describe('circadianOffset', () => {
  it('is lowest at the nadir, highest 12 h later, and averages 0 over a day', () => {
    expect(circadianOffset('body-temperature', DAY + 6 * HOUR)).toBeCloseTo(-0.25, 12);
    expect(circadianOffset('body-temperature', DAY + 18 * HOUR)).toBeCloseTo(0.25, 12);
    expect(circadianOffset('heart-rate', DAY + 3 * HOUR)).toBeCloseTo(-5, 12);
    expect(circadianOffset('bp-systolic', DAY + 15 * HOUR)).toBeCloseTo(6, 12);
    for (const metric of ['heart-rate', 'body-temperature', 'bp-systolic', 'bp-diastolic'] as const) {
      let sum = 0;
      for (let m = 0; m < 24 * 60; m++) sum += circadianOffset(metric, DAY + m * 60_000);
      expect(Math.abs(sum / (24 * 60))).toBeLessThan(1e-9);
    }
  });

  it('has no rhythm for respiratory rate and SpO2, and follows the local time zone', () => {
    expect(circadianOffset('spo2', DAY + 5 * HOUR)).toBe(0);
    expect(circadianOffset('respiratory-rate', DAY + 5 * HOUR)).toBe(0);
    // 06:00 in UTC+2 is 04:00 UTC; before the epoch works too.
    expect(circadianOffset('body-temperature', DAY + 4 * HOUR, 120)).toBeCloseTo(-0.25, 12);
    expect(circadianOffset('body-temperature', -18 * HOUR)).toBeCloseTo(-0.25, 12);
    expect(
      circadianOffset('heart-rate', DAY, 0, { 'heart-rate': { amplitude: 2, nadirHour: 0 } }),
    ).toBeCloseTo(-2, 12);
    expect(CIRCADIAN_RHYTHMS['body-temperature']).toEqual({ amplitude: 0.25, nadirHour: 6 });
  });
});
