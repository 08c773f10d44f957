import {
  METRICS,
  type MetricId,
  type Reading,
  type ReadingStore,
  toCanonicalUnit,
  ValidationError,
} from '@healthit/core';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteReadingStore } from '../pglite/index.js';
import { AnalyticsLimitError } from './errors.js';
import { rollingStats } from './rolling-stats.js';

const HOUR = 3_600_000;
const MIN = 60_000;
const T0 = Date.UTC(2025, 0, 1);

let seq = 0;
function reading(
  patientId: string,
  metric: MetricId,
  value: number,
  ts: number,
  extra: { readonly deviceId?: string; readonly unit?: string } = {},
): Reading {
  seq += 1;
  const deviceId: string = extra.deviceId ?? 'dev-1';
  return {
    id: `${deviceId}:${seq}`,
    deviceId,
    patientId,
    metric,
    value,
    unit: METRICS[metric].unit,
    ts,
    seq,
    ...extra,
  } as Reading;
}

/** The reference: every window filtered from the raw values, two-pass sample standard deviation. */
function bruteForce(
  points: readonly { ts: number; value: number }[],
  from: number,
  to: number,
  windowMs: number,
  stepMs: number,
) {
  const out = [];
  for (let end = from + stepMs; end <= to; end += stepMs) {
    const start = end - windowMs;
    const v = points.filter((p) => p.ts >= start && p.ts < end).map((p) => p.value);
    if (v.length === 0) {
      out.push({ start, end, count: 0 });
      continue;
    }
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const base = { start, end, count: v.length, mean, min: Math.min(...v), max: Math.max(...v) };
    if (v.length < 2) out.push(base);
    else {
      const m2 = v.reduce((a, b) => a + (b - mean) ** 2, 0);
      out.push({ ...base, stddev: Math.sqrt(m2 / (v.length - 1)) });
    }
  }
  return out;
}

function expectSteps(actual: readonly object[], expected: readonly object[]) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i] as Record<string, number>;
    const { stddev, ...rest } = a as Record<string, number>;
    const { stddev: eStd, ...eRest } = e;
    expect(rest).toEqual(eRest);
    if (eStd === undefined) expect(stddev).toBeUndefined();
    else expect(Math.abs((stddev as number) - eStd)).toBeLessThanOrEqual(1e-12 * Math.max(eStd, 1));
  });
}

// p-1's heart rate: one reading before `from` (inside the first window), readings on window
// boundaries, a gap, and three readings sharing one ts from three devices.
const HR: readonly [number, number][] = [
  [-30 * MIN, 60],
  [0, 62],
  [30 * MIN, 70],
  [HOUR, 64],
  [2 * HOUR, 90],
  [2 * HOUR + 1, 88],
  [3 * HOUR - 1, 66],
  [6 * HOUR, 75],
  [6 * HOUR, 77],
  [6 * HOUR, 79],
  [7 * HOUR + 59 * MIN, 81],
  [8 * HOUR, 200], // at `to`: outside every window
];

let store: ReadingStore;
beforeAll(async () => {
  store = await createPgliteReadingStore();
  await store.append([
    ...HR.map(([dt, v], i) => reading('p-1', 'heart-rate', v, T0 + dt, { deviceId: `dev-${(i % 3) + 1}` })),
    reading('p-2', 'heart-rate', 150, T0 + HOUR),
    reading('p-1', 'spo2', 90, T0 + HOUR),
    // Temperature in two units: 98.6 [degF] is 37 Cel.
    reading('p-1', 'body-temperature', 36.5, T0 + 10 * MIN),
    reading('p-1', 'body-temperature', 98.6, T0 + 20 * MIN, { unit: '[degF]' }),
  ]);
}, 120_000);
afterAll(() => store?.close());

