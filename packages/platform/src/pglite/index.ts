/**
 * `@healthit/platform/pglite`: the embedded reading store, PGlite (real PostgreSQL compiled to
 * WASM, in-process), in memory or on disk. Needs the optional peer dependency
 * `@electric-sql/pglite` (0.5).
 * @packageDocumentation
 */
import { PGlite, type PGliteOptions } from '@electric-sql/pglite';
import type { ReadingStore } from '@healthit/core';
import { wrapDriverError } from '../sql/driver-errors.js';
import { type ReadingTableNameOptions, readingTableNames } from '../sql/names.js';
import { createSqlReadingStore } from '../sql/sql-reading-store.js';
import { type PgliteClient, pgliteExecutor } from './pglite-executor.js';

export type { PgliteClient } from './pglite-executor.js';

/** Options of {@link createPgliteReadingStore}. */
export interface PgliteReadingStoreOptions extends ReadingTableNameOptions {
  /**
   * Where the database lives when the store opens its own PGlite: a directory path (Node, created
   * if missing), `idb://name` (browser IndexedDB) or `memory://`. Default: in memory, gone on close.
   * Not allowed together with `client`.
   */
  readonly dataDir?: string;
  /**
   * A caller-owned PGlite client (`PGlite` or `PGliteWorker`) to store readings in. The store never
   * closes it: `close()` only stops the store.
   */
  readonly client?: PgliteClient;
  /**
   * Further options for the PGlite the store opens itself (e.g. `relaxedDurability`,
   * `loadDataDir` to start from a dump). Ignored with `client`.
   */
  readonly pgliteOptions?: Omit<PGliteOptions, 'dataDir'>;
  /**
   * Make the readings table `UNLOGGED` (no write-ahead log; about 1.3× faster ingest). Default:
   * true when the store opens its own PGlite in memory, where nothing outlives the process anyway
   * and no one else can reach the database; false on disk and with a caller-owned `client` (a
   * `dumpDataDir()` restores an unlogged table empty). See `SqlReadingStoreOptions.unlogged`.
   */
  readonly unlogged?: boolean;
  /** How many series keys the store caches (default 100 000); see `SqlReadingStoreOptions`. */
  readonly seriesCacheSize?: number;
}

/**
 * Opens a {@link ReadingStore} in PGlite: the embedded default of the platform's long-term store,
 * with exactly the SQL of the PostgreSQL adapter. Creates the readings table (in `schema`, default
 * `public`, named `${tablePrefix}readings`) when missing.
 *
 * A PGlite the store opened itself is closed by `close()`; a caller-owned `client` is not.
 *
 * @throws {TypeError} when both `client` and `dataDir` are given, or an option has the wrong type.
 * @throws {RangeError} when `schema` or `tablePrefix` is not a usable SQL identifier.
 * @throws {HealthItError} `store/query-failed` (or `store/unavailable`) when PGlite cannot open
 * `dataDir` or the migration fails; `config/invalid` when a table of that name has other columns.
 * @example
 * ```ts
 * import { createPgliteReadingStore } from '@healthit/platform/pglite';
 * const store = await createPgliteReadingStore({ dataDir: './data/readings' });
 * await store.append(readings);
 * const lastHour = await store.query({ from: Date.now() - 3_600_000, to: Date.now() });
 * await store.close();
 * ```
 */
export async function createPgliteReadingStore(
  options: PgliteReadingStoreOptions = {},
): Promise<ReadingStore> {
  const { client, dataDir } = options;
  if (client !== undefined && dataDir !== undefined) {
    throw new TypeError('Pass either client (a caller-owned PGlite) or dataDir, not both');
  }
  if (dataDir !== undefined && typeof dataDir !== 'string') {
    throw new TypeError(`dataDir must be a string, got ${typeof dataDir}`);
  }
  if (options.unlogged !== undefined && typeof options.unlogged !== 'boolean') {
    throw new TypeError(`unlogged must be a boolean, got ${typeof options.unlogged}`);
  }
  const label = 'PGlite reading store';
  const names = {
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.tablePrefix === undefined ? {} : { tablePrefix: options.tablePrefix }),
  };
  readingTableNames(names); // fail on a bad name before opening anything
  const cache = options.seriesCacheSize === undefined ? {} : { seriesCacheSize: options.seriesCacheSize };
  if (client !== undefined) {
    if (typeof client.query !== 'function' || typeof client.transaction !== 'function') {
      throw new TypeError('client must be a PGlite client with query() and transaction()');
    }
    return createSqlReadingStore(pgliteExecutor(client), {
      ...names,
      label,
      unlogged: options.unlogged ?? false,
      ...cache,
    });
  }

  let own: PGlite;
  try {
    own = await PGlite.create({ ...options.pgliteOptions, ...(dataDir === undefined ? {} : { dataDir }) });
  } catch (e) {
    throw wrapDriverError(e, label, `open ${dataDir ?? 'in-memory database'}`);
  }
  try {
    const inMemory = dataDir === undefined || dataDir.startsWith('memory://');
    return await createSqlReadingStore(pgliteExecutor(own), {
      ...names,
      label,
      unlogged: options.unlogged ?? inMemory,
      ...cache,
      onClose: () => own.close(),
    });
  } catch (e) {
    await own.close().catch(() => undefined);
    throw e;
  }
}
