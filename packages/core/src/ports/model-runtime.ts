/** Element types a tensor may hold, named as ONNX names them. */
export type TensorType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';

/** The typed array behind each tensor type. */
export interface TensorDataMap {
  /** 32-bit IEEE 754 floats, ONNX `tensor(float)`. */
  float32: Float32Array;
  /** Signed 32-bit integers, ONNX `tensor(int32)`. */
  int32: Int32Array;
  /** Signed 64-bit integers as bigints, ONNX `tensor(int64)`. */
  int64: BigInt64Array;
  /** Unsigned bytes, ONNX `tensor(uint8)`. */
  uint8: Uint8Array;
  /** Booleans, one byte each (0 false, any other value true), ONNX `tensor(bool)`. */
  bool: Uint8Array;
}

/** A dense tensor in row-major order. `data.length` equals the product of `dims`. */
export type Tensor = {
  [K in TensorType]: {
    /** The element type, which fixes the typed array of `data`. */
    readonly type: K;
    /** The elements, row-major (last dimension fastest). */
    readonly data: TensorDataMap[K];
    /** The size of each dimension, outermost first, e.g. `[batch, features]`. */
    readonly dims: readonly number[];
  };
}[TensorType];

/** A model as bytes, with its identity. */
export interface ModelArtifact {
  /** The model's name, stable across versions, e.g. `deterioration-risk`. */
  readonly id: string;
  /** The model's version, e.g. `1.0.0`; with `id` it names one trained model. */
  readonly version: string;
  /** The serialisation of `bytes`: always ONNX. */
  readonly format: 'onnx';
  /** The serialised model (an ONNX protobuf). */
  readonly bytes: Uint8Array;
}

/** A model loaded into a runtime, ready to run. */
export interface LoadedModel {
  /** The `id` of the artifact it was loaded from. */
  readonly id: string;
  /** The `version` of the artifact it was loaded from. */
  readonly version: string;
  /** The model's input names, in graph order: the keys `run` expects in its feeds. */
  readonly inputNames: readonly string[];
  /** The model's output names, in graph order: the keys of what `run` resolves with. */
  readonly outputNames: readonly string[];
  /**
   * Runs the model once.
   * @throws {HealthItError} `model/run` on missing inputs, wrong shapes or a runtime failure.
   */
  run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>>;
  /** Releases the model's resources. Idempotent. */
  dispose(): Promise<void>;
}

/** Runs models. Implemented over onnxruntime-web by `@healthit/ai/onnx`. */
export interface ModelRuntime {
  /** The runtime's name, e.g. `onnxruntime-web/wasm`. */
  readonly name: string;
  /** @throws {HealthItError} `model/load` when the bytes are not a model the runtime can run. */
  load(artifact: ModelArtifact): Promise<LoadedModel>;
}
