import { HealthItError } from '@healthit/core';
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import { MAX_ENTRY_BYTES } from '../../entries/index.js';
import { LedgerIntegrityError } from '../../errors.js';
import { createMemoryTreeStorage, HASH_LENGTH, type TreeStorage } from '../../merkle/index.js';
import { createSerialQueue } from '../../serial-queue.js';
import type { LogStorage } from '../storage.js';
import { createEntryArena } from './entry-arena.js';
import { type LogTableNameOptions, type LogTableNames, logTableNames } from './names.js';
import { codeOf, type PgEndpoint, UNIQUE_VIOLATION, wrapPgError } from './pg-errors.js';
import { inTransaction } from './pg-transaction.js';
import { migrateLogTables } from './schema.js';

/** Options of {@link openPostgresLogStorage}: exactly one of `pool` or `connectionString`. */
export interface PostgresLogStorageOptions extends LogTableNameOptions {
  /**
   * Which log of the tables this storage holds (1-200 characters; the log's origin is the natural
   * choice). Several logs share one set of tables, each row keyed by its log id.
   */
  readonly logId: string;
  /** A caller-owned `pg` pool. The storage never ends it: `close()` only stops the storage. */
  readonly pool?: Pool;
  /**
   * A connection string, e.g. `postgres://ledger@db.example:5432/ledger`. The storage opens its own
   * pool from it (and `poolConfig`) and ends that pool on `close()`.
   */
  readonly connectionString?: string;
  /**
   * Further settings of the pool the storage opens itself. Defaults: `max` 2 (writes run one at a
   * time), `connectionTimeoutMillis` 10 000 (an unreachable server fails instead of waiting).
   */
  readonly poolConfig?: Omit<PoolConfig, 'connectionString'>;
  /**
   * The most entries the storage holds (default 1 048 576): all are loaded into memory at open
   * (see the memory cost in docs/ledger/storage.md). Opening a larger log, or appending past it,
   * fails with a `RangeError`.
   */
  readonly maxEntries?: number;
}

/** A {@link LogStorage} in PostgreSQL (see {@link openPostgresLogStorage}). */
export interface PostgresLogStorage extends LogStorage {
  /** The log id its rows carry. */
  readonly logId: string;
  /** The tables, quoted and schema-qualified. */
  readonly tables: LogTableNames;
  /** Writes pending tree nodes, then ends the pool when the storage opened it. Idempotent; later writes reject. */
  close(): Promise<void>;
}

/** Rows fetched per round trip when loading a log (entries are at most 64 KiB: ≤ 64 MiB a page). */
const PAGE_ROWS = 1_000;
const MAX_LOG_ID_LENGTH = 200;

/** Node count one leaf append at `index` completes: 1 + the trailing one bits of `index`. */
function nodesAt(index: number): number {
  let k = 1;
  for (let i = index; i % 2 === 1; i = (i - 1) / 2) k++;
  return k;
}

/** Entry bytes per INSERT statement (sent hex-encoded, so twice this on the wire). */
const STATEMENT_BYTES = 8 << 20;

/** Splits a batch into [offset, entries] parts of at most {@link STATEMENT_BYTES} (one transaction still). */
function statementParts(batch: readonly Uint8Array[]): [number, readonly Uint8Array[]][] {
  const parts: [number, readonly Uint8Array[]][] = [];
  let start = 0;
  let bytes = 0;
  batch.forEach((entry, i) => {
    if (i > start && bytes + entry.length > STATEMENT_BYTES) {
      parts.push([start, batch.slice(start, i)]);
      start = i;
      bytes = 0;
    }
    bytes += entry.length;
  });
  if (start < batch.length) parts.push([start, batch.slice(start)]);
  return parts;
}

function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function endpointOf(config: PoolConfig): PgEndpoint {
  // pg's own parser (connection string, then PG* environment variables, then defaults); a Client
  // that is never connected opens no socket.
  const client = new Client(config);
  return { host: client.host, port: client.port, database: client.database ?? '' };
}

