import type {
  AppendResult,
  DecodedAlertRecord,
  DecodedCommandRecord,
  DecodedCommandStatusRecord,
  HealthItError,
  Reading,
  UplinkRecord,
  ValidationError,
} from '@healthit/core';

/** A batch was written: what the store did with it, and the ids of the batch in order. */
export interface IngestStored {
  /** Discriminant: `stored`. */
  readonly type: 'stored';
  /** What the store did: readings inserted, duplicates already stored, conflicting ids. */
  readonly result: AppendResult;
  /** The batch as written (for anchoring it in a ledger, for example). */
  readonly readings: readonly Reading[];
  /** The ids of the batch's readings, in batch order. */
  readonly readingIds: readonly string[];
}

/**
 * A batch was not written. `error` is the store's error after retries (`store/unavailable`,
 * `store/query-failed`, `store/closed` ...) or `buffer/overflow` when too many batches were
 * waiting; `readings` is the whole batch, for the caller to redeliver or park.
 */
export interface IngestStoreFailed {
  /** Discriminant: `store-failed`. */
  readonly type: 'store-failed';
  /** The store's last error, or `buffer/overflow` when the batch could not be queued. */
  readonly error: HealthItError;
  /** The whole batch, for the caller to redeliver or park. */
  readonly readings: readonly Reading[];
  /** How many times the store was asked to append this batch (0 when it was never tried). */
  readonly attempts: number;
}

/** An input did not match the `Reading` schema; it was left out of its batch. */
export interface IngestReadingRejected {
  /** Discriminant: `reading-rejected`. */
  readonly type: 'reading-rejected';
  /** Why the input is not a `Reading` (`validation/invalid`, naming each offending field). */
  readonly error: ValidationError;
  /** The input as received. */
  readonly input: unknown;
}

/** What {@link ingestReadings} emits, discriminated on `type`. */
export type IngestEvent = IngestStored | IngestStoreFailed | IngestReadingRejected;

/** A decoded uplink record that is not a reading: an alert, a command or a command status. */
export type IngestedRecord = DecodedAlertRecord | DecodedCommandRecord | DecodedCommandStatusRecord;

/** An alert, command or command-status record arrived (for the alert manager, the audit trail). */
export interface IngestRecordReceived {
  /** Discriminant: `record`. */
  readonly type: 'record';
  /** The decoded alert, command or command-status record. */
  readonly record: IngestedRecord;
}

/**
 * An uplink record could not be decoded (not UTF-8 JSON, a schema violation, an id or key that
 * does not match its payload, a kind without decoder): it was left out; nothing else is affected.
 */
export interface IngestRecordRejected {
  /** Discriminant: `record-rejected`. */
  readonly type: 'record-rejected';
  /**
   * Why: `codec/decode` when the payload is not UTF-8 JSON; `validation/invalid` when it breaks
   * its kind's schema, when `id` or `key` do not match it, or for a kind with no decoder (`event`).
   */
  readonly error: HealthItError;
  /** The uplink record as received, its payload undecoded. */
  readonly record: UplinkRecord;
}

/** What {@link ingestUplinkRecords} emits: the reading events of `ingestReadings`, and the records. */
export type UplinkIngestEvent = IngestEvent | IngestRecordReceived | IngestRecordRejected;
