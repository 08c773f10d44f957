import {
  HealthItError,
  type LoadedModel,
  type ModelArtifact,
  type ModelRuntime,
  type Tensor,
  type TensorType,
} from '@healthit/core';
import * as ort from 'onnxruntime-web';
import { elementCount, fromOrtTensor, toOrtTensor } from './tensors.js';

/** How hard onnxruntime optimises a graph when loading it. */
export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';

const OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];
const TENSOR_TYPES: readonly TensorType[] = ['float32', 'int32', 'int64', 'uint8', 'bool'];

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

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

function describeInputs(metadata: readonly ort.InferenceSession.ValueMetadata[]): string {
  return metadata
    .map((m) => (m.isTensor ? `${m.name}: ${m.type} ${describeShape(m.shape)}` : `${m.name} (non-tensor)`))
    .join('; ');
}

interface ValidOptions {
  readonly numThreads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  readonly logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

function validateOptions(options: OnnxRuntimeOptions): ValidOptions {
  const numThreads = options.numThreads ?? 1;
  if (typeof numThreads !== 'number') throw new TypeError('createOnnxRuntime: numThreads must be a number');
  if (!Number.isInteger(numThreads) || numThreads < 0) {
    throw new RangeError(`createOnnxRuntime: numThreads must be an integer >= 0, got ${numThreads}`);
  }
  const level = options.graphOptimizationLevel ?? 'all';
  if (!OPTIMIZATION_LEVELS.includes(level)) {
    throw new RangeError(
      `createOnnxRuntime: graphOptimizationLevel must be one of ${OPTIMIZATION_LEVELS.join(', ')}, got ${String(level)}`,
    );
  }
  if (options.wasmBinary !== undefined && !(options.wasmBinary instanceof Uint8Array)) {
    throw new TypeError('createOnnxRuntime: wasmBinary must be a Uint8Array');
  }
  const logSeverityLevel = options.logSeverityLevel ?? 4;
  if (![0, 1, 2, 3, 4].includes(logSeverityLevel)) {
    throw new RangeError(
      `createOnnxRuntime: logSeverityLevel must be 0, 1, 2, 3 or 4, got ${String(logSeverityLevel)}`,
    );
  }
  return { numThreads, graphOptimizationLevel: level, logSeverityLevel };
}

/**
 * A {@link ModelRuntime} over onnxruntime-web's WebAssembly backend: the same code in Node and in
 * browsers, no native build, no network (in Node the `.wasm` is read from
 * `node_modules/onnxruntime-web/dist` through the package's `node` export condition).
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
export function createOnnxRuntime(options: OnnxRuntimeOptions = {}): ModelRuntime {
  const { numThreads, graphOptimizationLevel, logSeverityLevel } = validateOptions(options);

  function configureEnvironment(): void {
    ort.env.wasm.numThreads = numThreads;
    if (options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = options.wasmPaths;
    if (options.wasmBinary !== undefined) ort.env.wasm.wasmBinary = options.wasmBinary;
  }

  return Object.freeze({
    name: 'onnxruntime-web/wasm',
    async load(artifact: ModelArtifact): Promise<LoadedModel> {
      const where = `model ${String(artifact?.id)}@${String(artifact?.version)}`;
      if (artifact?.format !== 'onnx') {
        throw new HealthItError(
          'model/load',
          `Cannot load ${where}: format is "${String(artifact?.format)}", onnxruntime-web loads "onnx" artifacts only`,
          { detail: { modelId: artifact?.id, version: artifact?.version, format: artifact?.format } },
        );
      }
      if (!(artifact.bytes instanceof Uint8Array) || artifact.bytes.length === 0) {
        throw new HealthItError(
          'model/load',
          `Cannot load ${where}: its bytes are empty or not a Uint8Array`,
          {
            detail: { modelId: artifact.id, version: artifact.version },
          },
        );
      }
      configureEnvironment();
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(artifact.bytes, {
          executionProviders: ['wasm'],
          graphOptimizationLevel,
          logSeverityLevel,
        });
      } catch (e) {
        throw new HealthItError(
          'model/load',
          `Cannot load ${where} (${artifact.bytes.length} bytes) with onnxruntime-web ${ort.env.versions.web ?? ''}: ` +
            `${errorMessage(e)}. Check that the bytes are a complete ONNX model using operators the wasm backend supports.`,
          {
            cause: e,
            detail: { modelId: artifact.id, version: artifact.version, byteLength: artifact.bytes.length },
          },
        );
      }
      return createLoadedModel(artifact, session, where, { logSeverityLevel });
    },
  });
}

function createLoadedModel(
  artifact: ModelArtifact,
  session: ort.InferenceSession,
  where: string,
  runOptions: ort.InferenceSession.RunOptions,
): LoadedModel {
  const inputs = session.inputMetadata;
  const inputNames = Object.freeze([...session.inputNames]);
  const outputNames = Object.freeze([...session.outputNames]);
  let disposed = false;

  function runError(message: string, detail: Record<string, unknown> = {}): HealthItError {
    return new HealthItError('model/run', `Cannot run ${where}: ${message}`, {
      detail: { modelId: artifact.id, version: artifact.version, ...detail },
    });
  }

  function checkFeeds(feeds: Readonly<Record<string, Tensor>>): void {
    if (typeof feeds !== 'object' || feeds === null) {
      throw runError(
        `feeds must be an object of input name → Tensor; the model takes ${describeInputs(inputs)}`,
      );
    }
    const given = Object.keys(feeds);
    const missing = inputNames.filter((n) => !given.includes(n));
    if (missing.length > 0) {
      throw runError(
        `missing input ${missing.map((n) => `"${n}"`).join(', ')}; the model takes ${describeInputs(inputs)}`,
        {
          missing,
        },
      );
    }
    const unknown = given.filter((n) => !inputNames.includes(n));
    if (unknown.length > 0) {
      throw runError(
        `unknown input ${unknown.map((n) => `"${n}"`).join(', ')}; the model takes ${describeInputs(inputs)}`,
        {
          unknown,
        },
      );
    }
    for (const meta of inputs) {
      const tensor = feeds[meta.name] as Tensor;
      const dims = tensor?.dims;
      if (
        !TENSOR_TYPES.includes(tensor?.type) ||
        !Array.isArray(dims) ||
        !dims.every((d) => Number.isInteger(d) && d >= 0) ||
        !ArrayBuffer.isView(tensor.data)
      ) {
        throw runError(
          `input "${meta.name}" is not a Tensor ({ type, data, dims } with non-negative integer dims)`,
          {
            input: meta.name,
          },
        );
      }
      if (tensor.data.length !== elementCount(dims)) {
        throw runError(
          `input "${meta.name}" has ${tensor.data.length} values but dims ${describeShape(dims)} need ${elementCount(dims)}`,
          { input: meta.name, dims: [...dims], length: tensor.data.length },
        );
      }
      if (!meta.isTensor) continue;
      if (tensor.type !== meta.type) {
        throw runError(`input "${meta.name}" is ${tensor.type}, the model expects ${meta.type}`, {
          input: meta.name,
          type: tensor.type,
          expected: meta.type,
        });
      }
      const wrongRank = meta.shape.length > 0 && meta.shape.length !== dims.length;
      const wrongDim = meta.shape.some((d, i) => typeof d === 'number' && d >= 0 && dims[i] !== d);
      if (wrongRank || wrongDim) {
        throw runError(
          `input "${meta.name}" has dims ${describeShape(dims)}, the model expects ${describeShape(meta.shape)}`,
          { input: meta.name, dims: [...dims], expected: [...meta.shape] },
        );
      }
    }
  }

  return Object.freeze({
    id: artifact.id,
    version: artifact.version,
    inputNames,
    outputNames,
    async run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
      if (disposed) {
        throw new HealthItError('state/invalid', `Cannot run ${where}: it has been disposed; load it again`, {
          detail: { modelId: artifact.id, version: artifact.version },
        });
      }
      checkFeeds(feeds);
      let outputs: ort.InferenceSession.ReturnType;
      try {
        const ortFeeds: Record<string, ort.Tensor> = {};
        for (const name of inputNames) ortFeeds[name] = toOrtTensor(feeds[name] as Tensor);
        outputs = await session.run(ortFeeds, runOptions);
      } catch (e) {
        const error = runError(errorMessage(e));
        throw new HealthItError('model/run', error.message, { cause: e, detail: error.detail });
      }
      const result: Record<string, Tensor> = {};
      for (const name of outputNames) {
        const output = outputs[name];
        if (output === undefined) throw runError(`onnxruntime returned no value for output "${name}"`);
        result[name] = fromOrtTensor(name, output, `Cannot run ${where}`);
      }
      return result;
    },
    async dispose(): Promise<void> {
      if (disposed) return;
      disposed = true;
      try {
        await session.release();
      } catch (e) {
        throw new HealthItError('state/invalid', `Cannot release ${where}: ${errorMessage(e)}`, { cause: e });
      }
    },
  });
}
