/**
 * The platform's reading store: ingest rate (COPY path and `unnest` path) beside the same-run
 * ceiling of a raw COPY of the same rows, then queries over 1 M readings (bucketed aggregates with
 * percentiles, latest per patient and metric, a retention run), on PGlite and, when reachable, on
 * PostgreSQL (HEALTHIT_PG_URL, default postgres://postgres@127.0.0.1:5432/test).
 *
 * `node --conditions=@healthit/source --import tsx bench/store.ts` runs this file alone
 * (`--skip-million` skips the 1 M-reading part).
 */
import { pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { Reading, ReadingStore } from '@healthit/core';
import { createSqlReadingStore, readingTableDdl, readingTableNames } from '@healthit/platform';
import { createPgliteReadingStore } from '@healthit/platform/pglite';
import { createPostgresReadingStore } from '@healthit/platform/postgres';
import pg from 'pg';
import { pgliteExecutor } from '../packages/platform/src/pglite/pglite-executor.js';
import { copyFromCsv } from '../packages/platform/src/postgres/pg-copy.js';
import { pgExecutor } from '../packages/platform/src/postgres/pg-executor.js';
import { readingsCsv } from '../packages/platform/src/sql/rows.js';
import { type Figure, interleavedRates, printFigures } from './measure.js';

const T0 = Date.UTC(2025, 0, 1);
const DEVICES = 100;
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this standalone benchmark, not by a turbo task
const PG_URL = process.env.HEALTHIT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const COLUMNS = 'id, device_id, patient_id, metric, value, unit, ts, seq, quality';

/**
 * `n` readings from 100 bedside monitors (one patient each) at 1 Hz, interleaved as a gateway
 * batches them, starting at reading number `start`.
 */
function readings(start: number, n: number): Reading[] {
  const out = new Array<Reading>(n);
  for (let i = 0; i < n; i++) {
    const k = start + i;
    const device = k % DEVICES;
    const seq = Math.floor(k / DEVICES);
    out[i] = {
      id: `monitor-${device}:${seq}`,
      deviceId: `monitor-${device}`,
      patientId: `patient-${device}`,
      metric: 'heart-rate',
      value: 55 + ((k * 7919) % 600) / 10,
      unit: '/min',
      ts: T0 + seq * 1000 + device,
      seq,
      quality: 'good',
    } as Reading;
  }
  return out;
}

const pct = (ratio: number): string => `${Math.round(ratio * 100)} % of the same-run ceiling`;

/** Ingest figures: `makeCeiling` loads CSV into a table with the store's indexes. */
async function ingestFigures(
  label: string,
  stores: { copy: ReadingStore; unnest: ReadingStore },
  ceiling: (csv: string) => Promise<void>,
  extra: Record<string, (csv: string) => Promise<void>>,
  batch: number,
  perRound: number,
  rounds: number,
): Promise<Figure[]> {
  // Every call writes readings never written before, so each round is all new ids.
  let next = 0;
  const fresh = (): Reading[] => {
    const r = readings(next, perRound);
    next += perRound;
    return r;
  };
  const pending = new Map<string, Reading[]>();
  const take = (key: string): Reading[] => {
    let r = pending.get(key);
    if (r === undefined) r = fresh();
    pending.delete(key);
    return r;
  };
  // Data for the next call of each function is made (and CSV encoded) before it is timed.
  const csvFor = new Map<string, string>();
  const prepare = (): void => {
    for (const key of ['copy', 'unnest']) pending.set(key, fresh());
    for (const key of ['ceiling', ...Object.keys(extra)]) csvFor.set(key, readingsCsv(fresh()));
  };
  const appendAll = async (store: ReadingStore, rs: readonly Reading[]): Promise<void> => {
    for (let i = 0; i < rs.length; i += batch) {
      const result = await store.append(rs.slice(i, i + batch));
      if (result.inserted !== Math.min(batch, rs.length - i)) throw new Error('bench: not all new');
    }
  };
  prepare();
  const fns: Record<string, () => Promise<void>> = {
    copy: async () => appendAll(stores.copy, take('copy')),
    unnest: async () => appendAll(stores.unnest, take('unnest')),
  };
  for (const [key, fn] of Object.entries(extra)) fns[key] = () => fn(csvFor.get(key) ?? '');
  const results = await interleavedRates(
    rounds,
    perRound,
    async () => {
      await ceiling(csvFor.get('ceiling') ?? '');
    },
    {
      ...fns,
      // Not timed on its own: `interleavedRates` times each function; refill after the last one.
      refill: () => prepare(),
    } as Record<string, () => Promise<void> | void>,
  );
  const figures: Figure[] = [
    {
      name: `${label} raw COPY, same rows, table with the store's indexes (ceiling)`,
      value: results.ceiling.median,
      unit: 'readings/s',
    },
  ];
  for (const key of Object.keys(extra)) {
    figures.push({
      name: `${label} raw COPY, same rows, ${key}`,
      value: results[key]?.median ?? 0,
      unit: 'readings/s',
      note: pct(results[key]?.ratio ?? 0),
    });
  }
  figures.push(
    {
      name: `${label} store.append, new readings, COPY path (batches of ${batch.toLocaleString('en-US')})`,
      value: results.copy?.median ?? 0,
      unit: 'readings/s',
      note: pct(results.copy?.ratio ?? 0),
    },
    {
      name: `${label} store.append, new readings, unnest path (batches of ${batch.toLocaleString('en-US')})`,
      value: results.unnest?.median ?? 0,
      unit: 'readings/s',
      note: pct(results.unnest?.ratio ?? 0),
    },
  );
  return figures;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Best of `runs` (after one warm-up) of `fn`, in ms. */
async function bestMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) best = Math.min(best, (await timed(fn)).ms);
  return best;
}

