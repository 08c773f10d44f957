/**
 * `@healthit/platform/postgres`: the scale-out reading store, PostgreSQL through `pg`
 * (node-postgres), with exactly the SQL of the PGlite adapter. Needs the optional peer dependency
 * `pg` (8). Requires PostgreSQL 12 or later (exact `double precision` text output).
 * @packageDocumentation
 */
import type { ReadingStore } from '@healthit/core';
import { Pool, type PoolConfig } from 'pg';
import { type ReadingTableNameOptions, readingTableNames } from '../sql/names.js';
import { createSqlReadingStore } from '../sql/sql-reading-store.js';
import { pgExecutor } from './pg-executor.js';

/** Options of {@link createPostgresReadingStore}: exactly one of `pool` or `connectionString`. */
export interface PostgresReadingStoreOptions extends ReadingTableNameOptions {
  /** A caller-owned `pg` pool. The store never ends it: `close()` only stops the store. */
  readonly pool?: Pool;
  /**
   * A connection string, e.g. `postgres://user@db.example:5432/iomt`. The store opens its own pool
   * from it (and `poolConfig`) and ends that pool on `close()`.
   */
  readonly connectionString?: string;
  /**
   * Further settings for the pool the store opens itself (size, timeouts, TLS). Default
   * `connectionTimeoutMillis` is 10 000, so an unreachable server fails instead of waiting forever.
   */
  readonly poolConfig?: Omit<PoolConfig, 'connectionString'>;
  /**
   * Make the readings table `UNLOGGED` (default false): faster ingest, but PostgreSQL empties the
   * table after a crash and replicas do not get it. See `SqlReadingStoreOptions.unlogged`.
   */
  readonly unlogged?: boolean;
  /** How many series keys the store caches (default 100 000); see `SqlReadingStoreOptions`. */
  readonly seriesCacheSize?: number;
}

/**
 * Opens a {@link ReadingStore} in PostgreSQL: the scale-out implementation of the platform's
 * long-term store (works with TimescaleDB and Citus too). Creates the schema, the readings table
 * (`${tablePrefix}readings`) and its indexes when missing, serialised by an advisory lock so several
 * platform processes can start at once.
 *
 * @throws {TypeError} when neither or both of `pool` and `connectionString` are given.
 * @throws {RangeError} when `schema` or `tablePrefix` is not a usable SQL identifier.
 * @throws {HealthItError} `store/unavailable` (retryable) when the server cannot be reached;
 * `store/query-failed` when the migration is refused (e.g. no CREATE privilege); `config/invalid`
 * when a table of that name has other columns.
 * @example
 * ```ts
 * import { createPostgresReadingStore } from '@healthit/platform/postgres';
 * const store = await createPostgresReadingStore({
 *   connectionString: process.env.DATABASE_URL,
 *   schema: 'iomt',
 * });
 * await store.append(readings);
 * await store.close(); // ends the pool it opened
 * ```
 */
export async function createPostgresReadingStore(
  options: PostgresReadingStoreOptions,
): Promise<ReadingStore> {
  const { pool, connectionString } = options ?? {};
  if ((pool === undefined) === (connectionString === undefined)) {
    throw new TypeError('Pass exactly one of pool (a caller-owned pg Pool) or connectionString');
  }
  const names = {
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.tablePrefix === undefined ? {} : { tablePrefix: options.tablePrefix }),
  };
  readingTableNames(names); // fail on a bad name before connecting
  const label = 'PostgreSQL reading store';
  if (options.unlogged !== undefined && typeof options.unlogged !== 'boolean') {
    throw new TypeError(`unlogged must be a boolean, got ${typeof options.unlogged}`);
  }
  const settings = {
    unlogged: options.unlogged ?? false,
    ...(options.seriesCacheSize === undefined ? {} : { seriesCacheSize: options.seriesCacheSize }),
  };
  if (pool !== undefined) {
    if (typeof pool.query !== 'function' || typeof pool.connect !== 'function') {
      throw new TypeError('pool must be a pg Pool');
    }
    return createSqlReadingStore(pgExecutor(pool), { ...names, label, ...settings });
  }
  if (typeof connectionString !== 'string') {
    throw new TypeError(`connectionString must be a string, got ${typeof connectionString}`);
  }
  const own = new Pool({ connectionTimeoutMillis: 10_000, ...options.poolConfig, connectionString });
  // An idle client that loses its connection makes the pool emit 'error'; unhandled, that would
  // crash the process. The pool drops that client, and the next operation reports the outage
  // (as store/unavailable), so there is nothing more to do here.
  own.on('error', () => undefined);
  try {
    return await createSqlReadingStore(pgExecutor(own), {
      ...names,
      label,
      ...settings,
      onClose: () => own.end(),
    });
  } catch (e) {
    await own.end().catch(() => undefined);
    throw e;
  }
}
