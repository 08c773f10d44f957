import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { DuckDBInstance, type DuckDBValue, LIST, VARCHAR } from '@duckdb/node-api';
import { type Alert, HealthItError, parse, type Reading } from '@healthit/core';
import { z } from 'zod';
import { registerBatchScan } from './batch-scan.js';
import { OUTCOME_RECORD_SCHEMA_NAME, OutcomeRecord } from './outcome-record.js';
import { Dictionary, ReadingColumns, type ScanSource, ScoreColumns } from './readings-columns.js';
import { sqlString } from './sql.js';

/** The Parquet layout's version: bumped when a column changes meaning; written in every manifest. */
export const WAREHOUSE_SCHEMA_VERSION = 1;

/** A NEWS2 score of a patient at a time, as the warehouse keeps it. */
export interface ScoreRecord {
  /** The patient scored. */
  readonly patientId: string;
  /** Epoch ms, a non-negative integer. */
  readonly ts: number;
  /** The aggregate score, an integer 0–20. */
  readonly total: number;
}

/** Options of {@link openParquetWarehouse}. */
export interface ParquetWarehouseOptions {
  /**
   * The warehouse's directory (created if missing): `readings/date=…/metric=…/*.parquet`,
   * `scores/date=…/`, `alerts/date=…/`, `outcomes/date=…/kind=…/`.
   */
  readonly dir: string;
  /**
   * Readings per Parquet export batch (default 1 048 576): each batch writes one file per date and
   * metric, so larger batches make fewer, larger files (cheaper to write and to query); memory holds
   * at most two batches (about 44 bytes a reading each).
   */
  readonly batchSize?: number;
  /** DuckDB threads for writing and queries (default: DuckDB's, one per core). */
  readonly threads?: number;
}

/** What the manifest records. */
export interface WarehouseManifest {
  /**
   * The Parquet layout version the warehouse was written with ({@link WAREHOUSE_SCHEMA_VERSION});
   * opening one of another version fails.
   */
  readonly schemaVersion: number;
  /** The last committed export batch: files of later batches are leftovers of a crash, ignored and removed. */
  readonly committedBatch: number;
  /** Readings exported and committed in total, over every batch. */
  readonly readings: number;
  /** NEWS2 score records exported and committed in total, over every batch. */
  readonly scores: number;
  /** Alerts exported (the `alerts` dataset, added in this schema version; absent in older manifests). */
  readonly alerts?: number;
  /** Outcomes exported (the `outcomes` dataset, added in this schema version; absent in older manifests). */
  readonly outcomes?: number;
  /** Where the incremental export from the store stopped (see `exportNewReadings`). */
  readonly watermark?: { readonly ts: number; readonly deviceId: string; readonly seq: number };
}

