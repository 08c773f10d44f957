import type { UplinkRecord } from './uplink.js';

/** A record in the outbox, with its position: positions increase strictly in append order. */
export interface OutboxEntry extends UplinkRecord {
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
  readonly pending: number;
  readonly pendingBytes: number;
  readonly maxBytes: number;
  readonly appended: number;
  readonly acknowledged: number;
  readonly refused: number;
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
  stats(): OutboxStats;
  close(): void;
}
