import { HealthItError, isHealthItError } from '@healthit/core';
import Database from 'better-sqlite3';
import type { Outbox, OutboxAppendResult, OutboxEntry, OutboxStats } from '../uplink/outbox.js';
import {
  assertOutboxBounds,
  OUTBOX_ENTRY_OVERHEAD_BYTES,
  type OutboxBounds,
  outboxEntryBytes,
  planRefuseNew,
  shedPriorityOf,
} from '../uplink/outbox-policy.js';
import type { UplinkRecord, UplinkRecordKind } from '../uplink/uplink.js';

/** The schema version this code writes and reads. */
export const SQLITE_OUTBOX_SCHEMA_VERSION = 1;

/** Options of {@link createSqliteOutbox}. */
export interface SqliteOutboxOptions extends OutboxBounds {
  /** The database file (created when missing), or `':memory:'` for tests. */
  readonly path: string;
  /**
   * `normal` (default): WAL with `synchronous=NORMAL` — a committed append survives the process
   * being killed (SIGKILL, crash), but the last transactions may be lost on power loss or an OS
   * crash. `full`: WAL with `synchronous=FULL` — every append is fsynced before it returns, so it
   * also survives power loss, at the cost of one fsync per append call.
   */
  readonly synchronous?: 'normal' | 'full';
  /** How long to wait for a lock held by another connection before failing (default 5 000 ms). */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  position INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  priority INTEGER NOT NULL,
  payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox_counters (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  last_position INTEGER NOT NULL,
  appended INTEGER NOT NULL,
  acknowledged INTEGER NOT NULL,
  refused INTEGER NOT NULL,
  shed INTEGER NOT NULL
);
INSERT OR IGNORE INTO outbox_counters VALUES (1, 0, 0, 0, 0, 0);
`;

/** Records per multi-row INSERT statement (6 parameters each; SQLite allows 32 766). */
const INSERT_CHUNK = 64;

interface Counters {
  lastPosition: number;
  appended: number;
  acknowledged: number;
  refused: number;
  shed: number;
}

interface Row {
  position: number;
  id: string;
  kind: UplinkRecordKind;
  key: string;
  payload: Uint8Array;
}

function wrap<T>(operation: string, path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isHealthItError(e)) throw e;
    const code = (e as { code?: unknown } | null)?.code;
    const busy = code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
    throw new HealthItError(
      busy ? 'store/unavailable' : 'store/query-failed',
      `SQLite outbox ${path}: ${operation} failed: ${(e as Error).message}` +
        (busy ? ' (is another process using this outbox file?)' : ''),
      { cause: e, detail: { path, operation, sqliteCode: typeof code === 'string' ? code : undefined } },
    );
  }
}

/**
 * A durable {@link Outbox} in one SQLite file (better-sqlite3, an optional peer dependency).
 *
 * - **Durability.** WAL journal; every `append` and `ack` is one transaction with prepared
 *   statements, so a batch costs one commit. With the default `synchronous: 'normal'` a returned
 *   `append` survives a process kill (SIGKILL, OOM, crash) — the WAL is in the OS page cache —
 *   but not necessarily a power loss or kernel crash; `synchronous: 'full'` fsyncs each commit.
 * - **Replay.** Reopening the file continues from the first unacknowledged position; positions
 *   keep increasing across restarts (the last one is stored even when the table is empty).
 * - **Bounds.** Pending bytes are payload bytes plus `OUTBOX_ENTRY_OVERHEAD_BYTES` per record
 *   (not the file size: SQLite reuses freed pages, and the file does not shrink). Policies as in
 *   {@link OutboxWhenFull}; alerts are never refused or shed.
 * - **Counters** (`appended`, `acknowledged`, `refused`, `shed`) are stored with the data and
 *   survive restarts.
 * - **One writer.** The outbox keeps its counters in memory: open a file from one process and one
 *   outbox at a time.
 *
 * @throws {TypeError} / {RangeError} for invalid options.
 * @throws {HealthItError} `config/invalid` when the file has an unknown schema version;
 *   `store/query-failed` or `store/unavailable` (locked) when SQLite fails.
 *
 * @example
 * ```ts
 * import { createSqliteOutbox } from '@healthit/gateway/outbox';
 *
 * const outbox = createSqliteOutbox({ path: '/var/lib/gateway/outbox.db', maxBytes: 512 * 2 ** 20,
 *   whenFull: 'shed-oldest-readings' });
 * outbox.append(records); // one transaction; stored when it returns
 * ```
 */
export function createSqliteOutbox(options: SqliteOutboxOptions): Outbox {
  assertOutboxBounds(options);
  const { path, maxBytes, whenFull } = options;
  const synchronous = options.synchronous ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new TypeError(`outbox synchronous must be 'normal' or 'full', got ${String(synchronous)}`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`outbox busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  }

  const db = wrap('open', path, () => new Database(path));
  try {
    return openOutbox(db, path, maxBytes, whenFull, synchronous, busyTimeoutMs);
  } catch (e) {
    db.close();
    throw e;
  }
}

