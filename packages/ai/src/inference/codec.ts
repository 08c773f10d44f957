import { HealthItError, type Tensor } from '@healthit/core';
import { checkFloat32CodecShape, readFloat32Output } from './float32-io.js';

/**
 * How the {@link infer} operator turns inputs into a model's feeds and its outputs back into one
 * result per input. The model is not part of the codec, so the same codec (and the same model)
 * serve the gateway and the platform.
 *
 * @typeParam In - what arrives on the stream (a reading window, a feature row ...).
 * @typeParam Out - what each input's result carries.
 * @typeParam Prepared - what `prepare` keeps of an input for `encode` (default: the input itself).
 */
export interface InferenceCodec<In, Out, Prepared = In> {
  /**
   * Called once per input as it arrives, before it is buffered. Throwing fails that input alone
   * (`stage: 'prepare'`). Omit it to pass the input to `encode` unchanged.
   */
  prepare?(input: In): Prepared;
  /**
   * Builds the feeds of one model run from a batch of 1..`maxBatch` prepared inputs, in order.
   * Throwing fails every input of the batch (`stage: 'encode'`).
   */
  encode(batch: readonly Prepared[]): Readonly<Record<string, Tensor>>;
  /**
   * Reads the result of the `index`-th input (0-based) of a batch of `batchSize` from the run's
   * outputs. Throwing fails that input alone (`stage: 'decode'`).
   */
  decode(outputs: Readonly<Record<string, Tensor>>, index: number, batchSize: number): Out;
  /**
   * Called once the run of `feeds` (made by `encode`) has settled, resolved or rejected, and its
   * results were decoded: the codec may reuse their buffers for a later batch. Optional.
   */
  release?(feeds: Readonly<Record<string, Tensor>>): void;
  /**
   * Optional fast path of codecs whose batch is one float32 `[N, width]` input: with it, the
   * operator calls neither `prepare` nor `encode` (nor `release`) but writes each input's row
   * straight into the batch tensor as the input arrives — one copy per input, nothing kept per
   * input but the input itself. `decode` reads the results as usual. {@link float32RowsCodec}
   * provides it.
   */
  readonly rowWriter?: RowWriter<In>;
}

/** Writes inputs as float32 rows into a batch tensor (see {@link InferenceCodec.rowWriter}). */
export interface RowWriter<In> {
  /** The model input the rows form: float32 `[N, width]`. */
  readonly inputName: string;
  /** Values per row. */
  readonly width: number;
  /**
   * Writes the row of `input` at `into[offset .. offset + width)` and checks it. Throwing refuses
   * that input alone (`stage: 'prepare'`, what was written is overwritten by the next input).
   */
  write(input: In, into: Float32Array, offset: number): void;
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Options of {@link float32RowsCodec}. */
export interface Float32RowsCodecOptions<In, Out> {
  /** The model's float32 `[N, width]` input. */
  readonly inputName: string;
  /** Columns per row. */
  readonly width: number;
  /** The model's float32 `[N, k]` output (any `k >= 1`). */
  readonly outputName: string;
  /**
   * The row of an input: `width` finite numbers in the model's column order. It is checked when the
   * input arrives and copied into the batch tensor when its batch runs, so return a fresh array (or
   * do not change it meanwhile).
   */
  readonly features: (input: In) => ArrayLike<number>;
  /**
   * The result of one output row (a view of the run's output, `k` values). Default: the row itself
   * (a `Float32Array`). Throwing fails that input alone. Not with `column`.
   */
  readonly output?: (row: Float32Array) => Out;
  /**
   * The result is this column of the output row, as a number (e.g. `0` for a `[N, 1]` probability):
   * the fast path, no per-row view. Not with `output`.
   */
  readonly column?: number;
}

/**
 * The usual codec of tabular models (logistic regression, MLP, gradient-boosted trees exported to
 * ONNX): each input becomes one float32 row of `width` values; the batch is the `[N, width]` input
 * tensor; row `i` of the float32 `[N, k]` output is input `i`'s result — the row (a view), what
 * `output` makes of it, or one `column` of it as a number.
 *
 * `prepare` refuses a row of the wrong width or with a value that is not finite
 * (`validation/invalid`, that input only); `decode` refuses an output that is missing, not float32
 * or not `N` rows (`model/run`), and a `column` outside the row.
 *
 * @throws {TypeError} when `features` or `output` is not a function, or a name is not a string;
 * @throws {RangeError} when `width` or `column` is not a non-negative integer (`width` >= 1), a
 *   name is empty, or both `output` and `column` are given.
 * @example
 * ```ts
 * const codec = float32RowsCodec({
 *   inputName: 'vitals', width: 5, outputName: 'risk', column: 0,
 *   features: (s: VitalsSample) => vitalsFeatures(s),
 * });
 * samples$.pipe(infer(model, codec, { maxBatch: 64, maxWaitMs: 10 })); // results: risk numbers
 * ```
 */
export function float32RowsCodec<In>(
  options: Float32RowsCodecOptions<In, number> & { readonly column: number; readonly output?: undefined },
): InferenceCodec<In, number, ArrayLike<number>>;
export function float32RowsCodec<In, Out = Float32Array>(
  options: Float32RowsCodecOptions<In, Out> & { readonly column?: undefined },
): InferenceCodec<In, Out, ArrayLike<number>>;
export function float32RowsCodec<In, Out>(
  options: Float32RowsCodecOptions<In, Out>,
): InferenceCodec<In, Out | number, ArrayLike<number>> {
  const { inputName, outputName, width, features, column } = options;
  checkFloat32CodecShape('float32RowsCodec', options);
  if (typeof features !== 'function') throw new TypeError('float32RowsCodec: features must be a function');
  if (options.output !== undefined && typeof options.output !== 'function') {
    throw new TypeError('float32RowsCodec: output must be a function');
  }
  if (column !== undefined && options.output !== undefined) {
    throw new RangeError('float32RowsCodec: give output or column, not both');
  }
  const output = options.output ?? ((row: Float32Array) => row as unknown as Out);

  // Batch buffers of the full size, reused once their run settled (`release`): allocating a typed
  // array per batch costs more than the encoding itself. At most 8 are kept.
  const pool: Float32Array[] = [];
  const ours = new WeakSet<Float32Array>();

  // decode runs once per input of a batch, synchronously, on the same outputs object: check the
  // output tensor once per batch and keep what the per-input reads need.
  let checkedOutputs: Readonly<Record<string, Tensor>> | undefined;
  let checkedSize = -1;
  let data: Float32Array = new Float32Array(0);
  let k = 0;
  const check = (outputs: Readonly<Record<string, Tensor>>, batchSize: number): void => {
    ({ data, k } = readFloat32Output(outputs, outputName, batchSize, column));
    checkedOutputs = outputs;
    checkedSize = batchSize;
  };

  const widthError = (values: ArrayLike<number> | undefined): HealthItError =>
    new HealthItError(
      'validation/invalid',
      `input "${inputName}": a row has ${String(values?.length)} values, the model takes ${width}`,
      { detail: { input: inputName, expected: width, found: values?.length } },
    );
  /** The first value of a row that is not a finite float32, as an error (the slow path of a refusal). */
  const valueError = (values: ArrayLike<number>): HealthItError => {
    let i = 0;
    for (; i < width - 1; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !(v <= FLOAT32_MAX && v >= -FLOAT32_MAX)) break;
    }
    const v = values[i];
    return new HealthItError(
      'validation/invalid',
      `input "${inputName}": column ${i} is ${String(v)}, not a finite number (float32)`,
      { detail: { input: inputName, column: i, found: String(v) } },
    );
  };

