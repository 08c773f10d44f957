import {
  HealthItError,
  type JsonValue,
  type LedgerReceipt,
  type LedgerRecord,
  type LedgerSink,
} from '@healthit/core';
import {
  asyncScheduler,
  bufferTime,
  filter,
  map,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { AlertEvent, ManagedAlert } from './types.js';

/** The ledger record type of alert lifecycle events. */
export const ALERT_LEDGER_RECORD_TYPE = 'alert-event';

function summary(a: ManagedAlert): JsonValue {
  const out: Record<string, JsonValue> = {
    id: a.id,
    rule: a.alert.rule,
    state: a.state,
    severity: a.severity,
    occurrences: a.occurrences,
    escalationLevel: a.escalationLevel,
    openedAt: a.openedAt,
    lastSeenAt: a.lastSeenAt,
    source: a.source,
    route: [...a.route],
    readingIds: [...a.alert.readingIds],
  };
  if (a.alert.patientId !== undefined) out.patientId = a.alert.patientId;
  if (a.alert.deviceId !== undefined) out.deviceId = a.alert.deviceId;
  if (a.alert.metric !== undefined) out.metric = a.alert.metric;
  if (a.ward !== undefined) out.ward = a.ward;
  if (a.acknowledged !== undefined)
    out.acknowledged = JSON.parse(JSON.stringify(a.acknowledged)) as JsonValue;
  if (a.resolved !== undefined) out.resolved = { ...a.resolved };
  return out;
}

/**
 * The tamper-evident audit record of one lifecycle event: who did what to which alert, when, and
 * (for acknowledgements and denials) the access decision with its rule and reason.
 */
export function alertEventToLedgerRecord(event: AlertEvent): LedgerRecord {
  const body: Record<string, JsonValue> = { event: event.type, ts: event.ts };
  if (event.alertId !== undefined) body.alertId = event.alertId;
  if ('alert' in event) body.alert = summary(event.alert);
  if ('decision' in event && event.decision !== undefined) {
    body.decision = JSON.parse(JSON.stringify(event.decision)) as JsonValue;
  }
  switch (event.type) {
    case 'alert.escalated':
      body.level = event.level;
      body.notify = [...event.notify];
      break;
    case 'alert.deduplicated':
      body.occurrenceId = event.occurrenceId;
      break;
    case 'alert.rejected':
      body.error = JSON.parse(JSON.stringify(event.error.toJSON())) as JsonValue;
      break;
    default:
      break;
  }
  return { type: ALERT_LEDGER_RECORD_TYPE, body };
}

/** Options of {@link auditAlertEvents}. */
export interface AuditAlertEventsOptions {
  /** Records per ledger append (default 100). */
  readonly maxBatch?: number;
  /** A batch is appended at the latest this long after it started (default 1 000 ms). */
  readonly maxWaitMs?: number;
  /**
   * Batches waiting for the ledger, the one being appended included (default 64). When full, a new
   * batch is not queued: it is emitted at once as `audit-failed` with `buffer/overflow`
   * (reject-newest) so the caller can park it.
   */
  readonly maxPendingBatches?: number;
  /** Which events to record (default: all). */
  readonly include?: (event: AlertEvent) => boolean;
  /** Runs the batching timer (default `asyncScheduler`; tests pass a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/** What {@link auditAlertEvents} emits per batch. */
export type AlertAuditOutcome =
  | {
      /** The batch was appended to the ledger. */
      readonly type: 'audited';
      /** One ledger receipt per record of the batch, in event order. */
      readonly receipts: readonly LedgerReceipt[];
    }
  | {
      /** The batch was not appended; nothing of it is in the ledger. */
      readonly type: 'audit-failed';
      /**
       * Why: the sink's error (a non-SDK error wrapped as `state/invalid`), or `buffer/overflow`
       * when `maxPendingBatches` batches were already waiting.
       */
      readonly error: HealthItError;
      /** The batch's ledger records (type `alert-event`), for the caller to park and append later. */
      readonly records: readonly LedgerRecord[];
    };

/**
 * Appends alert events to a `LedgerSink` in order, batched; a failed append is an `audit-failed`
 * value with the records (never an error that stops the stream).
 * @example
 * ```ts
 * manager.events$.pipe(auditAlertEvents(ledger)).subscribe(report);
 * ```
 */
export function auditAlertEvents(
  sink: LedgerSink,
  options: AuditAlertEventsOptions = {},
): OperatorFunction<AlertEvent, AlertAuditOutcome> {
  const maxBatch = options.maxBatch ?? 100;
  const maxWaitMs = options.maxWaitMs ?? 1_000;
  const maxPending = options.maxPendingBatches ?? 64;
  for (const [name, v] of [
    ['maxBatch', maxBatch],
    ['maxPendingBatches', maxPending],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new RangeError(`maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const include = options.include ?? (() => true);
  return (events$) =>
    new Observable<AlertAuditOutcome>((subscriber) => {
      const queue: LedgerRecord[][] = [];
      let appending = false;
      let sourceDone = false;
      const pump = (): void => {
        if (appending) return;
        const records = queue.shift();
        if (records === undefined) {
          if (sourceDone) subscriber.complete();
          return;
        }
        appending = true;
        const settle = (outcome: AlertAuditOutcome): void => {
          appending = false;
          subscriber.next(outcome);
          pump();
        };
        let appended: Promise<LedgerReceipt[]>;
        try {
          appended = sink.append(records);
        } catch (e) {
          appended = Promise.reject(e);
        }
        appended.then(
          (receipts) => settle({ type: 'audited', receipts }),
          (e: unknown) =>
            settle({
              type: 'audit-failed',
              error:
                e instanceof HealthItError
                  ? e
                  : new HealthItError('state/invalid', `ledger append failed: ${String(e)}`, { cause: e }),
              records,
            }),
        );
      };
      const subscription = events$
        .pipe(
          filter(include),
          map(alertEventToLedgerRecord),
          bufferTime(maxWaitMs, null, maxBatch, scheduler),
          filter((batch) => batch.length > 0),
        )
        .subscribe({
          next: (records) => {
            if (queue.length + (appending ? 1 : 0) >= maxPending) {
              const error = new HealthItError(
                'buffer/overflow',
                `${maxPending} audit batches are waiting for the ledger; this batch of ${records.length} was not queued`,
                { detail: { maxPendingBatches: maxPending } },
              );
              subscriber.next({ type: 'audit-failed', error, records });
              return;
            }
            queue.push(records);
            pump();
          },
          error: (e: unknown) => subscriber.error(e),
          complete: () => {
            sourceDone = true;
            if (!appending) pump();
          },
        });
      return () => {
        subscription.unsubscribe();
        queue.length = 0;
      };
    });
}
