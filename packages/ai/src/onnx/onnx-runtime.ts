import * as ort from 'onnxruntime-web';
import { createSessionRuntime, type OnnxModelRuntime } from './session-runtime.js';

/** How hard onnxruntime optimises a graph when loading it. */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

const OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

/** Options for {@link createOnnxRuntime}. */
export interface OnnxRuntimeOptions {
  /**
   * WebAssembly threads (`ort.env.wasm.numThreads`). Default 1: no worker threads, no
   * cross-origin-isolation requirement in browsers. 0 lets onnxruntime choose.
   */
  readonly numThreads?: number;
  /**
   * Where the browser fetches onnxruntime's `.wasm`/`.mjs` files (`ort.env.wasm.wasmPaths`): a URL
   * prefix, or one URL per file. Leave unset in Node (the files are read from
   * `node_modules/onnxruntime-web/dist`) and with bundlers that emit the files next to the bundle.
   */
  readonly wasmPaths?: string | { readonly wasm?: string | URL; readonly mjs?: string | URL };
  /** The `.wasm` binary itself (`ort.env.wasm.wasmBinary`), to avoid any fetch. */
  readonly wasmBinary?: Uint8Array;
  /** Graph optimisation when loading. Default `'all'`. */
  readonly graphOptimizationLevel?: GraphOptimizationLevel;
  /**
   * The least severe message onnxruntime itself logs to the console, per session and run:
   * 0 verbose, 1 info, 2 warning, 3 error, 4 fatal. Default 4: onnxruntime's errors already reach
   * the caller, with onnxruntime's message, as a `HealthItError`; lower it to debug a model.
   */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** The options every onnxruntime backend shares, checked. @internal */
export interface ValidOptions {
  readonly numThreads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  readonly logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

/**
 * Checks the options every backend shares; `fn` names the factory in messages.
 * @internal
 */
export function validateOptions(
  options: Pick<
    OnnxRuntimeOptions,
    'numThreads' | 'graphOptimizationLevel' | 'logSeverityLevel' | 'wasmBinary'
  >,
  fn = 'createOnnxRuntime',
): ValidOptions {
  const numThreads = options.numThreads ?? 1;
  if (typeof numThreads !== 'number') throw new TypeError(`${fn}: numThreads must be a number`);
  if (!Number.isInteger(numThreads) || numThreads < 0) {
    throw new RangeError(`${fn}: numThreads must be an integer >= 0, got ${numThreads}`);
  }
  const level = options.graphOptimizationLevel ?? 'all';
  if (!OPTIMIZATION_LEVELS.includes(level)) {
    throw new RangeError(
      `${fn}: graphOptimizationLevel must be one of ${OPTIMIZATION_LEVELS.join(', ')}, got ${String(level)}`,
    );
  }
  if (options.wasmBinary !== undefined && !(options.wasmBinary instanceof Uint8Array)) {
    throw new TypeError(`${fn}: wasmBinary must be a Uint8Array`);
  }
  const logSeverityLevel = options.logSeverityLevel ?? 4;
  if (![0, 1, 2, 3, 4].includes(logSeverityLevel)) {
    throw new RangeError(`${fn}: logSeverityLevel must be 0, 1, 2, 3 or 4, got ${String(logSeverityLevel)}`);
  }
  return { numThreads, graphOptimizationLevel: level, logSeverityLevel };
}

/**
 * A {@link OnnxModelRuntime} (core's `ModelRuntime`) over onnxruntime-web's WebAssembly backend:
 * the same code in Node and in browsers, no native build, no network (in Node the `.wasm` is read
 * from `node_modules/onnxruntime-web/dist` through the package's `node` export condition).
 *
 * Every run's feeds and outputs are checked against the model's inputs and outputs (names, element
 * types, shapes, symbolic dims such as `N` consistent across tensors), failing with a
 * `TensorSpecError` that names the tensor and expected vs found. Sessions are created once per
 * model bytes and shared, reference-counted, by every handle loaded from the same bytes.
 *
 * `ort.env` is process-wide: onnxruntime reads `numThreads`, `wasmPaths` and `wasmBinary` once,
 * when the first model is loaded, so the first runtime to load a model decides them.
 *
 * @throws {TypeError} when an option has the wrong type;
 * @throws {RangeError} when `numThreads`, `graphOptimizationLevel` or `logSeverityLevel` has a wrong value.
 * @example
 * ```ts
 * import { deteriorationModelV0, vitalsTensor } from '@healthit/ai';
 * import { createOnnxRuntime } from '@healthit/ai/onnx';
 *
 * const model = await createOnnxRuntime().load(deteriorationModelV0());
 * const { risk } = await model.run({ vitals: vitalsTensor([sample]) });
 * await model.dispose();
 * ```
 */
export function createOnnxRuntime(options: OnnxRuntimeOptions = {}): OnnxModelRuntime {
  const { numThreads, graphOptimizationLevel, logSeverityLevel } = validateOptions(options);
  return createSessionRuntime({
    name: 'onnxruntime-web/wasm',
    api: async () => ort,
    beforeCreate(api) {
      api.env.wasm.numThreads = numThreads;
      if (options.wasmPaths !== undefined) api.env.wasm.wasmPaths = options.wasmPaths;
      if (options.wasmBinary !== undefined) api.env.wasm.wasmBinary = options.wasmBinary;
    },
    sessionOptions: { executionProviders: ['wasm'], graphOptimizationLevel, logSeverityLevel },
    runOptions: { logSeverityLevel },
    describe: (api) => `onnxruntime-web ${api.env.versions.web ?? ''}`.trim(),
    loadHint: 'Check that the bytes are a complete ONNX model using operators the wasm backend supports.',
  });
}
