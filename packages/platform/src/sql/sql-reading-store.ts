import {
  type AppendResult,
  HealthItError,
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

/** SQLSTATE of a unique violation: a concurrent writer stored one of the ids being copied. */
const UNIQUE_VIOLATION = '23505';

function isUniqueViolation(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === UNIQUE_VIOLATION;
}

/** Options of {@link createSqlReadingStore}. */
export interface SqlReadingStoreOptions extends ReadingTableNameOptions {
  /** Names the store in error messages, e.g. `PGlite reading store` (default `SQL reading store`). */
  readonly label?: string;
  /** Create the schema, table and indexes if missing (default true). */
  readonly migrate?: boolean;
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
 * - `append` validates every reading with core's `Reading` schema first, then, in one
 *   transaction: when the executor has `copyFrom`, it `COPY`s the batch (its first copy of each
 *   id) straight into the table; if one of the ids is stored already (a re-sent batch, or a
 *   concurrent writer), the COPY fails with a unique violation and the batch is written the other
 *   way: `INSERT ... SELECT FROM unnest(...) ON CONFLICT (id) DO NOTHING RETURNING id` (the only
 *   way without `copyFrom`). For ids not inserted it
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
  async function insertUnnest(
    unique: readonly Reading[],
  ): Promise<{ insertedIds: ReadonlySet<string>; stored: Map<string, Reading> }> {
    return executor.transaction(async (tx) => {
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO ${table} (${READING_SELECT_LIST})
SELECT id, device_id, patient_id, metric, value::double precision, unit, ts, seq, quality
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::text[])
  AS r(id, device_id, patient_id, metric, value, unit, ts, seq, quality)
ON CONFLICT (id) DO NOTHING
RETURNING id`,
        readingColumns(unique),
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
   * The COPY path, optimistic: COPY the batch straight into the table. When one of its ids is
   * stored already (a re-sent batch, or a concurrent writer) the COPY fails with a unique
   * violation, and the caller falls back to {@link insertUnnest}, which sorts out duplicates and
   * conflicts. New readings, the common case, cost one COPY and nothing else.
   */
  async function insertCopy(
    unique: readonly Reading[],
  ): Promise<{ insertedIds: ReadonlySet<string>; stored: Map<string, Reading> }> {
    await executor.transaction(async (tx) => {
      if (tx.copyFrom === undefined) throw new TypeError('the transaction executor lacks copyFrom');
      await tx.copyFrom(`${table} (${READING_SELECT_LIST})`, readingsCsv(unique));
    });
    return { insertedIds: new Set(unique.map((r) => r.id)), stored: new Map() };
  }

  async function appendValid(readings: readonly Reading[]): Promise<AppendResult> {
    const firsts = new Map<string, Reading>();
    for (const r of readings) if (!firsts.has(r.id)) firsts.set(r.id, r);
    const unique = [...firsts.values()];
    let outcome: { insertedIds: ReadonlySet<string>; stored: Map<string, Reading> };
    if (executor.copyFrom === undefined) outcome = await insertUnnest(unique);
    else {
      try {
        outcome = await insertCopy(unique);
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        outcome = await insertUnnest(unique);
      }
    }
    const { insertedIds, stored } = outcome;
    let inserted = 0;
    let duplicates = 0;
    const conflicts = new Set<string>();
    for (const r of readings) {
      const first = firsts.get(r.id);
      if (first === r && insertedIds.has(r.id)) {
        inserted += 1;
        continue;
      }
      // What is stored now: the copy inserted by this batch, or the one stored before it.
      const kept = insertedIds.has(r.id) ? first : stored.get(r.id);
      if (kept !== undefined && sameReading(kept, r)) duplicates += 1;
      else conflicts.add(r.id);
    }
    return { inserted, duplicates, conflicts: [...conflicts] };
  }

  const store: ReadingStore = {
    async append(readings) {
      if (closing !== undefined) throw closedError('append');
      if (!Array.isArray(readings)) {
        throw new TypeError(`append() takes an array of readings, got ${typeof readings}`);
      }
      // Validate the whole batch before touching the database: one invalid reading stores nothing.
      const valid = readings.map((r, i) => parse(Reading, 'Reading', r, `append() readings[${i}]`));
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
        const { text, params } = latestSql(table, READING_SELECT_LIST, normaliseLatest(query));
        return (await executor.query<ReadingRow>(text, params)).map(rowToReading);
      });
    },

    aggregate: ((query: Parameters<ReadingStore['aggregate']>[0]) =>
      run('aggregate', async () => {
        const q = normaliseAggregate(query);
        const { text, params } = aggregateSql(table, q);
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
