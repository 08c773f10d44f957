import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Reading } from '@healthit/core';
import { ValidationError } from '@healthit/core';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPgliteReadingStore } from '../pglite/index.js';
import { bucketedAggregate, metricChangeCohort, news2RiseCohort } from './analytics.js';
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

  it('writes the Parquet schema of schema version 1, column for column', async () => {
    const w = await openParquetWarehouse({ dir });
    await w.appendReadings([reading(1), { ...reading(2), id: 'own-id', quality: 'good' } as Reading]);
    await w.appendScores([{ patientId: 'pat-1', ts: T0, total: 3 }]);
    await w.flush();
    await w.close();
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const schema = async (dataset: string) =>
      (
        await c.runAndReadAll(
          `SELECT DISTINCT name, type, converted_type FROM parquet_schema('${dir}/${dataset}/**/*.parquet') WHERE name <> 'duckdb_schema'`,
        )
      )
        .getRows()
        .map((r) => r.join(' '))
        .sort();
    // What the appender-based writer of earlier releases wrote, exactly.
    expect(await schema('readings')).toEqual(
      [
        'id BYTE_ARRAY UTF8',
        'device_id BYTE_ARRAY UTF8',
        'patient_id BYTE_ARRAY UTF8',
        'value DOUBLE ',
        'unit BYTE_ARRAY UTF8',
        'ts INT64 INT_64',
        'seq INT64 INT_64',
        'quality BYTE_ARRAY UTF8',
        'batch INT32 INT_32',
      ].sort(),
    );
    expect(await schema('scores')).toEqual(
      ['patient_id BYTE_ARRAY UTF8', 'ts INT64 INT_64', 'total INT32 INT_32', 'batch INT32 INT_32'].sort(),
    );
    const compression = await c.runAndReadAll(
      `SELECT DISTINCT compression FROM parquet_metadata('${dir}/readings/**/*.parquet')`,
    );
    expect(compression.getRows()).toEqual([['ZSTD']]);
    c.closeSync();
    db.closeSync();
  });

  it('property: any readings come back exactly — own ids and default ones, absent fields, extreme numbers — across batches', async () => {
    const metricUnit = fc.constantFrom(
      ['heart-rate', '/min'],
      ['spo2', '%'],
      ['body-temperature', 'Cel'],
      ['body-temperature', '[degF]'],
    );
    const arbitraryReading = fc
      .record({
        device: fc.constantFrom('mon-1', 'mon-2', "o'brien-3", 'ü-4'),
        patient: fc.option(fc.constantFrom('pat-1', 'pat-2', 'pat-ü'), { nil: undefined }),
        mu: metricUnit,
        value: fc.oneof(
          fc.double({ noNaN: true, noDefaultInfinity: true }),
          fc.integer({ min: -1000, max: 1000 }),
        ),
        ts: fc.oneof(
          fc.integer({ min: T0 - 3 * HOUR, max: T0 + 30 * HOUR }),
          fc.constantFrom(0, 253_402_300_799_999),
        ),
        seq: fc.oneof(fc.nat(1_000_000), fc.constant(Number.MAX_SAFE_INTEGER)),
        ownId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: undefined }),
        quality: fc.option(fc.constantFrom('good', 'questionable', 'bad'), { nil: undefined }),
      })
      .map(
        (x) =>
          ({
            id: x.ownId ?? `${x.device}:${x.seq}`,
            deviceId: x.device,
            ...(x.patient === undefined ? {} : { patientId: x.patient }),
            metric: x.mu[0],
            value: x.value,
            unit: x.mu[1],
            ts: x.ts,
            seq: x.seq,
            ...(x.quality === undefined ? {} : { quality: x.quality }),
          }) as Reading,
      );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.array(arbitraryReading, { maxLength: 40 }), { maxLength: 4 }),
        async (batchSize, calls) => {
          const sub = await mkdtemp(join(dir, 'q-'));
          const w = await openParquetWarehouse({ dir: sub, batchSize });
          const all = calls.flat();
          for (const call of calls) await w.appendReadings(call);
          await w.flush();
          const rows = await w.query<Record<string, unknown>>(
            'SELECT id, device_id, patient_id, metric, value, unit, ts, seq, quality FROM readings',
          );
          // The date partition is what DuckDB's strftime gives (the earlier writer's own computation).
          const [dates] = await w.query<{ wrong: number }>(
            "SELECT count(*)::INTEGER AS wrong FROM readings WHERE date <> strftime(make_timestamp(ts * 1000), '%Y-%m-%d')",
          );
          await w.close();
          expect(dates).toEqual({ wrong: 0 });
          const key = (r: readonly unknown[]) => JSON.stringify(r, (_, v) => (Object.is(v, -0) ? '-0' : v));
          const got = rows
            .map((r) =>
              key([
                r.id,
                r.device_id,
                r.patient_id ?? undefined,
                r.metric,
                r.value,
                r.unit,
                Number(r.ts),
                Number(r.seq),
                r.quality ?? undefined,
              ]),
            )
            .sort();
          const want = all
            .map((r) =>
              key([r.id, r.deviceId, r.patientId, r.metric, r.value, r.unit, r.ts, r.seq, r.quality]),
            )
            .sort();
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('partitions by the UTC date of any time, also those the fast path leaves to DuckDB (before 1970, after 9999, fractions)', async () => {
    const w = await openParquetWarehouse({ dir });
    const times = [
      0,
      86_399_999,
      86_400_000,
      -1,
      -86_400_001,
      253_402_300_799_999,
      253_402_300_800_000,
      1.4,
      T0 + 0.6,
    ];
    await w.appendReadings(times.map((ts, i) => ({ ...reading(i), ts }) as Reading));
    await w.appendScores([{ patientId: 'pat-1', ts: 253_402_300_800_000, total: 1 }]);
    await w.flush();
    const rows = await w.query<{ ts: bigint; date: string; expected: string }>(
      "SELECT ts, date, strftime(make_timestamp(ts * 1000), '%Y-%m-%d') AS expected FROM readings ORDER BY seq",
    );
    expect(rows.map((r) => r.date)).toEqual(rows.map((r) => r.expected));
    expect(rows.map((r) => r.date).slice(0, 4)).toEqual([
      '1970-01-01',
      '1970-01-01',
      '1970-01-02',
      '1969-12-31',
    ]);
    expect(rows.map((r) => Number(r.ts)).slice(7)).toEqual([1, T0 + 1]);
    expect(await w.query('SELECT date FROM scores')).toEqual([{ date: '10000-01-01' }]);
    await w.close();
  });

  it('keeps no reading object: the caller may reuse its array and objects once appendReadings resolves', async () => {
    const w = await openParquetWarehouse({ dir, batchSize: 1000 });
    const scratch = [reading(1)] as { -readonly [K in keyof Reading]: Reading[K] }[];
    await w.appendReadings(scratch as Reading[]);
    Object.assign(scratch[0] as object, { value: 1, id: 'changed' });
    await w.flush();
    expect(await w.query('SELECT id, value FROM readings')).toEqual([{ id: 'mon-1:1', value: 91 }]);
    await w.close();
  });

  it('refuses scores with a bad patient, time or total, queueing nothing of the call', async () => {
    const w = await openParquetWarehouse({ dir });
    const good = { patientId: 'pat-1', ts: T0, total: 5 };
    await expect(w.appendScores([good, { ...good, total: 21 }])).rejects.toThrow(RangeError);
    await expect(w.appendScores([good, { ...good, total: 2.5 }])).rejects.toThrow(/total/);
    await expect(w.appendScores([{ ...good, ts: T0 + 0.5 }])).rejects.toThrow(/ts must be/);
    await expect(w.appendScores([{ ...good, patientId: '' }])).rejects.toThrow(TypeError);
    await w.appendScores([good]);
    await w.flush();
    expect(await w.query('SELECT patient_id, ts::DOUBLE AS ts, total FROM scores')).toEqual([
      { patient_id: 'pat-1', ts: T0, total: 5 },
    ]);
    expect(w.manifest().scores).toBe(1);
    await w.close();
  });

  it('keeps outcomes by date and kind, validated, committed and crash-safe like the other datasets', async () => {
    const w = await openParquetWarehouse({ dir });
    await expect(
      w.appendOutcomes([
        { patientId: 'pat-1' as never, ts: T0, kind: 'icu-admission', source: 'adt' },
        { patientId: 'pat-1' as never, ts: T0, kind: 'holiday' as never, source: 'adt' },
      ]),
    ).rejects.toThrow(ValidationError);
    await expect(
      w.appendOutcomes([{ patientId: 'pat-1', ts: -1, kind: 'death', source: 'ehr' } as never]),
    ).rejects.toThrow(/0\.ts/);
    await w.appendOutcomes([
      {
        patientId: 'pat-1' as never,
        ts: T0 + HOUR,
        kind: 'rapid-response',
        source: 'ehr',
        episodeId: 'enc-9',
      },
      {
        patientId: 'pat-2' as never,
        ts: T0 + 3 * HOUR,
        kind: 'icu-admission',
        source: 'adt',
        detail: "ward 'B' → ICU",
      },
    ]);
    expect(w.manifest().outcomes).toBeUndefined(); // nothing committed before flush
    await w.flush();
    expect(w.manifest()).toMatchObject({ committedBatch: 1, outcomes: 2, readings: 0 });
    const files = (await readdir(join(dir, 'outcomes'), { recursive: true })).filter((f) =>
      f.endsWith('.parquet'),
    );
    expect(files.sort()).toEqual([
      'date=2026-11-24/kind=rapid-response/b1_0.parquet',
      'date=2026-11-25/kind=icu-admission/b1_0.parquet',
    ]);
    expect(
      await w.query(
        'SELECT patient_id, ts::DOUBLE AS ts, kind, source, episode_id, detail, date FROM outcomes ORDER BY ts',
      ),
    ).toEqual([
      {
        patient_id: 'pat-1',
        ts: T0 + HOUR,
        kind: 'rapid-response',
        source: 'ehr',
        episode_id: 'enc-9',
        detail: null,
        date: '2026-11-24',
      },
      {
        patient_id: 'pat-2',
        ts: T0 + 3 * HOUR,
        kind: 'icu-admission',
        source: 'adt',
        episode_id: null,
        detail: "ward 'B' → ICU",
        date: '2026-11-25',
      },
    ]);
    await w.close();
    const stray = join(dir, 'outcomes', 'date=2026-11-24', 'kind=rapid-response', 'b2_0.parquet');
    await writeFile(stray, 'not committed');
    const again = await openParquetWarehouse({ dir });
    expect(
      (await readdir(join(dir, 'outcomes', 'date=2026-11-24', 'kind=rapid-response'))).includes(
        'b2_0.parquet',
      ),
    ).toBe(false);
    expect(await again.query('SELECT count(*)::INTEGER AS n FROM outcomes')).toEqual([{ n: 2 }]);
    await again.close();
  });

  it('finds the patients whose metric rose, or fell, by the asked amount within the window, from the readings', async () => {
    const w = await openParquetWarehouse({ dir });
    const rr = (patientId: string, minute: number, value: number, seq: number): Reading =>
      ({
        id: `mon-${patientId}:${seq}`,
        deviceId: `mon-${patientId}`,
        patientId,
        metric: 'respiratory-rate',
        value,
        unit: '/min',
        ts: T0 + minute * 60_000,
        seq,
      }) as Reading;
    await w.appendReadings([
      rr('a', 0, 14, 1),
      rr('a', 60, 18, 2),
      rr('a', 300, 23, 3), // +9 from 14 within 6 h
      rr('b', 0, 12, 1),
      rr('b', 420, 24, 2), // +12 but over 7 h
      rr('c', 0, 26, 1),
      rr('c', 30, 17, 2), // −9
      { ...rr('d', 0, 10, 1), metric: 'heart-rate' } as Reading,
      { ...rr('d', 10, 90, 2), metric: 'heart-rate' } as Reading, // another metric
    ]);
    await w.flush();
    expect(
      await metricChangeCohort(w, { metric: 'respiratory-rate', change: 8, withinMs: 6 * HOUR }),
    ).toEqual([{ patientId: 'a', ts: T0 + 300 * 60_000, from: 14, to: 23 }]);
    expect(await metricChangeCohort(w, { metric: 'respiratory-rate', change: -8, withinMs: HOUR })).toEqual([
      { patientId: 'c', ts: T0 + 30 * 60_000, from: 26, to: 17 },
    ]);
    await expect(metricChangeCohort(w, { metric: 'spo2', change: 0, withinMs: HOUR })).rejects.toThrow(
      RangeError,
    );
    await w.close();
  });

  it('property: the cohorts equal a brute-force search, whatever the window, change and series', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 600 })), {
          selector: ([p, m]) => `${p}/${m}`,
          maxLength: 60,
        }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 60, maxLength: 60 }),
        fc.constantFrom(60_000, 7 * 60_000, 30 * 60_000, 2 * HOUR, 6 * HOUR),
        fc.integer({ min: -8, max: 8 }).filter((c) => c !== 0),
        async (points, values, withinMs, change) => {
          const series = points.map(([patientId, minute], i) => ({
            patientId,
            ts: T0 + minute * 60_000,
            value: values[i] as number,
          }));
          const sub = await mkdtemp(join(dir, 'c-'));
          const w = await openParquetWarehouse({ dir: sub });
          await w.appendReadings(
            series.map(
              (x, i) =>
                ({
                  id: `d:${i}`,
                  deviceId: 'd',
                  patientId: x.patientId,
                  metric: 'respiratory-rate',
                  value: x.value,
                  unit: '/min',
                  ts: x.ts,
                  seq: i,
                }) as Reading,
            ),
          );
          await w.appendScores(series.map((x) => ({ patientId: x.patientId, ts: x.ts, total: x.value })));
          await w.flush();
          const brute = (rise: boolean, by: number) =>
            ['a', 'b', 'c'].flatMap((p) => {
              const mine = series.filter((x) => x.patientId === p).sort((x, y) => x.ts - y.ts);
              for (const x of mine) {
                const window = mine
                  .filter((y) => y.ts >= x.ts - withinMs && y.ts <= x.ts)
                  .map((y) => y.value);
                const extreme = rise ? Math.min(...window) : Math.max(...window);
                if (rise ? x.value - extreme >= by : extreme - x.value >= by)
                  return [{ patientId: p, ts: x.ts, from: extreme, to: x.value }];
              }
              return [];
            });
          const byReadings = await metricChangeCohort(w, { metric: 'respiratory-rate', change, withinMs });
          const byScores = change > 0 ? await news2RiseCohort(w, { rise: change, withinMs }) : undefined;
          await w.close();
          expect(byReadings).toEqual(brute(change > 0, Math.abs(change)));
          if (byScores !== undefined) expect(byScores).toEqual(brute(true, change));
        },
      ),
      { numRuns: 30 },
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
    // Values are written into the SQL (DuckDB prunes partitions only for constants): quoted or refused.
    expect(
      await bucketedAggregate(w, {
        metric: "heart-rate' OR '1'='1" as never,
        from: T0,
        to: T0 + HOUR,
        bucketMs: HOUR,
      }),
    ).toEqual([]);
    await expect(
      bucketedAggregate(w, { metric: 'heart-rate', from: T0, to: T0 + HOUR, bucketMs: 0.5 }),
    ).rejects.toThrow(RangeError);
    expect(
      await bucketedAggregate(w, {
        metric: 'heart-rate',
        from: T0,
        to: T0 + HOUR,
        bucketMs: HOUR,
        patientId: 'pat-0',
      }),
    ).toEqual([expect.objectContaining({ bucketStart: T0, count: 10 })]);
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
