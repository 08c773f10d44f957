import type { HealthItError, LoadedModel, Tensor } from '@healthit/core';
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { InferenceCodec } from './codec.js';
import {
  asHealthItError,
  type InferenceEvent,
  type InferenceFailure,
  InferenceOverflowError,
  type InferenceStage,
  type ModelRef,
  OVERFLOW_POLICIES,
  type OverflowPolicy,
} from './events.js';
import { type Batch, InputBuffer } from './input-buffer.js';

/** Options of {@link infer}. */
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

/** A batch handed to the model; `events` is set once its outcome is known. */
interface Run<In, Out> {
  events: InferenceEvent<In, Out>[] | undefined;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number') throw new TypeError(`infer: ${name} must be a number`);
  if (!Number.isSafeInteger(v) || v < 1)
    throw new RangeError(`infer: ${name} must be an integer >= 1, got ${v}`);
  return v;
}

/**
 * Runs a model on a stream: micro-batches inputs, runs the batches with bounded concurrency, and
 * emits exactly one {@link InferenceEvent} per input — its result, or its failure as a value (the
 * stream goes on). The same operator, model and codec serve the gateway pipeline and the platform;
 * only the options differ.
 *
 * - **Batching by count and by time.** A run starts when `maxBatch` inputs are waiting, or
 *   `maxWaitMs` after the oldest waiting input arrived (`0`: at once), whichever comes first, as
 *   soon as fewer than `concurrency` runs are in flight. When the source completes, what is waiting
 *   runs at once; the stream completes after the last result.
 * - **Order.** Results and failures come in input order, whatever order concurrent runs finish in
 *   (a run that finishes early waits, bounded by `concurrency` runs). Only `overflow` drops are
 *   emitted out of order: at the moment they happen.
 * - **Bounded.** At most `maxBuffered` inputs wait and `concurrency × maxBatch` are in flight;
 *   when the buffer is full, `overflow` says what happens (see {@link InferOptions.overflow}).
 * - **Failures are values.** A codec that refuses an input (`prepare`, `decode`) fails that input;
 *   a failed run or `encode` fails each input of its batch, with the same error. Only an error of
 *   the source, or an overflow under policy `'error'`, errors the stream.
 *
 * Cold: each subscription has its own buffer and timer; unsubscribing cancels the timer and
 * ignores runs still in flight. The caller owns `model` (never disposed here).
 *
 * @throws {TypeError} when `model` is not a `LoadedModel`, `codec` lacks `encode`/`decode`, or an
 *   option has the wrong type;
 * @throws {RangeError} when an option has a wrong value.
 * @example
 * ```ts
 * const model = await createOnnxRuntime().load(deteriorationModelV0());
 * const codec = float32RowsCodec({ inputName: 'vitals', width: 5, outputName: 'risk',
 *   features: vitalsFeatures, column: 0 });
 * samples$.pipe(infer(model, codec, { maxBatch: 64, maxWaitMs: 10 })).subscribe((e) => {
 *   if (e.type === 'result') console.log(e.output);
 *   else console.warn(e.stage, e.error.code, e.error.message);
 * });
 * ```
 */
