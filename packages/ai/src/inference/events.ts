import { type ErrorCode, HealthItError, type HealthItErrorOptions } from '@healthit/core';

/** The model an event came from (the `LoadedModel`'s id and version). */
export interface ModelRef {
  /** The model's id: the `id` of the artifact it was loaded from (`LoadedModel.id`). */
  readonly id: string;
  /** The model's version: the `version` of the artifact it was loaded from (`LoadedModel.version`). */
  readonly version: string;
}

/** One input scored: the model's output for it. */
export interface InferenceResult<In, Out> {
  /** Always `'result'`: tells a result from an {@link InferenceFailure} (`'error'`). */
  readonly type: 'result';
  /** The input as it arrived on the stream (the same value, not a copy). */
  readonly input: In;
  /**
   * The model's output for `input`, as the codec decoded it (for {@link inferBatches}, the scores
   * of the block's rows).
   */
  readonly output: Out;
  /** The model that scored the input. */
  readonly model: ModelRef;
}

/**
 * Where an input failed:
 * - `prepare`: the codec refused the input on arrival (wrong width, not finite ...);
 * - `encode`: the codec could not build the batch's tensors (every input of the batch fails);
 * - `run`: the model run failed (every input of the batch fails, with the same error);
 * - `decode`: the output for this input could not be read (wrong shape, out of range ...);
 * - `overflow`: the input buffer was full and its policy dropped this input (never run).
 */
export type InferenceStage = 'prepare' | 'encode' | 'run' | 'decode' | 'overflow';

/** The stages of {@link InferenceStage}. */
export const INFERENCE_STAGES: readonly InferenceStage[] = ['prepare', 'encode', 'run', 'decode', 'overflow'];

/** One input not scored, and why; the stream goes on. */
export interface InferenceFailure<In> {
  /** Always `'error'`: tells a failure from an {@link InferenceResult} (`'result'`). */
  readonly type: 'error';
  /** The input that was not scored, as it arrived on the stream. */
  readonly input: In;
  /** Where it failed (see {@link InferenceStage}). */
  readonly stage: InferenceStage;
  /**
   * Why: the codec's or the model's error, wrapped as a {@link HealthItError} when it was not one
   * (`validation/invalid` for a refused input, `model/run` for a failed run or an unreadable output);
   * an {@link InferenceOverflowError} (`buffer/overflow`) at stage `overflow`. Inputs failed by the
   * same run share one error.
   */
  readonly error: HealthItError;
  /** The model the input was meant for. */
  readonly model: ModelRef;
}

/**
 * What the {@link infer} operator emits: exactly one event per input, a result or a failure.
 * Results and `prepare`/`encode`/`run`/`decode` failures come in input order; `overflow` failures
 * are emitted the moment the input is dropped (see {@link InferOptions.overflow}).
 */
export type InferenceEvent<In, Out> = InferenceResult<In, Out> | InferenceFailure<In>;

/** What to do when an input arrives and the input buffer already holds `maxBuffered` inputs. */
export type OverflowPolicy = 'error' | 'drop-oldest' | 'drop-newest';

/** The policies of {@link OverflowPolicy}. */
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['error', 'drop-oldest', 'drop-newest'];

/**
 * The input buffer of an inference operator was full (`buffer/overflow`, retryable: the same input
 * later, when the model keeps up, can succeed). As a per-input failure (`drop-oldest`,
 * `drop-newest`) it names the input dropped; as the stream error (`error`) it ends the stream.
 */
export class InferenceOverflowError extends HealthItError {
  override readonly name = 'InferenceOverflowError';
  /** The policy applied. */
  readonly policy: OverflowPolicy;
  /** The buffer's bound. */
  readonly maxBuffered: number;
  /** Inputs dropped so far by this subscription, this one included (0 for `error`). */
  readonly dropped: number;

  /**
   * Makes a `buffer/overflow` error whose detail carries `policy`, `maxBuffered` and `dropped`.
   * @param where - The message's prefix naming the operator and the model, e.g.
   *   `infer: model deterioration-risk@0.1.0`.
   * @param policy - The overflow policy applied.
   * @param maxBuffered - The buffer's bound: inputs (rows, for `inferBatches`) waiting at most.
   * @param dropped - Inputs dropped so far by this subscription, this one included (0 for `error`).
   * @param options - The underlying `cause` and extra `detail` (the three fields above take
   *   precedence in `detail`).
   */
  constructor(
    where: string,
    policy: OverflowPolicy,
    maxBuffered: number,
    dropped: number,
    options: HealthItErrorOptions = {},
  ) {
    const what =
      policy === 'error'
        ? 'the stream ends (policy "error")'
        : `the ${policy === 'drop-oldest' ? 'oldest waiting' : 'arriving'} input is dropped (policy "${policy}", ${dropped} dropped so far)`;
    super(
      'buffer/overflow',
      `${where}: ${maxBuffered} inputs are already waiting for the model, so ${what}. ` +
        'The model cannot keep up: raise maxBatch or concurrency, lower the input rate, or place the model where it has the capacity.',
      { ...options, detail: { ...options.detail, policy, maxBuffered, dropped } },
    );
    this.policy = policy;
    this.maxBuffered = maxBuffered;
    this.dropped = dropped;
  }
}

/** Wraps anything thrown by a codec or a model as a {@link HealthItError} (kept as is when it is one). */
export function asHealthItError(e: unknown, code: ErrorCode, message: string): HealthItError {
  if (e instanceof HealthItError) return e;
  const reason = e instanceof Error ? e.message : String(e);
  return new HealthItError(code, `${message}: ${reason}`, { cause: e });
}

/** The failure event of `input` at `stage`, from model `model`. @internal */
export function failureOf<In>(
  model: ModelRef,
  input: In,
  stage: InferenceStage,
  error: HealthItError,
): InferenceFailure<In> {
  return { type: 'error', input, stage, error, model };
}
