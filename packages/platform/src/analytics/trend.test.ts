import {
  isHealthItError,
  METRICS,
  type MetricId,
  type Reading,
  type ReadingStore,
  ValidationError,
} from '@healthit/core';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteReadingStore } from '../pglite/index.js';
import { AnalyticsLimitError } from './errors.js';
import { defaultTrendBucketMs, patientTrend } from './trend.js';
import { STABLE_SLOPE_PER_HOUR } from './trend-thresholds.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 1);

let seq = 0;
function reading(patientId: string, metric: MetricId, value: number, ts: number): Reading {
  seq += 1;
  return {
    id: `dev-1:${seq}`,
    deviceId: 'dev-1',
    patientId,
    metric,
    value,
    unit: METRICS[metric].unit,
    ts,
    seq,
  } as Reading;
}

// p-1's SpO2 over [T0, T0 + 6 h), hourly buckets; bucket 3 is empty.
const SPO2 = [
  [15 * MIN, 98],
  [45 * MIN, 97],
  [HOUR + 30 * MIN, 97],
  [2 * HOUR + 10 * MIN, 96],
  [2 * HOUR + 30 * MIN, 95],
  [2 * HOUR + 50 * MIN, 96],
  [4 * HOUR + 20 * MIN, 94],
  [4 * HOUR + 40 * MIN, 93],
  [5 * HOUR + 30 * MIN, 93],
] as const;

let store: ReadingStore;
beforeAll(async () => {
  store = await createPgliteReadingStore();
  await store.append([
    ...SPO2.map(([dt, v]) => reading('p-1', 'spo2', v, T0 + dt)),
    reading('p-1', 'spo2', 50, T0 + 6 * HOUR), // at `to`: excluded
    reading('p-2', 'spo2', 80, T0 + 3 * HOUR), // another patient
    reading('p-1', 'heart-rate', 70, T0 + HOUR), // one bucket only
    ...[72, 73, 71, 72].map((v, i) => reading('p-1', 'respiratory-rate', v / 4, T0 + i * HOUR + 30 * MIN)),
  ]);
}, 120_000);
afterAll(() => store?.close());

/**
 * The reference: bucket the raw readings here (hourly from T0), then the uncentred normal
 * equations of the count-weighted means at the bucket midpoints.
 */
function bucketFitReference(points: readonly (readonly [number, number])[], bucketMs: number) {
  const buckets = new Map<number, number[]>();
  for (const [dt, v] of points) {
    const b = Math.floor(dt / bucketMs);
    buckets.set(b, [...(buckets.get(b) ?? []), v]);
  }
  let sw = 0;
  let swx = 0;
  let swy = 0;
  let swxx = 0;
  let swxy = 0;
  let swyy = 0;
  for (const [b, values] of buckets) {
    const w = values.length;
    const x = ((b + 0.5) * bucketMs) / HOUR;
    const y = values.reduce((a, v) => a + v, 0) / w;
    sw += w;
    swx += w * x;
    swy += w * y;
    swxx += w * x * x;
    swxy += w * x * y;
    swyy += w * y * y;
  }
  const sxx = swxx - (swx * swx) / sw;
  const sxy = swxy - (swx * swy) / sw;
  const syy = swyy - (swy * swy) / sw;
  const slope = sxy / sxx;
  return { slope, intercept: (swy - slope * swx) / sw, r2: (sxy * sxy) / (sxx * syy) };
}

