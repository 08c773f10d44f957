import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Reading } from '@healthit/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgliteReadingStore } from '../pglite/index.js';
import { bucketedAggregate, news2RiseCohort } from './analytics.js';
import { exportNewReadings } from './export-from-store.js';
import { openParquetWarehouse } from './parquet-warehouse.js';

const T0 = Date.UTC(2026, 10, 24, 22); // two hours before midnight: readings span two dates
const HOUR = 3_600_000;

function reading(i: number, over: Partial<Reading> = {}): Reading {
  const metric = (['heart-rate', 'spo2'] as const)[i % 2] as Reading['metric'];
  return {
    id: `mon-${i % 3}:${i}`,
    deviceId: `mon-${i % 3}`,
    patientId: `pat-${i % 3}`,
    metric,
    value: metric === 'spo2' ? 90 + (i % 9) : 60 + (i % 50),
    unit: metric === 'spo2' ? '%' : '/min',
    ts: T0 + i * 60_000,
    seq: i,
    ...over,
  } as Reading;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'healthit-warehouse-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openParquetWarehouse', () => {
  it('writes Parquet partitioned by date and metric that DuckDB reads back exactly, ids and all', async () => {
    const w = await openParquetWarehouse({ dir, batchSize: 100 });
    const input = Array.from({ length: 250 }, (_, i) => reading(i));
    input[7] = { ...(input[7] as Reading), id: 'custom-id-7', quality: 'questionable' } as Reading;
    delete (input[8] as { patientId?: string }).patientId;
    await w.appendReadings(input);
    await w.flush();
    const rows = await w.query<{
      id: string;
      device_id: string;
      patient_id: string | null;
      metric: string;
      value: number;
      unit: string;
      ts: bigint;
      seq: bigint;
      quality: string | null;
      date: string;
    }>('SELECT * FROM readings ORDER BY seq');
    expect(rows).toHaveLength(250);
    rows.forEach((row, i) => {
      const r = input[i] as Reading;
      expect([
        row.id,
        row.device_id,
        row.patient_id ?? undefined,
        row.metric,
        row.value,
        row.unit,
        Number(row.ts),
        Number(row.seq),
        row.quality ?? undefined,
      ]).toEqual([r.id, r.deviceId, r.patientId, r.metric, r.value, r.unit, r.ts, r.seq, r.quality]);
    });
    const partitions = (await readdir(join(dir, 'readings'), { recursive: true })).filter((f) =>
      f.endsWith('.parquet'),
    );
    expect(partitions.some((f) => f.startsWith('date=2026-11-24/metric=heart-rate/'))).toBe(true);
    expect(partitions.some((f) => f.startsWith('date=2026-11-25/metric=spo2/'))).toBe(true);
    expect(w.manifest()).toMatchObject({ schemaVersion: 1, committedBatch: 3, readings: 250 });
    await w.close();
    // Any Parquet reader sees the same: a separate DuckDB, no warehouse code.
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const n = await c.runAndReadAll(
      `SELECT count(*) AS n FROM read_parquet('${dir}/readings/**/*.parquet', hive_partitioning = true)`,
    );
    expect(n.getRowObjects()[0]?.n).toBe(250n);
    c.closeSync();
    db.closeSync();
  });

  it('a batch written but not committed (a crash before the manifest) is never visible, and is removed on reopen', async () => {
    const w = await openParquetWarehouse({ dir, batchSize: 1000 });
    await w.appendReadings([reading(1), reading(2)]);
    await w.flush();
    await w.close();
    const stray = join(dir, 'readings', 'date=2026-11-24', 'metric=spo2', 'b9_0.parquet');
    await writeFile(stray, 'not yet committed');
    const again = await openParquetWarehouse({ dir });
    expect(
      (await readdir(join(dir, 'readings', 'date=2026-11-24', 'metric=spo2'))).includes('b9_0.parquet'),
    ).toBe(false);
    expect(await again.query('SELECT count(*)::INTEGER AS n FROM readings')).toEqual([{ n: 2 }]);
    await again.close();
  });

  it('exports incrementally from the store: only what is new, the watermark committed with it', async () => {
    const store = await createPgliteReadingStore();
    const w = await openParquetWarehouse({ dir });
    await store.append(Array.from({ length: 120 }, (_, i) => reading(i)));
    const first = await exportNewReadings(store, w, { until: T0 + 60 * 60_000, pageSize: 25 });
    expect(first.exported).toBe(60);
    await store.append(Array.from({ length: 30 }, (_, i) => reading(120 + i)));
    const second = await exportNewReadings(store, w, { until: T0 + 1000 * 60_000, pageSize: 25 });
    expect(second.exported).toBe(90);
    const third = await exportNewReadings(store, w, { until: T0 + 1000 * 60_000 });
    expect(third.exported).toBe(0);
    const rows = await w.query<{ n: number; d: number }>(
      'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS d FROM readings',
    );
    expect(rows).toEqual([{ n: 150, d: 150 }]);
    await w.close();
    await store.close();
  });

  it('property: every appended reading is in the warehouse once, whatever the batch size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 0, max: 120 }),
        async (batchSize, n) => {
          const sub = await mkdtemp(join(dir, 'p-'));
          const w = await openParquetWarehouse({ dir: sub, batchSize });
          await w.appendReadings(Array.from({ length: n }, (_, i) => reading(i)));
          await w.flush();
          const [row] = await w.query<{ n: number; d: number }>(
            'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS d FROM readings',
          );
          await w.close();
          expect(row).toEqual({ n, d: n });
        },
      ),
      { numRuns: 15 },
    );
  });

  it('aggregates by time bucket, keeps alerts, and finds the patients whose NEWS2 rose by 3 within 6 hours', async () => {
    const w = await openParquetWarehouse({ dir });
    await w.appendReadings(Array.from({ length: 240 }, (_, i) => reading(i)));
    await w.appendScores([
      { patientId: 'pat-a', ts: T0, total: 1 },
      { patientId: 'pat-a', ts: T0 + 2 * HOUR, total: 2 },
      { patientId: 'pat-a', ts: T0 + 5 * HOUR, total: 4 }, // +3 from 1 within 6 h
      { patientId: 'pat-b', ts: T0, total: 0 },
      { patientId: 'pat-b', ts: T0 + 7 * HOUR, total: 5 }, // +5 but over 7 h
      { patientId: 'pat-c', ts: T0, total: 3 },
      { patientId: 'pat-c', ts: T0 + HOUR, total: 2 },
    ]);
    await w.flush();
    const buckets = await bucketedAggregate(w, {
      metric: 'heart-rate',
      from: T0,
      to: T0 + 4 * HOUR,
      bucketMs: HOUR,
    });
    expect(buckets.map((b) => b.count)).toEqual([30, 30, 30, 30]);
    const hr = Array.from({ length: 240 }, (_, i) => reading(i)).filter(
      (r) => r.metric === 'heart-rate' && r.ts < T0 + HOUR,
    );
    expect(buckets[0]?.mean).toBeCloseTo(hr.reduce((s, r) => s + r.value, 0) / hr.length, 9);
    expect(buckets[0]?.min).toBe(Math.min(...hr.map((r) => r.value)));
    await w.appendAlerts([
      {
        id: 'a-1',
        rule: 'news2',
        severity: 'high',
        message: 'NEWS2 7',
        ts: T0 + HOUR,
        patientId: 'pat-a' as never,
        readingIds: ['mon-0:3', 'mon-0:4'],
      },
      {
        id: 'a-2',
        rule: 'threshold:spo2-low',
        severity: 'medium',
        message: 'SpO2 88 %',
        ts: T0 + 2 * HOUR,
        deviceId: 'mon-1' as never,
        metric: 'spo2',
        value: 88,
        readingIds: ['mon-1:9'],
      },
    ]);
    await w.flush();
    const alerts = await w.query<{
      id: string;
      severity: string;
      patient_id: string | null;
      value: number | null;
      reading_ids: unknown;
    }>('SELECT id, severity, patient_id, value, reading_ids FROM alerts ORDER BY id');
    expect(alerts.map((a) => [a.id, a.severity, a.patient_id, a.value])).toEqual([
      ['a-1', 'high', 'pat-a', null],
      ['a-2', 'medium', null, 88],
    ]);
    expect(JSON.stringify(alerts[0]?.reading_ids)).toContain('mon-0:4');
    expect(w.manifest().alerts).toBe(2);
    const cohort = await news2RiseCohort(w, { rise: 3, withinMs: 6 * HOUR });
    expect(cohort).toEqual([{ patientId: 'pat-a', ts: T0 + 5 * HOUR, from: 1, to: 4 }]);
    await w.close();
  });
});
