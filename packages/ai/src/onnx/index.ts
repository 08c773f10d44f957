/**
 * `@healthit/ai/onnx`: the `ModelRuntime` port over onnxruntime-web (WebAssembly), for Node and
 * browsers. Needs the optional peer dependency `onnxruntime-web`.
 * @packageDocumentation
 */
export { createOnnxRuntime, type GraphOptimizationLevel, type OnnxRuntimeOptions } from './onnx-runtime.js';
