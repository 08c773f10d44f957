import { type ErrorCode, HealthItError } from '@healthit/core';

/** What was wrong with a tensor, compared with what the model declares. */
export type TensorMismatch =
  /** A declared input was not given, or a declared output not produced. */
  | 'missing'
  /** A tensor was given (or declared) that the model does not have. */
  | 'unknown'
  /** The value is not a `{ type, data, dims }` tensor. */
  | 'not-a-tensor'
  /** `data.length` is not the product of `dims`. */
  | 'length'
  /** The element type differs. */
  | 'type'
  /** The number of dimensions differs. */
  | 'rank'
  /** A fixed dimension differs, or a symbolic one (`N`) takes two values in one run. */
  | 'dims';

/** Where the tensor was. */
export type TensorDirection = 'input' | 'output';

/** Fields of a {@link TensorSpecError}. */
export interface TensorSpecErrorFields {
  /** The `id` of the model (of its artifact). */
  readonly modelId: string;
  /** The `version` of the model (of its artifact). */
  readonly version: string;
  /** Whether the tensor is one of the model's inputs (a run's feeds) or one of its outputs. */
  readonly direction: TensorDirection;
  /** The input or output name. */
  readonly tensor: string;
  /** What was wrong with it (see {@link TensorMismatch}). */
  readonly mismatch: TensorMismatch;
  /** What the model declares, e.g. `float32 [N, 5]` (or the list of its inputs for `missing`/`unknown`). */
  readonly expected: string;
  /** What was found, e.g. `int32 [1, 5]`. */
  readonly found: string;
}

/**
 * A tensor does not match the model's declared spec: `model/run` when a run's feeds or outputs do
 * not match, `model/load` when a graph does not match the spec its artifact declares. The message
 * names the model, the tensor, and expected vs found; the same facts are fields (and `detail`).
 */
export class TensorSpecError extends HealthItError implements TensorSpecErrorFields {
  override readonly name = 'TensorSpecError';
  /** The `id` of the model (of its artifact). */
  readonly modelId: string;
  /** The `version` of the model (of its artifact). */
  readonly version: string;
  /** Whether the tensor is one of the model's inputs (a run's feeds) or one of its outputs. */
  readonly direction: TensorDirection;
  /** The input or output name. */
  readonly tensor: string;
  /** What was wrong with it (see {@link TensorMismatch}). */
  readonly mismatch: TensorMismatch;
  /** What the model declares, e.g. `float32 [N, 5]` (or the list of its inputs for `missing`/`unknown`). */
  readonly expected: string;
  /** What was found, e.g. `int32 [1, 5]`. */
  readonly found: string;

  /**
   * Makes the error; its `detail` carries a copy of `fields`.
   * @param code - `model/run` for a run's feeds or outputs, `model/load` for a graph that does not
   *   match the spec its artifact declares.
   * @param message - The human-readable message, naming the model, the tensor, and expected vs found.
   * @param fields - The model, the tensor and the mismatch, copied onto the error's fields.
   */
  constructor(
    code: Extract<ErrorCode, 'model/run' | 'model/load'>,
    message: string,
    fields: TensorSpecErrorFields,
  ) {
    super(code, message, { detail: { ...fields } });
    this.modelId = fields.modelId;
    this.version = fields.version;
    this.direction = fields.direction;
    this.tensor = fields.tensor;
    this.mismatch = fields.mismatch;
    this.expected = fields.expected;
    this.found = fields.found;
  }
}

/**
 * An optional backend was asked for and is not installed (or cannot start on this machine):
 * `model/load`, permanent until the package is installed. `backend` names the npm package.
 */
export class BackendUnavailableError extends HealthItError {
  override readonly name = 'BackendUnavailableError';
  /** The npm package of the backend, e.g. `onnxruntime-node`. */
  readonly backend: string;
  /** `not-installed`: the package cannot be resolved; `failed-to-start`: it resolved but did not load. */
  readonly reason: 'not-installed' | 'failed-to-start';

  /**
   * Makes a `model/load` error whose detail carries `backend` and `reason`.
   * @param backend - The npm package of the backend, e.g. `onnxruntime-node`.
   * @param reason - `not-installed` when the package cannot be resolved, `failed-to-start` when it
   *   resolved but did not load.
   * @param message - The human-readable message, saying what to install or use instead.
   * @param cause - The underlying error (e.g. the failed import's), when there is one.
   */
  constructor(
    backend: string,
    reason: 'not-installed' | 'failed-to-start',
    message: string,
    cause?: unknown,
  ) {
    super('model/load', message, { cause, detail: { backend, reason } });
    this.backend = backend;
    this.reason = reason;
  }
}
