/**
 * The platform's reading store: ingest rate (COPY path and `unnest` path) beside the same-run
 * ceiling of a raw COPY of the same rows, then queries over 1 M readings (bucketed aggregates with
 * percentiles, latest per patient and metric, a retention run), on PGlite and, when reachable, on
 * PostgreSQL (HEALTHIT_PG_URL, default postgres://postgres@127.0.0.1:5432/test).
 *
 * `node --conditions=@healthit/source --import tsx bench/store.ts` runs this file alone
 * (`--skip-million` skips the 1 M- and 10 M-reading parts; PostgreSQL is also timed at 10 M
 * readings, PGlite only with `--pglite-ten-million`, about 10 minutes). The 1 M and 10 M parts load
 * fresh data three times (PGlite at 10 M: once) and report the medians.
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
import { against, type Figure, interleavedRates, median, medianOfRuns, printFigures } from './measure.js';

const T0 = Date.UTC(2025, 0, 1);
const DEVICES = 100;
/** Fresh loads of 1 M / 10 M readings whose figures are the median (PGlite at 10 M: one, ~10 min). */
const LOADED_RUNS = 3;
// biome-ignore lint/suspicious/noUndeclaredEnvVars: read by this standalone benchmark, not by a turbo task
const PG_URL = process.env.HEALTHIT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const COLUMNS = 'id, device_id, patient_id, metric, value, unit, ts, seq, quality, series';

/**
 * The series keys of bench readings for a raw load: the store's own keys when `keys` is given
 * (read from its dictionary), else device n's readings get key n + 1.
 */
function seriesOf(rows: readonly Reading[], keys?: ReadonlyMap<string, number>): Int32Array {
  return Int32Array.from(
    rows,
    (r) => keys?.get(r.deviceId) ?? Number(r.deviceId.slice('monitor-'.length)) + 1,
  );
}

/** A raw load of CSV rows (with their series keys) into a table. */
type RawLoad = (csv: string) => Promise<void>;

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

/**
 * Ingest figures: `ceiling` loads CSV (series keys included) the fastest raw way into a table
 * like the store's (same columns, indexes and logging); `extra` are other raw loads shown beside.
 */
async function ingestFigures(
  label: string,
  stores: { copy: ReadingStore; unnest: ReadingStore },
  ceilingName: string,
  ceiling: RawLoad,
  extra: Record<string, RawLoad>,
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
  // Raw loads take the same batches as the stores: one CSV per batch.
  const csvFor = new Map<string, string[]>();
  const prepare = (): void => {
    for (const key of ['copy', 'unnest']) pending.set(key, fresh());
    for (const key of ['ceiling', ...Object.keys(extra)]) {
      const rows = fresh();
      const chunks: string[] = [];
      for (let i = 0; i < rows.length; i += batch) {
        const part = rows.slice(i, i + batch);
        chunks.push(readingsCsv(part, seriesOf(part)));
      }
      csvFor.set(key, chunks);
    }
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
  const loadAll = async (load: RawLoad, chunks: readonly string[] = []): Promise<void> => {
    for (const csv of chunks) await load(csv);
  };
  for (const [key, fn] of Object.entries(extra)) fns[key] = () => loadAll(fn, csvFor.get(key));
  const results = await interleavedRates(
    rounds,
    perRound,
    async () => {
      await loadAll(ceiling, csvFor.get('ceiling'));
    },
    {
      ...fns,
      // Not timed on its own: `interleavedRates` times each function; refill after the last one.
      refill: () => prepare(),
    } as Record<string, () => Promise<void> | void>,
  );
  const figures: Figure[] = [];
  for (const key of Object.keys(extra)) {
    const value = results[key]?.median ?? 0;
    figures.push({
      name: `${label} raw, same rows, ${key}`,
      value,
      unit: 'readings/s',
      ...against(value, 'readings/s', ceilingName, results.ceiling.median, results[key]?.ratio),
    });
  }
  for (const [key, path] of [
    ['copy', 'COPY'],
    ['unnest', 'unnest'],
  ] as const) {
    const value = results[key]?.median ?? 0;
    figures.push({
      name: `${label} store.append, new readings, ${path} path (batches of ${batch.toLocaleString('en-US')})`,
      value,
      unit: 'readings/s',
      runs: rounds,
      ...against(value, 'readings/s', ceilingName, results.ceiling.median, results[key]?.ratio),
    });
  }
  return figures;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Median of `runs` (after one warm-up) of `fn`, in ms. */
async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < Math.max(3, runs); i++) times.push((await timed(fn)).ms);
  return median(times);
}