/** A Parquet warehouse of readings, scores, alerts and outcomes (see {@link openParquetWarehouse}). */
export interface ParquetWarehouse {
  /** The warehouse's directory, as opened. */
  readonly dir: string;
  /**
   * Queues readings for export; resolves once they are buffered (waits while a batch is being
   * written). The readings are copied: the array and its objects may be reused at once.
   */
  appendReadings(readings: readonly Reading[]): Promise<void>;
  /**
   * Queues NEWS2 score records for export.
   * @throws {TypeError} when a `patientId` is not a non-empty string.
   * @throws {RangeError} when a `ts` is not a non-negative safe integer or a `total` not an integer 0–20
   *   (nothing of the call is queued).
   */
  appendScores(scores: readonly ScoreRecord[]): Promise<void>;
  /** Queues alerts (from gateways and platform rules) for export. */
  appendAlerts(alerts: readonly Alert[]): Promise<void>;
  /**
   * Queues clinical outcomes ({@link OutcomeRecord}: rapid-response calls, ICU admissions, NEWS2-high
   * episodes, …) for export, validated.
   * @throws {ValidationError} naming every offending field (nothing of the call is queued).
   */
  appendOutcomes(outcomes: readonly OutcomeRecord[]): Promise<void>;
  /** Writes everything queued and commits it (the manifest); `watermark` is recorded with it. */
  flush(watermark?: WarehouseManifest['watermark']): Promise<void>;
  /** The committed manifest. */
  manifest(): WarehouseManifest;
  /**
   * Runs SQL over the committed data with DuckDB: the views `readings` (id, device_id, patient_id,
   * metric, value, unit, ts, seq, quality, date), `scores` (patient_id, ts, total, date), `alerts`
   * (id, rule, severity, message, ts, patient_id, device_id, metric, value, reading_ids, date) and
   * `outcomes` (patient_id, ts, kind, source, episode_id, detail, date).
   * Rows as objects; BIGINT columns come back as `bigint`.
   */
  query<T = Record<string, unknown>>(sql: string, params?: readonly DuckDBValue[]): Promise<T[]>;
  /**
   * Waits for a write in progress, then closes DuckDB. Queued data that was not flushed is not
   * written. Idempotent.
   */
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
  outcomes:
    'SELECT NULL::VARCHAR AS patient_id, NULL::BIGINT AS ts, NULL::VARCHAR AS kind, NULL::VARCHAR AS source, NULL::VARCHAR AS episode_id, NULL::VARCHAR AS detail, NULL::VARCHAR AS date WHERE false',
} as const;

/** The datasets, each a directory of the warehouse and a view of `query`. */
const DATASETS = ['readings', 'scores', 'alerts', 'outcomes'] as const;

/** Readings converted per turn of the event loop while a batch is being written (see `appendReadings`). */
const READINGS_PER_TURN = 16_384;

/** The UTC date (`YYYY-MM-DD`) of an epoch-ms column, for the `date=` partition. */
const dateOf = (ts: string) => `strftime(make_timestamp(${ts} * 1000), '%Y-%m-%d')`;

const OutcomeRecords = z.array(OutcomeRecord);