describe('rollingStats', () => {
  const points = HR.map(([dt, value]) => ({ ts: T0 + dt, value }));

  it('gives every trailing window its exact statistics (window 3 h, step 2 h: buckets of 1 h)', async () => {
    const r = await rollingStats(store, {
      patientId: 'p-1',
      metric: 'heart-rate',
      from: T0,
      to: T0 + 8 * HOUR,
      windowMs: 3 * HOUR,
      stepMs: 2 * HOUR,
    });
    expect(r).toMatchObject({ patientId: 'p-1', metric: 'heart-rate', unit: '/min', bucketMs: HOUR });
    expectSteps(r.steps, bruteForce(points, T0, T0 + 8 * HOUR, 3 * HOUR, 2 * HOUR));
    // Spelled out: the first window [T0 − 1 h, T0 + 2 h) holds 60, 62, 70, 64.
    expect(r.steps[0]).toMatchObject({
      start: T0 - HOUR,
      end: T0 + 2 * HOUR,
      count: 4,
      mean: 64,
      min: 60,
      max: 70,
    });
    expect(r.steps[0]?.stddev).toBeCloseTo(Math.sqrt(56 / 3), 14);
    // [T0 + 3 h, T0 + 6 h) is empty; the last, [T0 + 5 h, T0 + 8 h), holds 75, 77, 79, 81.
    expect(r.steps[2]).toEqual({ start: T0 + 3 * HOUR, end: T0 + 6 * HOUR, count: 0 });
    expect(r.steps[3]).toMatchObject({ count: 4, mean: 78, min: 75, max: 81 });
  });

  it('handles a window shorter than the step, and a single reading (no stddev)', async () => {
    const r = await rollingStats(store, {
      patientId: 'p-1',
      metric: 'heart-rate',
      from: T0,
      to: T0 + 8 * HOUR,
      windowMs: 20 * MIN,
      stepMs: 30 * MIN,
    });
    expect(r.bucketMs).toBe(10 * MIN);
    expectSteps(r.steps, bruteForce(points, T0, T0 + 8 * HOUR, 20 * MIN, 30 * MIN));
    expect(r.steps[0]).toEqual({ start: T0 + 10 * MIN, end: T0 + 30 * MIN, count: 0 });
    expect(r.steps[5]).toEqual({
      start: T0 + 160 * MIN,
      end: T0 + 3 * HOUR,
      count: 1,
      mean: 66,
      min: 66,
      max: 66,
    });
  });

  it('reads in pages without losing or repeating readings that share a ts', async () => {
    const query = {
      patientId: 'p-1',
      metric: 'heart-rate',
      from: T0,
      to: T0 + 8 * HOUR,
      windowMs: 2 * HOUR,
      stepMs: HOUR,
    } as const;
    const whole = await rollingStats(store, query);
    for (const pageSize of [1, 2, 3]) {
      expect(await rollingStats(store, { ...query, pageSize })).toEqual(whole);
    }
    expectSteps(whole.steps, bruteForce(points, T0, T0 + 8 * HOUR, 2 * HOUR, HOUR));
  });

  it('converts values to the canonical unit', async () => {
    const r = await rollingStats(store, {
      patientId: 'p-1',
      metric: 'body-temperature',
      from: T0,
      to: T0 + HOUR,
      windowMs: HOUR,
      stepMs: HOUR,
    });
    const f = toCanonicalUnit('body-temperature', 98.6, '[degF]');
    expect(r.unit).toBe('Cel');
    expect(r.steps[0]).toMatchObject({ count: 2, mean: (36.5 + f) / 2, min: 36.5, max: f });
  });

  it('matches the brute force on random data (property)', async () => {
    let patient = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            dt: fc.integer({ min: -3 * HOUR, max: 6 * HOUR }),
            v: fc.integer({ min: 30, max: 200 }),
          }),
          {
            maxLength: 40,
          },
        ),
        fc.integer({ min: 1, max: 12 }).map((k) => k * 15 * MIN),
        fc.integer({ min: 1, max: 8 }).map((k) => k * 20 * MIN),
        fc.integer({ min: 1, max: 7 }),
        async (data, windowMs, stepMs, pageSize) => {
          patient += 1;
          const p = `rand-${patient}`;
          if (data.length > 0)
            await store.append(data.map(({ dt, v }) => reading(p, 'heart-rate', v, T0 + dt)));
          const to = T0 + 6 * HOUR;
          const r = await rollingStats(store, {
            patientId: p,
            metric: 'heart-rate',
            from: T0,
            to,
            windowMs,
            stepMs,
            pageSize,
          });
          const pts = data.map(({ dt, v }) => ({ ts: T0 + dt, value: v }));
          expectSteps(r.steps, bruteForce(pts, T0, to, windowMs, stepMs));
        },
      ),
      { numRuns: 30 },
    );
  });

  it('refuses bad input with a ValidationError naming every field', async () => {
    const e = await rollingStats(store, {
      patientId: 'p-1',
      metric: 'weight' as MetricId,
      from: T0 + HOUR,
      to: T0,
      windowMs: 0,
      stepMs: -5,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).issues.map((i) => i.path)).toEqual(['metric', 'to', 'windowMs', 'stepMs']);
    const short = await rollingStats(store, {
      patientId: 'p-1',
      metric: 'spo2',
      from: T0,
      to: T0 + MIN,
      windowMs: HOUR,
      stepMs: HOUR,
    }).catch((x: unknown) => x);
    expect((short as ValidationError).issues).toEqual([expect.objectContaining({ path: 'stepMs' })]);
  });

  it('refuses more steps than maxSteps with an AnalyticsLimitError', async () => {
    const e = await rollingStats(store, {
      patientId: 'p-1',
      metric: 'spo2',
      from: T0,
      to: T0 + 24 * HOUR,
      windowMs: HOUR,
      stepMs: MIN,
      maxSteps: 1000,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(AnalyticsLimitError);
    expect(e).toMatchObject({ code: 'validation/invalid', limit: 'maxSteps', requested: 1440, max: 1000 });
  });
});
