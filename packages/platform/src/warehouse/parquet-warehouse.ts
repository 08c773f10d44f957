import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBValue,
  LIST,
  VARCHAR,
} from '@duckdb/node-api';
import { type Alert, HealthItError, type Reading } from '@healthit/core';
import { ReadingColumns, STAGE_COLUMNS } from './readings-columns.js';

/** The Parquet layout's version: bumped when a column changes meaning; written in every manifest. */
export const WAREHOUSE_SCHEMA_VERSION = 1;

/** A NEWS2 score of a patient at a time, as the warehouse keeps it. */
export interface ScoreRecord {
  readonly patientId: string;
  readonly ts: number;
  readonly total: number;
}

/** Options of {@link openParquetWarehouse}. */
export interface ParquetWarehouseOptions {
  /** The warehouse's directory (created if missing): `readings/date=…/metric=…/*.parquet`, `scores/…`. */
  readonly dir: string;
  /** Readings per Parquet export batch (default 262 144). */
  readonly batchSize?: number;
  /** DuckDB threads for writing and queries (default: DuckDB's, one per core). */
  readonly threads?: number;
}

/** What the manifest records. */
export interface WarehouseManifest {
  readonly schemaVersion: number;
  /** The last committed export batch: files of later batches are leftovers of a crash, ignored and removed. */
  readonly committedBatch: number;
  readonly readings: number;
  readonly scores: number;
  /** Alerts exported (the `alerts` dataset, added in this schema version; absent in older manifests). */
  readonly alerts?: number;
  /** Where the incremental export from the store stopped (see `exportNewReadings`). */
  readonly watermark?: { readonly ts: number; readonly deviceId: string; readonly seq: number };
}

/** A Parquet warehouse of readings and scores (see {@link openParquetWarehouse}). */
export interface ParquetWarehouse {
  readonly dir: string;
  /** Queues readings for export; resolves once they are buffered (waits while a batch is being written). */
  appendReadings(readings: readonly Reading[]): Promise<void>;
  /** Queues NEWS2 score records for export. */
  appendScores(scores: readonly ScoreRecord[]): Promise<void>;
  /** Queues alerts (from gateways and platform rules) for export. */
  appendAlerts(alerts: readonly Alert[]): Promise<void>;
  /** Writes everything queued and commits it (the manifest); `watermark` is recorded with it. */
  flush(watermark?: WarehouseManifest['watermark']): Promise<void>;
  /** The committed manifest. */
  manifest(): WarehouseManifest;
  /**
   * Runs SQL over the committed data with DuckDB: the views `readings` (id, device_id, patient_id,
   * metric, value, unit, ts, seq, quality, date), `scores` (patient_id, ts, total, date) and `alerts`
   * (id, rule, severity, message, ts, patient_id, device_id, metric, value, reading_ids, date).
   * Rows as objects; BIGINT columns come back as `bigint`.
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly DuckDBValue[]): Promise<T[]>;
  close(): Promise<void>;
}

const MANIFEST = '_manifest.json';

/** Each view's columns while its dataset has no file yet. */
const EMPTY_VIEWS = {
  readings:
    'SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS device_id, NULL::VARCHAR AS patient_id, NULL::VARCHAR AS metric, NULL::DOUBLE AS value, NULL::VARCHAR AS unit, NULL::BIGINT AS ts, NULL::BIGINT AS seq, NULL::VARCHAR AS quality, NULL::VARCHAR AS date WHERE false',
  scores:
    'SELECT NULL::VARCHAR AS patient_id, NULL::BIGINT AS ts, NULL::INTEGER AS total, NULL::VARCHAR AS date WHERE false',
  alerts:
    'SELECT NULL::VARCHAR AS id, NULL::VARCHAR AS rule, NULL::VARCHAR AS severity, NULL::VARCHAR AS message, NULL::BIGINT AS ts, NULL::VARCHAR AS patient_id, NULL::VARCHAR AS device_id, NULL::VARCHAR AS metric, NULL::DOUBLE AS value, NULL::VARCHAR[] AS reading_ids, NULL::VARCHAR AS date WHERE false',
} as const;

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

async function readManifest(dir: string): Promise<WarehouseManifest> {
  try {
    const m = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as WarehouseManifest;
    if (m.schemaVersion !== WAREHOUSE_SCHEMA_VERSION) {
      throw new HealthItError(
        'config/invalid',
        `The warehouse in ${dir} has schema version ${m.schemaVersion}; this SDK writes ${WAREHOUSE_SCHEMA_VERSION}`,
      );
    }
    return m;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return { schemaVersion: WAREHOUSE_SCHEMA_VERSION, committedBatch: 0, readings: 0, scores: 0 };
    }
    throw e;
  }
}

