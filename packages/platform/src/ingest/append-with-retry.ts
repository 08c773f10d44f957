import {
  type AppendResult,
  HealthItError,
  isHealthItError,
  type Reading,
  type ReadingStore,
} from '@healthit/core';

/** How {@link appendWithRetry} retries. */
export interface AppendRetryOptions {
  /** Attempts, the first included (≥ 1). */
  readonly maxAttempts: number;
  /** Delay before the first retry, ms; it doubles on each further retry ... */
  readonly retryBaseDelayMs: number;
  /** ... up to this delay, ms. */
  readonly retryMaxDelayMs: number;
  /** Aborts the waits between attempts (the attempt in progress still settles). */
  readonly signal?: AbortSignal;
}

/** What {@link appendWithRetry} resolves with: the store's result, or its last error. */
export type AppendOutcome =
  | {
      /** The store committed the batch. */
      readonly ok: true;
      /** What the store did: readings inserted, duplicates, conflicts. */
      readonly result: AppendResult;
      /** Appends made, the successful one included (1 when the first succeeded). */
      readonly attempts: number;
    }
  | {
      /** The batch was not committed. */
      readonly ok: false;
      /**
       * The last error: a permanent one, or the last retryable one once `maxAttempts` were used or
       * `signal` aborted; a foreign store's error is wrapped as `store/query-failed`.
       */
      readonly error: HealthItError;
      /** Appends made, the failed last one included. */
      readonly attempts: number;
    };

/** The store's error as a HealthItError (a foreign store's error becomes `store/query-failed`). */
export function asStoreError(e: unknown): HealthItError {
  if (e instanceof HealthItError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new HealthItError('store/query-failed', `Reading store append failed: ${message}`, { cause: e });
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Appends one batch to a {@link ReadingStore}, retrying a retryable error (`store/unavailable`)
 * with exponential back-off (`retryBaseDelayMs · 2ⁿ`, capped at `retryMaxDelayMs`) for at most
 * `maxAttempts` attempts; a permanent error is not retried. Never rejects: the outcome says
 * whether the batch was committed. The Promise counterpart of the retry in `ingestReadings`, for
 * consumers that must know when a batch is committed before they acknowledge it.
 */
export async function appendWithRetry(
  store: Pick<ReadingStore, 'append'>,
  readings: readonly Reading[],
  options: AppendRetryOptions,
): Promise<AppendOutcome> {
  let attempts = 0;
  for (;;) {
    attempts += 1;
    try {
      return { ok: true, result: await store.append(readings), attempts };
    } catch (e) {
      const error = asStoreError(e);
      const again =
        isHealthItError(error) &&
        error.retryable &&
        attempts < options.maxAttempts &&
        options.signal?.aborted !== true;
      if (!again) return { ok: false, error, attempts };
      const delay = Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** (attempts - 1));
      await sleep(delay, options.signal);
    }
  }
}