  const rowWriter: RowWriter<In> = Object.freeze({
    inputName,
    width,
    write(input: In, into: Float32Array, offset: number): void {
      const values = features(input);
      if (values?.length !== width) throw widthError(values);
      // One pass: copy as float32 and check the float32 values. f × 0 is 0 for a finite f and NaN
      // for NaN and ±Infinity — and a double beyond the float32 range rounds to ±Infinity — so the
      // sum stays 0 for a valid row. The rare refusal looks for its column afterwards.
      let acc = 0;
      let notNumber = false;
      for (let j = 0; j < width; j++) {
        const v = values[j];
        if (typeof v !== 'number') notNumber = true;
        const f = Math.fround(v as number);
        into[offset + j] = f;
        acc += f * 0;
      }
      if (notNumber || acc !== 0) throw valueError(values);
    },
  });

  return Object.freeze({
    rowWriter,
    prepare(input: In): ArrayLike<number> {
      const values = features(input);
      if (values?.length !== width) throw widthError(values);
      // No throw inside the loop: one flag, then the slow path finds the column.
      let bad = false;
      for (let i = 0; i < width; i++) {
        const v = values[i];
        // One comparison refuses NaN, ±Infinity and doubles that overflow float32 (|v| > 3.4e38).
        if (typeof v !== 'number' || !(v <= FLOAT32_MAX && v >= -FLOAT32_MAX)) bad = true;
      }
      if (bad) throw valueError(values);
      return values;
    },
    encode(batch: readonly ArrayLike<number>[]): Record<string, Tensor> {
      const n = batch.length;
      let tensor = pool.pop();
      if (tensor === undefined || tensor.length !== n * width) {
        tensor = new Float32Array(n * width);
        ours.add(tensor);
      }
      for (let i = 0, o = 0; i < n; i++, o += width) {
        const row = batch[i] as ArrayLike<number>;
        for (let j = 0; j < width; j++) tensor[o + j] = row[j] as number;
      }
      return { [inputName]: { type: 'float32', data: tensor, dims: [n, width] } };
    },
    decode(outputs: Readonly<Record<string, Tensor>>, index: number, batchSize: number): Out | number {
      if (outputs !== checkedOutputs || batchSize !== checkedSize) check(outputs, batchSize);
      if (column !== undefined) return data[index * k + column] as number;
      return output(data.subarray(index * k, (index + 1) * k));
    },
    release(feeds: Readonly<Record<string, Tensor>>): void {
      const data = feeds[inputName]?.data;
      if (data instanceof Float32Array && ours.has(data) && pool.length < 8) pool.push(data);
    },
  });
}
