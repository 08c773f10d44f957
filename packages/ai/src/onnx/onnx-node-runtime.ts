import { BackendUnavailableError } from './errors.js';
import { type GraphOptimizationLevel, validateOptions } from './onnx-runtime.js';
import { createSessionRuntime, type OnnxModelRuntime, type OrtApi } from './session-runtime.js';

/** The npm package of the native backend. */
export const ONNXRUNTIME_NODE = 'onnxruntime-node';

/** Options for {@link createOnnxNodeRuntime}. */
export interface OnnxNodeRuntimeOptions {
  /** Threads of one operator (`intraOpNumThreads`). Default 1 (a gateway shares its cores); 0 lets onnxruntime choose. */
  readonly numThreads?: number;
  /** Graph optimisation when loading. Default `'all'`. */
  readonly graphOptimizationLevel?: GraphOptimizationLevel;
  /** The least severe message onnxruntime logs itself (0 verbose … 4 fatal). Default 4. */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /**
   * How the package is imported. Default: `import('onnxruntime-node')`. For bundlers that need a
   * static specifier, and for tests.
   */
  readonly importModule?: () => Promise<unknown>;
}

const NOT_FOUND_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND']);

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  return (
    (typeof code === 'string' && NOT_FOUND_CODES.has(code) && message.includes(ONNXRUNTIME_NODE)) ||
    // Node's wording, and Vite's / esbuild's for an optional peer they cannot resolve.
    /(Cannot find (package|module)|Could not resolve) ['"]?onnxruntime-node/.test(message)
  );
}

/** What a module namespace must offer to be used as the backend. */
function asOrtApi(mod: unknown): OrtApi | undefined {
  const candidate = ((mod as { default?: unknown })?.default ?? mod) as Partial<OrtApi> | undefined;
  const namespace = mod as Partial<OrtApi> | undefined;
  for (const m of [namespace, candidate]) {
    if (typeof m?.InferenceSession?.create === 'function' && typeof m.Tensor === 'function')
      return m as OrtApi;
  }
  return undefined;
}

/**
 * Imports `onnxruntime-node` (the native CPU backend: faster than WebAssembly on a gateway or
 * server, a native binary per platform) and checks that it can start.
 *
 * @throws {BackendUnavailableError} `model/load` with `reason: 'not-installed'` when the package
 *   cannot be resolved, `'failed-to-start'` when it resolves but does not load (e.g. no binary for
 *   this platform), the original error as `cause`.
 * @internal
 */
export async function importOnnxNode(importModule?: () => Promise<unknown>): Promise<OrtApi> {
  let mod: unknown;
  try {
    // A variable specifier: bundlers and TypeScript leave an optional dependency alone.
    const specifier = ONNXRUNTIME_NODE;
    mod = await (importModule ?? (() => import(specifier)))();
  } catch (e) {
    if (isNotFound(e)) {
      throw new BackendUnavailableError(
        ONNXRUNTIME_NODE,
        'not-installed',
        `${ONNXRUNTIME_NODE} is not installed, so the native backend was not started. Install it ` +
          `(npm install ${ONNXRUNTIME_NODE}; it is an optional peer dependency of @healthit/ai) or use ` +
          'createOnnxRuntime() (onnxruntime-web, WebAssembly), which runs the same models.',
        e,
      );
    }
    throw new BackendUnavailableError(
      ONNXRUNTIME_NODE,
      'failed-to-start',
      `${ONNXRUNTIME_NODE} is installed but failed to load: ${e instanceof Error ? e.message : String(e)}. ` +
        'Check that its native binary exists for this platform and architecture, or use createOnnxRuntime().',
      e,
    );
  }
  const api = asOrtApi(mod);
  if (api === undefined) {
    throw new BackendUnavailableError(
      ONNXRUNTIME_NODE,
      'failed-to-start',
      `${ONNXRUNTIME_NODE} loaded but does not export InferenceSession and Tensor; is it a supported version (>= 1.17)?`,
    );
  }
  return api;
}

/**
 * A {@link OnnxModelRuntime} (core's `ModelRuntime`) over `onnxruntime-node`, the native CPU
 * backend, where it is installed: the same checks, session cache and errors as
 * `createOnnxRuntime`, a faster engine. Resolves once the package is imported, so a missing
 * backend is reported at once, not at the first load.
 *
 * @throws {BackendUnavailableError} (rejects) when `onnxruntime-node` is not installed or cannot
 *   start; fall back to `createOnnxRuntime()` on it if that suits you;
 * @throws {TypeError} / {RangeError} (synchronously) for a bad option.
 * @example
 * ```ts
 * const runtime = await createOnnxNodeRuntime().catch((e: unknown) => {
 *   if (e instanceof BackendUnavailableError) return createOnnxRuntime(); // WebAssembly instead
 *   throw e;
 * });
 * ```
 */
export function createOnnxNodeRuntime(options: OnnxNodeRuntimeOptions = {}): Promise<OnnxModelRuntime> {
  const { numThreads, graphOptimizationLevel, logSeverityLevel } = validateOptions(
    options,
    'createOnnxNodeRuntime',
  );
  if (options.importModule !== undefined && typeof options.importModule !== 'function') {
    throw new TypeError('createOnnxNodeRuntime: importModule must be a function');
  }
  return importOnnxNode(options.importModule).then((api) =>
    createSessionRuntime({
      name: 'onnxruntime-node/cpu',
      api: async () => api,
      sessionOptions: {
        executionProviders: ['cpu'],
        graphOptimizationLevel,
        logSeverityLevel,
        intraOpNumThreads: numThreads,
        interOpNumThreads: 1,
      },
      runOptions: { logSeverityLevel },
      describe: (ort) => `onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common ?? ''}`.trim(),
      loadHint: 'Check that the bytes are a complete ONNX model.',
    }),
  );
}
