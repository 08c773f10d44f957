/**
 * Inference as an RxJS operator: micro-batching by count and time, bounded concurrency, a bounded
 * input buffer with a declared overflow policy, failures as values, input order kept. Runtime-free
 * (any core `LoadedModel`), so the same model runs unchanged at the gateway and in the platform.
 * @module
 */
export { type Float32RowsCodecOptions, float32RowsCodec, type InferenceCodec } from './codec.js';
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
export { type InferOptions, infer } from './infer.js';
