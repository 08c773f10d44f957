import type { JsonValue } from '../schemas/command.js';

/** A record to append to a ledger: a type and a JSON body. */
export interface LedgerRecord {
  /** What the record is, e.g. `reading-batch`, `custody-event`, `config-change`. */
  readonly type: string;
  /** The record's content: plain JSON, whose shape `type` determines. */
  readonly body: JsonValue;
}

/** Proof that a record was appended: where, and the hash that commits to it. */
export interface LedgerReceipt {
  /** Which log holds the entry (e.g. the hex SHA-256 of the log's public key). */
  readonly logId: string;
  /** 0-based position of the entry in the log. */
  readonly index: number;
  /** Hex hash of the entry, as the log computes it. */
  readonly entryHash: string;
}

/**
 * Where layers send records that must be tamper-evident (batches of readings, custody events,
 * configuration changes). Implemented by `@healthit/ledger`.
 */
export interface LedgerSink {
  /**
   * Appends records in order, atomically per call; resolves with one receipt per record.
   * @throws {ValidationError} when a record is malformed (nothing is appended).
   */
  append(records: readonly LedgerRecord[]): Promise<LedgerReceipt[]>;
  /** The receipt of the entry at `index`, or undefined past the end. */
  receipt(index: number): Promise<LedgerReceipt | undefined>;
}