/** Removes Parquet files of batches after `committed` (a crash between writing and committing). */
async function removeUncommitted(root: string, committed: number): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(root, { recursive: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const m = /(?:^|\/)b(\d+)_\d+\.parquet$/.exec(entry);
    if (m !== null && Number(m[1]) > committed) await rm(join(root, entry), { force: true });
  }
}

/**
 * Opens (or creates) a warehouse of Parquet files partitioned by date and metric — the data-lake
 * layout Spark, Trino, pandas and DuckDB read — written and queried with DuckDB. Exports are
 * incremental (only what is appended), batched, and committed by a manifest: a batch's files count
 * only once the manifest names it, so a crash never leaves half a batch visible.
 *
 * Writing is pipelined: while DuckDB writes one batch to Parquet on its own threads, the next is
 * appended from JavaScript (strings the batch repeats dictionary-coded), so export runs at the
 * appender's pace.
 */
export async function openParquetWarehouse(options: ParquetWarehouseOptions): Promise<ParquetWarehouse> {
  const { dir } = options;
  const batchSize = options.batchSize ?? 262_144;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new HealthItError('config/invalid', `batchSize must be a positive integer, got ${batchSize}`);
  }
  await mkdir(join(dir, 'readings'), { recursive: true });
  await mkdir(join(dir, 'scores'), { recursive: true });
  await mkdir(join(dir, 'alerts'), { recursive: true });
  let manifest = await readManifest(dir);
  await removeUncommitted(join(dir, 'readings'), manifest.committedBatch);
  await removeUncommitted(join(dir, 'scores'), manifest.committedBatch);
  await removeUncommitted(join(dir, 'alerts'), manifest.committedBatch);

  const instance = await DuckDBInstance.create(
    ':memory:',
    options.threads === undefined ? {} : { threads: String(options.threads) },
  );
  const appendConnection = await instance.connect();
  const writeConnection = await instance.connect();
  const queryConnection = await instance.connect();
  const columns = STAGE_COLUMNS.map(([name, , type]) => `${name} ${type}`).join(', ');
  for (const stage of ['stage_0', 'stage_1']) {
    await appendConnection.run(`CREATE TABLE ${stage} (${columns})`);
    await appendConnection.run(`CREATE TABLE score_${stage} (patient_id VARCHAR, ts BIGINT, total INTEGER)`);
    await appendConnection.run(
      `CREATE TABLE alert_${stage} (id VARCHAR, rule VARCHAR, severity VARCHAR, message VARCHAR, ts BIGINT, patient_id VARCHAR, device_id VARCHAR, metric VARCHAR, value DOUBLE, reading_ids VARCHAR[])`,
    );
  }
  await appendConnection.run('CREATE TABLE dict (code INTEGER PRIMARY KEY, text VARCHAR)');

  const dictionary = new Map<string, number>();
  const newCodes: [number, string][] = [];
  const code = (text: string): number => {
    let c = dictionary.get(text);
    if (c === undefined) {
      c = dictionary.size;
      dictionary.set(text, c);
      newCodes.push([c, text]);
    }
    return c;
  };
  let pending = new ReadingColumns(code);
  let pendingScores: ScoreRecord[] = [];
  let pendingAlerts: Alert[] = [];
  let nextBatch = manifest.committedBatch + 1;
  let stageIndex = 0;
  /** The batch being written, and committed in order. */
  let writing: Promise<void> = Promise.resolve();
  let closed = false;

  async function appendStage(conn: DuckDBConnection, table: string, batch: ReadingColumns): Promise<void> {
    if (newCodes.length > 0) {
      const dict = await conn.createAppender('dict');
      for (const [c, text] of newCodes.splice(0)) {
        dict.appendInteger(c);
        dict.appendVarchar(text);
        dict.endRow();
      }
      dict.flushSync();
      dict.closeSync();
    }
    const appender = await conn.createAppender(table);
    const types = STAGE_COLUMNS.map(([, t]) => t);
    for (let start = 0; start < batch.length; start += 2048) {
      const end = Math.min(batch.length, start + 2048);
      const chunk = DuckDBDataChunk.create(types, end - start);
      chunk.setColumns(batch.slice(start, end) as DuckDBValue[][]);
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
    appender.closeSync();
  }

  const decoded = (table: string, batch: number) => `SELECT
    coalesce(s.id, dev.text || ':' || CAST(CAST(s.seq AS BIGINT) AS VARCHAR)) AS id,
    dev.text AS device_id, pat.text AS patient_id, met.text AS metric, s.value, uni.text AS unit,
    CAST(s.ts AS BIGINT) AS ts, CAST(s.seq AS BIGINT) AS seq, qua.text AS quality, ${batch} AS batch,
    strftime(make_timestamp(CAST(s.ts AS BIGINT) * 1000), '%Y-%m-%d') AS date
  FROM ${table} s
  JOIN dict dev ON dev.code = s.device
  LEFT JOIN dict pat ON pat.code = s.patient
  JOIN dict met ON met.code = s.metric
  JOIN dict uni ON uni.code = s.unit
  LEFT JOIN dict qua ON qua.code = s.quality`;

  const copyTo = (select: string, dataset: string, batch: number, partitions: string) =>
    `COPY (${select}) TO ${sqlString(join(dir, dataset))} (FORMAT PARQUET, PARTITION_BY (${partitions}), ` +
    `FILENAME_PATTERN 'b${batch}_{i}', OVERWRITE_OR_IGNORE true, COMPRESSION zstd)`;

  async function commit(update: Partial<WarehouseManifest>): Promise<void> {
    manifest = { ...manifest, ...update };
    const tmp = join(dir, `${MANIFEST}.tmp`);
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(tmp, join(dir, MANIFEST));
  }

  /** Batches start one after the other, in call order. */
  let starting: Promise<void> = Promise.resolve();

  function startBatch(
    batch: ReadingColumns,
    scores: readonly ScoreRecord[],
    alerts: readonly Alert[],
    watermark?: WarehouseManifest['watermark'],
  ): Promise<void> {
    const started = starting.then(() => appendAndWrite(batch, scores, alerts, watermark));
    starting = started.catch(() => {});
    return started;
  }

  /**
   * Appends one batch to the staging table the previous batch is not being written from — while
   * DuckDB writes that one — then chains this batch's Parquet write and commit after it: at most
   * one batch is being written, and batches commit in order.
   */
  async function appendAndWrite(
    batch: ReadingColumns,
    scores: readonly ScoreRecord[],
    alerts: readonly Alert[],
    watermark?: WarehouseManifest['watermark'],
  ): Promise<void> {
    const previous = writing;
    const number = nextBatch++;
    const stage = `stage_${stageIndex}`;
    stageIndex ^= 1;
    await appendStage(appendConnection, stage, batch);
    if (scores.length > 0) {
      const a = await appendConnection.createAppender(`score_${stage}`);
      for (const s of scores) {
        a.appendVarchar(s.patientId);
        a.appendBigInt(BigInt(s.ts));
        a.appendInteger(s.total);
        a.endRow();
      }
      a.flushSync();
      a.closeSync();
    }
    if (alerts.length > 0) {
      const a = await appendConnection.createAppender(`alert_${stage}`);
      const text = (v: string | undefined) => (v === undefined ? a.appendNull() : a.appendVarchar(v));
      for (const x of alerts) {
        a.appendVarchar(x.id);
        a.appendVarchar(x.rule);
        a.appendVarchar(x.severity);
        a.appendVarchar(x.message);
        a.appendBigInt(BigInt(x.ts));
        text(x.patientId);
        text(x.deviceId);
        text(x.metric);
        if (x.value === undefined) a.appendNull();
        else a.appendDouble(x.value);
        a.appendList(x.readingIds, LIST(VARCHAR));
        a.endRow();
      }
      a.flushSync();
      a.closeSync();
    }
    await previous;
    writing = (async () => {
      if (batch.length > 0) {
        await writeConnection.run(copyTo(decoded(stage, number), 'readings', number, 'date, metric'));
        await writeConnection.run(`DELETE FROM ${stage}`);
      }
      if (scores.length > 0) {
        const select = `SELECT patient_id, ts, total, ${number} AS batch, strftime(make_timestamp(ts * 1000), '%Y-%m-%d') AS date FROM score_${stage}`;
        await writeConnection.run(copyTo(select, 'scores', number, 'date'));
        await writeConnection.run(`DELETE FROM score_${stage}`);
      }
      if (alerts.length > 0) {
        const select = `SELECT *, ${number} AS batch, strftime(make_timestamp(ts * 1000), '%Y-%m-%d') AS date FROM alert_${stage}`;
        await writeConnection.run(copyTo(select, 'alerts', number, 'date'));
        await writeConnection.run(`DELETE FROM alert_${stage}`);
      }
      await commit({
        committedBatch: number,
        readings: manifest.readings + batch.length,
        scores: manifest.scores + scores.length,
        alerts: (manifest.alerts ?? 0) + alerts.length,
        ...(watermark === undefined ? {} : { watermark }),
      });
    })();
    // A failed write fails the next flush or append; it never commits.
    writing.catch(() => {});
  }

  function assertOpen(): void {
    if (closed) throw new HealthItError('state/invalid', 'The warehouse is closed');
  }

  /** The committed batch the views were defined for (-1: not yet). */
  let viewsAt = -1;
  const view = async (name: string, dataset: string) => {
    const glob = join(dir, dataset, '**', '*.parquet');
    const files = (await readdir(join(dir, dataset), { recursive: true })).some((f) =>
      f.endsWith('.parquet'),
    );
    const empty = EMPTY_VIEWS[name as keyof typeof EMPTY_VIEWS];
    const source = files
      ? `SELECT * EXCLUDE (batch) FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types_autocast = false) WHERE batch <= ${manifest.committedBatch}`
      : empty;
    await queryConnection.run(`CREATE OR REPLACE TEMP VIEW ${name} AS ${source}`);
  };

  return {
    dir,
    async appendReadings(readings) {
      assertOpen();
      for (const r of readings) {
        pending.push(r);
        if (pending.length >= batchSize) {
          const full = pending;
          pending = new ReadingColumns(code);
          await startBatch(full, [], []);
        }
      }
    },
    async appendScores(scores) {
      assertOpen();
      for (const s of scores) pendingScores.push(s);
    },
    async appendAlerts(alerts) {
      assertOpen();
      for (const a of alerts) pendingAlerts.push(a);
    },
    async flush(watermark) {
      assertOpen();
      const batch = pending;
      const scores = pendingScores;
      const alerts = pendingAlerts;
      pendingAlerts = [];
      pending = new ReadingColumns(code);
      pendingScores = [];
      if (batch.length > 0 || scores.length > 0 || alerts.length > 0)
        await startBatch(batch, scores, alerts, watermark);
      await writing;
      if (watermark !== undefined && manifest.watermark !== watermark) await commit({ watermark });
    },
    manifest: () => manifest,
    async query<T = Record<string, unknown>>(sql: string, params?: readonly DuckDBValue[]): Promise<T[]> {
      assertOpen();
      await writing;
      // The views change only when a batch commits: list the files and redefine them then, not per query.
      if (viewsAt !== manifest.committedBatch) {
        await view('readings', 'readings');
        await view('scores', 'scores');
        await view('alerts', 'alerts');
        viewsAt = manifest.committedBatch;
      }
      const reader = await queryConnection.runAndReadAll(sql, params as DuckDBValue[] | undefined);
      return reader.getRowObjects() as T[];
    },
    async close() {
      if (closed) return;
      await writing.catch(() => {});
      closed = true;
      for (const c of [appendConnection, writeConnection, queryConnection]) c.closeSync();
      instance.closeSync();
    },
  };
}
