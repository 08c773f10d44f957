import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { isHealthItError, type Reading, ValidationError } from '@healthit/core';
import { describeReadingStoreConformance, sampleReading } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IngestEvent } from '../ingest/events.js';
import { ingestReadings } from '../ingest/ingest-readings.js';
import { readingTableNames } from '../sql/names.js';
import { migrateReadingTable, READING_MIGRATIONS, READING_SCHEMA_VERSION } from '../sql/schema.js';
import { createSqlReadingStore } from '../sql/sql-reading-store.js';
import { createPgliteReadingStore } from './index.js';
import { pgliteExecutor } from './pglite-executor.js';

// A fresh PGlite runs initdb (~3 s). To keep each test on its own, empty, in-memory database
// without paying that every time, run initdb once and start each store's PGlite from a dump of
// that pristine cluster (`loadDataDir`); the store still creates its table itself.
let pristine: Promise<File | Blob> | undefined;
function pristineDump(): Promise<File | Blob> {
  pristine ??= PGlite.create().then(async (db) => {
    try {
      return await db.dumpDataDir('none');
    } finally {
      await db.close();
    }
  });
  return pristine;
}
// initdb can take tens of seconds on a loaded 2-core machine: do it once, up front, with room.
const INITDB_TIMEOUT_MS = 120_000;
beforeAll(() => pristineDump(), INITDB_TIMEOUT_MS);

async function freshStore() {
  return createPgliteReadingStore({ pgliteOptions: { loadDataDir: await pristineDump() } });
}

const T0 = Date.UTC(2025, 0, 1);

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describeReadingStoreConformance('PGlite (in memory)', () => freshStore());
// One caller-owned client for the file; stores on it get a schema of their own (a fresh store).
let shared: PGlite | undefined;
let schemas = 0;
async function storeOnSharedClient(tablePrefix?: string) {
  shared ??= await PGlite.create({ loadDataDir: await pristineDump() });
  schemas += 1;
  return createPgliteReadingStore({
    client: shared,
    schema: `ward_${schemas}`,
    ...(tablePrefix === undefined ? {} : { tablePrefix }),
  });
}
afterAll(async () => {
  await shared?.close();
});

describeReadingStoreConformance('PGlite (caller-owned client, schema and table prefix per test)', () =>
  storeOnSharedClient('iomt_'),
);

