import { HealthItError, isHealthItError } from '@healthit/core';
import Database from 'better-sqlite3';
import type { JournalSettlement } from '../uplink/message-journal.js';
import type { Outbox, OutboxAppendResult, OutboxEntry, OutboxStats } from '../uplink/outbox.js';
import {
  type AlertCandidate,
  type AlertTriage,
  appendWithPolicy,
  assertAckPositions,
  OUTBOX_ENTRY_OVERHEAD_BYTES,
  type OutboxBounds,
  type OutboxStorage,
  RefusalCounter,
  resolveOutboxBounds,
  shedPriorityOf,
  triageAlert,
} from '../uplink/outbox-policy.js';
import type { UplinkRecord, UplinkRecordKind } from '../uplink/uplink.js';
import {
  openSqliteJournal,
  resolveJournalOptions,
  type SqliteJournal,
  type SqliteJournalOptions,
} from './sqlite-journal.js';

/**
 * The schema version this code writes and reads. Version 1 files (no alert lane columns) are
 * migrated in place, in one transaction, when opened.
 */
export const SQLITE_OUTBOX_SCHEMA_VERSION = 2;

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
  /**
   * Keep a write-ahead journal of received messages in the same file (`outbox.journal`, see
   * `MessageJournal`): give it to the MQTT transport (`journal`) and to `appendToOutbox`
   * (`journal`), and a message the broker was told is delivered is never lost to a killed
   * process. Off by default.
   */
  readonly journal?: SqliteJournalOptions;
}

// `priority`: 0 readings, 1 other non-alert records, 2 alerts (see `shedPriorityOf`). Alerts also
// carry their series (key and rule; NULL: a series of its own), severity rank and whether a newer
// alert of the series supersedes them. The partial indexes cover the alert lane only.
const SCHEMA_V2 = `
CREATE TABLE outbox (
  position INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  priority INTEGER NOT NULL,
  payload BLOB NOT NULL,
  series TEXT,
  severity INTEGER,
  superseded INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE outbox_counters (
  singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
  last_position INTEGER NOT NULL,
  appended INTEGER NOT NULL,
  acknowledged INTEGER NOT NULL,
  refused INTEGER NOT NULL,
  shed INTEGER NOT NULL,
  refusals INTEGER NOT NULL DEFAULT 0,
  alerts_shed INTEGER NOT NULL DEFAULT 0,
  alerts_rejected INTEGER NOT NULL DEFAULT 0,
  leased_alerts_up_to INTEGER NOT NULL DEFAULT 0,
  leased_data_up_to INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_counters (singleton, last_position, appended, acknowledged, refused, shed)
  VALUES (1, 0, 0, 0, 0, 0);
`;

/** Version 1 → 2: the alert columns and counters; v1 counted refusals per attempt in `refused`. */
const MIGRATE_V1 = `
ALTER TABLE outbox ADD COLUMN series TEXT;
ALTER TABLE outbox ADD COLUMN severity INTEGER;
ALTER TABLE outbox ADD COLUMN superseded INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_counters ADD COLUMN refusals INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_counters ADD COLUMN alerts_shed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_counters ADD COLUMN alerts_rejected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_counters ADD COLUMN leased_alerts_up_to INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox_counters ADD COLUMN leased_data_up_to INTEGER NOT NULL DEFAULT 0;
UPDATE outbox_counters SET refusals = refused;
`;

const INDEXES = `
CREATE INDEX IF NOT EXISTS outbox_alerts ON outbox (position) WHERE priority = 2;
CREATE INDEX IF NOT EXISTS outbox_alert_series ON outbox (series, severity) WHERE priority = 2 AND superseded = 0;
CREATE INDEX IF NOT EXISTS outbox_alert_superseded ON outbox (position) WHERE priority = 2 AND superseded = 1;
CREATE INDEX IF NOT EXISTS outbox_alert_severity ON outbox (severity, position) WHERE priority = 2;
`;

/** Records per multi-row INSERT statement (8 parameters each; SQLite allows 32 766). */
const INSERT_CHUNK = 64;
const INSERT_COLUMNS = 8;

interface Counters {
  lastPosition: number;
  appended: number;
  acknowledged: number;
  refused: number;
  refusals: number;
  shed: number;
  alertsShed: number;
  alertsRejected: number;
  leasedAlertsUpTo: number;
  leasedDataUpTo: number;
}

