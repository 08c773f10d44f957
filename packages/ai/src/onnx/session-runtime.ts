import {
  HealthItError,
  type LoadedModel,
  type ModelArtifact,
  type ModelRuntime,
  type Tensor,
} from '@healthit/core';
import type * as ort from 'onnxruntime-web';
import { sha256Hex } from '../artifacts/digest.js';
import { ModelSpec } from '../artifacts/spec.js';
import { RunGate } from './run-gate.js';
import { checkDeclaredSpec, checkFeeds, checkOutputs, type IoSpec, type ModelIo } from './spec-check.js';
import { fromOrtTensor, toOrtTensor } from './tensors.js';

/** What the runtimes use of an onnxruntime package (onnxruntime-web and onnxruntime-node alike). */
export type OrtApi = Pick<typeof ort, 'InferenceSession' | 'Tensor' | 'env'>;

/** A model artifact, optionally with the spec it declares (e.g. a verified signed artifact). */
export type ArtifactWithSpec = ModelArtifact & {
  /**
   * The inputs and outputs the model declares (part of a signed artifact's manifest). When set,
   * `load` checks it, checks the graph against it, and checks every run against it instead of the
   * graph's own metadata; when undefined, runs are checked against the graph's.
   */
  readonly spec?: ModelSpec;
};

/** A model loaded by an onnxruntime backend: the core `LoadedModel`, plus what it was checked against. */
export interface OnnxLoadedModel extends LoadedModel {
  /** The runtime's name, e.g. `onnxruntime-web/wasm`. */
  readonly backend: string;
  /** Lowercase hex SHA-256 of the model bytes (the session cache key). */
  readonly sha256: string;
  /** The inputs every run is checked against: the artifact's declared spec, or else the graph's. */
  readonly inputs: readonly IoSpec[];
  /** The outputs every run's results are checked against. */
  readonly outputs: readonly IoSpec[];
}

/** A `ModelRuntime` over an onnxruntime backend, with a reference-counted session cache. */
export interface OnnxModelRuntime extends ModelRuntime {
  /**
   * Loads an artifact. Loading the same bytes again (e.g. the serving and the shadow copy of one
   * version) shares one onnxruntime session; it is released when the last handle is disposed.
   * When the artifact carries a `spec` (a verified signed artifact does), the graph must match it
   * and runs are checked against it.
   * @throws {HealthItError} `model/load` for bytes the backend cannot load or another format;
   * @throws {TensorSpecError} `model/load` when the graph does not match the declared spec.
   */
  load(artifact: ArtifactWithSpec): Promise<OnnxLoadedModel>;
  /** Sessions open now (each shared by every live handle of the same bytes). */
  readonly openSessions: number;
}

/** How a backend is reached and configured. @internal */
export interface SessionBackend {
  /** The runtime's name, e.g. `onnxruntime-web/wasm`. */
  readonly name: string;
  /** The onnxruntime package, resolved (once per runtime). */
  readonly api: () => Promise<OrtApi>;
  /** Called before every session is created (e.g. to set `ort.env`). */
  readonly beforeCreate?: (api: OrtApi) => void;
  readonly sessionOptions: ort.InferenceSession.SessionOptions;
  readonly runOptions: ort.InferenceSession.RunOptions;
  /** e.g. `onnxruntime-web 1.30.0`, for load failures. */
  readonly describe: (api: OrtApi) => string;
  /** A hint appended to load failures. */
  readonly loadHint: string;
}

/** True when two shapes are equal. */
function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * A dimension of onnxruntime's metadata: a fixed size, a symbol, or unknown, which onnxruntime
 * reports as a negative number or as 2^32 - 1 (an unsigned -1): those become -1 (shown as `?`).
 */
function normaliseDim(d: number | string): number | string {
  return typeof d === 'number' && (d < 0 || d > 2 ** 31 - 1) ? -1 : d;
}

function ioOf(metadata: readonly ort.InferenceSession.ValueMetadata[]): IoSpec[] {
  return metadata.map((m) =>
    m.isTensor
      ? { name: m.name, isTensor: true, type: m.type, shape: m.shape.map(normaliseDim) }
      : { name: m.name, isTensor: false, type: '', shape: [] },
  );
}