function assertScores(scores: readonly ScoreRecord[]): void {
  scores.forEach((s, i) => {
    if (typeof s.patientId !== 'string' || s.patientId.length === 0) {
      throw new TypeError(`scores[${i}].patientId must be a non-empty string`);
    }
    if (!Number.isSafeInteger(s.ts) || s.ts < 0) {
      throw new RangeError(`scores[${i}].ts must be a non-negative integer (epoch ms), got ${s.ts}`);
    }
    if (!Number.isInteger(s.total) || s.total < 0 || s.total > 20) {
      throw new RangeError(`scores[${i}].total must be a NEWS2 total, an integer 0-20, got ${s.total}`);
    }
  });
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
 * Readings and scores reach DuckDB without a staging table or a conversion per value: they are kept
 * as typed-array columns (the strings they repeat dictionary-coded), which DuckDB's `COPY … TO`
 * reads through a table function, whole vectors at a time, and decodes while it writes. Writing is
 * pipelined: while DuckDB writes one batch on its own threads, the next is converted.
 */
export async function openParquetWarehouse(options: ParquetWarehouseOptions): Promise<ParquetWarehouse> {
  const { dir } = options;
  const batchSize = options.batchSize ?? 1_048_576;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new HealthItError('config/invalid', `batchSize must be a positive integer, got ${batchSize}`);
  }
  if (batchSize > 2 ** 31 - 1) {
    throw new HealthItError('config/invalid', `batchSize must be at most 2^31 - 1, got ${batchSize}`);
  }
  for (const d of DATASETS) await mkdir(join(dir, d), { recursive: true });
  let manifest = await readManifest(dir);
  for (const d of DATASETS) await removeUncommitted(join(dir, d), manifest.committedBatch);

  const instance = await DuckDBInstance.create(
    ':memory:',
    options.threads === undefined ? {} : { threads: String(options.threads) },
  );
  const appendConnection = await instance.connect();
  const writeConnection = await instance.connect();
  const queryConnection = await instance.connect();
  const threads = Number(
    (await writeConnection.runAndReadAll("SELECT current_setting('threads') AS t")).getRows()[0]?.[0] ?? 1,
  );
  /** The batches DuckDB's `healthit_scan` reads, by scan number. */
  const scans = new Map<number, ScanSource>();
  let nextScan = 1;
  registerBatchScan(writeConnection, scans, Math.max(1, threads));
  for (const stage of ['stage_0', 'stage_1']) {
    await appendConnection.run(
      `CREATE TABLE alert_${stage} (id VARCHAR, rule VARCHAR, severity VARCHAR, message VARCHAR, ts BIGINT, patient_id VARCHAR, device_id VARCHAR, metric VARCHAR, value DOUBLE, reading_ids VARCHAR[])`,
    );
    await appendConnection.run(
      `CREATE TABLE outcome_${stage} (patient_id VARCHAR, ts BIGINT, kind VARCHAR, source VARCHAR, episode_id VARCHAR, detail VARCHAR)`,
    );
  }
  await appendConnection.run('CREATE TABLE dict (code INTEGER PRIMARY KEY, text VARCHAR)');

  const dictionary = new Dictionary();
  /** Columns of batches written, for reuse: their arrays have grown already. */
  const spare: ReadingColumns[] = [];
  const newReadings = () => spare.pop() ?? new ReadingColumns(dictionary, batchSize);
  let pending = newReadings();
  let pendingScores = new ScoreColumns(dictionary);
  let pendingAlerts: Alert[] = [];
  let pendingOutcomes: OutcomeRecord[] = [];
  let nextBatch = manifest.committedBatch + 1;
  let stageIndex = 0;
  /** The batch being written, and committed in order. */
  let writing: Promise<void> = Promise.resolve();
  /** True while DuckDB writes a batch (and calls back into JavaScript for its rows). */
  let copying = false;
  let closed = false;

  /** Adds the dictionary's new codes to the `dict` table DuckDB decodes with. */
  async function storeNewCodes(): Promise<void> {
    const fresh = dictionary.takeNew();
    if (fresh.length === 0) return;
    try {
      const dict = await appendConnection.createAppender('dict');
      for (const [c, text] of fresh) {
        dict.appendInteger(c);
        dict.appendVarchar(text);
        dict.endRow();
      }
      dict.flushSync();
      dict.closeSync();
    } catch (e) {
      dictionary.restore(fresh);
      throw e;
    }
  }

  const defaultId = "dev.text || ':' || CAST(CAST(s.seq AS BIGINT) AS VARCHAR)";
  /** The readings of scan `scan` decoded: the rows the `readings` dataset stores. */
  const decodedReadings = (scan: number, batch: number, withIds: boolean) => `SELECT
    ${withIds ? `coalesce(ids.text, ${defaultId})` : defaultId} AS id,
    dev.text AS device_id, pat.text AS patient_id, met.text AS metric, s.value, uni.text AS unit,
    CAST(s.ts AS BIGINT) AS ts, CAST(s.seq AS BIGINT) AS seq, qua.text AS quality, ${batch} AS batch,
    coalesce(dat.text, ${dateOf('CAST(s.ts AS BIGINT)')}) AS date
  FROM healthit_scan(${scan}) s
  JOIN dict dev ON dev.code = s.device
  LEFT JOIN dict pat ON pat.code = s.patient
  JOIN dict met ON met.code = s.metric
  JOIN dict uni ON uni.code = s.unit
  LEFT JOIN dict qua ON qua.code = s.quality
  LEFT JOIN dict dat ON dat.code = s.date
  ${withIds ? `LEFT JOIN healthit_strings(${scan}) ids ON ids.row = s.row` : ''}`;

  const decodedScores = (scan: number, batch: number) => `SELECT
    pat.text AS patient_id, CAST(s.ts AS BIGINT) AS ts, s.total, ${batch} AS batch,
    coalesce(dat.text, ${dateOf('CAST(s.ts AS BIGINT)')}) AS date
  FROM healthit_scan(${scan}) s JOIN dict pat ON pat.code = s.patient
  LEFT JOIN dict dat ON dat.code = s.date`;

  const copyTo = (select: string, dataset: string, batch: number, partitions: string) =>
    `COPY (${select}) TO ${sqlString(join(dir, dataset))} (FORMAT PARQUET, PARTITION_BY (${partitions}), ` +
    `FILENAME_PATTERN 'b${batch}_{i}', OVERWRITE_OR_IGNORE true, COMPRESSION zstd)`;

  /** Writes a typed-array batch through the scan. */
  async function copyScan(source: ScanSource, select: (scan: number) => string): Promise<void> {
    const scan = nextScan++;
    scans.set(scan, source);
    try {
      await writeConnection.run(select(scan));
    } finally {
      scans.delete(scan);
    }
  }

  async function commit(update: Partial<WarehouseManifest>): Promise<void> {
    manifest = { ...manifest, ...update };
    const tmp = join(dir, `${MANIFEST}.tmp`);
    await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
    await rename(tmp, join(dir, MANIFEST));
  }

  /** Batches start one after the other, in call order. */
  let starting: Promise<void> = Promise.resolve();

  interface Batch {
    readonly readings: ReadingColumns;
    readonly scores: ScoreColumns;
    readonly alerts: readonly Alert[];
    readonly outcomes: readonly OutcomeRecord[];
    readonly watermark?: WarehouseManifest['watermark'];
  }

  function startBatch(batch: Batch): Promise<void> {
    const started = starting.then(() => stageAndWrite(batch));
    starting = started.catch(() => {});
    return started;
  }

  /**
   * Stores the batch's new dictionary codes and stages its alerts and outcomes (in the staging tables
   * the previous batch is not being written from), then chains this batch's Parquet write and commit
   * after the previous one: at most one batch is being written, and batches commit in order.
   */
  async function stageAndWrite(batch: Batch): Promise<void> {
    const previous = writing;
    const number = nextBatch++;
    const stage = `stage_${stageIndex}`;
    stageIndex ^= 1;
    await storeNewCodes();
    const { readings, scores, alerts, outcomes } = batch;
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
    if (outcomes.length > 0) {
      const a = await appendConnection.createAppender(`outcome_${stage}`);
      const text = (v: string | undefined) => (v === undefined ? a.appendNull() : a.appendVarchar(v));
      for (const o of outcomes) {
        a.appendVarchar(o.patientId);
        a.appendBigInt(BigInt(o.ts));
        a.appendVarchar(o.kind);
        a.appendVarchar(o.source);
        text(o.episodeId);
        text(o.detail);
        a.endRow();
      }
      a.flushSync();
      a.closeSync();
    }
    const readingCount = readings.length;
    await previous;
    writing = (async () => {
      copying = true;
      try {
        if (readings.length > 0) {
          const withIds = readings.strings.rows.length > 0;
          await copyScan(readings, (scan) =>
            copyTo(decodedReadings(scan, number, withIds), 'readings', number, 'date, metric'),
          );
        }
        readings.clear();
        if (spare.length < 2 && !closed) spare.push(readings);
        else readings.release();
        if (scores.length > 0) {
          await copyScan(scores, (scan) => copyTo(decodedScores(scan, number), 'scores', number, 'date'));
        }
        if (alerts.length > 0) {
          const select = `SELECT *, ${number} AS batch, ${dateOf('ts')} AS date FROM alert_${stage}`;
          await writeConnection.run(copyTo(select, 'alerts', number, 'date'));
          await writeConnection.run(`DELETE FROM alert_${stage}`);
        }
        if (outcomes.length > 0) {
          const select = `SELECT *, ${number} AS batch, ${dateOf('ts')} AS date FROM outcome_${stage}`;
          await writeConnection.run(copyTo(select, 'outcomes', number, 'date, kind'));
          await writeConnection.run(`DELETE FROM outcome_${stage}`);
        }
      } finally {
        copying = false;
      }
      await commit({
        committedBatch: number,
        readings: manifest.readings + readingCount,
        scores: manifest.scores + scores.length,
        alerts: (manifest.alerts ?? 0) + alerts.length,
        outcomes: (manifest.outcomes ?? 0) + outcomes.length,
        ...(batch.watermark === undefined ? {} : { watermark: batch.watermark }),
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
  const view = async (name: (typeof DATASETS)[number]) => {
    const glob = join(dir, name, '**', '*.parquet');
    const files = (await readdir(join(dir, name), { recursive: true })).some((f) => f.endsWith('.parquet'));
    const source = files
      ? `SELECT * EXCLUDE (batch) FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, hive_types_autocast = false) WHERE batch <= ${manifest.committedBatch}`
      : EMPTY_VIEWS[name];
    await queryConnection.run(`CREATE OR REPLACE TEMP VIEW ${name} AS ${source}`);
  };

  return {
    dir,
    async appendReadings(readings) {
      assertOpen();
      let i = 0;
      while (i < readings.length) {
        // While DuckDB writes the previous batch it calls back for its rows: convert a slice at a
        // time and let it in between, so that both sides work at once.
        const room = batchSize - pending.length;
        const end = Math.min(readings.length, i + (copying ? Math.min(room, READINGS_PER_TURN) : room));
        pending.pushRange(readings, i, end);
        i = end;
        if (pending.length >= batchSize) {
          const full = pending;
          pending = newReadings();
          await startBatch({
            readings: full,
            scores: new ScoreColumns(dictionary),
            alerts: [],
            outcomes: [],
          });
        } else if (copying && i < readings.length) {
          await nextTurn();
        }
      }
    },
    async appendScores(scores) {
      assertOpen();
      assertScores(scores);
      for (const s of scores) pendingScores.push(s.patientId, s.ts, s.total);
    },
    async appendAlerts(alerts) {
      assertOpen();
      for (const a of alerts) pendingAlerts.push(a);
    },
    async appendOutcomes(outcomes) {
      assertOpen();
      const valid = parse(OutcomeRecords, OUTCOME_RECORD_SCHEMA_NAME, outcomes, 'appendOutcomes');
      for (const o of valid) pendingOutcomes.push(o);
    },
    async flush(watermark) {
      assertOpen();
      const batch: Batch = {
        readings: pending,
        scores: pendingScores,
        alerts: pendingAlerts,
        outcomes: pendingOutcomes,
        ...(watermark === undefined ? {} : { watermark }),
      };
      pending = newReadings();
      pendingScores = new ScoreColumns(dictionary);
      pendingAlerts = [];
      pendingOutcomes = [];
      if (
        batch.readings.length > 0 ||
        batch.scores.length > 0 ||
        batch.alerts.length > 0 ||
        batch.outcomes.length > 0
      )
        await startBatch(batch);
      await writing;
      if (watermark !== undefined && manifest.watermark !== watermark) await commit({ watermark });
    },
    manifest: () => manifest,
    async query<T = Record<string, unknown>>(sql: string, params?: readonly DuckDBValue[]): Promise<T[]> {
      assertOpen();
      await writing;
      // The views change only when a batch commits: list the files and redefine them then, not per query.
      if (viewsAt !== manifest.committedBatch) {
        for (const d of DATASETS) await view(d);
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
      // Their arrays serve the next warehouse opened (see ReadingColumns.release).
      for (const r of spare.splice(0)) r.release();
      pending.release();
      instance.closeSync();
    },
  };
}
