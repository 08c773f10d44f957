import type { UplinkRecord } from './uplink.js';

/** A record in the outbox, with its position: positions increase strictly in append order. */
export interface OutboxEntry extends UplinkRecord {
  /**
   * Where the record is in the outbox: an integer, strictly increasing in append order (also
   * across restarts of a SQLite outbox); pass it to `ack`.
   */
  readonly position: number;
}

/** What {@link Outbox.append} did with a batch. */
export interface OutboxAppendResult {
  /** Records stored (durably, for a disk outbox) — every alert is among them. */
  readonly accepted: number;
  /**
   * Readings (and other sheddable records) not stored because the outbox is full and the policy
   * is `refuse-new`: the caller must hold them and retry (back-pressure).
   */
  readonly refused: readonly UplinkRecord[];
  /** Older readings deleted to make room under the policy `shed-oldest-readings`. */
  readonly shed: number;
}

/** Counters of an outbox, for monitoring and the status page. */
export interface OutboxStats {
  /** Records stored and not yet acknowledged. */
  readonly pending: number;
  /**
   * Bytes the pending records count against `maxBytes`: their payloads plus
   * `OUTBOX_ENTRY_OVERHEAD_BYTES` each.
   */
  readonly pendingBytes: number;
  /** The outbox's bound on `pendingBytes`, in bytes (alerts may exceed it). */
  readonly maxBytes: number;
  /** Records stored since the outbox was created (a SQLite outbox: since its file was). */
  readonly appended: number;
  /** Records acknowledged (and removed) since then. */
  readonly acknowledged: number;
  /**
   * Records refused since then under `refuse-new` (a record refused again on a retry counts
   * again).
   */
  readonly refused: number;
  /** Records deleted to make room since then under `shed-oldest-readings`. */
  readonly shed: number;
}

/**
 * Store-and-forward buffer between the gateway and its uplink: bounded by bytes, ordered,
 * acknowledged by position. Alerts are never dropped, whatever the policy.
 */
export interface Outbox {
  /** Appends records in order. Synchronous: when it returns, accepted records are stored. */
  append(records: readonly UplinkRecord[]): OutboxAppendResult;
  /** Up to `limit` unacknowledged entries, oldest first. */
  peek(limit: number): readonly OutboxEntry[];
  /** Acknowledges every entry up to and including `position`; they are removed. */
  ack(position: number): void;
  /** The outbox's counters now. */
  stats(): OutboxStats;
  /**
   * Releases the outbox (a SQLite outbox closes its file; pending records stay in it for the next
   * open). The built-in outboxes then throw `store/closed` from `append`, `peek` and `ack`.
   */
  close(): void;
}