/** Runs SQL against the database a store writes to (for the ceilings: the same query by hand). */
type RawQuery = (sql: string, params?: unknown[]) => Promise<unknown[]>;

/**
 * Loads `n` readings into `store` (whose tables are `names`), then times the queries and a
 * retention run, each query beside its ceiling: the same result computed by one hand-written SQL
 * statement on the same table. The load is beside a raw load (`rawLoad`, the fastest raw way for
 * the driver) of 200 000 more rows into the loaded table.
 */
async function loadedFigures(
  label: string,
  store: ReadingStore,
  names: ReturnType<typeof readingTableNames>,
  raw: RawQuery,
  rawLoad: RawLoad,
  rawLoadName: string,
  n: number,
): Promise<Figure[]> {
  const table = names.qualified;
  const BATCH = 10_000;
  const size = n >= 10_000_000 ? '10 M' : `${n / 1_000_000} M`;
  const load = await timed(async () => {
    for (let i = 0; i < n; i += BATCH) {
      await store.append(readings(i, BATCH));
      if (n >= 5_000_000 && (i / BATCH) % 100 === 99)
        process.stdout.write(
          `\r  ${label}: loaded ${(i + BATCH).toLocaleString('en-US')} of ${n.toLocaleString('en-US')}`,
        );
    }
  });
  if (n >= 5_000_000) process.stdout.write('\n');
  const span = (n / DEVICES) * 1000; // 1 Hz readings of 100 monitors
  const all = { from: T0, to: T0 + span, metric: 'heart-rate' } as const;
  const bucketSql = (bucketMs: number, stats: string, patient: boolean) =>
    `SELECT (ts - ${T0}) / ${bucketMs} AS b, ${stats} FROM ${table} WHERE metric = 'heart-rate' AND ts >= $1 AND ts < $2${patient ? ` AND series = ANY(ARRAY(SELECT key FROM ${names.series} WHERE patient_id = $3 AND metric = 'heart-rate'))` : ''} GROUP BY b ORDER BY b`;
  const pct = 'percentile_cont(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY value)';
  const minuteAll = await medianMs(3, async () => {
    const rows = await store.aggregate({
      ...all,
      bucketMs: 60_000,
      stats: ['count', 'mean', 'min', 'max', 'p50', 'p90', 'p95', 'p99'],
    });
    if (rows.reduce((k, r) => k + r.count, 0) !== n) throw new Error('bench: aggregate lost readings');
  });
  const minuteAllRaw = await medianMs(3, () =>
    raw(bucketSql(60_000, `count(*), avg(value), min(value), max(value), ${pct}`, false), [all.from, all.to]),
  );
  const hourBasic = await medianMs(3, () =>
    store.aggregate({ ...all, bucketMs: 3_600_000, stats: ['count', 'mean', 'min', 'max'] }),
  );
  const hourBasicRaw = await medianMs(3, () =>
    raw(bucketSql(3_600_000, 'count(*), avg(value), min(value), max(value)', false), [all.from, all.to]),
  );
  const patient = await medianMs(5, () =>
    store.aggregate({ ...all, patientId: 'patient-7', bucketMs: 60_000, stats: ['mean', 'p95'] }),
  );
  const patientRaw = await medianMs(5, () =>
    raw(bucketSql(60_000, 'avg(value), percentile_cont(0.95) WITHIN GROUP (ORDER BY value)', true), [
      all.from,
      all.to,
      'patient-7',
    ]),
  );
  const latestOne = await medianMs(5, () => store.latest({ patientId: 'patient-7', metric: 'heart-rate' }));
  const latestOneRaw = await medianMs(5, () =>
    raw(
      `SELECT * FROM ${table} WHERE series = ANY(ARRAY(SELECT key FROM ${names.series} WHERE patient_id = $1 AND metric = $2)) ORDER BY ts DESC LIMIT 1`,
      ['patient-7', 'heart-rate'],
    ),
  );
  const latestAll = await medianMs(3, async () => {
    if ((await store.latest()).length !== DEVICES) throw new Error('bench: latest');
  });
  const latestAllRaw = await medianMs(3, () =>
    raw(`SELECT DISTINCT ON (patient_id, metric) * FROM ${table} ORDER BY patient_id, metric, ts DESC`),
  );
  // The load's ceiling: raw COPY of 200 000 further rows (after the span, so the queries above
  // are unaffected) into the loaded table: the rate at this table size.
  const copyRows = 200_000;
  const more = readings(n, copyRows);
  const keyRows = (await raw(`SELECT key, device_id FROM ${names.series}`)) as {
    key: number | string;
    device_id: string;
  }[];
  const csv = readingsCsv(more, seriesOf(more, new Map(keyRows.map((k) => [k.device_id, Number(k.key)]))));
  const copyMs = (await timed(() => rawLoad(csv))).ms;
  const policy = {
    rawMs: 3_600_000,
    rollups: [
      { bucketMs: 60_000, keepMs: 90 * 86_400_000 },
      { bucketMs: 3_600_000, keepMs: 730 * 86_400_000 },
    ],
  };
  const applyRetention = store.applyRetention as NonNullable<ReadingStore['applyRetention']>;
  // Raw kept 1 h of the span: rolls the readings up into minutes and hours and deletes the rest.
  const retention = await timed(() => applyRetention(policy, { now: T0 + span }));
  const again = await timed(() => applyRetention(policy, { now: T0 + span + 60_000 }));
  const ms = 'ms';
  const by = (what: string) => `the same ${what} as one hand-written SQL statement on the same table`;
  const loadRate = n / (load.ms / 1000);
  return [
    {
      name: `${label} load ${size} readings (append, batches of 10 000)`,
      value: loadRate,
      unit: 'readings/s',
      runs: 1,
      ...against(
        loadRate,
        'readings/s',
        `${rawLoadName} of ${copyRows.toLocaleString('en-US')} more rows into the loaded table`,
        copyRows / (copyMs / 1000),
      ),
    },
    {
      name: `${label} aggregate ${size} readings, 1-min buckets, all 8 stats`,
      value: minuteAll,
      unit: ms,
      ...against(minuteAll, ms, by('aggregate'), minuteAllRaw),
    },
    {
      name: `${label} aggregate ${size} readings, 1-h buckets, count/mean/min/max`,
      value: hourBasic,
      unit: ms,
      ...against(hourBasic, ms, by('aggregate'), hourBasicRaw),
    },
    {
      name: `${label} aggregate one patient (${(n / DEVICES).toLocaleString('en-US')} readings), 1-min, mean/p95`,
      value: patient,
      unit: ms,
      ...against(patient, ms, by('aggregate'), patientRaw),
    },
    {
      name: `${label} latest, one patient and metric (${size})`,
      value: latestOne,
      unit: ms,
      ...against(latestOne, ms, by('query'), latestOneRaw),
    },
    {
      name: `${label} latest, all 100 patients (${size} readings)`,
      value: latestAll,
      unit: ms,
      ...against(latestAll, ms, by('query (DISTINCT ON)'), latestAllRaw),
    },
    {
      name: `${label} applyRetention, first run (${size} raw → rollups, deletes)`,
      value: retention.ms,
      unit: ms,
      runs: 1,
      note: `${retention.value.rawDeleted.toLocaleString('en-US')} raw deleted, ${retention.value.rollups.map((r) => r.written).join(' + ')} rollup rows`,
    },
    { name: `${label} applyRetention, next run a minute later`, value: again.ms, unit: ms, runs: 1 },
  ];
}

