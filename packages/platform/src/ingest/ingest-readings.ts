import { HealthItError, isHealthItError, Reading, type ReadingStore, safeParse } from '@healthit/core';
import {
  asyncScheduler,
  bufferTime,
  catchError,
  concatMap,
  defer,
  EMPTY,
  finalize,
  map,
  Observable,
  type OperatorFunction,
  of,
  retry,
  type SchedulerLike,
  Subject,
  throwError,
  timer,
} from 'rxjs';
import type { IngestEvent } from './events.js';

/** Options of {@link ingestReadings}. */
export interface IngestOptions {
  /** A batch is written when it holds this many readings (default 500). */
  readonly maxBatch?: number;
  /** ... or when this many ms have passed since the batch was started (default 200). */
  readonly maxWaitMs?: number;
  /**
   * Batches accepted and not yet written, the one being written included (default 16). When that
   * many are pending, a new batch is not queued: it is emitted at once as `store-failed` with a
   * `buffer/overflow` error and its readings (reject-newest), so memory stays bounded while the
   * store is slow or down, and nothing is dropped silently: the caller (e.g. a store-and-forward
   * outbox) redelivers those readings later.
   */
  readonly maxPendingBatches?: number;
  /** Attempts per batch for retryable errors, the first included (default 5; 1 disables retry). */
  readonly maxAttempts?: number;
  /** Delay before the first retry (default 100 ms); it doubles on each further retry ... */
  readonly retryBaseDelayMs?: number;
  /** ... up to this delay (default 5 000 ms). */
  readonly retryMaxDelayMs?: number;
  /** Scheduler for batching windows and retry delays (default `asyncScheduler`; tests pass a TestScheduler). */
  readonly scheduler?: SchedulerLike;
}

