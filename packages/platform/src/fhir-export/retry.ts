import type { FhirOperationOutcome } from './types.js';

/** How failed requests are retried. Every field has a default. */
export interface RetryOptions {
  /** Retries after the first attempt (default 5). 0 disables retrying. */
  readonly retries?: number;
  /** Backoff cap of the first retry (default 200 ms); doubles per retry ("full jitter"). */
  readonly initialDelayMs?: number;
  /** Largest backoff (default 30 s). */
  readonly maxDelayMs?: number;
  /** Largest wait a server's `Retry-After` can ask for (default 120 s); a longer one is clamped. */
  readonly maxRetryAfterMs?: number;
  /** Timeout of one attempt (default 60 s); a timed-out attempt is retried (creates are conditional). */
  readonly timeoutMs?: number;
  /** Uniform random numbers in [0, 1) for the jitter (default `Math.random`); inject for tests. */
  readonly random?: () => number;
  /** Waits `ms` (default a timer); inject for tests. Must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each retry, e.g. to log or count. */
  readonly onRetry?: (retry: RetryEvent) => void;
}

/** One retry about to happen. */
export interface RetryEvent {
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  /**
   * How long the exporter waits before the retry, ms: the jittered backoff, or the server's
   * `Retry-After` when longer (at most `maxRetryAfterMs`).
   */
  readonly delayMs: number;
  /** The HTTP status of the failed attempt; absent for a network error or timeout. */
  readonly status?: number;
  /** Why the attempt failed, e.g. `HTTP 503`, `timed out`, `network error: ECONNRESET`. */
  readonly reason: string;
}

/** What a failed request tells us. */
export interface RequestFailure {
  /** The HTTP status; absent when no response arrived (network error, timeout). */
  readonly status?: number;
  /** The OperationOutcome in the response body, when the server sent one. */
  readonly outcome?: FhirOperationOutcome;
  /** How long the server's `Retry-After` header asks to wait, ms, when it sent one. */
  readonly retryAfterMs?: number;
  /** True for network errors, timeouts, 408, 429 and 5xx; other statuses are permanent. */
  readonly retryable: boolean;
  /** The failure in a few words, e.g. `HTTP 422`, `timed out`, `network error: ECONNREFUSED`. */
  readonly reason: string;
  /** The error as thrown by fetch or the FHIR client. */
  readonly cause: unknown;
}

/** Statuses worth retrying: timeout, rate limit, and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` (delta-seconds or an HTTP-date) in ms from `now`, or undefined. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function asOutcome(data: unknown): FhirOperationOutcome | undefined {
  return typeof data === 'object' &&
    data !== null &&
    (data as { resourceType?: unknown }).resourceType === 'OperationOutcome'
    ? (data as FhirOperationOutcome)
    : undefined;
}

/**
 * Reads an error thrown by fetch or fhir-kit-client (which throws `Error` with `response: { status,
 * data }` and `config.headers` for a non-2xx answer).
 */
export function classifyFailure(error: unknown, now: number = Date.now()): RequestFailure {
  const e = error as {
    name?: string;
    message?: string;
    response?: { status?: number; data?: unknown };
    config?: { headers?: { get?: (name: string) => string | null } };
    cause?: { code?: string; message?: string };
  };
  const status = e?.response?.status;
  if (typeof status === 'number') {
    const outcome = asOutcome(e.response?.data);
    const retryAfterMs = parseRetryAfter(e.config?.headers?.get?.('retry-after'), now);
    return {
      status,
      ...(outcome === undefined ? {} : { outcome }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      retryable: isRetryableStatus(status),
      reason: `HTTP ${status}`,
      cause: error,
    };
  }
  if (e?.name === 'TimeoutError') return { retryable: true, reason: 'timed out', cause: error };
  const code = e?.cause?.code;
  return {
    retryable: true,
    reason: `network error: ${code ?? e?.cause?.message ?? e?.message ?? String(error)}`,
    cause: error,
  };
}

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** The backoff before retry number `retry` (1-based): uniform in [0, min(max, initial·2^(retry-1))). */
export function backoffDelayMs(retry: number, options: RetryOptions = {}): number {
  const initial = options.initialDelayMs ?? 200;
  const max = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  return Math.floor(random() * Math.min(max, initial * 2 ** (retry - 1)));
}

/** Thrown by {@link withRetry} when the request failed for good: the last failure and the attempts. */
export class RetriesFailed extends Error {
  constructor(
    readonly failure: RequestFailure,
    readonly attempts: number,
  ) {
    super(failure.reason);
  }
}

/**
 * Runs `attempt` until it succeeds, retrying retryable failures (network errors, timeouts, 408, 429,
 * 5xx) with exponential backoff and full jitter, waiting at least what `Retry-After` asks.
 * Aborting `signal` stops at once with its reason.
 *
 * @throws {RetriesFailed} with the last failure, when it is permanent or retries ran out.
 */
export async function withRetry<T>(
  attempt: (signal: AbortSignal) => Promise<T>,
  options: RetryOptions = {},
  signal?: AbortSignal,
): Promise<T> {
  const retries = options.retries ?? 5;
  const sleep = options.sleep ?? defaultSleep;
  const timeoutMs = options.timeoutMs ?? 60_000;
  for (let n = 1; ; n++) {
    signal?.throwIfAborted();
    const timeout = AbortSignal.timeout(timeoutMs);
    const attemptSignal = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      return await attempt(attemptSignal);
    } catch (error) {
      signal?.throwIfAborted();
      const failure = classifyFailure(error);
      if (!failure.retryable || n > retries) throw new RetriesFailed(failure, n);
      const backoff = backoffDelayMs(n, options);
      const delayMs =
        failure.retryAfterMs === undefined
          ? backoff
          : Math.min(Math.max(failure.retryAfterMs, backoff), options.maxRetryAfterMs ?? 120_000);
      options.onRetry?.({
        attempt: n,
        delayMs,
        ...(failure.status === undefined ? {} : { status: failure.status }),
        reason: failure.reason,
      });
      await sleep(delayMs, signal);
    }
  }
}