/**
 * PGlite's fastest raw load: COPY into a temporary table, then `INSERT ... SELECT` into the
 * target, in one transaction (a COPY straight into a large table slows down as it grows).
 */
function pgliteStagedLoad(db: PGlite, table: string): RawLoad {
  return async (csv) => {
    await db.transaction(async (tx) => {
      await tx.query(
        `CREATE TEMP TABLE IF NOT EXISTS raw_stage (LIKE ${table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
      );
      await tx.query(`COPY raw_stage (${COLUMNS}) FROM '/dev/blob' WITH (FORMAT csv)`, [], {
        blob: new Blob([csv]),
      });
      await tx.query(`INSERT INTO ${table} (${COLUMNS}) SELECT ${COLUMNS} FROM raw_stage`);
    });
  };
}

/** PGlite's plain COPY straight into `table`. */
function pgliteCopy(db: PGlite, table: string): RawLoad {
  return async (csv) => {
    await db.query(`COPY ${table} (${COLUMNS}) FROM '/dev/blob' WITH (FORMAT csv)`, [], {
      blob: new Blob([csv]),
    });
  };
}

/** PGlite (in memory): ingest beside the raw staged-COPY ceiling, then 1 M-reading queries. */
export async function benchStore(
  options: { million?: boolean; tenMillion?: boolean } = {},
): Promise<Figure[]> {
  const figures: Figure[] = [];
  // In memory the store makes its table unlogged (createPgliteReadingStore); on disk it stays logged.
  // Each table has a PGlite of its own, as a store has: tables sharing one would share its buffers.
  for (const unlogged of [true, false]) {
    const names = readingTableNames();
    const dbs: PGlite[] = [];
    const rawTable = async (indexes: 'store' | 'primary key'): Promise<PGlite> => {
      const db = await PGlite.create();
      dbs.push(db);
      const ddl = readingTableDdl(names);
      for (const s of indexes === 'store' ? ddl : ddl.slice(0, 1)) await db.exec(s);
      if (indexes === 'primary key') {
        await db.exec(`ALTER TABLE ${names.qualified} ADD COLUMN series integer NOT NULL`);
      }
      if (unlogged) await db.exec(`ALTER TABLE ${names.qualified} SET UNLOGGED`);
      return db;
    };
    const ceilingDb = await rawTable('store');
    const straightDb = await rawTable('store');
    const bareDb = await rawTable('primary key');
    const storeDb = async (): Promise<PGlite> => {
      const db = await PGlite.create();
      dbs.push(db);
      return db;
    };
    const { copyFrom: _copy, ...withoutCopy } = pgliteExecutor(await storeDb());
    const stores = {
      copy: await createSqlReadingStore(pgliteExecutor(await storeDb()), { unlogged }),
      unnest: await createSqlReadingStore(withoutCopy, { unlogged }),
    };
    const logging = unlogged ? 'unlogged table (in memory)' : 'logged table (as on disk)';
    figures.push(
      ...(await ingestFigures(
        `PGlite, ${logging},`,
        stores,
        "raw staged COPY (temp table, then INSERT ... SELECT) of the same rows, series keys precomputed, into a table like the store's",
        pgliteStagedLoad(ceilingDb, names.qualified),
        {
          'COPY straight into a table like the store’s': pgliteCopy(straightDb, names.qualified),
          'COPY straight, primary key only (no other index)': pgliteCopy(bareDb, names.qualified),
        },
        10_000,
        100_000,
        5,
      )),
    );
    await Promise.all([stores.copy.close(), stores.unnest.close()]);
    for (const db of dbs) await db.close();
  }
  for (const n of [
    ...((options.million ?? true) ? [1_000_000] : []),
    ...(options.tenMillion === true ? [10_000_000] : []),
  ]) {
    // Each run loads a fresh database (retention deletes what was loaded): the median of three.
    const loaded = await medianOfRuns(n >= 10_000_000 ? 1 : LOADED_RUNS, async () => {
      const big = await PGlite.create();
      const schema = 'store_loaded';
      const store = await createPgliteReadingStore({ client: big, schema, unlogged: true });
      const names = readingTableNames({ schema });
      const raw: RawQuery = async (sql, params) => (await big.query(sql, params ?? [])).rows;
      try {
        return await loadedFigures(
          'PGlite',
          store,
          names,
          raw,
          pgliteStagedLoad(big, names.qualified),
          'raw staged COPY',
          n,
        );
      } finally {
        await store.close();
        await big.close();
      }
    });
    figures.push(...loaded);
  }
  return figures;
}

/** PostgreSQL through `pg`: the same figures, or none when the server is unreachable. */
export async function benchStorePostgres(
  options: { million?: boolean; tenMillion?: boolean } = {},
): Promise<Figure[]> {
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
      "raw COPY of the same rows, series keys precomputed, into a table with the store's indexes",
      copy(names.qualified),
      { 'COPY, primary key only (no other index)': copy(bare.qualified) },
      10_000,
      50_000,
      4,
    );
    for (const n of [
      ...((options.million ?? true) ? [1_000_000] : []),
      ...((options.tenMillion ?? options.million ?? true) ? [10_000_000] : []),
    ]) {
      // Each run loads a fresh schema (retention deletes what was loaded): the median of three.
      const loaded = await medianOfRuns(LOADED_RUNS, async () => {
        await pool.query('DROP SCHEMA IF EXISTS bench_million CASCADE; CREATE SCHEMA bench_million');
        const store = await createPostgresReadingStore({ pool, schema: 'bench_million' });
        const names = readingTableNames({ schema: 'bench_million' });
        const raw: RawQuery = async (sql, params) => (await pool.query(sql, params ?? [])).rows;
        try {
          return await loadedFigures('PostgreSQL', store, names, raw, copy(names.qualified), 'raw COPY', n);
        } finally {
          await store.close();
        }
      });
      figures.push(...loaded);
    }
    return figures;
  } finally {
    for (const s of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const million = !process.argv.includes('--skip-million');
  const tenMillion = process.argv.includes('--pglite-ten-million');
  printFigures('Platform store (PGlite, in memory)', await benchStore({ million, tenMillion }));
  printFigures('Platform store (PostgreSQL on 127.0.0.1:5432)', await benchStorePostgres({ million }));
}
