import { HealthItError, type LoadedModel, type Tensor } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';
import {
  asHealthItError,
  failureOf,
  type InferenceEvent,
  type InferenceFailure,
  InferenceOverflowError,
  type InferenceStage,
  type ModelRef,
} from './events.js';
import { checkFloat32CodecShape, readFloat32Output } from './float32-io.js';
import { type InferOptions, resolveInferOptions } from './infer-options.js';
import { RunScheduler } from './run-scheduler.js';

/** Options of {@link float32BlockCodec}. */
export interface Float32BlockCodecOptions<In> {
  /** The model's float32 `[N, width]` input. */
  readonly inputName: string;
  /** Columns per row. */
  readonly width: number;
  /** The model's float32 `[N, k]` output (any `k >= 1`). */
  readonly outputName: string;
  /**
   * The rows of a block: `n × width` float32 values, row-major, in the model's column order (`n`
   * = `length / width`, 0 allowed). A view (`subarray`) is fine. It is checked when the block
   * arrives and read when its rows run — without a copy when a run is exactly this block — so do
   * not change it before the block's event.
   */
  readonly rows: (block: In) => Float32Array;
  /**
   * A block's result is this column of its output rows (`n` values). Default: the output rows
   * themselves (`n × k` values, row-major).
   */
  readonly column?: number | undefined;
}

/**
 * How {@link inferBatches} reads blocks of rows: their float32 rows, the model's input and output.
 * Made by {@link float32BlockCodec}.
 */
export interface Float32BlockCodec<In> {
  /** The model's float32 `[N, width]` input the rows are fed to. */
  readonly inputName: string;
  /** Columns per row: a positive integer. */
  readonly width: number;
  /** The model's float32 `[N, k]` output the scores are read from (any `k >= 1`). */
  readonly outputName: string;
  /**
   * The column of the output rows that is a block's result (`n` values, one per row), a
   * non-negative integer below `k`; undefined when the result is the output rows themselves
   * (`n × k` values, row-major).
   */
  readonly column: number | undefined;
  /**
   * The rows of a block, checked: a `Float32Array` whose length is a multiple of `width`, every
   * value finite.
   * @throws {HealthItError} `validation/invalid` naming the block's length, or the row and column
   *   of the first value that is not finite.
   */
  prepare(block: In): Float32Array;
}

/**
 * The codec of {@link inferBatches}: blocks of float32 rows in, one `Float32Array` of results per
 * block out.
 *
 * @throws {TypeError} when `rows` is not a function or a name is not a string;
 * @throws {RangeError} when `width` is not a positive integer, `column` not a non-negative one, or
 *   a name is empty.
 * @example
 * ```ts
 * const codec = float32BlockCodec({
 *   inputName: 'vitals', width: 5, outputName: 'risk', column: 0,
 *   rows: (b: { ids: string[]; rows: Float32Array }) => b.rows,
 * });
 * ```
 */
export function float32BlockCodec<In>(options: Float32BlockCodecOptions<In>): Float32BlockCodec<In> {
  const { inputName, outputName, width, rows, column } = options;
  checkFloat32CodecShape('float32BlockCodec', options);
  if (typeof rows !== 'function') throw new TypeError('float32BlockCodec: rows must be a function');
  return Object.freeze({
    inputName,
    width,
    outputName,
    column,
    prepare(block: In): Float32Array {
      const data = rows(block);
      if (!(data instanceof Float32Array)) {
        throw new HealthItError(
          'validation/invalid',
          `input "${inputName}": a block's rows must be a Float32Array, got ${Object.prototype.toString.call(data)}`,
          { detail: { input: inputName } },
        );
      }
      if (data.length % width !== 0) {
        throw new HealthItError(
          'validation/invalid',
          `input "${inputName}": a block has ${data.length} values, not a whole number of rows of ${width}`,
          { detail: { input: inputName, width, found: data.length } },
        );
      }
      // A typed check in one pass: v × 0 is 0 for a finite v and NaN for NaN and ±Infinity, so the
      // sums stay 0 for a valid block (four of them: no chain of dependent additions); the rare
      // refusal then looks for the value.
      const length = data.length;
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let i = 0;
      for (; i + 3 < length; i += 4) {
        a0 += (data[i] as number) * 0;
        a1 += (data[i + 1] as number) * 0;
        a2 += (data[i + 2] as number) * 0;
        a3 += (data[i + 3] as number) * 0;
      }
      for (; i < length; i++) a0 += (data[i] as number) * 0;
      if (a0 + a1 + a2 + a3 !== 0) {
        i = 0;
        while (i < length - 1 && Number.isFinite(data[i])) i++;
        const row = Math.floor(i / width);
        const col = i % width;
        throw new HealthItError(
          'validation/invalid',
          `input "${inputName}": row ${row}, column ${col} of a block is ${String(data[i])}, not a finite number`,
          { detail: { input: inputName, row, column: col, found: String(data[i]) } },
        );
      }
      return data;
    },
  });
}

