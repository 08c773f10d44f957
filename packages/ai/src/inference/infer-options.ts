import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { OVERFLOW_POLICIES, type OverflowPolicy } from './events.js';

/** Options of `infer` and `inferBatches`. */
export interface InferOptions {
  /** Inputs per model run at most; a run starts as soon as this many are waiting. Default 64. */
  readonly maxBatch?: number;
  /**
   * How long the oldest waiting input may wait for its batch to fill, in ms: a partial batch runs
   * this long after its first input arrived. `0`: no wait, a run starts whenever a run slot is
   * free (inputs that arrive while all slots are busy still batch up). Default 10. (After a
   * `drop-oldest` drop, a batch may run before its deadline — never after it.)
   */
  readonly maxWaitMs?: number;
  /** Model runs in flight at most. Default 1. */
  readonly concurrency?: number;
  /**
   * Inputs waiting for a run at most (not counting those in flight). Default 4096. When an input
   * arrives and this many are waiting, `overflow` applies.
   */
  readonly maxBuffered?: number;
  /**
   * When the buffer is full: `'drop-oldest'` (default: the oldest waiting input is dropped, fresh
   * data wins, as real-time scoring wants), `'drop-newest'` (the arriving input is dropped), each
   * drop a `stage: 'overflow'` failure carrying an {@link InferenceOverflowError} with the running
   * count; or `'error'` (the stream errors with an {@link InferenceOverflowError}: for pipelines
   * that must lose nothing and pace their source).
   */
  readonly overflow?: OverflowPolicy;
  /** Scheduler of the `maxWaitMs` timer and of `now()`. Default `asyncScheduler`; inject a `TestScheduler`. */
  readonly scheduler?: SchedulerLike;
}

/** {@link InferOptions} checked, with their defaults. @internal */
export interface ResolvedInferOptions {
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly concurrency: number;
  readonly maxBuffered: number;
  readonly overflow: OverflowPolicy;
  readonly scheduler: SchedulerLike;
}

/**
 * Checks {@link InferOptions} and fills in the defaults; `fn` names the operator in messages.
 * @throws {TypeError} when an option has the wrong type;
 * @throws {RangeError} when an option has a wrong value.
 * @internal
 */
export function resolveInferOptions(fn: string, options: InferOptions): ResolvedInferOptions {
  const positiveInteger = (name: string, value: unknown, fallback: number): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number') throw new TypeError(`${fn}: ${name} must be a number`);
    if (!Number.isSafeInteger(v) || v < 1)
      throw new RangeError(`${fn}: ${name} must be an integer >= 1, got ${v}`);
    return v;
  };
  const maxBatch = positiveInteger('maxBatch', options.maxBatch, 64);
  const concurrency = positiveInteger('concurrency', options.concurrency, 1);
  const maxBuffered = positiveInteger('maxBuffered', options.maxBuffered, 4096);
  const maxWaitMs = options.maxWaitMs ?? 10;
  if (typeof maxWaitMs !== 'number') throw new TypeError(`${fn}: maxWaitMs must be a number`);
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new RangeError(`${fn}: maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`);
  }
  const overflow = options.overflow ?? 'drop-oldest';
  if (!OVERFLOW_POLICIES.includes(overflow)) {
    throw new RangeError(
      `${fn}: overflow must be one of ${OVERFLOW_POLICIES.join(', ')}, got ${String(overflow)}`,
    );
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  return { maxBatch, maxWaitMs, concurrency, maxBuffered, overflow, scheduler };
}
