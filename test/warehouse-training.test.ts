/**
 * Model training reads its training set from the warehouse: a simulated ward's delivered readings
 * and its NEWS2 scores are written to the platform's Parquet warehouse, read back with SQL, and
 * turned into the deterioration dataset by `@healthit/ai`'s one feature extraction. The dataset is
 * the same, row for row, as the one built straight from the simulation, and a model trained on it
 * ranks held-out patients.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auroc, type ReadingLike, seriesFromReadings } from '@healthit/ai';
import {
  deteriorationWindows,
  predict,
  recordSimulation,
  scoreTimelines,
  splitByPatient,
  trainLogisticRegression,
} from '@healthit/ai/training';
import type { Reading } from '@healthit/core';
import { createWardSimulator } from '@healthit/device';
import { openParquetWarehouse } from '@healthit/platform/warehouse';
import { describe, expect, it } from 'vitest';
import {
  COHORT_MONITOR_FAULTS,
  COHORT_START_TS,
  cohortCourses,
  news2Total,
} from '../packages/ai/scripts/simulated-cohort.js';

const HOURS = 8;
const PATIENTS = 60;
const SEED = 5;

describe('training sets from the warehouse (platform × ai)', () => {
  it('readings and NEWS2 scores read back from Parquet give the same dataset, and a model trained on it ranks held-out patients', async () => {
    const ward = createWardSimulator({
      patients: PATIENTS,
      seed: SEED,
      periodMs: 60_000,
      startTs: COHORT_START_TS,
      scenarios: cohortCourses({ patients: PATIENTS, seed: SEED, hours: HOURS }),
      devices: [{ kind: 'monitor', faults: COHORT_MONITOR_FAULTS }],
      heartbeats: false,
    });
    const ticks = [...ward.simulate({ toMs: HOURS * 3_600_000 })];
    const direct = recordSimulation(ticks, { news2: news2Total });
    const delivered: Reading[] = ticks.flatMap((t) =>
      t.deliveries.flatMap((d) => d.sample.readings as readonly Reading[]),
    );

    const dir = await mkdtemp(join(tmpdir(), 'healthit-warehouse-training-'));
    const warehouse = await openParquetWarehouse({ dir });
    try {
      await warehouse.appendReadings(delivered);
      const scores = [...direct.news2].flatMap(([patientId, s]) =>
        Array.from(s.ts, (ts, i) => ({ patientId, ts, total: s.total[i] as number })),
      );
      await warehouse.appendScores(scores);
      await warehouse.flush();

      const readingRows = await warehouse.query<{
        id: string;
        patient_id: string;
        metric: string;
        value: number;
        unit: string;
        ts: bigint | number;
        quality: string | null;
      }>('SELECT id, patient_id, metric, value, unit, ts, quality FROM readings');
      expect(readingRows).toHaveLength(delivered.length);
      const fromWarehouse: ReadingLike[] = readingRows.map((r) => ({
        id: r.id,
        patientId: r.patient_id,
        metric: r.metric,
        value: r.value,
        unit: r.unit,
        ts: Number(r.ts),
        ...(r.quality === null ? {} : { quality: r.quality as 'good' | 'questionable' | 'bad' }),
      }));
      const scoreRows = await warehouse.query<{ patient_id: string; ts: bigint | number; total: number }>(
        'SELECT patient_id, ts, total FROM scores',
      );
      const { series } = seriesFromReadings(fromWarehouse);
      const timelines = scoreTimelines(
        scoreRows.map((r) => ({ patientId: r.patient_id, ts: Number(r.ts), total: Number(r.total) })),
      );

      const options = { strideMs: 5 * 60_000 };
      const viaWarehouse = deteriorationWindows(series, timelines, options);
      const straight = deteriorationWindows(direct.series, direct.news2, options);
      expect(viaWarehouse.y.length).toBeGreaterThan(1_000);
      expect(Array.from(viaWarehouse.y)).toEqual(Array.from(straight.y));
      expect(viaWarehouse.patients).toEqual(straight.patients);
      expect(Array.from(viaWarehouse.ts)).toEqual(Array.from(straight.ts));
      // Features bit for bit (NaN where a signal is missing, in both).
      expect(Buffer.from(viaWarehouse.x.buffer).equals(Buffer.from(straight.x.buffer))).toBe(true);

      const { train, test } = splitByPatient(viaWarehouse, { testFraction: 0.3, seed: 1 });
      expect(test.y.some((y) => y === 1)).toBe(true);
      const model = trainLogisticRegression(train);
      expect(auroc(predict(model, test), test.y)).toBeGreaterThan(0.8);
    } finally {
      await warehouse.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
