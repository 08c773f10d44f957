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
  readonly subject: string;
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
  readonly type: 'store-failed';
  readonly error: HealthItError;
  readonly readings: number;
  readonly messages: number;
  readonly attempts: number;
}

/**
 * A message that can never be ingested (no record id or kind header, an unknown content type or
 * kind, a payload that does not decode, or readings the store refuses permanently on their own):
 * it was terminated (`term`, never redelivered) and counted; the rest flows.
 */
export interface NatsIngestPoison {
  readonly type: 'poison';
  readonly error: HealthItError;
  readonly message: NatsMessageRef;
  /** The record id (`Nats-Msg-Id`) and kind (`Healthit-Kind`), when the message had them. */
  readonly recordId: string | undefined;
  readonly kind: string | undefined;
}

/** `handleRecords` rejected: those records' messages are redelivered after `redeliverDelayMs`. */
export interface NatsIngestRecordsFailed {
  readonly type: 'records-failed';
  readonly error: unknown;
  readonly records: number;
}

/** The connection dropped (`down`) or came back (`up`); pulling resumes by itself. */
export interface NatsIngestConnection {
  readonly type: 'connection';
  readonly state: 'up' | 'down';
}

/**
 * The consumer needs attention but keeps trying: the stream does not exist yet (no gateway of
 * the site has started), the durable consumer was deleted (it is re-created), heartbeats were
 * missed. `notice` is the JetStream notification or `stream-missing`.
 */
export interface NatsIngestNotice {
  readonly type: 'notice';
  readonly notice: string;
  readonly detail?: unknown;
}

/** Ingestion stopped for good (the connection was closed under it); `stop()` still cleans up. */
export interface NatsIngestFailed {
  readonly type: 'failed';
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
