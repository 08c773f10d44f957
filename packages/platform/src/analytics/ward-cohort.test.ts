import { METRICS, type MetricId, type Reading, type ReadingStore, ValidationError } from '@healthit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgliteReadingStore } from '../pglite/index.js';
import { wardCohortSummary } from './ward-cohort.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 0, 1);
const AT = T0 + 10 * HOUR;

let seq = 0;
function reading(patientId: string | undefined, metric: MetricId, value: number, ts: number): Reading {
  seq += 1;
  return {
    id: `dev-1:${seq}`,
    deviceId: 'dev-1',
    ...(patientId === undefined ? {} : { patientId }),
    metric,
    value,
    unit: METRICS[metric].unit,
    ts,
    seq,
  } as Reading;
}

const WARDS = new Map([
  ['a1', 'ward-a'],
  ['a2', 'ward-a'],
  ['a3', 'ward-a'],
  ['a4', 'ward-a'],
  ['b1', 'ward-b'],
  ['b2', 'ward-b'],
  ['b3', 'ward-b'],
]);

let store: ReadingStore;
beforeAll(async () => {
  store = await createPgliteReadingStore();
  await store.append([
    // ward-a SpO2 at AT = T0 + 10 h, staleness 4 h (fresh from T0 + 6 h on):
    reading('a1', 'spo2', 95, T0 + 2 * HOUR),
    reading('a1', 'spo2', 97, T0 + 8 * HOUR), // fresh 97
    reading('a2', 'spo2', 92, T0 + 5 * HOUR), // stale
    reading('a3', 'spo2', 94, T0 + 6 * HOUR), // exactly 4 h old: fresh 94
    reading('a3', 'spo2', 80, T0 + 11 * HOUR), // after AT: ignored, 94 looked up
    reading('a4', 'spo2', 99, T0 + 9 * HOUR), // fresh 99
    // ward-b:
    reading('b1', 'spo2', 91, T0 + HOUR), // stale ...
    reading('b1', 'spo2', 96, T0 + 12 * HOUR), // ... and newer only after AT
    reading('b2', 'spo2', 93, T0 + 11 * HOUR), // only after AT: missing
    // heart rate: ward-a all fresh, ward-b none
    reading('a1', 'heart-rate', 88, T0 + 9 * HOUR),
    reading('a2', 'heart-rate', 71, T0 + 9 * HOUR),
    reading('a3', 'heart-rate', 64, T0 + 7 * HOUR),
    reading('a4', 'heart-rate', 100, T0 + 10 * HOUR), // at AT: fresh
    // a patient on no ward, and a reading without a patient
    reading('x1', 'spo2', 70, T0 + 9 * HOUR),
    reading(undefined, 'spo2', 60, T0 + 9 * HOUR),
  ]);
}, 120_000);
afterAll(() => store?.close());

describe('wardCohortSummary', () => {
  it('summarises the latest values per ward exactly, with stale and missing patients', async () => {
    const s = await wardCohortSummary(store, {
      wardOf: WARDS,
      metrics: ['spo2', 'heart-rate'],
      at: AT,
      stalenessMs: 4 * HOUR,
    });
    expect(s).toEqual({
      at: AT,
      unassigned: 0,
      wards: [
        {
          ward: 'ward-a',
          patients: 4,
          metrics: [
            {
              metric: 'spo2',
              unit: '%',
              stalenessMs: 4 * HOUR,
              n: 3,
              mean: (97 + 94 + 99) / 3,
              min: 94,
              max: 99,
              p50: 97,
              stale: 1,
              missing: 0,
              stalePatients: ['a2'],
              missingPatients: [],
            },
            {
              metric: 'heart-rate',
              unit: '/min',
              stalenessMs: 4 * HOUR,
              n: 4,
              mean: 80.75,
              min: 64,
              max: 100,
              p50: 79.5,
              stale: 0,
              missing: 0,
              stalePatients: [],
              missingPatients: [],
            },
          ],
        },
        {
          ward: 'ward-b',
          patients: 3,
          metrics: [
            {
              metric: 'spo2',
              unit: '%',
              stalenessMs: 4 * HOUR,
              n: 0,
              stale: 1,
              missing: 2,
              stalePatients: ['b1'],
              missingPatients: ['b2', 'b3'],
            },
            {
              metric: 'heart-rate',
              unit: '/min',
              stalenessMs: 4 * HOUR,
              n: 0,
              stale: 0,
              missing: 3,
              stalePatients: [],
              missingPatients: ['b1', 'b2', 'b3'],
            },
          ],
        },
      ],
    });
  });

  it('takes a staleness per metric, a ward function, and finds patients from the store', async () => {
    const s = await wardCohortSummary(store, {
      wardOf: (p) => (p.startsWith('a') ? 'ward-a' : undefined),
      metrics: ['spo2'],
      at: AT,
      stalenessMs: { spo2: 5 * HOUR },
    });
    // Patients with SpO2: a1-a4, b1, b2, x1 (the patientless reading is not a patient).
    expect(s.unassigned).toBe(3);
    expect(s.wards).toHaveLength(1);
    expect(s.wards[0]?.metrics[0]).toMatchObject({
      n: 4,
      mean: (97 + 92 + 94 + 99) / 4,
      p50: 95.5,
      stale: 0,
    });
  });

  it('limits the summary to the patients given', async () => {
    const s = await wardCohortSummary(store, {
      wardOf: WARDS,
      patients: ['a1', 'a1', 'b3', 'nobody'],
      metrics: ['spo2'],
      at: AT,
      stalenessMs: HOUR,
    });
    expect(s.unassigned).toBe(1);
    expect(s.wards.map((w) => [w.ward, w.patients, w.metrics[0]?.n, w.metrics[0]?.missing])).toEqual([
      ['ward-a', 1, 0, 0],
      ['ward-b', 1, 0, 1],
    ]);
    expect(s.wards[0]?.metrics[0]?.stalePatients).toEqual(['a1']);
  });

  it('refuses bad input with a ValidationError naming every field', async () => {
    const e = await wardCohortSummary(store, {
      wardOf: 'ward-a' as never,
      metrics: ['spo2', 'lactate' as MetricId],
      patients: [''],
      at: -1,
      stalenessMs: 0,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).issues.map((i) => i.path)).toEqual([
      'wardOf',
      'metrics.1',
      'patients.0',
      'at',
      'stalenessMs',
    ]);
    const perMetric = await wardCohortSummary(store, {
      wardOf: WARDS,
      metrics: ['spo2', 'heart-rate'],
      stalenessMs: { spo2: HOUR },
    }).catch((x: unknown) => x);
    expect((perMetric as ValidationError).issues.map((i) => i.path)).toEqual(['stalenessMs.heart-rate']);
    const none = await wardCohortSummary(store, { wardOf: WARDS, metrics: [], stalenessMs: HOUR }).catch(
      (x: unknown) => x,
    );
    expect((none as ValidationError).issues.map((i) => i.path)).toEqual(['metrics']);
  });
});
