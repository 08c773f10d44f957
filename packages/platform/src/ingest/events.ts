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
  readonly type: 'stored';
  readonly result: AppendResult;
  /** The batch as written (for anchoring it in a ledger, for example). */
  readonly readings: readonly Reading[];
  readonly readingIds: readonly string[];
}

/**
 * A batch was not written. `error` is the store's error after retries (`store/unavailable`,
 * `store/query-failed`, `store/closed` ...) or `buffer/overflow` when too many batches were
 * waiting; `readings` is the whole batch, for the caller to redeliver or park.
 */
export interface IngestStoreFailed {
  readonly type: 'store-failed';
  readonly error: HealthItError;
  readonly readings: readonly Reading[];
  /** How many times the store was asked to append this batch (0 when it was never tried). */
  readonly attempts: number;
}

/** An input did not match the `Reading` schema; it was left out of its batch. */
export interface IngestReadingRejected {
  readonly type: 'reading-rejected';
  readonly error: ValidationError;
  readonly input: unknown;
}

/** What {@link ingestReadings} emits, discriminated on `type`. */
export type IngestEvent = IngestStored | IngestStoreFailed | IngestReadingRejected;

/** A decoded uplink record that is not a reading: an alert, a command or a command status. */
export type IngestedRecord = DecodedAlertRecord | DecodedCommandRecord | DecodedCommandStatusRecord;

/** An alert, command or command-status record arrived (for the alert manager, the audit trail). */
export interface IngestRecordReceived {
  readonly type: 'record';
  readonly record: IngestedRecord;
}

/**
 * An uplink record could not be decoded (not UTF-8 JSON, a schema violation, an id or key that
 * does not match its payload, a kind without decoder): it was left out; nothing else is affected.
 */
export interface IngestRecordRejected {
  readonly type: 'record-rejected';
  readonly error: HealthItError;
  readonly record: UplinkRecord;
}

/** What {@link ingestUplinkRecords} emits: the reading events of `ingestReadings`, and the records. */
export type UplinkIngestEvent = IngestEvent | IngestRecordReceived | IngestRecordRejected;