/** The in-memory mirror of the file: counters and pending totals. */
interface State {
  counters: Counters;
  pending: number;
  dataBytes: number;
  alertBytes: number;
}

interface Row {
  position: number;
  id: string;
  kind: UplinkRecordKind;
  key: string;
  payload: Uint8Array;
}

interface AlertRow extends Row {
  bytes: number;
}

const ENTRY_COLUMNS = 'position, id, kind, key, payload';

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

const entryOf = (row: Row): OutboxEntry => ({
  position: row.position,
  id: row.id,
  kind: row.kind,
  key: row.key,
  payload: row.payload,
});

/**
 * A durable {@link Outbox} in one SQLite file (better-sqlite3, an optional peer dependency).
 *
 * - **Durability.** WAL journal; every `append`, `ack`, `lease` and `release` is one transaction with prepared
 *   statements, so a batch costs one commit. With the default `synchronous: 'normal'` a returned
 *   `append` survives a process kill (SIGKILL, OOM, crash) — the WAL is in the OS page cache —
 *   but not necessarily a power loss or kernel crash; `synchronous: 'full'` fsyncs each commit.
 * - **Replay.** Reopening the file continues from the first unacknowledged entries (alerts
 *   first); positions keep increasing across restarts (the last one is stored even when the table
 *   is empty), and so does the current lease, so a batch in flight at a crash is not shed before
 *   the forwarder leases again.
 * - **Bounds.** Pending bytes are payload bytes plus `OUTBOX_ENTRY_OVERHEAD_BYTES` per record
 *   (not the file size: SQLite reuses freed pages, and the file does not shrink). Non-alert records
 *   under `whenFull` (see {@link OutboxBounds.whenFull}), alerts under `maxAlertBytes` (see
 *   {@link OutboxBounds.maxAlertBytes}).
 * - **Counters** (`appended`, `acknowledged`, `refused`, `refusals`, `shed`, `alertsShed`,
 *   `alertsRejected`) are stored with the data and survive restarts.
 * - **Schema.** Version {@link SQLITE_OUTBOX_SCHEMA_VERSION}; a version 1 file is migrated when
 *   opened (one transaction: a crash during it leaves version 1).
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
  const bounds = resolveOutboxBounds(options);
  const { path } = options;
  const synchronous = options.synchronous ?? 'normal';
  if (synchronous !== 'normal' && synchronous !== 'full') {
    throw new TypeError(`outbox synchronous must be 'normal' or 'full', got ${String(synchronous)}`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`outbox busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  }

  const journal = options.journal === undefined ? undefined : resolveJournalOptions(options.journal);

  const db = wrap('open', path, () => new Database(path));
  try {
    return openOutbox(db, path, bounds, synchronous, busyTimeoutMs, journal);
  } catch (e) {
    db.close();
    throw e;
  }
}

/** Version 1 → 2, inside the opening transaction: columns, then the alerts' series and severity. */
function migrateFromV1(db: Database.Database): void {
  db.exec(MIGRATE_V1);
  const alerts = db
    .prepare<[], { position: number; key: string; payload: Uint8Array }>(
      'SELECT position, key, payload FROM outbox WHERE priority = 2 ORDER BY position',
    )
    .all();
  const update = db.prepare('UPDATE outbox SET series = ?, severity = ?, superseded = ? WHERE position = ?');
  // Replayed in append order, as `insert` would have marked them.
  const heads = new Map<string, { position: number; severity: number }[]>();
  const superseded = new Set<number>();
  const triaged = alerts.map((a) => ({ ...a, triage: triageAlert(a) }));
  for (const a of triaged) {
    const { series, severity } = a.triage;
    if (series === null) continue;
    const kept = (heads.get(series) ?? []).filter((h) => {
      if (h.severity > severity) return true;
      superseded.add(h.position);
      return false;
    });
    kept.push({ position: a.position, severity });
    heads.set(series, kept);
  }
  for (const a of triaged) {
    update.run(a.triage.series, a.triage.severity, superseded.has(a.position) ? 1 : 0, a.position);
  }
}