function positiveInteger(name: string, value: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function nonNegative(name: string, value: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${value}`);
  }
  return value;
}

/** The store's error as a HealthItError (a foreign store's error becomes `store/query-failed`). */
function asHealthItError(e: unknown): HealthItError {
  if (e instanceof HealthItError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new HealthItError('store/query-failed', `Reading store append failed: ${message}`, { cause: e });
}

/**
 * The platform's ingestion stage: validates readings, batches them and writes the batches to a
 * {@link ReadingStore} in order, reporting each batch's outcome as an {@link IngestEvent}.
 *
 * - A reading that does not match the `Reading` schema is emitted at once as `reading-rejected`
 *   and left out, so one bad reading cannot fail its whole batch.
 * - Batching is `bufferTime(maxWaitMs, null, maxBatch)`: a batch is closed when it is full or
 *   `maxWaitMs` after it was started, whichever is first; empty windows write nothing.
 * - Batches are written one at a time, in order (`concatMap`). A retryable error
 *   (`store/unavailable`) is retried after `retryBaseDelayMs`, doubling up to `retryMaxDelayMs`,
 *   for at most `maxAttempts` attempts; then, or at once for a permanent error, the batch is
 *   emitted as `store-failed` with its readings, and ingestion goes on with the next batch.
 * - Pending batches are bounded by `maxPendingBatches` (policy: reject newest, see that option).
 * - When the source completes, the last partial batch is written, then the output completes. When
 *   the source errors, the readings received before the error are written first, then the error is
 *   forwarded. Unsubscribing stops everything (a write in progress finishes in the store but is not
 *   reported).
 *
 * Cold: each subscription has its own batches and queue. The store is idempotent, so redelivering
 * the readings of a `store-failed` batch is always safe.
 *
 * @throws {TypeError} when `store` has no `append`, or an option is not a number.
 * @throws {RangeError} when an option is out of range.
 * @example
 * ```ts
 * readings$.pipe(ingestReadings(store, { maxBatch: 1000, maxWaitMs: 500 })).subscribe((e) => {
 *   if (e.type === 'store-failed') outbox.redeliverLater(e.readings);
 * });
 * ```
 */
export function ingestReadings(
  store: Pick<ReadingStore, 'append'>,
  options: IngestOptions = {},
): OperatorFunction<Reading, IngestEvent> {
  if (typeof store?.append !== 'function') throw new TypeError('store must be a ReadingStore with append()');
  const maxBatch = positiveInteger('maxBatch', options.maxBatch ?? 500);
  const maxWaitMs = nonNegative('maxWaitMs', options.maxWaitMs ?? 200);
  if (maxWaitMs === 0) throw new RangeError('maxWaitMs must be greater than 0');
  const maxPending = positiveInteger('maxPendingBatches', options.maxPendingBatches ?? 16);
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 5);
  const baseDelayMs = nonNegative('retryBaseDelayMs', options.retryBaseDelayMs ?? 100);
  const maxDelayMs = nonNegative('retryMaxDelayMs', options.retryMaxDelayMs ?? 5_000);
  if (maxDelayMs < baseDelayMs) {
    throw new RangeError(`retryMaxDelayMs (${maxDelayMs}) must be >= retryBaseDelayMs (${baseDelayMs})`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  /** Appends one batch with bounded retries; always completes with exactly one event. */
  function write(batch: readonly Reading[]): Observable<IngestEvent> {
    let attempts = 0;
    return defer(() => {
      attempts += 1;
      return store.append(batch);
    }).pipe(
      retry({
        count: maxAttempts - 1,
        delay: (error: unknown, retryCount: number) =>
          isHealthItError(error) && error.retryable
            ? timer(Math.min(maxDelayMs, baseDelayMs * 2 ** (retryCount - 1)), scheduler)
            : throwError(() => error),
      }),
      map(
        (result): IngestEvent => ({
          type: 'stored',
          result,
          readings: batch,
          readingIds: batch.map((r) => r.id),
        }),
      ),
      catchError((error: unknown) =>
        of<IngestEvent>({ type: 'store-failed', error: asHealthItError(error), readings: batch, attempts }),
      ),
    );
  }

  return (source) =>
    new Observable<IngestEvent>((subscriber) => {
      let sourceError: { readonly error: unknown } | undefined;
      let pending = 0;
      const accepted = new Subject<readonly Reading[]>();

      const writer = accepted
        .pipe(
          concatMap((batch) =>
            write(batch).pipe(
              finalize(() => {
                pending -= 1;
              }),
            ),
          ),
        )
        .subscribe({
          next: (event) => subscriber.next(event),
          error: (error: unknown) => subscriber.error(error),
          complete: () =>
            sourceError === undefined ? subscriber.complete() : subscriber.error(sourceError.error),
        });

      const reader = source
        .pipe(
          concatMap((input): Observable<Reading> => {
            const parsed = safeParse(Reading, 'Reading', input, 'ingestReadings');
            if (parsed.ok) return of(parsed.value);
            subscriber.next({ type: 'reading-rejected', error: parsed.error, input });
            return EMPTY;
          }),
          // Turn a source error into completion so bufferTime flushes its last batch first.
          catchError((error: unknown) => {
            sourceError = { error };
            return EMPTY;
          }),
          bufferTime(maxWaitMs, null, maxBatch, scheduler),
        )
        .subscribe({
          next: (batch) => {
            if (batch.length === 0) return;
            if (pending >= maxPending) {
              subscriber.next({
                type: 'store-failed',
                error: new HealthItError(
                  'buffer/overflow',
                  `ingestReadings: ${pending} batches are already waiting for the store (maxPendingBatches ${maxPending}); ` +
                    `this batch of ${batch.length} readings was not queued. Redeliver it later, or raise maxPendingBatches.`,
                  {
                    detail: {
                      pendingBatches: pending,
                      maxPendingBatches: maxPending,
                      batchSize: batch.length,
                    },
                  },
                ),
                readings: batch,
                attempts: 0,
              });
              return;
            }
            pending += 1;
            accepted.next(batch);
          },
          complete: () => accepted.complete(),
        });

      return () => {
        reader.unsubscribe();
        writer.unsubscribe();
      };
    });
}
