import type { AppendResult, HealthItError, Reading } from '@healthit/core';
import type { IngestedRecord } from '../ingest/events.js';

export type { IngestedRecord } from '../ingest/events.js';

/**
 * Called with a batch's alerts, commands and command statuses, in stream order; their messages
 * are acknowledged when the Promise resolves and redelivered later when it rejects.
 */
export type UplinkRecordHandler = (records: readonly IngestedRecord[]) => Promise<void>;

/** Where a message sits in the stream (for logs and to find it with `nats stream get`). */
export interface NatsMessageRef {
  /** The message's NATS subject, `<prefix>.<site>.<kind>.<key token>`. */
  readonly subject: string;
  /** The message's sequence number in the JetStream stream (1-based). */
  readonly streamSequence: number;
  /** 1 on the first delivery; more on a redelivery. */
  readonly deliveryCount: number;
}

/**
 * A batch's readings were committed to the store, then its messages acknowledged. `duplicates`
 * counts readings already stored (a redelivery after a crash between commit and acknowledgement,
 * or a gateway re-send beyond the stream's duplicate window) plus repeats within the batch.
 */
export interface NatsIngestCommitted {
  /** Discriminant: `committed`. */
  readonly type: 'committed';
  /** What the store did (its `duplicates` include the batch's own repeats). */
  readonly result: AppendResult;
  /** The readings as written (for anchoring them in a ledger, for example). */
  readonly readings: readonly Reading[];
  /** Messages acknowledged with this commit. */
  readonly messages: number;
  /** Of those, messages delivered before (deliveryCount > 1). */
  readonly redelivered: number;
}

/**
 * The store did not commit a batch (after retries, or a permanent error): nothing of it was
 * acknowledged; its messages are redelivered after `redeliverDelayMs`.
 */
export interface NatsIngestStoreFailed {
  /** Discriminant: `store-failed`. */
  readonly type: 'store-failed';
  /** The store's last error (a permanent one, or the last retryable one once `maxAttempts` were used). */
  readonly error: HealthItError;
  /** Readings in the batch. */
  readonly readings: number;
  /** Messages in the batch, all negatively acknowledged. */
  readonly messages: number;
  /** Store attempts made, the first included. */
  readonly attempts: number;
}

/**
 * A message that can never be ingested (no record id or kind header, an unknown content type or
 * kind, a payload that does not decode, or readings the store refuses permanently on their own):
 * it was terminated (`term`, never redelivered) and counted; the rest flows.
 */
export interface NatsIngestPoison {
  /** Discriminant: `poison`. */
  readonly type: 'poison';
  /**
   * Why the message can never be ingested (e.g. a `ValidationError` naming the missing header or
   * bad payload).
   */
  readonly error: HealthItError;
  /** Where the message sits in the stream. */
  readonly message: NatsMessageRef;
  /** The record id (`Nats-Msg-Id`) and kind (`Healthit-Kind`), when the message had them. */
  readonly recordId: string | undefined;
  /**
   * The record kind from the `Healthit-Kind` header (e.g. `reading-batch`, `alert`), when the
   * message had one.
   */
  readonly kind: string | undefined;
}

/** `handleRecords` rejected: those records' messages are redelivered after `redeliverDelayMs`. */
export interface NatsIngestRecordsFailed {
  /** Discriminant: `records-failed`. */
  readonly type: 'records-failed';
  /** What `handleRecords` rejected with, as thrown. */
  readonly error: unknown;
  /** Records of the batch passed to `handleRecords` (their messages are redelivered). */
  readonly records: number;
}

/** The connection dropped (`down`) or came back (`up`); pulling resumes by itself. */
export interface NatsIngestConnection {
  /** Discriminant: `connection`. */
  readonly type: 'connection';
  /** `down` when the connection dropped, `up` when it reconnected. */
  readonly state: 'up' | 'down';
}

/**
 * The consumer needs attention but keeps trying: the stream does not exist yet (no gateway of
 * the site has started), the durable consumer was deleted (it is re-created), heartbeats were
 * missed. `notice` is the JetStream notification or `stream-missing`.
 */
export interface NatsIngestNotice {
  /** Discriminant: `notice`. */
  readonly type: 'notice';
  /**
   * What happened: `stream-missing`, `consumer-unavailable`, or the JetStream consume notification
   * type (e.g. `heartbeats_missed`, `consumer_deleted`).
   */
  readonly notice: string;
  /**
   * More about it: `{ stream, error }` for `stream-missing` and `consumer-unavailable`, else the
   * JetStream notification.
   */
  readonly detail?: unknown;
}

/** Ingestion stopped for good (the connection was closed under it); `stop()` still cleans up. */
export interface NatsIngestFailed {
  /** Discriminant: `failed`. */
  readonly type: 'failed';
  /**
   * Why: `transport/closed` when the connection was closed, `config/invalid` when the durable
   * consumer cannot be created (no JetStream, no permission), `transport/disconnected` for another
   * failure.
   */
  readonly error: HealthItError;
}

/** What the NATS ingest emits on `events$`, discriminated on `type`. */
export type NatsIngestEvent =
  | NatsIngestCommitted
  | NatsIngestStoreFailed
  | NatsIngestPoison
  | NatsIngestRecordsFailed
  | NatsIngestConnection
  | NatsIngestNotice
  | NatsIngestFailed;

/** Counters since the ingest was created. */
export interface NatsIngestStats {
  /** Messages received (redeliveries included). */
  readonly messages: number;
  /** Messages acknowledged. */
  readonly acknowledged: number;
  /** Messages received with deliveryCount > 1. */
  readonly redelivered: number;
  /** Readings newly stored. */
  readonly inserted: number;
  /** Readings already stored, or repeated within a batch (not stored again). */
  readonly duplicates: number;
  /** Reading ids already stored with different content (the stored one was kept). */
  readonly conflicts: number;
  /** Messages terminated as poison. */
  readonly poison: number;
  /** Batches the store did not commit (their messages negatively acknowledged). */
  readonly storeFailures: number;
  /** Alerts, commands and command statuses emitted. */
  readonly records: number;
}