/** Loads 1 M readings into `store`, then times the queries and a retention run. */
async function millionFigures(label: string, store: ReadingStore): Promise<Figure[]> {
  const N = 1_000_000;
  const BATCH = 10_000;
  const load = await timed(async () => {
    for (let i = 0; i < N; i += BATCH) await store.append(readings(i, BATCH));
  });
  const span = (N / DEVICES) * 1000; // 10 000 s of 1 Hz readings
  const all = { from: T0, to: T0 + span, metric: 'heart-rate' } as const;
  const minuteAll = await bestMs(3, async () => {
    const rows = await store.aggregate({
      ...all,
      bucketMs: 60_000,
      stats: ['count', 'mean', 'min', 'max', 'p50', 'p90', 'p95', 'p99'],
    });
    if (rows.reduce((n, r) => n + r.count, 0) !== N) throw new Error('bench: aggregate lost readings');
  });
  const hourBasic = await bestMs(3, () =>
    store.aggregate({ ...all, bucketMs: 3_600_000, stats: ['count', 'mean', 'min', 'max'] }),
  );
  const patient = await bestMs(5, () =>
    store.aggregate({ ...all, patientId: 'patient-7', bucketMs: 60_000, stats: ['mean', 'p95'] }),
  );
  const latestOne = await bestMs(5, () => store.latest({ patientId: 'patient-7', metric: 'heart-rate' }));
  const latestAll = await bestMs(3, async () => {
    if ((await store.latest()).length !== DEVICES) throw new Error('bench: latest');
  });
  const retention = await timed(() =>
    // Raw kept 1 h of the 2.8 h: rolls 1 M readings up into minutes and hours, deletes ~64 %.
    (store.applyRetention as NonNullable<ReadingStore['applyRetention']>)(
      {
        rawMs: 3_600_000,
        rollups: [
          { bucketMs: 60_000, keepMs: 90 * 86_400_000 },
          { bucketMs: 3_600_000, keepMs: 730 * 86_400_000 },
        ],
      },
      { now: T0 + span },
    ),
  );
  const again = await timed(() =>
    (store.applyRetention as NonNullable<ReadingStore['applyRetention']>)(
      {
        rawMs: 3_600_000,
        rollups: [
          { bucketMs: 60_000, keepMs: 90 * 86_400_000 },
          { bucketMs: 3_600_000, keepMs: 730 * 86_400_000 },
        ],
      },
      { now: T0 + span + 60_000 },
    ),
  );
  const ms = 'ms';
  return [
    {
      name: `${label} load 1 M readings (append, batches of 10 000)`,
      value: N / (load.ms / 1000),
      unit: 'readings/s',
    },
    { name: `${label} aggregate 1 M readings, 1-min buckets, all 8 stats`, value: minuteAll, unit: ms },
    { name: `${label} aggregate 1 M readings, 1-h buckets, count/mean/min/max`, value: hourBasic, unit: ms },
    { name: `${label} aggregate one patient (10 000 readings), 1-min, mean/p95`, value: patient, unit: ms },
    { name: `${label} latest, one patient and metric`, value: latestOne, unit: ms },
    { name: `${label} latest, all 100 patients (1 M readings)`, value: latestAll, unit: ms },
    {
      name: `${label} applyRetention, first run (1 M raw → rollups, deletes)`,
      value: retention.ms,
      unit: ms,
      note: `${retention.value.rawDeleted.toLocaleString('en-US')} raw deleted, ${retention.value.rollups.map((r) => r.written).join(' + ')} rollup rows`,
    },
    { name: `${label} applyRetention, next run a minute later`, value: again.ms, unit: ms },
  ];
}