function openOutbox(
  db: Database.Database,
  path: string,
  bounds: Required<OutboxBounds>,
  synchronous: 'normal' | 'full',
  busyTimeoutMs: number,
  journalOptions: Required<SqliteJournalOptions> | undefined,
): Outbox {
  const { maxBytes, maxAlertBytes } = bounds;
  wrap('open', path, () => {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    db.transaction(() => {
      db.exec('CREATE TABLE IF NOT EXISTS outbox_schema (version INTEGER NOT NULL)');
      const version = db.prepare('SELECT version FROM outbox_schema').pluck().get() as number | undefined;
      if (version === undefined) {
        db.exec(SCHEMA_V2);
        db.prepare('INSERT INTO outbox_schema (version) VALUES (?)').run(SQLITE_OUTBOX_SCHEMA_VERSION);
      } else if (version === 1) {
        migrateFromV1(db);
        db.prepare('UPDATE outbox_schema SET version = ?').run(SQLITE_OUTBOX_SCHEMA_VERSION);
      } else if (version !== SQLITE_OUTBOX_SCHEMA_VERSION) {
        throw new HealthItError(
          'config/invalid',
          `SQLite outbox ${path} has schema version ${version}; this version of @healthit/gateway reads ` +
            `versions 1 and ${SQLITE_OUTBOX_SCHEMA_VERSION}. Drain it with the version that wrote it, or use a new file.`,
          { detail: { path, version, supported: SQLITE_OUTBOX_SCHEMA_VERSION } },
        );
      }
      db.exec(INDEXES);
    }).immediate();
  });
  const journal: SqliteJournal | undefined =
    journalOptions === undefined
      ? undefined
      : wrap('open', path, () => openSqliteJournal(db, path, journalOptions));

  // Multi-row INSERTs: one native call per INSERT_CHUNK records instead of one per record.
  const inserts = new Map<number, Database.Statement>();
  const insertStatement = (rows: number): Database.Statement => {
    let statement = inserts.get(rows);
    if (statement === undefined) {
      statement = db.prepare(
        `INSERT INTO outbox (position, id, kind, key, priority, payload, series, severity) VALUES ${Array(
          rows,
        )
          .fill('(?, ?, ?, ?, ?, ?, ?, ?)')
          .join(', ')}`,
      );
      inserts.set(rows, statement);
    }
    return statement;
  };
  const saveCounters = db.prepare(
    'UPDATE outbox_counters SET last_position = ?, appended = ?, acknowledged = ?, refused = ?, shed = ?, ' +
      'refusals = ?, alerts_shed = ?, alerts_rejected = ?, leased_alerts_up_to = ?, leased_data_up_to = ? ' +
      'WHERE singleton = 1',
  );
  const selectAlerts = db.prepare<[number], Row>(
    `SELECT ${ENTRY_COLUMNS} FROM outbox WHERE priority = 2 ORDER BY position LIMIT ?`,
  );
  const selectData = db.prepare<[number], Row>(
    `SELECT ${ENTRY_COLUMNS} FROM outbox WHERE priority < 2 ORDER BY position LIMIT ?`,
  );
  const selectPriority = db.prepare<[number], { priority: number }>(
    'SELECT priority FROM outbox WHERE position = ?',
  );
  const deletePositions = db.prepare<[string], { priority: number; bytes: number }>(
    'DELETE FROM outbox WHERE position IN (SELECT value FROM json_each(?)) ' +
      'RETURNING priority, length(payload) AS bytes',
  );
  const deleteUpTo = db.prepare<[number], { priority: number; bytes: number }>(
    'DELETE FROM outbox WHERE position <= ? RETURNING priority, length(payload) AS bytes',
  );
  const deleteAlertsUpTo = db.prepare<[number], { priority: number; bytes: number }>(
    'DELETE FROM outbox WHERE priority = 2 AND position <= ? RETURNING priority, length(payload) AS bytes',
  );
  const selectShedCandidates = db.prepare<[number, number], { position: number; bytes: number }>(
    'SELECT position, length(payload) AS bytes FROM outbox WHERE priority = ? AND position > ? ORDER BY position',
  );
  const deleteShed = db.prepare('DELETE FROM outbox WHERE priority = ? AND position > ? AND position <= ?');
  const markSuperseded = db.prepare(
    'UPDATE outbox SET superseded = 1 WHERE priority = 2 AND superseded = 0 AND series = ? AND severity <= ?',
  );
  const selectSuperseded = db.prepare<[number], AlertRow>(
    `SELECT ${ENTRY_COLUMNS}, length(payload) AS bytes FROM outbox ` +
      'WHERE priority = 2 AND superseded = 1 AND position > ? ORDER BY position',
  );
  const selectSupersedable = db.prepare<[string, number, number], AlertRow>(
    `SELECT ${ENTRY_COLUMNS}, length(payload) AS bytes FROM outbox ` +
      'WHERE priority = 2 AND superseded = 0 AND series = ? AND severity <= ? AND position > ? ORDER BY position',
  );
  const selectBySeverity = db.prepare<[number, number], AlertRow>(
    `SELECT ${ENTRY_COLUMNS}, length(payload) AS bytes FROM outbox ` +
      'WHERE priority = 2 AND severity = ? AND position > ? ORDER BY position',
  );

  const loaded = wrap('open', path, () => {
    const c = db
      .prepare(
        'SELECT last_position AS lastPosition, appended, acknowledged, refused, refusals, shed, ' +
          'alerts_shed AS alertsShed, alerts_rejected AS alertsRejected, ' +
          'leased_alerts_up_to AS leasedAlertsUpTo, leased_data_up_to AS leasedDataUpTo FROM outbox_counters',
      )
      .get() as Counters;
    const totals = (where: string) =>
      db
        .prepare(
          `SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS bytes FROM outbox WHERE ${where}`,
        )
        .get() as { n: number; bytes: number };
    const data = totals('priority < 2');
    const alerts = totals('priority = 2');
    const maxPosition = db.prepare('SELECT max(position) FROM outbox').pluck().get() as number | null;
    return { counters: c, data, alerts, maxPosition: maxPosition ?? 0 };
  });
  let state: State = {
    counters: {
      ...loaded.counters,
      lastPosition: Math.max(loaded.counters.lastPosition, loaded.maxPosition),
    },
    pending: loaded.data.n + loaded.alerts.n,
    dataBytes: loaded.data.bytes + loaded.data.n * OUTBOX_ENTRY_OVERHEAD_BYTES,
    alertBytes: loaded.alerts.bytes + loaded.alerts.n * OUTBOX_ENTRY_OVERHEAD_BYTES,
  };
  const refusalCounter = new RefusalCounter();
  let closed = false;

  function persist(c: Counters): void {
    saveCounters.run(
      c.lastPosition,
      c.appended,
      c.acknowledged,
      c.refused,
      c.shed,
      c.refusals,
      c.alertsShed,
      c.alertsRejected,
      c.leasedAlertsUpTo,
      c.leasedDataUpTo,
    );
  }

  /** Applies deleted rows (RETURNING priority and payload length) to `s`; returns how many. */
  function removed(s: State, rows: readonly { priority: number; bytes: number }[]): number {
    for (const r of rows) {
      const bytes = r.bytes + OUTBOX_ENTRY_OVERHEAD_BYTES;
      if (r.priority === 2) s.alertBytes -= bytes;
      else s.dataBytes -= bytes;
    }
    s.pending -= rows.length;
    return rows.length;
  }

  /** The storage of one append transaction, on the working copy `s`. Inserts are buffered. */
  function storageFor(s: State): { storage: OutboxStorage; flush(): void } {
    const c = s.counters;
    let buffer: unknown[] = [];
    const flush = () => {
      const rows = buffer.length / INSERT_COLUMNS;
      for (let start = 0; start < rows; start += INSERT_CHUNK) {
        const n = Math.min(INSERT_CHUNK, rows - start);
        insertStatement(n).run(buffer.slice(start * INSERT_COLUMNS, (start + n) * INSERT_COLUMNS));
      }
      buffer = [];
    };
    const candidate = (row: AlertRow, reason: AlertCandidate['reason']): AlertCandidate => ({
      entry: entryOf(row),
      bytes: row.bytes + OUTBOX_ENTRY_OVERHEAD_BYTES,
      reason,
    });
    const storage: OutboxStorage = {
      dataBytes: () => s.dataBytes,
      alertBytes: () => s.alertBytes,

      insert(record: UplinkRecord, bytes: number, triage: AlertTriage | undefined): void {
        if (triage?.series != null) {
          flush();
          markSuperseded.run(triage.series, triage.severity);
        }
        buffer.push(
          ++c.lastPosition,
          record.id,
          record.kind,
          record.key,
          shedPriorityOf(record.kind),
          record.payload,
          triage?.series ?? null,
          triage?.severity ?? null,
        );
        if (triage === undefined) s.dataBytes += bytes;
        else s.alertBytes += bytes;
        s.pending++;
        c.appended++;
      },

      shed(priority: 0 | 1, bytes: number): number {
        flush();
        let freed = 0;
        let count = 0;
        let cutoff = -1;
        for (const row of selectShedCandidates.iterate(priority, c.leasedDataUpTo)) {
          cutoff = row.position;
          freed += row.bytes + OUTBOX_ENTRY_OVERHEAD_BYTES;
          count++;
          if (freed >= bytes) break;
        }
        if (count > 0) {
          deleteShed.run(priority, c.leasedDataUpTo, cutoff);
          s.dataBytes -= freed;
          s.pending -= count;
        }
        return count;
      },

      shedSuperseded(bytes: number): readonly OutboxEntry[] {
        flush();
        const out: OutboxEntry[] = [];
        let freed = 0;
        for (const row of selectSuperseded.iterate(c.leasedAlertsUpTo)) {
          out.push(entryOf(row));
          freed += row.bytes + OUTBOX_ENTRY_OVERHEAD_BYTES;
          if (freed >= bytes) break;
        }
        if (out.length > 0) {
          removed(s, deletePositions.all(JSON.stringify(out.map((e) => e.position))));
        }
        return out;
      },

      planDisplacement(triage: AlertTriage, bytes: number): readonly AlertCandidate[] | undefined {
        flush();
        const plan: AlertCandidate[] = [];
        const chosen = new Set<number>();
        let freed = 0;
        if (triage.series !== null) {
          for (const row of selectSupersedable.iterate(triage.series, triage.severity, c.leasedAlertsUpTo)) {
            if (freed >= bytes) break;
            plan.push(candidate(row, 'superseded'));
            chosen.add(row.position);
            freed += row.bytes + OUTBOX_ENTRY_OVERHEAD_BYTES;
          }
        }
        for (let severity = 0; severity < triage.severity && freed < bytes; severity++) {
          for (const row of selectBySeverity.iterate(severity, c.leasedAlertsUpTo)) {
            if (freed >= bytes) break;
            if (chosen.has(row.position)) continue;
            plan.push(candidate(row, 'displaced'));
            chosen.add(row.position);
            freed += row.bytes + OUTBOX_ENTRY_OVERHEAD_BYTES;
          }
        }
        return freed >= bytes ? plan : undefined;
      },

      deleteAlerts(candidates: readonly AlertCandidate[]): void {
        flush();
        if (candidates.length === 0) return;
        removed(s, deletePositions.all(JSON.stringify(candidates.map((a) => a.entry.position))));
      },
    };
    return { storage, flush };
  }

  /** The messages of `settle` none of whose records in this append was refused. */
  const settleable = (
    records: readonly UplinkRecord[],
    settle: JournalSettlement,
    refused: readonly UplinkRecord[],
  ): readonly number[] => {
    if (refused.length === 0) return settle.seqs;
    const refusedSet = new Set(refused);
    const keep = new Set<number>();
    records.forEach((r, i) => {
      const tag = settle.tags[i];
      if (tag !== undefined && refusedSet.has(r)) keep.add(tag);
    });
    return settle.seqs.filter((seq) => !keep.has(seq));
  };

  const appendTx = db.transaction(
    (
      records: readonly UplinkRecord[],
      settle: JournalSettlement | undefined,
    ): { result: OutboxAppendResult; state: State; settled: { count: number; bytes: number } } => {
      const s: State = { ...state, counters: { ...state.counters } };
      const { storage, flush } = storageFor(s);
      const r = appendWithPolicy(storage, records, bounds);
      flush();
      const seqs = settle === undefined ? [] : settleable(records, settle, r.refused);
      const settled = journal === undefined ? { count: 0, bytes: 0 } : journal.settle(seqs);
      const c = s.counters;
      c.refusals += r.refused.length;
      c.refused += refusalCounter.fresh(r.refused);
      c.shed += r.shed;
      c.alertsShed += r.alertsShed;
      c.alertsRejected += r.alertsRejected;
      persist(c);
      return {
        result: {
          accepted: r.accepted,
          refused: r.refused,
          shed: r.shed,
          alertsDropped: r.alertsDropped,
          ...(settle === undefined ? {} : { settled: seqs }),
        },
        state: s,
        settled,
      };
    },
  );

  const ackTx = db.transaction((positions: number | readonly number[]): State => {
    const s: State = { ...state, counters: { ...state.counters } };
    let rows: { priority: number; bytes: number }[];
    if (typeof positions === 'number') {
      const at = selectPriority.get(positions);
      rows =
        at !== undefined && at.priority < 2 ? deleteUpTo.all(positions) : deleteAlertsUpTo.all(positions);
    } else {
      rows = positions.length === 0 ? [] : deletePositions.all(JSON.stringify(positions));
    }
    if (rows.length === 0) return state;
    s.counters.acknowledged += removed(s, rows);
    persist(s.counters);
    return s;
  });

  /** Sets the lease marks (persisted only when they change); returns the new state. */
  function setLease(alertsUpTo: number, dataUpTo: number): State {
    if (alertsUpTo === state.counters.leasedAlertsUpTo && dataUpTo === state.counters.leasedDataUpTo) {
      return state;
    }
    const s: State = {
      ...state,
      counters: { ...state.counters, leasedAlertsUpTo: alertsUpTo, leasedDataUpTo: dataUpTo },
    };
    persist(s.counters);
    return s;
  }

  const leaseTx = db.transaction((limit: number): { entries: OutboxEntry[]; state: State } => {
    const entries = select(limit);
    let alertsUpTo = 0;
    let dataUpTo = 0;
    for (const e of entries) {
      if (e.kind === 'alert') alertsUpTo = e.position;
      else dataUpTo = e.position;
    }
    return { entries, state: setLease(alertsUpTo, dataUpTo) };
  });
  const releaseTx = db.transaction((): State => setLease(0, 0));

  /** Up to `limit` entries in send order: alerts, then the other records, each oldest first. */
  function select(limit: number): OutboxEntry[] {
    if (!(limit > 0)) return [];
    const n = Math.floor(limit);
    const alerts = selectAlerts.all(n);
    if (alerts.length >= n) return alerts.map(entryOf);
    return [...alerts, ...selectData.all(n - alerts.length)].map(entryOf);
  }

  function assertOpen(operation: string): void {
    if (closed)
      throw new HealthItError('store/closed', `Cannot ${operation}: the SQLite outbox ${path} is closed`);
  }

  return {
    ...(journal === undefined ? {} : { journal: journal.journal }),

    append(records: readonly UplinkRecord[], settle?: JournalSettlement): OutboxAppendResult {
      assertOpen('append');
      if (settle !== undefined && settle.seqs.length > 0 && journal === undefined) {
        throw new TypeError(
          `The SQLite outbox ${path} has no message journal to settle: open it with createSqliteOutbox({ journal: {} })`,
        );
      }
      if (records.length === 0 && (settle === undefined || settle.seqs.length === 0)) {
        return { accepted: 0, refused: [], shed: 0, alertsDropped: [] };
      }
      const r = wrap('append', path, () => appendTx.immediate(records, settle));
      state = r.state;
      journal?.settled(r.settled.count, r.settled.bytes);
      // After the commit: a failed append must not mark records as refused.
      refusalCounter.remember(r.result.refused);
      return r.result;
    },

    peek(limit: number): readonly OutboxEntry[] {
      assertOpen('peek');
      return wrap('peek', path, () => select(limit));
    },

    lease(limit: number): readonly OutboxEntry[] {
      assertOpen('lease');
      const r = wrap('lease', path, () => leaseTx.immediate(limit));
      state = r.state;
      return r.entries;
    },

    release(): void {
      assertOpen('release');
      state = wrap('release', path, () => releaseTx.immediate());
    },

    ack(positions: number | readonly number[]): void {
      assertOpen('ack');
      assertAckPositions(positions, state.counters.lastPosition, ` in ${path}`);
      state = wrap('ack', path, () => ackTx.immediate(positions));
    },

    stats(): OutboxStats {
      const c = state.counters;
      return {
        pending: state.pending,
        pendingBytes: state.dataBytes + state.alertBytes,
        maxBytes,
        pendingAlertBytes: state.alertBytes,
        maxAlertBytes,
        appended: c.appended,
        acknowledged: c.acknowledged,
        refused: c.refused,
        refusals: c.refusals,
        shed: c.shed,
        alertsShed: c.alertsShed,
        alertsRejected: c.alertsRejected,
      };
    },

    close(): void {
      if (closed) return;
      closed = true;
      db.close();
    },
  };
}
