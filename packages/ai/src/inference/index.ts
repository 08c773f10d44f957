/**
 * Inference as an RxJS operator: micro-batching by count and time, bounded concurrency, a bounded
 * input buffer with a declared overflow policy, failures as values, input order kept. Runtime-free
 * (any core `LoadedModel`), so the same model runs unchanged at the gateway and in the platform.
 * `infer` emits one event per input; `inferBatches` takes blocks of rows and emits one per block.
 * @module
 */
export {
  type Float32RowsCodecOptions,
  float32RowsCodec,
  type InferenceCodec,
  type RowWriter,
} from './codec.js';
export {
  INFERENCE_STAGES,
  type InferenceEvent,
  type InferenceFailure,
  InferenceOverflowError,
  type InferenceResult,
  type InferenceStage,
  type ModelRef,
  OVERFLOW_POLICIES,
  type OverflowPolicy,
} from './events.js';
export { infer } from './infer.js';
export {
  type Float32BlockCodec,
  type Float32BlockCodecOptions,
  float32BlockCodec,
  inferBatches,
} from './infer-batches.js';
export type { InferOptions } from './infer-options.js';
