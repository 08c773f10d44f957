import type { JournalSettlement, MessageJournal } from './message-journal.js';
import type { UplinkRecord } from './uplink.js';

/** A record in the outbox, with its position: positions increase strictly in append order. */
export interface OutboxEntry extends UplinkRecord {
  /**
   * Where the record is in the outbox: an integer, strictly increasing in append order (also
   * across restarts of a SQLite outbox); pass it to `ack`.
   */
  readonly position: number;
}

/**
 * Why an alert was given up under the alert bound (`maxAlertBytes`, see `OutboxBounds`):
 * - `superseded`: a stored alert deleted because a newer pending alert of the same series (same
 *   `key` and rule) with at least its severity is kept — the platform still gets that newer one;
 * - `displaced`: a stored alert deleted to make room for a new alert of a strictly higher severity;
 * - `no-room`: a new alert not stored, because every pending alert is at least as severe (and
 *   none is superseded) or the alert alone is larger than the bound.
 */
export type DroppedAlertReason = 'superseded' | 'displaced' | 'no-room';

/** An alert the outbox gave up under its alert bound, with the reason. */
export interface DroppedAlert {
  /** The alert record: for `superseded` and `displaced` the stored {@link OutboxEntry}. */
  readonly record: UplinkRecord;
  /** Why it was given up. */
  readonly reason: DroppedAlertReason;
}

/** What {@link Outbox.append} did with a batch. */
export interface OutboxAppendResult {
  /** Records stored (durably, for a disk outbox): all but the refused ones and `no-room` alerts. */
  readonly accepted: number;
  /**
   * Readings (and other non-alert records) not stored because the outbox is full and the policy
   * is `refuse-new`: the caller must hold them and retry (back-pressure). Never an alert.
   */
  readonly refused: readonly UplinkRecord[];
  /** Older non-alert records deleted to make room under the policy `shed-oldest-readings`. */
  readonly shed: number;
  /**
   * Alerts given up under the alert bound, in the order it happened: stored alerts deleted
   * (`superseded`, `displaced`) and new alerts not stored (`no-room`). Report them; do not append
   * them again. Empty while the pending alerts fit `maxAlertBytes`.
   */
  readonly alertsDropped: readonly DroppedAlert[];
  /**
   * The journaled messages this append settled (with a `settle` argument): its `seqs` but those
   * of refused records.
   */
  readonly settled?: readonly number[];
}

/** Counters of an outbox, for monitoring and the status page. */
export interface OutboxStats {
  /** Records stored and not yet acknowledged (alerts included). */
  readonly pending: number;
  /**
   * Bytes of the pending records, alerts included: their payloads plus
   * `OUTBOX_ENTRY_OVERHEAD_BYTES` each. At most `maxBytes + maxAlertBytes`.
   */
  readonly pendingBytes: number;
  /** The outbox's bound on the bytes of pending non-alert records. */
  readonly maxBytes: number;
  /** The part of `pendingBytes` that is alerts. */
  readonly pendingAlertBytes: number;
  /** The outbox's bound on `pendingAlertBytes`. */
  readonly maxAlertBytes: number;
  /** Records stored since the outbox was created (a SQLite outbox: since its file was). */
  readonly appended: number;
  /** Records acknowledged (and removed) since then. */
  readonly acknowledged: number;
  /**
   * Distinct records refused since then under `refuse-new`: a record appended again (the same
   * object, as `appendToOutbox` does with held records) and refused again is not counted again.
   */
  readonly refused: number;
  /** Refusals since then: a record refused on each of `n` attempts counts `n` times. */
  readonly refusals: number;
  /** Non-alert records deleted to make room since then under `shed-oldest-readings`. */
  readonly shed: number;
  /** Stored alerts deleted under the alert bound since then (`superseded` or `displaced`). */
  readonly alertsShed: number;
  /** New alerts not stored under the alert bound since then (`no-room`). */
  readonly alertsRejected: number;
}

/**
 * Store-and-forward buffer between the gateway and its uplink: bounded by bytes (non-alert records
 * by `maxBytes`, alerts by their own `maxAlertBytes`), in two lanes — pending alerts are handed
 * out before every other record — and acknowledged by exact position.
 *
 * Invariants both built-in outboxes keep (and `describeOutboxConformance` checks):
 * `pending = appended − acknowledged − shed − alertsShed`; an entry in flight (see
 * {@link Outbox.lease}) is never shed or dropped; an alert is given up only for a newer alert of the
 * same series at least as severe, for a more severe alert, or when the bound is full of alerts at
 * least as severe (then the new one is not stored), and always reported.
 */
export interface Outbox {
  /**
   * Appends records. Synchronous: when it returns, accepted records are stored. Positions follow
   * the order of `records`.
   *
   * `settle`: messages of the outbox's own {@link MessageJournal} to settle in the same transaction
   * (all but those of refused records), so that a message leaves the journal exactly when its
   * records are stored. Only an outbox with a journal takes it (`appendToOutbox` passes it).
   * @throws {TypeError} when `settle` names messages and the outbox has no journal.
   */
  append(records: readonly UplinkRecord[], settle?: JournalSettlement): OutboxAppendResult;
  /**
   * The outbox's write-ahead journal of received messages, when it keeps one (the SQLite outbox
   * with its `journal` option): give it to the transport and to `appendToOutbox`.
   */
  readonly journal?: MessageJournal;
  /**
   * Up to `limit` unacknowledged entries in send order: first the pending alerts, oldest first,
   * then every other record, oldest first (so per-device order is kept within each lane).
   * Changes nothing.
   */
  peek(limit: number): readonly OutboxEntry[];
  /**
   * What {@link Outbox.peek} returns, and the returned entries become *in flight* — replacing the
   * previous lease — until they are acknowledged, {@link Outbox.release} is called, or the next
   * `lease`. In-flight entries are never shed or dropped to make room (they still count against
   * the bounds), so a record the uplink is delivering is never counted as shed. For the one
   * forwarder of the outbox: lease a batch, send it, acknowledge what the uplink acknowledged,
   * release the rest. A SQLite outbox keeps the lease across restarts (a batch sent just before a
   * crash may have reached the platform).
   */
  lease(limit: number): readonly OutboxEntry[];
  /**
   * Ends the current lease: its unacknowledged entries are no longer in flight and may be shed
   * again (call it when a send settled without acknowledging them all). No-op without a lease.
   */
  release(): void;
  /**
   * Acknowledges entries, which are removed.
   *
   * - An array: exactly the entries at these positions (what the forwarder passes — the prefix
   *   of its batch the uplink acknowledged). Positions no longer pending are ignored.
   * - A number (kept for callers that acknowledge a peeked prefix by its last position): the
   *   entry at `position` and every entry appended before it that `peek` orders before it — the
   *   alerts appended before it and, when it is a non-alert entry, the non-alert entries appended
   *   before it. When `position` is no longer pending, only the alerts appended before it.
   *   It never removes an entry that was not in a `peek` that returned `position`.
   *
   * @throws {RangeError} for a position that is not an integer or was never appended.
   */
  ack(positions: number | readonly number[]): void;
  /** The outbox's counters now. */
  stats(): OutboxStats;
  /**
   * Releases the outbox (a SQLite outbox closes its file; pending records stay in it for the next
   * open). The built-in outboxes then throw `store/closed` from `append`, `peek`, `lease`, `release`
   * and `ack`.
   */
  close(): void;
}