describe('PGlite reading store', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it(
    'opens in memory with no options (its own PGlite), stores, and closes',
    async () => {
      const store = await createPgliteReadingStore();
      expect(await store.append([sampleReading(1)])).toEqual({ inserted: 1, duplicates: 0, conflicts: [] });
      expect(await store.count()).toBe(1);
      await store.close();
    },
    INITDB_TIMEOUT_MS,
  );

  it(
    'persists readings in dataDir across close and reopen',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'healthit-pglite-'));
      dirs.push(dir);
      const readings = [1, 2, 3].map((s) => sampleReading(s));
      const first = await createPgliteReadingStore({ dataDir: dir });
      await first.append(readings);
      await first.close();

      const reopened = await createPgliteReadingStore({ dataDir: dir });
      expect(await reopened.count()).toBe(3);
      expect(await reopened.query({ from: T0, to: T0 + 10_000 })).toEqual(readings);
      expect(await reopened.append(readings)).toEqual({ inserted: 0, duplicates: 3, conflicts: [] });
      await reopened.close();
    },
    INITDB_TIMEOUT_MS,
  );

  it('round-trips any double exactly, -0 and subnormals included', async () => {
    const store = await storeOnSharedClient();
    let seq = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 20 }),
        async (values) => {
          const readings = values.map((value) => {
            seq += 1;
            return sampleReading(seq, { value, deviceId: 'float-probe' as Reading['deviceId'] });
          });
          await store.append(readings);
          const got = await store.query({
            from: readings[0]!.ts,
            to: readings.at(-1)!.ts + 1,
            deviceId: 'float-probe',
          });
          expect(got.map((r) => r.value)).toEqual(values);
          got.forEach((r, i) => {
            expect(Object.is(r.value, values[i])).toBe(true);
          });
        },
      ),
      { numRuns: 30 },
    );
    for (const value of [-0, 5e-324, Number.MAX_VALUE, -Number.MIN_VALUE, 0.1 + 0.2]) {
      seq += 1;
      const r = sampleReading(seq, { value, deviceId: 'edge' as Reading['deviceId'] });
      await store.append([r]);
      const [got] = await store.query({ from: r.ts, to: r.ts + 1, deviceId: 'edge' });
      expect(Object.is(got?.value, value)).toBe(true);
    }
    await store.close();
  });

  it('round-trips large epoch ms and sequence numbers exactly', async () => {
    const store = await storeOnSharedClient();
    const max = Number.MAX_SAFE_INTEGER;
    const readings = [
      sampleReading(1, { ts: 8_640_000_000_000_000, seq: max }), // the last Date, ECMAScript's limit
      sampleReading(2, { ts: max, seq: 2 ** 40 }),
      sampleReading(3, { ts: 0, seq: 0 }),
    ];
    await store.append(readings);
    expect(await store.query({ from: 0, to: Number.MAX_VALUE })).toEqual([
      readings[2],
      readings[0],
      readings[1],
    ]);
    expect(await store.query({ from: max, to: max + 1 })).toEqual([readings[1]]);
    // Fractional and out-of-range bounds mean the same as their ceiling / the possible range.
    expect(await store.query({ from: -1e300, to: 0.5 })).toEqual([readings[2]]);
    expect(await store.query({ from: max - 0.5, to: Number.MAX_VALUE })).toEqual([readings[1]]);
    await store.close();
  });

  it('orders by ts, then device id in code-point order, then seq', async () => {
    const store = await storeOnSharedClient();
    const at = (deviceId: string, seq: number, ts: number) =>
      sampleReading(seq, { deviceId: deviceId as Reading['deviceId'], ts });
    const readings = [at('b', 2, T0), at('a', 9, T0 + 1), at('B', 1, T0), at('a', 1, T0), at('a', 0, T0)];
    await store.append(readings);
    const got = await store.query({ from: T0, to: T0 + 2 });
    expect(got.map((r) => r.id)).toEqual(['B:1', 'a:0', 'a:1', 'b:2', 'a:9']);
    await store.close();
  });

  it('returns at most 10 000 readings when the query names no limit', async () => {
    const store = await storeOnSharedClient();
    const readings = Array.from({ length: 10_001 }, (_, i) => sampleReading(i));
    expect((await store.append(readings)).inserted).toBe(10_001);
    const got = await store.query({ from: 0, to: Number.MAX_VALUE });
    expect(got).toHaveLength(10_000);
    expect(got.at(-1)?.seq).toBe(9_999);
    expect(await store.query({ from: 0, to: Number.MAX_VALUE, limit: 0 })).toEqual([]);
    await store.close();
  });

  it('counts an in-batch repeat with other content as a conflict, keeping the first copy', async () => {
    const store = await storeOnSharedClient();
    const r = sampleReading(1);
    const changed = { ...r, value: r.value + 1 };
    expect(await store.append([r, changed, r])).toEqual({ inserted: 1, duplicates: 1, conflicts: [r.id] });
    expect(await store.query({ from: r.ts, to: r.ts + 1 })).toEqual([r]);
    // An optional field present on one side only is other content too.
    const { quality: _q, ...withoutQuality } = r;
    expect(await store.append([withoutQuality as Reading])).toEqual({
      inserted: 0,
      duplicates: 0,
      conflicts: [r.id],
    });
    await store.close();
  });

  it('fails every operation with store/closed after close', async () => {
    const store = await freshStore();
    await store.close();
    for (const p of [store.append([sampleReading(1)]), store.query({ from: 0, to: 1 }), store.count()]) {
      const err = await errorOf(p);
      expect(isHealthItError(err, 'store/closed')).toBe(true);
      expect((err as Error).message).toMatch(/after close/);
    }
  });

  it('waits for in-flight operations before closing its own PGlite', async () => {
    const store = await freshStore();
    const pending = store.append([sampleReading(1), sampleReading(2)]);
    await store.close();
    expect(await pending).toEqual({ inserted: 2, duplicates: 0, conflicts: [] });
  });

  it('leaves a caller-owned client open, and shares it between schemas', async () => {
    const client = await PGlite.create({ loadDataDir: await pristineDump() });
    const a = await createPgliteReadingStore({ client, schema: 'site_a' });
    const b = await createPgliteReadingStore({ client, schema: 'site_b' });
    await a.append([sampleReading(1), sampleReading(2)]);
    await b.append([sampleReading(1)]);
    await a.close();
    expect(client.closed).toBe(false);
    expect(await b.count()).toBe(1);
    const rows = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM site_a.readings');
    expect(rows.rows[0]?.n).toBe(2);
    await b.close();
    await client.close();
  });

  it('rejects invalid queries with a ValidationError naming the fields', async () => {
    const store = await storeOnSharedClient();
    const err = await errorOf(
      store.query({ from: Number.NaN, to: 10, metric: 'mood' as never, limit: -1, deviceId: 5 as never }),
    );
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(['from', 'deviceId', 'metric', 'limit']);
    await store.close();
  });

  it('refuses an existing table of the same name with other columns (config/invalid)', async () => {
    const client = await PGlite.create({ loadDataDir: await pristineDump() });
    await client.query('CREATE TABLE readings (id text PRIMARY KEY, payload jsonb)');
    const err = await errorOf(createPgliteReadingStore({ client }));
    expect(isHealthItError(err, 'config/invalid')).toBe(true);
    expect((err as Error).message).toContain('device_id text (found nothing)');
    await client.close();
  });

  it('wraps a driver error once as store/query-failed, with the driver error as cause', async () => {
    const client = await PGlite.create({ loadDataDir: await pristineDump() });
    const store = await createPgliteReadingStore({ client });
    await client.query('DROP TABLE readings');
    const err = await errorOf(store.count());
    expect(isHealthItError(err, 'store/query-failed')).toBe(true);
    expect((err as Error).message).toContain('does not exist');
    expect((err as Error).message).toContain('42P01');
    expect((err as { cause?: { code?: string } }).cause?.code).toBe('42P01');
    await store.close();
    await client.close();
  });

  it('refuses bad options', async () => {
    await expect(createPgliteReadingStore({ schema: 'Robert"; DROP' })).rejects.toThrow(RangeError);
    await expect(createPgliteReadingStore({ tablePrefix: 'x'.repeat(41) })).rejects.toThrow(RangeError);
    await expect(createPgliteReadingStore({ dataDir: '/tmp/x', client: {} as never })).rejects.toThrow(
      TypeError,
    );
    await expect(createPgliteReadingStore({ client: {} as never })).rejects.toThrow(TypeError);
  });
});

