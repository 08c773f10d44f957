import type { HealthItError, LoadedModel, Tensor } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';
import type { InferenceCodec } from './codec.js';
import {
  asHealthItError,
  failureOf,
  type InferenceEvent,
  type InferenceFailure,
  InferenceOverflowError,
  type InferenceStage,
  type ModelRef,
} from './events.js';
import { type InferOptions, resolveInferOptions } from './infer-options.js';
import { type Batch, InputBuffer } from './input-buffer.js';
import { RunScheduler } from './run-scheduler.js';

/** A batch handed to the model; `events` is set once its outcome is known. */
interface Run<In, Out> {
  events: InferenceEvent<In, Out>[] | undefined;
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
 * - **Row fast path.** With a codec that has a `rowWriter` ({@link float32RowsCodec} has one), each
 *   input's row is checked and written straight into its future batch's float32 tensor as it
 *   arrives: no `prepare`/`encode`, no per-input copy or object besides the event. The operator
 *   reuses that tensor's buffer once its run has settled, so a model must not keep its feeds.
 *
 * Inputs that already come in blocks of rows are cheaper still through {@link inferBatches}: one
 * event per block.
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
  const resolved = resolveInferOptions('infer', options);
  const { maxBatch, maxWaitMs, maxBuffered, overflow, scheduler } = resolved;
  const ref: ModelRef = Object.freeze({ id: model.id, version: model.version });
  const where = `infer: model ${model.id}@${model.version}`;
  const prepare = codec.prepare?.bind(codec);
  const release = codec.release?.bind(codec);
  const writer = codec.rowWriter;
  if (writer !== undefined) {
    if (typeof writer?.write !== 'function' || typeof writer.inputName !== 'string') {
      throw new TypeError('infer: codec.rowWriter must have an inputName and a write function');
    }
    if (!Number.isSafeInteger(writer.width) || writer.width < 1) {
      throw new RangeError(
        `infer: codec.rowWriter.width must be an integer >= 1, got ${String(writer.width)}`,
      );
    }
  }
  const width = writer?.width ?? 0;

  return (source) =>
    new Observable<InferenceEvent<In, Out>>((subscriber) => {
      const waiting = new InputBuffer<In, Prepared>(maxBuffered, maxBatch, width);
      const runner = new RunScheduler(
        {
          get waiting() {
            return waiting.length;
          },
          oldestArrival: () => waiting.oldestArrival(),
          startNext: () => start(waiting.take()),
        },
        resolved,
      );
      /** Runs in flight, or finished but not yet emitted, oldest first (at most `concurrency`). */
      const runs: Run<In, Out>[] = [];
      let dropped = 0;

      const failure = (input: In, stage: InferenceStage, error: HealthItError): InferenceFailure<In> =>
        failureOf(ref, input, stage, error);

      /** Emits the outcomes of finished runs, oldest first, stopping at the first still in flight. */
      const emitFinished = (): void => {
        while (!runner.closed && runs.length > 0 && (runs[0] as Run<In, Out>).events !== undefined) {
          const events = (runs.shift() as Run<In, Out>).events as InferenceEvent<In, Out>[];
          for (let i = 0; i < events.length; i++) {
            if (runner.closed) return;
            subscriber.next(events[i] as InferenceEvent<In, Out>);
          }
        }
        if (!runner.closed && runner.sourceDone && runs.length === 0 && waiting.length === 0) {
          subscriber.complete();
        }
      };

      const finish = (run: Run<In, Out>, events: InferenceEvent<In, Out>[]): void => {
        run.events = events;
        runner.inFlight--;
        if (runner.closed) return;
        emitFinished();
        runner.pump(Number.NaN, false);
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
        runner.inFlight++;
        let size: number;
        let feeds: Readonly<Record<string, Tensor>>;
        if (writer !== undefined) {
          // Row mode: the rows were written into the batch's tensor as the inputs arrived.
          size = batch.rows;
          if (size === 0) {
            waiting.recycle(batch.data);
            settle(run, batch, 0, undefined, undefined, 'prepare'); // every input was refused on arrival
            return;
          }
          const data = batch.data as Float32Array;
          feeds = {
            [writer.inputName]: {
              type: 'float32',
              data: size * width === data.length ? data : data.subarray(0, size * width),
              dims: [size, width],
            },
          };
        } else {
          const { inputs, failures } = batch;
          // The inputs `prepare` accepted, in order (all of them unless some were refused).
          let valid = batch.prepared;
          if (failures !== undefined) {
            valid = [];
            for (let i = 0; i < inputs.length; i++)
              if (failures[i] === undefined) valid.push(batch.prepared[i] as Prepared);
          }
          size = valid.length;
          if (size === 0) {
            settle(run, batch, 0, undefined, undefined, 'prepare'); // every input was refused on arrival
            return;
          }
          try {
            feeds = codec.encode(valid);
          } catch (e) {
            const error = asHealthItError(e, 'model/run', `${where}: cannot encode a batch of ${size}`);
            settle(run, batch, size, undefined, error, 'encode');
            return;
          }
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
            if (runner.closed) return;
            settle(run, batch, size, outputs, undefined, 'run');
            done(batch, feeds);
          },
          (e: unknown) => {
            if (runner.closed) return;
            const error = asHealthItError(e, 'model/run', `${where}: a run of ${size} failed`);
            settle(run, batch, size, undefined, error, 'run');
            done(batch, feeds);
          },
        );
      };

      /** A run has settled and its results are decoded: its buffers may serve a later batch. */
      const done = (batch: Batch<In, Prepared>, feeds: Readonly<Record<string, Tensor>>): void => {
        if (writer !== undefined) waiting.recycle(batch.data);
        else release?.(feeds);
      };

      const drop = (input: In): void => {
        dropped++;
        subscriber.next(
          failure(input, 'overflow', new InferenceOverflowError(where, overflow, maxBuffered, dropped)),
        );
      };

      const next = (input: In): void => {
        if (waiting.full) {
          if (overflow === 'error') {
            runner.close();
            subscriber.error(new InferenceOverflowError(where, overflow, maxBuffered, 0));
            return;
          }
          if (overflow === 'drop-newest') {
            drop(input);
            return;
          }
          drop(waiting.shift() as In);
          if (runner.closed) return;
        }
        // The arrival time matters only for a batch's deadline, so it is read only for the inputs
        // that start a batch (see InputBuffer).
        const now = maxWaitMs === 0 || !waiting.startsChunk ? Number.NaN : scheduler.now();
        let prepared: Prepared | undefined;
        let refused: HealthItError | undefined;
        if (writer !== undefined) {
          try {
            writer.write(input, waiting.rowTarget(now), waiting.rowOffset);
          } catch (e) {
            refused = asHealthItError(e, 'validation/invalid', `${where}: input refused by the codec`);
          }
        } else if (prepare === undefined) prepared = input as unknown as Prepared;
        else {
          try {
            prepared = prepare(input);
          } catch (e) {
            refused = asHealthItError(e, 'validation/invalid', `${where}: input refused by the codec`);
          }
        }
        waiting.push(input, prepared as Prepared, refused, now);
        // With every slot busy, nothing can start and no timer is needed: a run's end pumps.
        if (runner.hasSlot) runner.pump(now, true);
      };

      return runner.subscribe(source, subscriber, next, emitFinished);
    });
}