describe('patientTrend', () => {
  it('fits the count-weighted bucket means at their midpoints', async () => {
    const t = await patientTrend(store, {
      patientId: 'p-1',
      metric: 'spo2',
      from: T0,
      to: T0 + 6 * HOUR,
      bucketMs: HOUR,
    });
    const ref = bucketFitReference(SPO2, HOUR);
    expect(t.type).toBe('trend');
    if (t.type !== 'trend') return;
    expect(t.slopePerHour).toBeCloseTo(ref.slope, 12);
    expect(t.valueAtFrom).toBeCloseTo(ref.intercept, 12);
    expect(t.r2).toBeCloseTo(ref.r2, 12);
    expect(t).toMatchObject({
      patientId: 'p-1',
      metric: 'spo2',
      unit: '%',
      bucketMs: HOUR,
      n: 5,
      readings: 9,
      direction: 'falling',
      stableBelowPerHour: STABLE_SLOPE_PER_HOUR.spo2,
      firstBucket: { start: T0, end: T0 + HOUR, count: 2, mean: 97.5 },
      lastBucket: { start: T0 + 5 * HOUR, end: T0 + 6 * HOUR, count: 1, mean: 93 },
    });
    // In rationals: (x h, mean, count) = (1/2, 195/2, 2), (3/2, 97, 1), (5/2, 287/3, 3),
    // (9/2, 187/2, 2), (11/2, 93, 1) give Sxy / Sxx = −112/115 exactly.
    expect(Math.abs(t.slopePerHour - -112 / 115)).toBeLessThanOrEqual(1e-15);
  });

  it('takes the midpoint of a last bucket cut short by `to`', async () => {
    // Buckets of 4 h over 6 h: [0, 4) and [4, 6) with midpoints 2 h and 5 h.
    const t = await patientTrend(store, {
      patientId: 'p-1',
      metric: 'spo2',
      from: T0,
      to: T0 + 6 * HOUR,
      bucketMs: 4 * HOUR,
    });
    if (t.type !== 'trend') throw new Error('expected a trend');
    expect(t.lastBucket).toEqual({ start: T0 + 4 * HOUR, end: T0 + 6 * HOUR, count: 3, mean: 280 / 3 });
    // Two points (2 h, mean of 6 readings) and (5 h, 280/3): the slope joins them.
    expect(t.slopePerHour).toBeCloseTo((280 / 3 - 579 / 6) / 3, 12);
    expect(t.r2).toBeCloseTo(1, 14);
  });

  it('uses a caller threshold and reports stable below it', async () => {
    const t = await patientTrend(store, {
      patientId: 'p-1',
      metric: 'respiratory-rate',
      from: T0,
      to: T0 + 4 * HOUR,
      bucketMs: HOUR,
      stableBelowPerHour: 0.1,
    });
    if (t.type !== 'trend') throw new Error('expected a trend');
    // Values 18, 18.25, 17.75, 18 at 0.5, 1.5, 2.5, 3.5 h.
    expect(t.slopePerHour).toBeCloseTo(-0.05, 14);
    expect(t.direction).toBe('stable');
    expect(t.stableBelowPerHour).toBe(0.1);
  });

  it('reports insufficient data below two buckets', async () => {
    const t = await patientTrend(store, {
      patientId: 'p-1',
      metric: 'heart-rate',
      from: T0,
      to: T0 + 6 * HOUR,
    });
    expect(t).toEqual({
      type: 'insufficient-data',
      patientId: 'p-1',
      metric: 'heart-rate',
      unit: '/min',
      from: T0,
      to: T0 + 6 * HOUR,
      bucketMs: 15 * MIN,
      n: 1,
      readings: 1,
    });
    const none = await patientTrend(store, { patientId: 'p-9', metric: 'spo2', from: T0, to: T0 + HOUR });
    expect(none).toMatchObject({ type: 'insufficient-data', n: 0, readings: 0 });
  });

  it('defaults to about 24 buckets, rounded up to whole minutes', () => {
    expect(defaultTrendBucketMs(0, 24 * HOUR)).toBe(HOUR);
    expect(defaultTrendBucketMs(0, 2 * HOUR)).toBe(5 * MIN);
    expect(defaultTrendBucketMs(0, 1000)).toBe(MIN);
    expect(defaultTrendBucketMs(0, 24 * HOUR + 1)).toBe(HOUR + MIN);
  });

  it('refuses bad input with a ValidationError naming every field', async () => {
    const e = await patientTrend(store, {
      patientId: '',
      metric: 'pulse' as MetricId,
      from: T0,
      to: T0,
      bucketMs: 0,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect(isHealthItError(e, 'validation/invalid')).toBe(true);
    expect((e as ValidationError).issues.map((i) => i.path)).toEqual([
      'patientId',
      'metric',
      'to',
      'bucketMs',
    ]);
    expect((e as ValidationError).message).toContain('unknown metric "pulse"');
  });

  it('refuses more buckets than maxBuckets with an AnalyticsLimitError', async () => {
    const e = await patientTrend(store, {
      patientId: 'p-1',
      metric: 'spo2',
      from: T0,
      to: T0 + HOUR,
      bucketMs: 1000,
      maxBuckets: 100,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AnalyticsLimitError);
    expect(e).toMatchObject({ code: 'validation/invalid', limit: 'maxBuckets', requested: 3600, max: 100 });
  });

  describe('properties (through the store)', () => {
    let patient = 0;
    const linear = fc.record({
      a: fc.integer({ min: 40, max: 160 }),
      b: fc.integer({ min: -40, max: 40 }).map((k) => k / 4),
      c: fc.integer({ min: -400, max: 400 }).map((k) => k / 8),
      // Per hourly bucket: 0 (empty), 1 or 2 readings placed symmetrically about its midpoint.
      buckets: fc.array(
        fc.record({ count: fc.integer({ min: 0, max: 2 }), offsetMs: fc.integer({ min: 0, max: 29 * MIN }) }),
        {
          minLength: 2,
          maxLength: 12,
        },
      ),
    });

    it('a linear series gives its slope (1e-9 relative) and r² = 1; adding a constant keeps the slope', async () => {
      await fc.assert(
        fc.asyncProperty(linear, async ({ a, b, c, buckets }) => {
          const times = buckets.flatMap(({ count, offsetMs }, i) => {
            const mid = i * HOUR + HOUR / 2;
            return count === 0 ? [] : count === 1 ? [mid] : [mid - offsetMs - 1, mid + offsetMs + 1];
          });
          fc.pre(new Set(times.map((dt) => Math.floor(dt / HOUR))).size >= 2);
          patient += 1;
          const p = `lin-${patient}`;
          const q = `lin-${patient}-shifted`;
          await store.append([
            ...times.map((dt) => reading(p, 'heart-rate', a + (b * dt) / HOUR, T0 + dt)),
            ...times.map((dt) => reading(q, 'heart-rate', a + (b * dt) / HOUR + c, T0 + dt)),
          ]);
          const range = {
            metric: 'heart-rate',
            from: T0,
            to: T0 + buckets.length * HOUR,
            bucketMs: HOUR,
          } as const;
          const t = await patientTrend(store, { patientId: p, ...range });
          const s = await patientTrend(store, { patientId: q, ...range });
          if (t.type !== 'trend' || s.type !== 'trend') throw new Error('expected trends');
          expect(Math.abs(t.slopePerHour - b)).toBeLessThanOrEqual(1e-9 * Math.abs(b));
          expect(Math.abs(t.r2 - 1)).toBeLessThanOrEqual(1e-9);
          expect(Math.abs(s.slopePerHour - t.slopePerHour)).toBeLessThanOrEqual(1e-9 * Math.abs(b));
        }),
        { numRuns: 25 },
      );
    });
  });
});
