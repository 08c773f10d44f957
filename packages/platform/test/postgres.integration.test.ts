import { isHealthItError, type Reading } from '@healthit/core';
import { describeReadingStoreConformance, sampleReading } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { Pool } from 'pg';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ingestReadings } from '../src/index.js';
import { createPostgresReadingStore } from '../src/postgres/index.js';

// Real PostgreSQL. HEALTHIT_PG_URL overrides the server; the default is the local one (trust auth).
const PG_URL = process.env.HEALTHIT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why the server cannot be used, or undefined when it answers. */
async function probe(url: string): Promise<string | undefined> {
  const pool = new Pool({ connectionString: url, connectionTimeoutMillis: 5_000, max: 1 });
  try {
    await pool.query('SELECT 1');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message || e.constructor.name : String(e);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

const unreachable = await probe(PG_URL);
const redacted = PG_URL.replace(/\/\/[^@/]*@/, '//***@');
// In CI an unreachable server is a failure (the tests run and fail); elsewhere the suite is
// skipped with the reason printed.
const skip = unreachable !== undefined && !process.env.CI;
if (skip) {
  console.warn(
    `Skipping the PostgreSQL integration tests: ${redacted} is unreachable (${unreachable}). ` +
      'Start PostgreSQL or set HEALTHIT_PG_URL.',
  );
}

describe.skipIf(skip)(`PostgreSQL reading store (${redacted})`, () => {
  const admin = new Pool({ connectionString: PG_URL, max: 2 });
  const schemas: string[] = [];
  let n = 0;
  /** A schema name no other test (or concurrent run) uses; dropped after the test. */
  function freshSchema(): string {
    n += 1;
    const name = `healthit_test_${process.pid}_${Date.now().toString(36)}_${n}`;
    schemas.push(name);
    return name;
  }
  afterEach(async () => {
    for (const schema of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
  afterAll(async () => {
    await admin.end();
  });

  it('reaches the server', () => {
    expect(unreachable, `PostgreSQL at ${redacted}`).toBeUndefined();
  });

  describeReadingStoreConformance('PostgreSQL (own pool, fresh schema per test)', () =>
    createPostgresReadingStore({ connectionString: PG_URL, schema: freshSchema() }),
  );

  describeReadingStoreConformance('PostgreSQL (caller-owned pool, table prefix, fresh schema per test)', () =>
    createPostgresReadingStore({ pool: admin, schema: freshSchema(), tablePrefix: 'iomt_' }),
  );

  it('creates the schema, table and indexes, and a second store on them reuses them', async () => {
    const schema = freshSchema();
    const first = await createPostgresReadingStore({ connectionString: PG_URL, schema });
    const second = await createPostgresReadingStore({ pool: admin, schema });
    await first.append([sampleReading(1)]);
    expect(await second.count()).toBe(1);
    const indexes = await admin.query<{ indexname: string }>(
      'SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname',
      [schema],
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual([
      'readings_pkey',
      'readings_rollstate_pkey',
      'readings_rollups_dv_idx',
      'readings_rollups_pm_idx',
      'readings_rollups_ts_idx',
      'readings_series_key_idx',
      'readings_series_pkey',
      'readings_series_ts_idx',
      'readings_ts_idx',
      'readings_versions_pkey',
    ]);
    const versions = await admin.query<{ version: number }>(
      `SELECT version FROM "${schema}".readings_versions ORDER BY version`,
    );
    expect(versions.rows.map((r) => r.version)).toEqual([1, 2, 3, 4]);
    // A server table stays logged unless asked.
    const logging = await admin.query<{ relpersistence: string }>(
      `SELECT relpersistence FROM pg_class WHERE oid = '"${schema}".readings'::regclass`,
    );
    expect(logging.rows[0]?.relpersistence).toBe('p');
    await first.close();
    await second.close();
  });

  it('upgrades a database created before schema versions were recorded', async () => {
    const schema = freshSchema();
    // The version-1 layout as earlier releases created it: no versions table, (patient_id, ts).
    await admin.query(`CREATE SCHEMA "${schema}"`);
    await admin.query(
      `CREATE TABLE "${schema}".readings (id text COLLATE "C" PRIMARY KEY, device_id text COLLATE "C" NOT NULL,
  patient_id text COLLATE "C", metric text NOT NULL, value double precision NOT NULL, unit text NOT NULL,
  ts bigint NOT NULL, seq bigint NOT NULL, quality text)`,
    );
    await admin.query(`CREATE INDEX readings_ts_idx ON "${schema}".readings (ts)`);
    await admin.query(`CREATE INDEX readings_device_ts_idx ON "${schema}".readings (device_id, ts)`);
    await admin.query(`CREATE INDEX readings_patient_ts_idx ON "${schema}".readings (patient_id, ts)`);
    await admin.query(
      `INSERT INTO "${schema}".readings VALUES ('old:1', 'old', 'patient-1', 'heart-rate', 61, '/min', 1000, 1, NULL)`,
    );
    const store = await createPostgresReadingStore({ pool: admin, schema });
    expect(await store.count()).toBe(1);
    const indexes = await admin.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = 'readings' ORDER BY indexname`,
      [schema],
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual([
      'readings_pkey',
      'readings_series_ts_idx',
      'readings_ts_idx',
    ]);
    expect((await store.latest({ patientId: 'patient-1' })).map((r) => r.id)).toEqual(['old:1']);
    expect((await store.query({ from: 0, to: 5000, deviceId: 'old' })).map((r) => r.id)).toEqual(['old:1']);
    await store.close();
  });

  it('migrates safely when several stores start at once', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(
      [1, 2, 3, 4].map(() => createPostgresReadingStore({ connectionString: PG_URL, schema })),
    );
    await Promise.all(stores.map((s, i) => s.append([sampleReading(i)])));
    expect(await stores[0]!.count()).toBe(4);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('stores concurrent appends of the same readings exactly once', async () => {
    const schema = freshSchema();
    const store = await createPostgresReadingStore({ connectionString: PG_URL, schema });
    const batch = Array.from({ length: 50 }, (_, i) => sampleReading(i));
    const results = await Promise.all([1, 2, 3, 4].map(() => store.append(batch)));
    expect(results.reduce((sum, r) => sum + r.inserted, 0)).toBe(50);
    expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(150);
    expect(await store.count()).toBe(50);
    await store.close();
  });

  it('gives a series one key when several processes add it at once', async () => {
    const schema = freshSchema();
    const stores = await Promise.all(
      [1, 2, 3, 4].map(() => createPostgresReadingStore({ connectionString: PG_URL, schema })),
    );
    // Each store writes its own readings of the same ten new series, all at once.
    await Promise.all(
      stores.map((store, s) =>
        store.append(
          Array.from({ length: 10 }, (_, d) =>
            sampleReading(s * 100 + d, {
              id: `dev-${d}:${s}`,
              deviceId: `dev-${d}` as Reading['deviceId'],
              seq: s,
            }),
          ),
        ),
      ),
    );
    const series = await admin.query<{ device_id: string; n: number }>(
      `SELECT device_id, count(*)::int AS n FROM "${schema}".readings_series GROUP BY 1`,
    );
    expect(series.rows).toHaveLength(10);
    expect(series.rows.every((r) => r.n === 1)).toBe(true);
    for (let d = 0; d < 10; d++) {
      const got = await stores[0]!.query({ from: 0, to: Number.MAX_SAFE_INTEGER, deviceId: `dev-${d}` });
      expect(got.map((r) => r.id).sort()).toEqual([0, 1, 2, 3].map((s) => `dev-${d}:${s}`));
    }
    await Promise.all(stores.map((s) => s.close()));
  });

  it('round-trips any double and large epoch ms exactly', async () => {
    const store = await createPostgresReadingStore({ pool: admin, schema: freshSchema() });
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 20 }),
        async (values) => {
          const readings = values.map((value) => {
            seq += 1;
            return sampleReading(seq, { value });
          });
          await store.append(readings);
          const got = await store.query({ from: readings[0]!.ts, to: readings.at(-1)!.ts + 1 });
          got.forEach((r, i) => {
            expect(Object.is(r.value, values[i])).toBe(true);
          });
        },
      ),
      { numRuns: 30 },
    );
    const max = Number.MAX_SAFE_INTEGER;
    const edge = [
      sampleReading(1, { deviceId: 'edge' as Reading['deviceId'], ts: max, seq: max, value: -0 }),
      sampleReading(2, { deviceId: 'edge' as Reading['deviceId'], ts: 8_640_000_000_000_000, value: 5e-324 }),
    ];
    await store.append(edge);
    const got = await store.query({ from: 0, to: Number.MAX_VALUE, deviceId: 'edge' });
    expect(got).toEqual([edge[1], edge[0]]);
    expect(Object.is(got[1]?.value, -0)).toBe(true);
    await store.close();
  });

  it('ends the pool it opened, but never a caller-owned one', async () => {
    const own = await createPostgresReadingStore({ connectionString: PG_URL, schema: freshSchema() });
    await own.close();
    expect(isHealthItError(await own.count().catch((e: unknown) => e), 'store/closed')).toBe(true);

    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    const borrowed = await createPostgresReadingStore({ pool, schema: freshSchema() });
    await borrowed.close();
    expect(pool.ended).toBe(false);
    expect((await pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    await pool.end();
  });

  it('wraps a refused statement as store/query-failed with the SQLSTATE', async () => {
    const schema = freshSchema();
    const store = await createPostgresReadingStore({ pool: admin, schema });
    await admin.query(`DROP TABLE "${schema}".readings`);
    const err = await store.append([sampleReading(1)]).catch((e: unknown) => e);
    expect(isHealthItError(err, 'store/query-failed')).toBe(true);
    expect((err as Error).message).toContain('42P01');
    await store.close();
  });

  it('ingests a stream through ingestReadings', async () => {
    const store = await createPostgresReadingStore({ pool: admin, schema: freshSchema() });
    const readings = Array.from({ length: 1_100 }, (_, i) => sampleReading(i));
    const events = await lastValueFrom(
      from(readings).pipe(ingestReadings(store, { maxBatch: 500, maxWaitMs: 50 }), toArray()),
    );
    expect(events.map((e) => e.type)).toEqual(['stored', 'stored', 'stored']);
    expect(await store.count()).toBe(1_100);
    await store.close();
  });
});
