import { HealthItError, type TransportMessage } from '@healthit/core';
import type Database from 'better-sqlite3';
import {
  DeliveryTracker,
  type JournalEntry,
  type MessageJournal,
  type MessageJournalStats,
} from '../uplink/message-journal.js';

/** Options of the SQLite outbox's message journal (`createSqliteOutbox({ journal })`). */
export interface SqliteJournalOptions {
  /**
   * Bound on the journal's bytes (default 16 MiB): messages received and not yet in the outbox.
   * A message that would exceed it is refused, and the transport does not acknowledge it.
   */
  readonly maxBytes?: number;
}

/**
 * The journal options with their defaults.
 * @throws {RangeError} when `maxBytes` is not a positive integer.
 * @internal
 */
export function resolveJournalOptions(options: SqliteJournalOptions): Required<SqliteJournalOptions> {
  const maxBytes = options.maxBytes ?? 16 * 2 ** 20;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`outbox journal.maxBytes must be a positive integer, got ${String(maxBytes)}`);
  }
  return { maxBytes };
}

/** Accounted per journal entry besides its topic and payload. */
const JOURNAL_ENTRY_OVERHEAD_BYTES = 32;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox_journal (
  seq INTEGER PRIMARY KEY,
  topic TEXT NOT NULL,
  payload BLOB NOT NULL,
  retained INTEGER NOT NULL
);
`;

/** A journal of the SQLite outbox, and the settle step the outbox runs inside its append transaction. */
export interface SqliteJournal {
  readonly journal: MessageJournal;
  /** Deletes `seqs` (inside the caller's transaction); returns how many were there and their bytes. */
  settle(seqs: readonly number[]): { readonly count: number; readonly bytes: number };
  /** After the caller's transaction committed: the settled messages leave the accounts. */
  settled(count: number, bytes: number): void;
}

const sizeOf = (topic: string, payload: Uint8Array): number =>
  Buffer.byteLength(topic) + payload.byteLength + JOURNAL_ENTRY_OVERHEAD_BYTES;

/**
 * The write-ahead message journal in the outbox's own SQLite file (table `outbox_journal`), so an
 * append and the settling of its messages are one transaction. Each `record` is its own commit:
 * with WAL and `synchronous=NORMAL` it survives the process being killed.
 * @internal
 */
export function openSqliteJournal(
  db: Database.Database,
  path: string,
  options: Required<SqliteJournalOptions>,
): SqliteJournal {
  const { maxBytes } = options;
  db.exec(SCHEMA);
  const insert = db.prepare('INSERT INTO outbox_journal (seq, topic, payload, retained) VALUES (?, ?, ?, ?)');
  const remove = db.prepare(
    'DELETE FROM outbox_journal WHERE seq IN (SELECT value FROM json_each(?)) ' +
      'RETURNING length(CAST(topic AS BLOB)) + length(payload) AS bytes',
  );
  const selectAll = db.prepare<[], { seq: number; topic: string; payload: Uint8Array; retained: number }>(
    'SELECT seq, topic, payload, retained FROM outbox_journal ORDER BY seq',
  );
  const totals = db
    .prepare(
      'SELECT count(*) AS n, coalesce(sum(length(CAST(topic AS BLOB)) + length(payload)), 0) AS bytes FROM outbox_journal',
    )
    .get() as { n: number; bytes: number };
  // Sequence numbers grow within a process, from the highest one left by the last (no
  // AUTOINCREMENT: its extra page write per commit costs a third of a record).
  let lastSeq = (db.prepare('SELECT max(seq) FROM outbox_journal').pluck().get() as number | null) ?? 0;
  let unsettled = totals.n;
  let bytes = totals.bytes + totals.n * JOURNAL_ENTRY_OVERHEAD_BYTES;
  let recorded = 0;
  let settledCount = 0;
  let refused = 0;
  const tracker = new DeliveryTracker();

  const journal: MessageJournal = {
    record(message: TransportMessage): number {
      const size = sizeOf(message.topic, message.payload);
      if (bytes + size > maxBytes) {
        refused++;
        throw new HealthItError(
          'buffer/overflow',
          `The message journal of ${path} is full (${bytes} of ${maxBytes} bytes): a message on "${message.topic}" ` +
            'is refused and not acknowledged; the broker keeps it. Is the outbox append keeping up?',
          { detail: { path, topic: message.topic, bytes, maxBytes } },
        );
      }
      const seq = lastSeq + 1;
      try {
        insert.run(seq, message.topic, message.payload, message.retained ? 1 : 0);
      } catch (e) {
        refused++;
        throw new HealthItError(
          'store/query-failed',
          `The message journal of ${path} could not record a message on "${message.topic}": ${(e as Error).message}`,
          { cause: e, detail: { path, topic: message.topic } },
        );
      }
      lastSeq = seq;
      bytes += size;
      unsettled++;
      recorded++;
      return seq;
    },
    unsettled(): readonly JournalEntry[] {
      return selectAll.all().map((row) => ({
        seq: row.seq,
        topic: row.topic,
        payload: new Uint8Array(row.payload.buffer, row.payload.byteOffset, row.payload.byteLength),
        retained: row.retained === 1,
      }));
    },
    deliver: (seq, handOver) => tracker.deliver(seq, handOver),
    get current() {
      return tracker.current;
    },
    takeDelivered: () => tracker.takeDelivered(),
    onDelivered: (listener) => tracker.onDelivered(listener),
    stats(): MessageJournalStats {
      return { unsettled, bytes, maxBytes, recorded, settled: settledCount, refused };
    },
  };

  return {
    journal,
    settle(seqs) {
      if (seqs.length === 0) return { count: 0, bytes: 0 };
      let freed = 0;
      const rows = remove.all(JSON.stringify(seqs)) as { bytes: number }[];
      for (const r of rows) freed += r.bytes + JOURNAL_ENTRY_OVERHEAD_BYTES;
      return { count: rows.length, bytes: freed };
    },
    settled(count, freed) {
      unsettled -= count;
      bytes -= freed;
      settledCount += count;
    },
  };
}