interface CachedSession {
  readonly session: Promise<ort.InferenceSession>;
  refs: number;
}

/**
 * A `ModelRuntime` over an onnxruntime backend: checks, session cache, wrapping of failures. The
 * web and node runtimes differ only in their {@link SessionBackend}.
 * @internal
 */
export function createSessionRuntime(backend: SessionBackend): OnnxModelRuntime {
  const cache = new Map<string, CachedSession>();
  /** One gate per session, shared by every handle of it (see {@link RunGate}). */
  const gates = new WeakMap<ort.InferenceSession, RunGate>();
  let api: Promise<OrtApi> | undefined;

  async function acquire(
    key: string,
    bytes: Uint8Array,
    where: string,
    artifact: ModelArtifact,
  ): Promise<ort.InferenceSession> {
    let entry = cache.get(key);
    if (entry === undefined) {
      const created = (async () => {
        api ??= backend.api();
        const ortApi = await api;
        backend.beforeCreate?.(ortApi);
        try {
          return await ortApi.InferenceSession.create(bytes, backend.sessionOptions);
        } catch (e) {
          throw new HealthItError(
            'model/load',
            `Cannot load ${where} (${bytes.length} bytes) with ${backend.describe(ortApi)}: ` +
              `${errorMessage(e)}. ${backend.loadHint}`,
            {
              cause: e,
              detail: { modelId: artifact.id, version: artifact.version, byteLength: bytes.length },
            },
          );
        }
      })();
      entry = { session: created, refs: 0 };
      cache.set(key, entry);
    }
    entry.refs++;
    try {
      return await entry.session;
    } catch (e) {
      entry.refs--;
      if (cache.get(key) === entry) cache.delete(key);
      throw e;
    }
  }

  async function release(key: string, where: string): Promise<void> {
    const entry = cache.get(key);
    if (entry === undefined) return;
    entry.refs--;
    if (entry.refs > 0) return;
    cache.delete(key);
    try {
      await (await entry.session).release();
    } catch (e) {
      throw new HealthItError('state/invalid', `Cannot release ${where}: ${errorMessage(e)}`, { cause: e });
    }
  }

  async function load(artifact: ArtifactWithSpec): Promise<OnnxLoadedModel> {
    const where = `${String(artifact?.id)}@${String(artifact?.version)}`;
    if (artifact?.format !== 'onnx') {
      throw new HealthItError(
        'model/load',
        `Cannot load ${where}: format is "${String(artifact?.format)}", ${backend.name} loads "onnx" artifacts only`,
        { detail: { modelId: artifact?.id, version: artifact?.version, format: artifact?.format } },
      );
    }
    if (!(artifact.bytes instanceof Uint8Array) || artifact.bytes.length === 0) {
      throw new HealthItError('model/load', `Cannot load ${where}: its bytes are empty or not a Uint8Array`, {
        detail: { modelId: artifact.id, version: artifact.version },
      });
    }
    let declared: ModelSpec | undefined;
    if (artifact.spec !== undefined) {
      const parsed = ModelSpec.safeParse(artifact.spec);
      if (!parsed.success) {
        throw new HealthItError(
          'model/load',
          `Cannot load ${where}: its declared spec is invalid: ${parsed.error.issues
            .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
            .join('; ')}`,
          { cause: parsed.error, detail: { modelId: artifact.id, version: artifact.version } },
        );
      }
      declared = parsed.data;
    }
    // A private copy: the caller may reuse its buffer; the cache key must describe what was loaded.
    const bytes = artifact.bytes.slice();
    const sha256 = await sha256Hex(bytes);
    const session = await acquire(sha256, bytes, where, artifact);
    const ctx = { modelId: artifact.id, version: artifact.version, where };
    const graph: ModelIo = { inputs: ioOf(session.inputMetadata), outputs: ioOf(session.outputMetadata) };
    let io: ModelIo;
    try {
      io = declared === undefined ? graph : checkDeclaredSpec(ctx, graph, declared);
    } catch (e) {
      await release(sha256, where);
      throw e;
    }
    return createHandle(artifact, session, io, sha256, ctx, () => release(sha256, where));
  }

  function createHandle(
    artifact: ModelArtifact,
    session: ort.InferenceSession,
    io: ModelIo,
    sha256: string,
    ctx: { modelId: string; version: string; where: string },
    releaseSession: () => Promise<void>,
  ): OnnxLoadedModel {
    const inputNames = Object.freeze(io.inputs.map((i) => i.name));
    const outputNames = Object.freeze(io.outputs.map((o) => o.name));
    let disposed = false;
    let ortApi: OrtApi | undefined;
    let gate = gates.get(session);
    if (gate === undefined) {
      gate = new RunGate();
      gates.set(session, gate);
    }
    const sessionGate = gate;
    // The onnxruntime tensor last built per input, reused while the caller feeds the same buffer
    // with the same dims (the `infer` operators recycle their batch buffers): onnxruntime copies
    // the data into the session at each run, so a reused tensor sees the buffer's new contents.
    const lastFeeds: ({ data: Tensor['data']; dims: readonly number[]; ort: ort.Tensor } | undefined)[] =
      inputNames.map(() => undefined);

    const ortTensorOf = (i: number, tensor: Tensor): ort.Tensor => {
      const last = lastFeeds[i];
      if (last !== undefined && last.data === tensor.data && sameDims(last.dims, tensor.dims))
        return last.ort;
      const built = toOrtTensor((ortApi as OrtApi).Tensor, tensor);
      lastFeeds[i] = { data: tensor.data, dims: [...tensor.dims], ort: built };
      return built;
    };

    const runChecked = (
      feeds: Readonly<Record<string, Tensor>>,
      bindings: ReturnType<typeof checkFeeds>,
    ): Promise<Record<string, Tensor>> =>
      sessionGate
        .run(() => {
          const ortFeeds: Record<string, ort.Tensor> = {};
          for (let i = 0; i < inputNames.length; i++) {
            const name = inputNames[i] as string;
            ortFeeds[name] = ortTensorOf(i, feeds[name] as Tensor);
          }
          return session.run(ortFeeds, backend.runOptions);
        })
        .then(
          (outputs) => {
            const result: Record<string, Tensor> = {};
            for (const name of outputNames) {
              const output = outputs[name];
              if (output !== undefined) result[name] = fromOrtTensor(name, output, `Cannot run ${ctx.where}`);
            }
            checkOutputs(ctx, io.outputs, result, bindings);
            return result;
          },
          (e: unknown) => {
            throw new HealthItError('model/run', `Cannot run ${ctx.where}: ${errorMessage(e)}`, {
              cause: e,
              detail: { modelId: artifact.id, version: artifact.version },
            });
          },
        );

    return Object.freeze({
      id: artifact.id,
      version: artifact.version,
      backend: backend.name,
      sha256,
      inputNames,
      outputNames,
      inputs: Object.freeze(io.inputs),
      outputs: Object.freeze(io.outputs),
      run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
        // Not `async`: a run that finds its session idle goes straight to onnxruntime, one promise
        // hop fewer per run; every failure still comes back as a rejection.
        let bindings: ReturnType<typeof checkFeeds>;
        try {
          if (disposed) {
            throw new HealthItError(
              'state/invalid',
              `Cannot run ${ctx.where}: it has been disposed; load it again`,
              { detail: { modelId: artifact.id, version: artifact.version } },
            );
          }
          bindings = checkFeeds(ctx, io.inputs, feeds);
        } catch (e) {
          return Promise.reject(e);
        }
        if (ortApi === undefined) {
          return (api as Promise<OrtApi>).then((loaded) => {
            ortApi = loaded;
            return runChecked(feeds, bindings);
          });
        }
        return runChecked(feeds, bindings);
      },
      async dispose(): Promise<void> {
        if (disposed) return;
        disposed = true;
        await releaseSession();
      },
    });
  }

  return Object.freeze({
    name: backend.name,
    load,
    get openSessions(): number {
      return cache.size;
    },
  });
}