function validate(options: PostgresLogStorageOptions): { names: LogTableNames; maxEntries: number } {
  const { pool, connectionString, logId } = options ?? ({} as PostgresLogStorageOptions);
  if ((pool === undefined) === (connectionString === undefined)) {
    throw new TypeError('Pass exactly one of pool (a caller-owned pg Pool) or connectionString');
  }
  if (pool !== undefined && (typeof pool.query !== 'function' || typeof pool.connect !== 'function')) {
    throw new TypeError('pool must be a pg Pool');
  }
  if (connectionString !== undefined && typeof connectionString !== 'string') {
    throw new TypeError(`connectionString must be a string, got ${typeof connectionString}`);
  }
  if (typeof logId !== 'string') throw new TypeError(`logId must be a string, got ${typeof logId}`);
  if (logId.length === 0 || logId.length > MAX_LOG_ID_LENGTH || logId.includes('\0')) {
    throw new RangeError(
      `logId must be 1-${MAX_LOG_ID_LENGTH} characters without NUL, got ${JSON.stringify(logId)}`,
    );
  }
  const maxEntries = options.maxEntries ?? 1_048_576;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive safe integer, got ${maxEntries}`);
  }
  const names = logTableNames({
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    ...(options.tablePrefix === undefined ? {} : { tablePrefix: options.tablePrefix }),
  });
  return { names, maxEntries };
}

interface Loaded {
  readonly entries: ReturnType<typeof createEntryArena>;
  readonly tree: TreeStorage;
  readonly checkpoint: string | undefined;
}

/**
 * Runs `sql` through a cursor in `tx` and hands each row to `onRow`, {@link PAGE_ROWS} rows per
 * round trip: one query whatever the plan (keyset pages would re-sort the rest of the table on each
 * page while the planner has no statistics), at most one page in memory.
 */
async function scan<R extends object>(
  tx: PoolClient,
  sql: string,
  params: readonly unknown[],
  onRow: (row: R) => void,
): Promise<void> {
  await tx.query(`DECLARE tlog_load NO SCROLL CURSOR FOR ${sql}`, [...params]);
  for (;;) {
    const { rows } = await tx.query<R>(`FETCH ${PAGE_ROWS} FROM tlog_load`);
    for (const row of rows) onRow(row);
    if (rows.length < PAGE_ROWS) break;
  }
  await tx.query('CLOSE tlog_load');
}

/**
 * Loads a log in one REPEATABLE READ snapshot (so a writer appending meanwhile cannot make the tree
 * look ahead of the entries), page by page through a cursor.
 * @throws {LedgerIntegrityError} `truncated` when an index is missing in the middle, `malformed`
 *   for a tree row of the wrong size; {RangeError} when the log holds more than `maxEntries`.
 */
async function load(pool: Pool, names: LogTableNames, logId: string, maxEntries: number): Promise<Loaded> {
  return inTransaction(pool, async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const entries = createEntryArena();
    await scan<{ idx: string; bytes: Buffer }>(
      tx,
      `SELECT idx, bytes FROM ${names.entries} WHERE log_id = $1 ORDER BY idx`,
      [logId],
      (row) => {
        const index = entries.length;
        if (Number(row.idx) !== index) {
          throw new LedgerIntegrityError(
            'ledger/integrity',
            `Log "${logId}" in ${names.entries} has no entry ${index} but has entry ${row.idx}: entries were removed`,
            { reason: 'truncated', index, expected: `entry ${index}`, actual: `entry ${row.idx}` },
          );
        }
        if (index >= maxEntries) {
          throw new RangeError(
            `Log "${logId}" holds more than maxEntries (${maxEntries}) entries: open it with a larger maxEntries`,
          );
        }
        entries.push(row.bytes);
      },
    );
    const tree = createMemoryTreeStorage({ maxLeaves: maxEntries });
    await scan<{ leaf: string; hashes: Buffer }>(
      tx,
      `SELECT leaf, hashes FROM ${names.tree} WHERE log_id = $1 ORDER BY leaf`,
      [logId],
      (row) => {
        const leaf = tree.count(0);
        const expected = nodesAt(leaf) * HASH_LENGTH;
        if (Number(row.leaf) !== leaf || row.hashes.length !== expected) {
          throw new LedgerIntegrityError(
            'ledger/integrity',
            `Log "${logId}" in ${names.tree}: expected leaf ${leaf} with ${expected} bytes of node hashes, ` +
              `found leaf ${row.leaf} with ${row.hashes.length}: the tree rows were changed`,
            {
              reason: 'malformed',
              index: leaf,
              expected: `leaf ${leaf}, ${expected} bytes`,
              actual: `leaf ${row.leaf}, ${row.hashes.length} bytes`,
            },
          );
        }
        const hashes: Uint8Array[] = [];
        for (let at = 0; at < expected; at += HASH_LENGTH) {
          hashes.push(row.hashes.subarray(at, at + HASH_LENGTH)); // copied by the tree storage
        }
        tree.append(hashes);
      },
    );
    const found = await tx.query<{ note: string }>(
      `SELECT note FROM ${names.checkpoints} WHERE log_id = $1`,
      [logId],
    );
    return { entries, tree, checkpoint: found.rows[0]?.note };
  });
}

/**
 * Opens (or creates) a transparency log's storage in PostgreSQL (Node only, needs the optional
 * peer dependency `pg` 8). Creates the schema and the tables `<prefix>entries` (one row per entry,
 * primary key (log id, index)), `<prefix>tree` (one row per leaf: the node hashes its append
 * completed), `<prefix>checkpoints` (one row per log) and `<prefix>meta` (the schema version) when
 * missing, serialised by an advisory lock. Several logs share the tables, told apart by `logId`.
 *
 * The whole log is loaded at open, in one snapshot, and kept as a write-through cache, because the
 * port's reads are synchronous. Every write is one transaction: `appendEntries` stores its batch
 * all or nothing (with the tree nodes of the previous batch), `writeCheckpoint` replaces the log's
 * checkpoint row (with pending tree nodes). The primary keys refuse an index that is already
 * stored, so two writers can never reuse an index: the loser's batch rejects with a `RangeError`
 * and stores nothing. Tree nodes reach the database after their entries; a crash in between leaves
 * entries the tree does not cover, which the log re-hashes when it reopens.
 *
 * @throws {TypeError} when neither or both of `pool` and `connectionString` are given.
 * @throws {RangeError} for a bad `logId`, `schema`, `tablePrefix` or `maxEntries`, or a log larger
 *   than `maxEntries`.
 * @throws {HealthItError} `store/unavailable` (retryable) naming host and port when PostgreSQL
 *   cannot be reached; `store/query-failed` when a statement is refused; `config/invalid` when
 *   tables of those names are not log tables of this version.
 * @throws {LedgerIntegrityError} when rows were removed from the middle of the log or tree rows changed.
 * @example
 * ```ts
 * import { openPostgresLogStorage } from '@healthit/ledger/postgres';
 * const storage = await openPostgresLogStorage({
 *   connectionString: process.env.DATABASE_URL ?? 'postgres://ledger@localhost:5432/ledger',
 *   logId: 'ledger.example.org/cold-chain',
 * });
 * const log = createTransparencyLog({ ...options, storage });
 * // ...
 * await log.close();
 * await storage.close(); // ends the pool it opened
 * ```
 */
export async function openPostgresLogStorage(
  options: PostgresLogStorageOptions,
): Promise<PostgresLogStorage> {
  const { names, maxEntries } = validate(options);
  const { logId } = options;
  const where = `PostgreSQL log storage "${logId}"`;
  const owned = options.pool === undefined;
  const pool =
    options.pool ??
    new Pool({
      max: 2,
      connectionTimeoutMillis: 10_000,
      ...options.poolConfig,
      connectionString: options.connectionString as string,
    });
  // An idle client that loses its connection makes the pool emit 'error'; unhandled, that would
  // crash the process. The pool drops that client and the next write reports the outage.
  if (owned) pool.on('error', () => undefined);
  const endpoint = endpointOf(pool.options);

  let loaded: Loaded;
  try {
    await migrateLogTables(pool, names);
    loaded = await load(pool, names, logId, maxEntries);
  } catch (error) {
    if (owned) await pool.end().catch(() => undefined);
    throw wrapPgError(error, endpoint, where, `open the log in ${names.schema}.${names.prefix}*`);
  }
  const { entries, tree: memoryTree } = loaded;
  let checkpoint = loaded.checkpoint;
  let pendingTree: { leaf: number; hashes: Uint8Array }[] = [];
  const queue = createSerialQueue();
  let closed = false;

  const tree: TreeStorage = {
    count: (level) => memoryTree.count(level),
    get: (level, index) => memoryTree.get(level, index),
    append(hashes) {
      const leaf = memoryTree.count(0);
      memoryTree.append(hashes);
      const record = new Uint8Array(hashes.length * HASH_LENGTH);
      hashes.forEach((h, i) => {
        record.set(h, i * HASH_LENGTH);
      });
      pendingTree.push({ leaf, hashes: record });
    },
  };

  function checkOpen(): void {
    if (closed) throw new HealthItError('store/closed', `${where} is closed`);
  }

  /** Inserts the pending tree rows in `tx`; returns how many, to drop them once committed. */
  async function insertTree(tx: PoolClient): Promise<number> {
    const records = pendingTree;
    if (records.length === 0) return 0;
    await tx.query(
      `INSERT INTO ${names.tree} (log_id, leaf, hashes)
       SELECT $1, t.leaf, t.hashes FROM unnest($2::bigint[], $3::bytea[]) AS t(leaf, hashes)`,
      [logId, records.map((r) => r.leaf), records.map((r) => bufferOf(r.hashes))],
    );
    return records.length;
  }

  function committedTree(count: number): void {
    pendingTree = pendingTree.slice(count);
  }

  function writeError(error: unknown, operation: string): Error {
    if (codeOf(error) === UNIQUE_VIOLATION) {
      return new RangeError(
        `${operation}: another writer already stored an index of log "${logId}" in ${names.schema}.${names.prefix}* ` +
          '(an index is never written twice): nothing was written; reopen the storage to continue after it',
        { cause: error },
      );
    }
    return wrapPgError(error, endpoint, where, operation);
  }

  return {
    logId,
    tables: names,
    tree,
    entryCount: () => entries.length,
    entry: (index) => entries.get(index),
    appendEntries(first, batch) {
      return queue.run(async () => {
        checkOpen();
        if (first !== entries.length) {
          throw new RangeError(
            `appendEntries: first must be ${entries.length} (the entry count), got ${first}`,
          );
        }
        if (entries.length + batch.length > maxEntries) {
          throw new RangeError(`The log storage is full (maxEntries ${maxEntries}): nothing was appended`);
        }
        for (const bytes of batch) {
          if (!(bytes instanceof Uint8Array))
            throw new TypeError('appendEntries: entries must be Uint8Arrays');
          if (bytes.length === 0 || bytes.length > MAX_ENTRY_BYTES) {
            throw new RangeError(`entries must be 1..${MAX_ENTRY_BYTES} bytes, got ${bytes.length}`);
          }
        }
        if (batch.length === 0) return;
        const operation = `append entries ${first}..${first + batch.length - 1}`;
        let treeRows = 0;
        try {
          await inTransaction(pool, async (tx) => {
            treeRows = await insertTree(tx);
            for (const [offset, part] of statementParts(batch)) {
              await tx.query(
                `INSERT INTO ${names.entries} (log_id, idx, bytes)
                 SELECT $1, $2::bigint + t.ord - 1, t.bytes FROM unnest($3::bytea[]) WITH ORDINALITY AS t(bytes, ord)`,
                [logId, first + offset, part.map(bufferOf)],
              );
            }
          });
        } catch (error) {
          throw writeError(error, operation);
        }
        committedTree(treeRows);
        for (const bytes of batch) entries.push(bytes);
      });
    },
    latestCheckpoint: () => checkpoint,
    writeCheckpoint(note) {
      return queue.run(async () => {
        checkOpen();
        if (typeof note !== 'string' || note.includes('\0')) {
          throw new TypeError('writeCheckpoint: note must be a string without NUL');
        }
        let treeRows = 0;
        try {
          await inTransaction(pool, async (tx) => {
            treeRows = await insertTree(tx);
            await tx.query(
              `INSERT INTO ${names.checkpoints} (log_id, note) VALUES ($1, $2)
               ON CONFLICT (log_id) DO UPDATE SET note = EXCLUDED.note, updated_at = now()`,
              [logId, note],
            );
          });
        } catch (error) {
          throw writeError(error, 'write the checkpoint');
        }
        committedTree(treeRows);
        checkpoint = note;
      });
    },
    close() {
      return queue.run(async () => {
        if (closed) return;
        closed = true;
        try {
          if (pendingTree.length > 0) {
            let treeRows = 0;
            await inTransaction(pool, async (tx) => {
              treeRows = await insertTree(tx);
            }).catch((error: unknown) => {
              throw writeError(error, 'write pending tree nodes');
            });
            committedTree(treeRows);
          }
        } finally {
          if (owned) await pool.end();
        }
      });
    },
  };
}