describe('ingestReadings into PGlite', () => {
  it('stores a stream in batches, idempotently, and reports every batch', async () => {
    const store = await freshStore();
    const readings = Array.from({ length: 1_234 }, (_, i) => sampleReading(i));
    const twice = [...readings, ...readings.slice(0, 100)];
    const events = await lastValueFrom(
      from(twice).pipe(ingestReadings(store, { maxBatch: 500, maxWaitMs: 50 }), toArray()),
    );
    const storedEvents = events.filter(
      (e): e is Extract<IngestEvent, { type: 'stored' }> => e.type === 'stored',
    );
    expect(storedEvents).toHaveLength(events.length);
    expect(storedEvents.map((e) => e.readingIds.length)).toEqual([500, 500, 334]);
    expect(storedEvents.reduce((n, e) => n + e.result.inserted, 0)).toBe(1_234);
    expect(storedEvents.reduce((n, e) => n + e.result.duplicates, 0)).toBe(100);
    expect(await store.count()).toBe(1_234);
    expect(await store.query({ from: 0, to: Number.MAX_VALUE, limit: 3 })).toEqual(readings.slice(0, 3));
    await store.close();
  });

  it('reports store-failed with the batch when the store is closed, and goes on', async () => {
    const store = await freshStore();
    await store.close();
    const events = await lastValueFrom(
      from([sampleReading(1), sampleReading(2)]).pipe(ingestReadings(store, { maxBatch: 1 }), toArray()),
    );
    expect(events.map((e) => e.type)).toEqual(['store-failed', 'store-failed']);
    const [first] = events;
    if (first?.type !== 'store-failed') throw new Error('expected store-failed');
    expect(first.error.code).toBe('store/closed');
    expect(first.attempts).toBe(1);
    expect(first.readings).toEqual([sampleReading(1)]);
  });
});

