import {
  type AppendResult,
  HealthItError,
  isReading,
  parse,
  Reading,
  type ReadingQuery,
  type ReadingStore,
} from '@healthit/core';
import {
  AGGREGATE_WORK_MEM,
  type AggregateSqlRow,
  aggregateSql,
  latestSql,
  normaliseAggregate,
  normaliseLatest,
  toAggregateRow,
} from './analytics.js';
import { wrapDriverError } from './driver-errors.js';
import type { SqlExecutor } from './executor.js';
import { type ReadingTableNameOptions, readingTableNames } from './names.js';
import { normaliseQuery } from './reading-query.js';
import {
  applyRetentionSql,
  checkRetentionOptions,
  checkRetentionPolicy,
  queryRollupsSql,
} from './retention.js';
import {
  READING_SELECT_LIST,
  type ReadingRow,
  readingColumns,
  readingsCsv,
  rowToReading,
  sameReading,
} from './rows.js';
import { migrateReadingTable } from './schema.js';
import { seriesCondition } from './series-filter.js';
import { DEFAULT_SERIES_CACHE_SIZE, seriesKeys } from './series-keys.js';
import { STAGE_TABLE, stageTableDdl } from './stage.js';

/** SQLSTATE of a unique violation: a concurrent writer stored one of the ids being copied. */
const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === UNIQUE_VIOLATION;
}

/** What one insert did: the ids it inserted, and the stored copy of each id it did not insert. */
interface InsertOutcome {
  readonly insertedIds: ReadonlySet<string>;
  readonly stored: Map<string, Reading>;
}

/** Options of {@link createSqlReadingStore}. */
export interface SqlReadingStoreOptions extends ReadingTableNameOptions {
  /** Names the store in error messages, e.g. `PGlite reading store` (default `SQL reading store`). */
  readonly label?: string;
  /** Create the schema, table and indexes if missing (default true). */
  readonly migrate?: boolean;
  /**
   * Make the readings table `UNLOGGED` (default false: left as it is). An unlogged table writes no
   * write-ahead log, so ingest is faster, but PostgreSQL empties it after a crash, and replicas do
   * not get it. Right for a database that does not outlive the process (PGlite in memory, where
   * `createPgliteReadingStore` sets it), or for readings that are also kept elsewhere. `false`
   * does not turn an unlogged table back to logged: `ALTER TABLE ... SET LOGGED` does.
   */
  readonly unlogged?: boolean;
  /**
   * How many series (device, patient, metric) keys the store caches (default 100 000); one missing
   * from the cache costs one dictionary statement for its batch.
   */
  readonly seriesCacheSize?: number;
  /**
   * Called once by the first `close()`, after in-flight operations have settled: releases what the
   * adapter owns (its own client or pool). Not given for a caller-owned client.
   */
  readonly onClose?: () => Promise<void>;
}

/**
 * A {@link ReadingStore} over any PostgreSQL-compatible {@link SqlExecutor}: the one SQL
 * implementation behind the PGlite and PostgreSQL adapters.
 *
 * - `append` validates every reading with core's `Reading` schema first and looks up the integer
 *   key of each reading's series (device, patient, metric) in the series dictionary (cached;
 *   new series are added). Then, in one transaction: when the executor has `copyFrom`, it `COPY`s
 *   the batch (its first copy of each id) into a temporary staging table and moves it into the
 *   readings table with one `INSERT ... SELECT` (a `COPY` straight into a large table slows down
 *   as the table grows in PGlite; through the staging table it stays flat). If one of the ids is
 *   stored already (a re-sent batch, or a concurrent writer), that fails with a unique violation
 *   and the batch is written the other way: `INSERT ... SELECT FROM unnest(...) ON CONFLICT (id)
 *   DO NOTHING RETURNING id` (the only way without `copyFrom`). For ids not inserted it
 *   compares the stored content: identical → `duplicates`, different → `conflicts` (the stored
 *   reading is kept). A reading repeated inside one batch counts as a duplicate (or a conflict if
 *   its content differs from the copy that was kept).
 * - `latest`, `aggregate`, `applyRetention` and `rollups` run the SQL of `analytics.ts` and
 *   `retention.ts` (`DISTINCT ON`, `percentile_cont`, rollup tables).
 * - `query` is ordered by `ts`, `deviceId` (code-point order), `seq`; limit 10 000 by default.
 * - Driver errors are wrapped once here: `store/unavailable` (retryable) when the database cannot
 *   be reached, `store/query-failed` otherwise, with the driver error as `cause`.
 *
 * Runs the migration (unless `migrate: false`) before resolving.
 *
 * @throws {TypeError} when `executor` lacks `query`/`transaction`, or a name option is not a string.
 * @throws {RangeError} when `schema` or `tablePrefix` is not a usable SQL identifier.
 * @throws {HealthItError} `store/unavailable` / `store/query-failed` when the migration fails;
 * `config/invalid` when a table of that name exists with other columns.
 * @example
 * ```ts
 * const store = await createSqlReadingStore(myExecutor, { schema: 'ward7', label: 'my store' });
 * const { inserted } = await store.append(readings);
 * ```
 */