function openOutbox(
  db: Database.Database,
  path: string,
  maxBytes: number,
  whenFull: OutboxBounds['whenFull'],
  synchronous: 'normal' | 'full',
  busyTimeoutMs: number,
): Outbox {
  wrap('open', path, () => {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.transaction(() => {
      db.exec(SCHEMA);
      const version = db.prepare('SELECT version FROM outbox_schema').pluck().get() as number | undefined;
      if (version === undefined) {
        db.prepare('INSERT INTO outbox_schema (version) VALUES (?)').run(SQLITE_OUTBOX_SCHEMA_VERSION);
      } else if (version !== SQLITE_OUTBOX_SCHEMA_VERSION) {
        throw new HealthItError(
          'config/invalid',
          `SQLite outbox ${path} has schema version ${version}; this version of @healthit/gateway reads ` +
            `version ${SQLITE_OUTBOX_SCHEMA_VERSION}. Drain it with the version that wrote it, or use a new file.`,
          { detail: { path, version, supported: SQLITE_OUTBOX_SCHEMA_VERSION } },
        );
      }
    }).immediate();
  });

  // Multi-row INSERTs: one native call per INSERT_CHUNK records instead of one per record.
  const inserts = new Map<number, Database.Statement>();
  const insertStatement = (rows: number): Database.Statement => {
    let statement = inserts.get(rows);
    if (statement === undefined) {
      statement = db.prepare(
        `INSERT INTO outbox (position, id, kind, key, priority, payload) VALUES ${Array(rows).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`,
      );
      inserts.set(rows, statement);
    }
    return statement;
  };
  const saveCounters = db.prepare(
    'UPDATE outbox_counters SET last_position = ?, appended = ?, acknowledged = ?, refused = ?, shed = ? ' +
      'WHERE singleton = 1',
  );
  const selectPeek = db.prepare<[number], Row>(
    'SELECT position, id, kind, key, payload FROM outbox ORDER BY position LIMIT ?',
  );
  const selectUpTo = db.prepare<[number], { n: number; bytes: number }>(
    'SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS bytes FROM outbox WHERE position <= ?',
  );
  const deleteUpTo = db.prepare('DELETE FROM outbox WHERE position <= ?');
  const selectShedCandidates = db.prepare<[number], { position: number; bytes: number }>(
    'SELECT position, length(payload) AS bytes FROM outbox WHERE priority = ? ORDER BY position',
  );
  const deleteShed = db.prepare('DELETE FROM outbox WHERE priority = ? AND position <= ?');

  const loaded = wrap('open', path, () => {
    const c = db
      .prepare(
        'SELECT last_position AS lastPosition, appended, acknowledged, refused, shed FROM outbox_counters',
      )
      .get() as Counters;
    const p = db
      .prepare('SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS bytes FROM outbox')
      .get() as { n: number; bytes: number };
    const maxPosition = db.prepare('SELECT max(position) FROM outbox').pluck().get() as number | null;
    return { counters: c, pending: p.n, payloadBytes: p.bytes, maxPosition: maxPosition ?? 0 };
  });
  let counters: Counters = { ...loaded.counters };
  counters.lastPosition = Math.max(counters.lastPosition, loaded.maxPosition);
  let pending = loaded.pending;
  let pendingBytes = loaded.payloadBytes + pending * OUTBOX_ENTRY_OVERHEAD_BYTES;
  let closed = false;

  function persist(c: Counters): void {
    saveCounters.run(c.lastPosition, c.appended, c.acknowledged, c.refused, c.shed);
  }

  function insertAll(records: readonly UplinkRecord[], c: Counters): number {
    let bytes = 0;
    for (let start = 0; start < records.length; start += INSERT_CHUNK) {
      const rows = Math.min(INSERT_CHUNK, records.length - start);
      const params: unknown[] = new Array(rows * 6);
      for (let i = 0; i < rows; i++) {
        const r = records[start + i]!;
        const k = i * 6;
        params[k] = ++c.lastPosition;
        params[k + 1] = r.id;
        params[k + 2] = r.kind;
        params[k + 3] = r.key;
        params[k + 4] = shedPriorityOf(r.kind);
        params[k + 5] = r.payload;
        bytes += outboxEntryBytes(r);
      }
      insertStatement(rows).run(params);
    }
    c.appended += records.length;
    return bytes;
  }

  /** Deletes readings, then other non-alert records, oldest first, until `bytes` fit. */
  function shedToFit(bytes: number): { shed: number; bytes: number } {
    let shed = 0;
    let left = bytes;
    for (const priority of [0, 1]) {
      if (left <= maxBytes) break;
      let cutoff = -1;
      for (const row of selectShedCandidates.iterate(priority)) {
        cutoff = row.position;
        left -= row.bytes + OUTBOX_ENTRY_OVERHEAD_BYTES;
        shed++;
        if (left <= maxBytes) break;
      }
      if (cutoff >= 0) deleteShed.run(priority, cutoff);
    }
    return { shed, bytes: left };
  }

  const appendTx = db.transaction(
    (
      records: readonly UplinkRecord[],
    ): OutboxAppendResult & {
      counters: Counters;
      pending: number;
      pendingBytes: number;
    } => {
      const c = { ...counters };
      if (whenFull === 'refuse-new') {
        const plan = planRefuseNew(records, maxBytes - pendingBytes);
        const bytes = insertAll(plan.stored, c);
        c.refused += plan.refused.length;
        persist(c);
        return {
          accepted: plan.stored.length,
          refused: plan.refused,
          shed: 0,
          counters: c,
          pending: pending + plan.stored.length,
          pendingBytes: pendingBytes + bytes,
        };
      }
      let bytes = pendingBytes + insertAll(records, c);
      let shed = 0;
      if (bytes > maxBytes) {
        const r = shedToFit(bytes);
        shed = r.shed;
        bytes = r.bytes;
        c.shed += shed;
      }
      persist(c);
      return {
        accepted: records.length,
        refused: [],
        shed,
        counters: c,
        pending: pending + records.length - shed,
        pendingBytes: bytes,
      };
    },
  );

  const ackTx = db.transaction((position: number): { n: number; bytes: number } => {
    const r = selectUpTo.get(position) ?? { n: 0, bytes: 0 };
    if (r.n === 0) return r;
    deleteUpTo.run(position);
    persist({ ...counters, acknowledged: counters.acknowledged + r.n });
    return r;
  });

  function assertOpen(operation: string): void {
    if (closed)
      throw new HealthItError('store/closed', `Cannot ${operation}: the SQLite outbox ${path} is closed`);
  }

  return {
    append(records: readonly UplinkRecord[]): OutboxAppendResult {
      assertOpen('append');
      if (records.length === 0) return { accepted: 0, refused: [], shed: 0 };
      const r = wrap('append', path, () => appendTx.immediate(records));
      counters = r.counters;
      pending = r.pending;
      pendingBytes = r.pendingBytes;
      return { accepted: r.accepted, refused: r.refused, shed: r.shed };
    },

    peek(limit: number): readonly OutboxEntry[] {
      assertOpen('peek');
      if (!(limit > 0)) return [];
      return wrap('peek', path, () => selectPeek.all(Math.floor(limit)));
    },

    ack(position: number): void {
      assertOpen('ack');
      if (!Number.isSafeInteger(position) || position > counters.lastPosition) {
        throw new RangeError(
          `Cannot acknowledge position ${position} in ${path}: the last appended position is ${counters.lastPosition}`,
        );
      }
      const r = wrap('ack', path, () => ackTx.immediate(position));
      if (r.n === 0) return;
      counters = { ...counters, acknowledged: counters.acknowledged + r.n };
      pending -= r.n;
      pendingBytes -= r.bytes + r.n * OUTBOX_ENTRY_OVERHEAD_BYTES;
    },

    stats(): OutboxStats {
      return {
        pending,
        pendingBytes,
        maxBytes,
        appended: counters.appended,
        acknowledged: counters.acknowledged,
        refused: counters.refused,
        shed: counters.shed,
      };
    },

    close(): void {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