/** A FIFO with O(1) `shift`. */
class Queue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.items[this.head];
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/** One input block on its way through the operator. */
interface Block<In> {
  readonly input: In;
  /** Its checked rows; undefined when it was refused. */
  readonly rows: Float32Array | undefined;
  readonly refused: HealthItError | undefined;
  /** Rows (0 when empty or refused). */
  readonly n: number;
  /** Places it takes in the buffer and in a run: its rows, or 1 when it has none. */
  readonly units: number;
  readonly arrivedAt: number;
  /** Rows taken into runs so far. */
  taken: number;
  /** Rows whose run has settled. */
  settled: number;
  /** Its results: set at once when one run holds the whole block, else filled run by run. */
  scores: Float32Array | undefined;
  /** The first failure of one of its runs, and where. */
  error: HealthItError | undefined;
  stage: InferenceStage;
  /** Its event, once every row has settled. */
  event: InferenceEvent<In, Float32Array> | undefined;
}

/** One model run: consecutive pieces of blocks, `count` rows of `blocks[i]` from row `from[i]`. */
interface Run<In> {
  readonly blocks: Block<In>[];
  readonly from: number[];
  readonly count: number[];
  rows: number;
  /** The operator's buffer the rows were copied into (none when one block was passed as is). */
  buffer: Float32Array | undefined;
}

const EMPTY = new Float32Array(0);

/**
 * {@link infer} for inputs that already come as blocks of rows — a page of a warehouse query, the
 * windows of a feature kernel, a device's burst: each input is a block of `n` float32 rows (any
 * `n`, 0 included), and its one event carries the scores of all its rows as one `Float32Array`
 * (`n` values with `column`, else `n × k`). Nothing is done per row but the finiteness check and
 * one copy when blocks must be packed into a run; a run that is exactly one block is passed to the
 * model as is, and its scores are a view of the run's output. This is the form to use at high
 * rates with cheap models, where one event per row costs as much as the model.
 *
 * The semantics are {@link infer}'s, counted in rows:
 * - **Batching by count and by time.** A run takes up to `maxBatch` rows, oldest first; blocks are
 *   packed together and split across runs as needed (a block's rows run in order, each row exactly
 *   once). A run starts when `maxBatch` rows wait, or `maxWaitMs` after the oldest waiting block
 *   arrived (`0`: at once), whichever comes first, as soon as fewer than `concurrency` runs are in
 *   flight; what waits runs at once when the source completes.
 * - **Order.** Events come in input order; only `overflow` drops are emitted at once.
 * - **Bounded.** At most `maxBuffered` rows wait. A block without rows (empty, or refused) counts
 *   as one, in the buffer and in a run. When an arriving block does not fit, `overflow` applies:
 *   `drop-oldest` drops waiting blocks from the oldest (never one already partly run) until it
 *   fits, `drop-newest` drops the arriving block, each drop an `overflow` failure; `error` ends the
 *   stream. A block larger than `maxBuffered` never fits: it is dropped, or ends the stream.
 * - **Failures are values, per block.** A block whose rows are not a `Float32Array` of whole rows
 *   of finite values is refused whole (`prepare`, `validation/invalid` naming the row and column);
 *   a failed run fails every block with rows in it (`run`), an unreadable output each of them
 *   (`decode`); a block split across runs fails with the first failure of its runs.
 *
 * Cold: each subscription has its own buffer and timer; unsubscribing cancels the timer and
 * ignores runs still in flight. The caller owns `model`.
 *
 * @throws {TypeError} when `model` is not a `LoadedModel`, `codec` is not a {@link float32BlockCodec},
 *   or an option has the wrong type;
 * @throws {RangeError} when an option has a wrong value.
 * @example
 * ```ts
 * const codec = float32BlockCodec({
 *   inputName: 'vitals', width: 5, outputName: 'risk', column: 0,
 *   rows: (page: { ids: string[]; rows: Float32Array }) => page.rows,
 * });
 * pages$.pipe(inferBatches(model, codec, { maxBatch: 512 })).subscribe((e) => {
 *   if (e.type === 'result') e.output.forEach((risk, i) => store(e.input.ids[i], risk));
 *   else console.warn(e.stage, e.error.message); // the whole page
 * });
 * ```
 */