export async function createSqlReadingStore(
  executor: SqlExecutor,
  options: SqlReadingStoreOptions = {},
): Promise<ReadingStore> {
  if (typeof executor?.query !== 'function' || typeof executor.transaction !== 'function') {
    throw new TypeError('executor must be a SqlExecutor with query() and transaction()');
  }
  const names = readingTableNames(options);
  const label = options.label ?? 'SQL reading store';
  const table = names.qualified;
  if (options.migrate ?? true) {
    try {
      await migrateReadingTable(executor, names);
    } catch (e) {
      throw wrapDriverError(e, label, 'migrate');
    }
  }

  if (options.unlogged === true) {
    try {
      const [row] = await executor.query<{ relpersistence: string }>(
        'SELECT relpersistence FROM pg_class WHERE oid = $1::regclass',
        [table],
      );
      if (row?.relpersistence === 'p') await executor.query(`ALTER TABLE ${table} SET UNLOGGED`);
    } catch (e) {
      throw wrapDriverError(e, label, 'set unlogged');
    }
  }
  const series = seriesKeys(executor, names, options.seriesCacheSize ?? DEFAULT_SERIES_CACHE_SIZE);

  const closedError = (operation: string): HealthItError =>
    new HealthItError(
      'store/closed',
      `${label} is closed: ${operation}() was called after close(). Open a new store to continue.`,
      { detail: { operation } },
    );
  const inFlight = new Set<Promise<unknown>>();
  let closing: Promise<void> | undefined;

  /** Runs `op` unless the store is closed, tracking it so `close` can wait, wrapping driver errors. */
  function run<T>(operation: string, op: () => Promise<T>): Promise<T> {
    if (closing !== undefined) return Promise.reject(closedError(operation));
    const p = op().catch((e: unknown) => {
      throw wrapDriverError(e, label, operation);
    });
    inFlight.add(p);
    const forget = (): void => {
      inFlight.delete(p);
    };
    p.then(forget, forget);
    return p;
  }

  /** The unnest path: works on any executor and under concurrent writers. */
  async function insertUnnest(unique: readonly Reading[], keys: Int32Array): Promise<InsertOutcome> {
    return executor.transaction(async (tx) => {
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO ${table} (${READING_SELECT_LIST}, series)
SELECT id, device_id, patient_id, metric, value::double precision, unit, ts, seq, quality, series
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[], $10::integer[])
  AS r(id, device_id, patient_id, metric, value, unit, ts, seq, quality, series)
ON CONFLICT (id) DO NOTHING
RETURNING id`,
        [...readingColumns(unique), Array.from(keys)],
      );
      const insertedIds = new Set(inserted.map((row) => row.id));
      const rest = unique.filter((r) => !insertedIds.has(r.id)).map((r) => r.id);
      const rows =
        rest.length === 0
          ? []
          : await tx.query<ReadingRow>(
              `SELECT ${READING_SELECT_LIST} FROM ${table} WHERE id = ANY($1::text[])`,
              [rest],
            );
      return { insertedIds, stored: new Map(rows.map((row) => [row.id, rowToReading(row)])) };
    });
  }

  /**
   * The COPY path, optimistic: COPY the batch into the session's staging table (temporary, emptied
   * at commit) and move it into the readings table with one `INSERT ... SELECT`. When one of its
   * ids is stored already (a re-sent batch, or a concurrent writer) or repeated in the batch, the
   * insert fails with a unique violation, and the caller falls back to {@link insertUnnest}, which
   * sorts out duplicates and conflicts. New readings, the common case, cost one COPY and one insert.
   */
  async function insertCopy(readings: readonly Reading[], keys: Int32Array): Promise<void> {
    await executor.transaction(async (tx) => {
      if (tx.copyFrom === undefined) throw new TypeError('the transaction executor lacks copyFrom');
      await tx.query(stageTableDdl());
      await tx.copyFrom(`${STAGE_TABLE} (${READING_SELECT_LIST}, series)`, readingsCsv(readings, keys));
      await tx.query(
        `INSERT INTO ${table} (${READING_SELECT_LIST}, series) SELECT ${READING_SELECT_LIST}, series FROM ${STAGE_TABLE}`,
      );
    });
  }

  async function appendValid(readings: readonly Reading[]): Promise<AppendResult> {
    const keys = await series.keysOf(readings);
    if (executor.copyFrom !== undefined) {
      // Optimistic: new readings, none repeated (the common case) need no per-id bookkeeping. A
      // repeat inside the batch, or an id stored already, fails the insert with a unique violation.
      try {
        await insertCopy(readings, keys);
        return { inserted: readings.length, duplicates: 0, conflicts: [] };
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
      }
    }
    // The position of each id's first copy (positions, not objects: one object may come twice).
    const firstAt = new Map<string, number>();
    readings.forEach((r, i) => {
      if (!firstAt.has(r.id)) firstAt.set(r.id, i);
    });
    const firstIndexes = [...firstAt.values()];
    const unique = firstIndexes.map((i) => readings[i] as Reading);
    const outcome = await insertUnnest(
      unique,
      Int32Array.from(firstIndexes, (i) => keys[i] as number),
    );
    const { insertedIds, stored } = outcome;
    const wasInserted = (id: string): boolean => insertedIds.has(id);
    let inserted = 0;
    let duplicates = 0;
    const conflicts = new Set<string>();
    readings.forEach((r, i) => {
      const first = firstAt.get(r.id) as number;
      if (first === i && wasInserted(r.id)) {
        inserted += 1;
        return;
      }
      // What is stored now: the copy inserted by this batch, or the one stored before it.
      const kept = wasInserted(r.id) ? readings[first] : stored.get(r.id);
      if (kept !== undefined && sameReading(kept, r)) duplicates += 1;
      else conflicts.add(r.id);
    });
    return { inserted, duplicates, conflicts: [...conflicts] };
  }

  const store: ReadingStore = {
    async append(readings) {
      if (closing !== undefined) throw closedError('append');
      if (!Array.isArray(readings)) {
        throw new TypeError(`append() takes an array of readings, got ${typeof readings}`);
      }
      // Validate the whole batch before touching the database: one invalid reading stores nothing.
      // The guard accepts exactly what the schema does; the schema runs only to say what is wrong.
      const valid = readings.map((r, i) =>
        isReading(r) ? r : parse(Reading, 'Reading', r, `append() readings[${i}]`),
      );
      if (valid.length === 0) return { inserted: 0, duplicates: 0, conflicts: [] };
      return run('append', () => appendValid(valid));
    },

    query(query: ReadingQuery) {
      return run('query', async () => {
        const q = normaliseQuery(query);
        const params: unknown[] = [String(q.from), String(q.to)];
        const where = ['ts >= $1::bigint', 'ts < $2::bigint'];
        const filters: [string, string | undefined][] = [
          ['device_id', q.deviceId],
          ['patient_id', q.patientId],
          ['metric', q.metric],
        ];
        for (const [column, value] of filters) {
          if (value === undefined) continue;
          params.push(value);
          where.push(`${column} = $${params.length}::text`);
        }
        // By device or patient: through the series dictionary and the (series, ts) index. By
        // metric alone (most series match) or by time alone: the (ts) index.
        if (q.deviceId !== undefined || q.patientId !== undefined) {
          const bind = (value: string): string => {
            params.push(value);
            return `$${params.length}::text`;
          };
          where.push(seriesCondition(names.series, q, bind) as string);
        }
        params.push(q.limit);
        const rows = await executor.query<ReadingRow>(
          `SELECT ${READING_SELECT_LIST} FROM ${table} WHERE ${where.join(' AND ')}
ORDER BY ts, device_id, seq LIMIT $${params.length}::bigint`,
          params,
        );
        return rows.map(rowToReading);
      });
    },

    latest(query) {
      return run('latest', async () => {
        const { text, params } = latestSql(names, READING_SELECT_LIST, normaliseLatest(query));
        return (await executor.query<ReadingRow>(text, params)).map(rowToReading);
      });
    },

    aggregate: ((query: Parameters<ReadingStore['aggregate']>[0]) =>
      run('aggregate', async () => {
        const q = normaliseAggregate(query);
        const { text, params } = aggregateSql(names, q);
        const rows = await executor.transaction(async (tx) => {
          await tx.query(`SET LOCAL work_mem = '${AGGREGATE_WORK_MEM}'`);
          return tx.query<AggregateSqlRow>(text, params);
        });
        return rows.map((row) => toAggregateRow(row, q.stats)).sort((a, b) => a.bucket - b.bucket);
      })) as ReadingStore['aggregate'],

    applyRetention(policy, options) {
      try {
        // Refused before `run`, so a wrong policy is a TypeError/RangeError, not a driver error.
        checkRetentionPolicy(policy);
        checkRetentionOptions(options);
      } catch (e) {
        return Promise.reject(e);
      }
      return run('applyRetention', () => applyRetentionSql(executor, names, policy, options));
    },

    rollups(query) {
      return run('rollups', () => queryRollupsSql(executor, names, query));
    },

    count() {
      return run('count', async () => {
        const [row] = await executor.query<{ n: number | string | bigint }>(
          `SELECT count(*) AS n FROM ${table}`,
        );
        return Number(row?.n ?? 0);
      });
    },

    close() {
      closing ??= (async () => {
        await Promise.allSettled([...inFlight]);
        await options.onClose?.();
      })();
      return closing;
    },
  };
  return Object.freeze(store);
}