export function infer<In, Out, Prepared = In>(
  model: LoadedModel,
  codec: InferenceCodec<In, Out, Prepared>,
  options: InferOptions = {},
): OperatorFunction<In, InferenceEvent<In, Out>> {
  if (typeof model?.run !== 'function') {
    throw new TypeError('infer: model must be a LoadedModel (from ModelRuntime.load)');
  }
  if (typeof codec?.encode !== 'function' || typeof codec.decode !== 'function') {
    throw new TypeError('infer: codec must have encode and decode functions (see float32RowsCodec)');
  }
  if (codec.prepare !== undefined && typeof codec.prepare !== 'function') {
    throw new TypeError('infer: codec.prepare must be a function when given');
  }
  const maxBatch = positiveInteger('maxBatch', options.maxBatch, 64);
  const concurrency = positiveInteger('concurrency', options.concurrency, 1);
  const maxBuffered = positiveInteger('maxBuffered', options.maxBuffered, 4096);
  const maxWaitMs = options.maxWaitMs ?? 10;
  if (typeof maxWaitMs !== 'number') throw new TypeError('infer: maxWaitMs must be a number');
  if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new RangeError(`infer: maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`);
  }
  const overflow = options.overflow ?? 'drop-oldest';
  if (!OVERFLOW_POLICIES.includes(overflow)) {
    throw new RangeError(
      `infer: overflow must be one of ${OVERFLOW_POLICIES.join(', ')}, got ${String(overflow)}`,
    );
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const ref: ModelRef = Object.freeze({ id: model.id, version: model.version });
  const where = `infer: model ${model.id}@${model.version}`;
  const prepare = codec.prepare?.bind(codec);
  const release = codec.release?.bind(codec);

  return (source) =>
    new Observable<InferenceEvent<In, Out>>((subscriber) => {
      const waiting = new InputBuffer<In, Prepared>(maxBuffered);
      /** Runs in flight, or finished but not yet emitted, oldest first (at most `concurrency`). */
      const runs: Run<In, Out>[] = [];
      let inFlight = 0;
      let dropped = 0;
      let sourceDone = false;
      let closed = false;
      let timer: Subscription | undefined;
      let timerAt = Number.NaN;

      const failure = (input: In, stage: InferenceStage, error: HealthItError): InferenceFailure<In> => ({
        type: 'error',
        input,
        stage,
        error,
        model: ref,
      });

      /** Emits the outcomes of finished runs, oldest first, stopping at the first still in flight. */
      const emitFinished = (): void => {
        while (!closed && runs.length > 0 && (runs[0] as Run<In, Out>).events !== undefined) {
          const events = (runs.shift() as Run<In, Out>).events as InferenceEvent<In, Out>[];
          for (let i = 0; i < events.length; i++) {
            if (closed) return;
            subscriber.next(events[i] as InferenceEvent<In, Out>);
          }
        }
        if (!closed && sourceDone && runs.length === 0 && waiting.length === 0) subscriber.complete();
      };

      const finish = (run: Run<In, Out>, events: InferenceEvent<In, Out>[]): void => {
        run.events = events;
        inFlight--;
        if (closed) return;
        emitFinished();
        pump(Number.NaN, false);
      };

      /**
       * Settles a run: one event per input of its batch, in order — its `prepare` refusal, else the
       * run's `error` (at `stage`), else its decoded output (or its `decode` failure).
       */
      const settle = (
        run: Run<In, Out>,
        batch: Batch<In, Prepared>,
        size: number,
        outputs: Readonly<Record<string, Tensor>> | undefined,
        error: HealthItError | undefined,
        stage: InferenceStage,
      ): void => {
        const { inputs, failures } = batch;
        const n = inputs.length;
        const events = new Array<InferenceEvent<In, Out>>(n);
        if (failures === undefined && error === undefined) {
          // The common case: every input was run and the run succeeded.
          const out = outputs as Readonly<Record<string, Tensor>>;
          for (let i = 0; i < n; i++) {
            const input = inputs[i] as In;
            try {
              events[i] = { type: 'result', input, output: codec.decode(out, i, size), model: ref };
            } catch (e) {
              events[i] = failure(
                input,
                'decode',
                asHealthItError(e, 'model/run', `${where}: cannot read the output of input ${i} of ${size}`),
              );
            }
          }
          finish(run, events);
          return;
        }
        let k = 0; // index among the inputs that were run
        for (let i = 0; i < n; i++) {
          const input = inputs[i] as In;
          const refused = failures === undefined ? undefined : failures[i];
          if (refused !== undefined) {
            events[i] = failure(input, 'prepare', refused);
            continue;
          }
          if (error !== undefined) events[i] = failure(input, stage, error);
          else {
            try {
              events[i] = {
                type: 'result',
                input,
                output: codec.decode(outputs as Readonly<Record<string, Tensor>>, k, size),
                model: ref,
              };
            } catch (e) {
              events[i] = failure(
                input,
                'decode',
                asHealthItError(e, 'model/run', `${where}: cannot read the output of input ${k} of ${size}`),
              );
            }
          }
          k++;
        }
        finish(run, events);
      };

      const start = (batch: Batch<In, Prepared>): void => {
        const run: Run<In, Out> = { events: undefined };
        runs.push(run);
        inFlight++;
        const { inputs, failures } = batch;
        // The inputs `prepare` accepted, in order (all of them unless some were refused).
        let valid = batch.prepared;
        if (failures !== undefined) {
          valid = [];
          for (let i = 0; i < inputs.length; i++)
            if (failures[i] === undefined) valid.push(batch.prepared[i] as Prepared);
        }
        const size = valid.length;
        if (size === 0) {
          settle(run, batch, 0, undefined, undefined, 'prepare'); // every input was refused on arrival
          return;
        }
        let feeds: Readonly<Record<string, Tensor>>;
        try {
          feeds = codec.encode(valid);
        } catch (e) {
          const error = asHealthItError(e, 'model/run', `${where}: cannot encode a batch of ${size}`);
          settle(run, batch, size, undefined, error, 'encode');
          return;
        }
        let pending: Promise<Record<string, Tensor>>;
        try {
          pending = model.run(feeds);
        } catch (e) {
          pending = Promise.reject(e);
        }
        // `.then` directly, not `await`: no extra microtask hop per run, and a test double whose run
        // settles in virtual time (a thenable driven by a TestScheduler) keeps the operator in it.
        pending.then(
          (outputs) => {
            if (closed) return;
            settle(run, batch, size, outputs, undefined, 'run');
            release?.(feeds);
          },
          (e: unknown) => {
            if (closed) return;
            const error = asHealthItError(e, 'model/run', `${where}: a run of ${size} failed`);
            settle(run, batch, size, undefined, error, 'run');
            release?.(feeds);
          },
        );
      };

      const cancelTimer = (): void => {
        timer?.unsubscribe();
        timer = undefined;
        timerAt = Number.NaN;
      };

      /**
       * Starts every run that is due and has a slot; arms the timer for the next deadline. `now` is
       * the caller's `scheduler.now()` when it has one (NaN: read it if needed). On an arrival
       * (`arrival`), only the count can make the waiting batch due — its deadline is the timer's
       * business — so the clock is not read per input.
       */
      const pump = (now: number, arrival: boolean): void => {
        while (!closed && inFlight < concurrency && waiting.length > 0) {
          let due = waiting.length >= maxBatch || sourceDone || maxWaitMs === 0;
          if (!due && !arrival) {
            if (Number.isNaN(now)) now = scheduler.now();
            due = now >= waiting.oldestArrival() + maxWaitMs;
          }
          if (!due) break;
          start(waiting.take(maxBatch));
          arrival = false; // the next head arrived earlier: it may be overdue
        }
        if (closed) return;
        // A timer is needed only when a partial batch waits for its deadline and a slot is free to
        // run it then; when every slot is busy, the next run's completion pumps again.
        if (waiting.length === 0 || inFlight >= concurrency || maxWaitMs === 0 || sourceDone) {
          if (timer !== undefined) cancelTimer();
          return;
        }
        const deadline = waiting.oldestArrival() + maxWaitMs;
        if (timer !== undefined && timerAt === deadline) return;
        cancelTimer();
        timerAt = deadline;
        if (Number.isNaN(now)) now = scheduler.now();
        timer = scheduler.schedule(
          () => {
            timer = undefined;
            timerAt = Number.NaN;
            pump(Number.NaN, false);
          },
          Math.max(0, deadline - now),
        );
      };

      const drop = (input: In): void => {
        dropped++;
        subscriber.next(
          failure(input, 'overflow', new InferenceOverflowError(where, overflow, maxBuffered, dropped)),
        );
      };

      const subscription = source.subscribe({
        next(input) {
          if (closed) return;
          let prepared: Prepared | undefined;
          let refused: HealthItError | undefined;
          if (prepare === undefined) prepared = input as unknown as Prepared;
          else {
            try {
              prepared = prepare(input);
            } catch (e) {
              refused = asHealthItError(e, 'validation/invalid', `${where}: input refused by the codec`);
            }
          }
          if (waiting.full) {
            if (overflow === 'error') {
              closed = true;
              cancelTimer();
              subscriber.error(new InferenceOverflowError(where, overflow, maxBuffered, 0));
              return;
            }
            if (overflow === 'drop-newest') {
              drop(input);
              return;
            }
            drop(waiting.shift() as In);
            if (closed) return;
          }
          // The arrival time matters only for a batch's deadline, so it is read only for the inputs
          // that can head a batch: batches are taken maxBatch at a time from the oldest, so those
          // at positions 0, maxBatch, 2·maxBatch ... (after a drop-oldest, a head without a time
          // uses the time of an earlier input: its batch may run early, never late).
          const now = maxWaitMs === 0 || waiting.length % maxBatch !== 0 ? Number.NaN : scheduler.now();
          waiting.push(input, prepared, refused, now);
          pump(now, true);
        },
        error(e) {
          if (closed) return;
          closed = true;
          cancelTimer();
          subscriber.error(e);
        },
        complete() {
          if (closed) return;
          sourceDone = true;
          pump(Number.NaN, false);
          emitFinished();
        },
      });

      return () => {
        closed = true;
        cancelTimer();
        subscription.unsubscribe();
      };
    });
}