export function inferBatches<In>(
  model: LoadedModel,
  codec: Float32BlockCodec<In>,
  options: InferOptions = {},
): OperatorFunction<In, InferenceEvent<In, Float32Array>> {
  if (typeof model?.run !== 'function') {
    throw new TypeError('inferBatches: model must be a LoadedModel (from ModelRuntime.load)');
  }
  if (typeof codec?.prepare !== 'function' || !Number.isSafeInteger(codec.width) || codec.width < 1) {
    throw new TypeError('inferBatches: codec must be a float32BlockCodec');
  }
  const resolved = resolveInferOptions('inferBatches', options);
  const { maxBatch, maxWaitMs, concurrency, maxBuffered, overflow, scheduler } = resolved;
  const { inputName, outputName, width, column } = codec;
  const ref: ModelRef = Object.freeze({ id: model.id, version: model.version });
  const where = `inferBatches: model ${model.id}@${model.version}`;

  return (source) =>
    new Observable<InferenceEvent<In, Float32Array>>((subscriber) => {
      /** Blocks none of whose rows was taken yet, oldest first. */
      const waiting = new Queue<Block<In>>();
      /** The block whose rows are partly taken (the next run goes on with it). */
      let current: Block<In> | undefined;
      /** Blocks taken (at least partly) and not yet emitted, in input order. */
      const order = new Queue<Block<In>>();
      /** Units (rows, 1 for a block without rows) waiting: in `waiting` and the rest of `current`. */
      let buffered = 0;
      /** Run buffers of `maxBatch × width` values, back from settled runs. */
      const pool: Float32Array[] = [];
      let dropped = 0;
      const runner = new RunScheduler(
        {
          get waiting() {
            return buffered;
          },
          oldestArrival: () => (current ?? waiting.peek())?.arrivedAt ?? Number.NaN,
          startNext: () => start(take()),
        },
        resolved,
      );

      const failure = (input: In, stage: InferenceStage, error: HealthItError): InferenceFailure<In> =>
        failureOf(ref, input, stage, error);

      /** Emits the blocks whose every row settled, in order, stopping at the first still running. */
      const emitFinished = (): void => {
        while (!runner.closed) {
          const head = order.peek();
          if (head === undefined || head.event === undefined) break;
          order.shift();
          subscriber.next(head.event);
        }
        if (!runner.closed && runner.sourceDone && order.length === 0 && buffered === 0) {
          subscriber.complete();
        }
      };

      const complete = (b: Block<In>): void => {
        if (b.refused !== undefined) b.event = failure(b.input, 'prepare', b.refused);
        else if (b.error !== undefined) b.event = failure(b.input, b.stage, b.error);
        else b.event = { type: 'result', input: b.input, output: b.scores ?? EMPTY, model: ref };
      };

      /** The output tensor's data and values per row, checked for a run of `rows` rows. */
      const copyScores = (
        data: Float32Array,
        k: number,
        offset: number,
        count: number,
        into: Float32Array,
        at: number,
      ): void => {
        if (column === undefined || k === 1) into.set(data.subarray(offset * k, (offset + count) * k), at);
        else for (let r = 0; r < count; r++) into[at + r] = data[(offset + r) * k + column] as number;
      };

      /** A run settled: its outcome goes to each of its blocks, and the finished ones are emitted. */
      const settle = (
        run: Run<In>,
        outputs: Readonly<Record<string, Tensor>> | undefined,
        runError: HealthItError | undefined,
        runStage: InferenceStage,
      ): void => {
        let error = runError;
        let stage = runStage;
        let data: Float32Array = EMPTY;
        let k = 1;
        if (error === undefined && run.rows > 0) {
          try {
            ({ data, k } = readFloat32Output(
              outputs as Readonly<Record<string, Tensor>>,
              outputName,
              run.rows,
              column,
            ));
          } catch (e) {
            error = asHealthItError(
              e,
              'model/run',
              `${where}: cannot read the output of a run of ${run.rows}`,
            );
            stage = 'decode';
          }
        }
        const kOut = column === undefined ? k : 1;
        const { blocks, from, count } = run;
        let offset = 0;
        for (let i = 0; i < blocks.length; i++) {
          const b = blocks[i] as Block<In>;
          const c = count[i] as number;
          if (b.n === 0) {
            complete(b); // nothing to run: its refusal, or an empty result
            continue;
          }
          if (error !== undefined) {
            if (b.error === undefined) {
              b.error = error;
              b.stage = stage;
            }
          } else if (c === b.n) {
            // The whole block ran here: its scores are a view of the output when they can be.
            if (column === undefined || k === 1) {
              b.scores =
                offset === 0 && c * k === data.length ? data : data.subarray(offset * k, (offset + c) * k);
            } else {
              b.scores = new Float32Array(c);
              copyScores(data, k, offset, c, b.scores, 0);
            }
          } else if (b.error === undefined) {
            if (b.scores === undefined) b.scores = new Float32Array(b.n * kOut);
            if (b.scores.length !== b.n * kOut) {
              b.error = new HealthItError(
                'model/run',
                `${where}: output "${outputName}" changed width between the runs of one block`,
              );
              b.stage = 'decode';
            } else copyScores(data, k, offset, c, b.scores, (from[i] as number) * kOut);
          }
          b.settled += c;
          offset += c;
          if (b.settled === b.n) complete(b);
        }
        runner.inFlight--;
        if (run.buffer !== undefined && pool.length < concurrency + 1) pool.push(run.buffer);
        if (runner.closed) return;
        emitFinished();
        runner.pump(Number.NaN, false);
      };

      /** Takes up to `maxBatch` units, oldest first, as one run. */
      const take = (): Run<In> => {
        const run: Run<In> = { blocks: [], from: [], count: [], rows: 0, buffer: undefined };
        let units = 0;
        while (units < maxBatch) {
          let b = current;
          if (b === undefined) {
            b = waiting.shift();
            if (b === undefined) break;
            order.push(b);
          }
          if (b.n === 0) {
            run.blocks.push(b);
            run.from.push(0);
            run.count.push(0);
            units++;
            buffered--;
            continue;
          }
          const c = Math.min(maxBatch - units, b.n - b.taken);
          run.blocks.push(b);
          run.from.push(b.taken);
          run.count.push(c);
          b.taken += c;
          units += c;
          buffered -= c;
          run.rows += c;
          current = b.taken < b.n ? b : undefined;
        }
        return run;
      };

      const start = (run: Run<In>): void => {
        runner.inFlight++;
        const rows = run.rows;
        if (rows === 0) {
          settle(run, undefined, undefined, 'prepare'); // only blocks without rows
          return;
        }
        let data: Float32Array | undefined;
        // One block, whole: its rows are the run's input as they are.
        for (let i = 0; i < run.blocks.length; i++) {
          const c = run.count[i] as number;
          if (c === 0) continue;
          const b = run.blocks[i] as Block<In>;
          data = c === b.n && c === rows ? b.rows : undefined;
          break;
        }
        if (data === undefined) {
          const buffer = pool.pop() ?? new Float32Array(maxBatch * width);
          run.buffer = buffer;
          let at = 0;
          for (let i = 0; i < run.blocks.length; i++) {
            const c = run.count[i] as number;
            if (c === 0) continue;
            const f = run.from[i] as number;
            buffer.set(
              ((run.blocks[i] as Block<In>).rows as Float32Array).subarray(f * width, (f + c) * width),
              at,
            );
            at += c * width;
          }
          data = at === buffer.length ? buffer : buffer.subarray(0, at);
        }
        const feeds: Record<string, Tensor> = { [inputName]: { type: 'float32', data, dims: [rows, width] } };
        let pending: Promise<Record<string, Tensor>>;
        try {
          pending = model.run(feeds);
        } catch (e) {
          pending = Promise.reject(e);
        }
        pending.then(
          (outputs) => {
            if (!runner.closed) settle(run, outputs, undefined, 'run');
          },
          (e: unknown) => {
            if (runner.closed) return;
            settle(
              run,
              undefined,
              asHealthItError(e, 'model/run', `${where}: a run of ${rows} rows failed`),
              'run',
            );
          },
        );
      };

      const drop = (input: In): void => {
        dropped++;
        subscriber.next(
          failure(input, 'overflow', new InferenceOverflowError(where, overflow, maxBuffered, dropped)),
        );
      };

      const next = (input: In): void => {
        let rows: Float32Array | undefined;
        let refused: HealthItError | undefined;
        try {
          rows = codec.prepare(input);
        } catch (e) {
          refused = asHealthItError(e, 'validation/invalid', `${where}: block refused by the codec`);
        }
        const n = rows === undefined ? 0 : rows.length / width;
        const units = n === 0 ? 1 : n;
        if (units > maxBuffered - buffered) {
          if (overflow === 'error') {
            runner.close();
            subscriber.error(new InferenceOverflowError(where, overflow, maxBuffered, 0));
            return;
          }
          if (overflow === 'drop-oldest' && units <= maxBuffered) {
            while (units > maxBuffered - buffered && waiting.length > 0) {
              const old = waiting.shift() as Block<In>;
              buffered -= old.units;
              drop(old.input);
              if (runner.closed) return;
            }
          }
          if (units > maxBuffered - buffered) {
            drop(input);
            return;
          }
        }
        const now = maxWaitMs === 0 ? Number.NaN : scheduler.now();
        waiting.push({
          input,
          rows,
          refused,
          n,
          units,
          arrivedAt: now,
          taken: 0,
          settled: 0,
          scores: undefined,
          error: undefined,
          stage: 'run',
          event: undefined,
        });
        buffered += units;
        if (runner.hasSlot) runner.pump(now, true);
      };

      return runner.subscribe(source, subscriber, next, emitFinished);
    });
}
