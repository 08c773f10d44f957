/**
 * `@healthit/ai/onnx`: the `ModelRuntime` port over onnxruntime-web (WebAssembly), for Node and
 * browsers, and over onnxruntime-node (native) where it is installed. Needs the optional peer
 * dependency `onnxruntime-web`; `onnxruntime-node` is imported only when asked for.
 * @packageDocumentation
 */
export {
  BackendUnavailableError,
  type TensorDirection,
  type TensorMismatch,
  TensorSpecError,
  type TensorSpecErrorFields,
} from './errors.js';
export { createOnnxNodeRuntime, ONNXRUNTIME_NODE, type OnnxNodeRuntimeOptions } from './onnx-node-runtime.js';
export { createOnnxRuntime, type GraphOptimizationLevel, type OnnxRuntimeOptions } from './onnx-runtime.js';
export type { ArtifactWithSpec, OnnxLoadedModel, OnnxModelRuntime } from './session-runtime.js';
export type { IoSpec } from './spec-check.js';