// The same suite on the `unnest` path: an executor without `copyFrom` (as an integrator's own
// driver wrapper may be), so both write paths of the SQL store pass it.
describeReadingStoreConformance('PGlite without copyFrom (unnest inserts)', async () => {
  shared ??= await PGlite.create({ loadDataDir: await pristineDump() });
  schemas += 1;
  const { copyFrom: _copy, ...withoutCopy } = pgliteExecutor(shared);
  return createSqlReadingStore(withoutCopy, { schema: `unnest_${schemas}` });
});

describe('PGlite reading store schema versions', () => {
  it('upgrades a version-1 database (no versions table) and records every version once', async () => {
    const client = await PGlite.create({ loadDataDir: await pristineDump() });
    const names = readingTableNames({ schema: 'legacy' });
    await client.exec('CREATE SCHEMA legacy');
    // What earlier releases created: version 1's statements, no versions table.
    for (const statement of READING_MIGRATIONS[0]!.statements(names)) await client.exec(statement);
    await client.exec(
      `INSERT INTO legacy.readings VALUES ('old:1', 'old', 'patient-1', 'heart-rate', 61, '/min', 1000, 1, NULL),
        ('old:2', 'old', NULL, 'heart-rate', 62, '/min', 2000, 2, NULL),
        ('other:1', 'other', 'patient-1', 'heart-rate', 70, '/min', 1500, 1, 'good')`,
    );
    const executor = pgliteExecutor(client);
    expect(await migrateReadingTable(executor, names)).toEqual([1, 2, 3, 4]);
    expect(await migrateReadingTable(executor, names)).toEqual([]);
    const indexes = await client.query<{ indexname: string }>(
      "SELECT indexname FROM pg_indexes WHERE schemaname = 'legacy' AND tablename = 'readings' ORDER BY indexname",
    );
    expect(indexes.rows.map((r) => r.indexname)).toEqual([
      'readings_pkey',
      'readings_series_ts_idx',
      'readings_ts_idx',
    ]);
    // Version 4 gave every stored reading its series: one per device, patient (or none) and metric.
    const series = await client.query<{ device_id: string; patient_id: string | null; n: number }>(
      `SELECT k.device_id, k.patient_id, count(*)::int AS n FROM legacy.readings r
       JOIN legacy.readings_series k ON k.key = r.series GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(series.rows).toEqual([
      { device_id: 'old', patient_id: 'patient-1', n: 1 },
      { device_id: 'old', patient_id: null, n: 1 },
      { device_id: 'other', patient_id: 'patient-1', n: 1 },
    ]);
    const store = await createPgliteReadingStore({ client, schema: 'legacy' });
    // patient-1's newest heart rate is other's (1 500 ms); old's patient-less reading stands alone.
    expect((await store.latest()).map((r) => r.id)).toEqual(['other:1', 'old:2']);
    expect((await store.query({ from: 0, to: 10_000, deviceId: 'old' })).map((r) => r.id)).toEqual([
      'old:1',
      'old:2',
    ]);
    // New readings of a migrated series get the same key.
    await store.append([
      {
        id: 'old:3',
        deviceId: 'old',
        patientId: 'patient-1',
        metric: 'heart-rate',
        value: 63,
        unit: '/min',
        ts: 3000,
        seq: 3,
      } as Reading,
    ]);
    const keys = await client.query<{ n: number }>(
      "SELECT count(DISTINCT series)::int AS n FROM legacy.readings WHERE device_id = 'old' AND patient_id = 'patient-1'",
    );
    expect(keys.rows[0]?.n).toBe(1);
    await store.close();
    await client.close();
  });

  it('runs the migrations in version order, each recorded with its description', () => {
    expect(READING_MIGRATIONS.map((m) => m.version)).toEqual(READING_MIGRATIONS.map((_, i) => i + 1));
    expect(READING_SCHEMA_VERSION).toBe(READING_MIGRATIONS.length);
  });
});

describe('PGlite reading store: table logging and the series dictionary', () => {
  const persistence = async (client: PGlite): Promise<string | undefined> =>
    (
      await client.query<{ relpersistence: string }>(
        "SELECT relpersistence FROM pg_class WHERE oid = 'public.readings'::regclass",
      )
    ).rows[0]?.relpersistence;

  it('keeps a caller-owned database logged unless asked, and makes it unlogged when asked', async () => {
    const client = await PGlite.create();
    const logged = await createPgliteReadingStore({ client });
    expect(await persistence(client)).toBe('p');
    await logged.close();
    const unlogged = await createPgliteReadingStore({ client, unlogged: true });
    expect(await persistence(client)).toBe('u');
    await unlogged.append([sampleReading(1)]);
    expect(await unlogged.count()).toBe(1);
    await unlogged.close();
    await client.close();
    await expect(createPgliteReadingStore({ unlogged: 'yes' as unknown as boolean })).rejects.toThrow(
      TypeError,
    );
  });

  it('keeps an on-disk database logged, so it survives a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healthit-pglite-logged-'));
    try {
      const store = await createPgliteReadingStore({ dataDir: dir });
      await store.append([sampleReading(1), sampleReading(2)]);
      await store.close();
      const client = await PGlite.create({ dataDir: dir });
      expect(await persistence(client)).toBe('p');
      await client.close();
      const again = await createPgliteReadingStore({ dataDir: dir });
      expect(await again.count()).toBe(2);
      await again.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('gives every series one key however small its key cache, and finds readings by it', async () => {
    const client = await PGlite.create();
    const store = await createPgliteReadingStore({ client, seriesCacheSize: 2 });
    const readings = Array.from({ length: 40 }, (_, i) => ({
      ...sampleReading(i),
      id: `dev-${i % 5}:${i}`,
      deviceId: `dev-${i % 5}`,
      ...(i % 5 === 4 ? { patientId: undefined } : { patientId: `patient-${i % 5}` }),
      seq: i,
      ts: 1_000 + i,
    })).map((r) => JSON.parse(JSON.stringify(r)) as Reading);
    // In four batches, so cached, evicted and new series meet.
    for (let b = 0; b < 4; b++) {
      expect((await store.append(readings.slice(b * 10, b * 10 + 10))).inserted).toBe(10);
    }
    const keys = await client.query<{ device_id: string; n: number }>(
      'SELECT device_id, count(*)::int AS n FROM public.readings_series GROUP BY 1 ORDER BY 1',
    );
    expect(keys.rows).toEqual(
      ['dev-0', 'dev-1', 'dev-2', 'dev-3', 'dev-4'].map((d) => ({ device_id: d, n: 1 })),
    );
    for (let d = 0; d < 5; d++) {
      const got = await store.query({ from: 0, to: 10_000, deviceId: `dev-${d}` });
      expect(got.map((r) => r.id)).toEqual(readings.filter((_, i) => i % 5 === d).map((r) => r.id));
    }
    await store.close();
    await client.close();
  });
});