/** PGlite (in memory): ingest beside the raw COPY ceiling, then 1 M-reading queries. */
export async function benchStore(options: { million?: boolean } = {}): Promise<Figure[]> {
  const db = await PGlite.create();
  const names = readingTableNames({ schema: 'ceiling' });
  const bare = readingTableNames({ schema: 'bare' });
  await db.exec('CREATE SCHEMA ceiling; CREATE SCHEMA bare');
  for (const s of readingTableDdl(names)) await db.exec(s);
  await db.exec(
    `CREATE TABLE ${bare.qualified} (LIKE ${names.qualified} INCLUDING DEFAULTS, PRIMARY KEY (id))`,
  );
  const copy = (table: string) => async (csv: string) => {
    await db.query(`COPY ${table} (${COLUMNS}) FROM '/dev/blob' WITH (FORMAT csv)`, [], {
      blob: new Blob([csv]),
    });
  };
  const executor = pgliteExecutor(db);
  const { copyFrom: _copy, ...withoutCopy } = executor;
  const stores = {
    copy: await createSqlReadingStore(executor, { schema: 'store_copy' }),
    unnest: await createSqlReadingStore(withoutCopy, { schema: 'store_unnest' }),
  };
  const figures = await ingestFigures(
    'PGlite',
    stores,
    copy(names.qualified),
    { 'primary key only (no other index)': copy(bare.qualified) },
    10_000,
    50_000,
    4,
  );
  await Promise.all([stores.copy.close(), stores.unnest.close()]);
  await db.close();
  if (options.million ?? true) {
    const store = await createPgliteReadingStore();
    figures.push(...(await millionFigures('PGlite', store)));
    await store.close();
  }
  return figures;
}

/** PostgreSQL through `pg`: the same figures, or none when the server is unreachable. */
export async function benchStorePostgres(options: { million?: boolean } = {}): Promise<Figure[]> {
  const pool = new pg.Pool({ connectionString: PG_URL, max: 4, connectionTimeoutMillis: 5_000 });
  pool.on('error', () => undefined);
  const schemas = ['bench_ceiling', 'bench_bare', 'bench_copy', 'bench_unnest', 'bench_million'];
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    console.warn(
      `PostgreSQL at ${PG_URL.replace(/\/\/[^@/]*@/, '//***@')} unreachable: ${(e as Error).message}`,
    );
    await pool.end();
    return [];
  }
  try {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE; CREATE SCHEMA ${s}`);
    const names = readingTableNames({ schema: 'bench_ceiling' });
    const bare = readingTableNames({ schema: 'bench_bare' });
    for (const s of readingTableDdl(names)) await pool.query(s);
    await pool.query(
      `CREATE TABLE ${bare.qualified} (LIKE ${names.qualified} INCLUDING DEFAULTS, PRIMARY KEY (id))`,
    );
    const copy = (table: string) => async (csv: string) => {
      const client = await pool.connect();
      try {
        await copyFromCsv(client, `${table} (${COLUMNS})`, csv);
      } finally {
        client.release();
      }
    };
    const executor = pgExecutor(pool);
    const { copyFrom: _copy, ...withoutCopy } = executor;
    const stores = {
      copy: await createSqlReadingStore(executor, { schema: 'bench_copy' }),
      unnest: await createSqlReadingStore(withoutCopy, { schema: 'bench_unnest' }),
    };
    const figures = await ingestFigures(
      'PostgreSQL',
      stores,
      copy(names.qualified),
      { 'primary key only (no other index)': copy(bare.qualified) },
      10_000,
      50_000,
      4,
    );
    if (options.million ?? true) {
      const store = await createPostgresReadingStore({ pool, schema: 'bench_million' });
      figures.push(...(await millionFigures('PostgreSQL', store)));
      await store.close();
    }
    return figures;
  } finally {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const million = !process.argv.includes('--skip-million');
  printFigures('Platform store (PGlite, in memory)', await benchStore({ million }));
  printFigures('Platform store (PostgreSQL via pg)', await benchStorePostgres({ million }));
}
