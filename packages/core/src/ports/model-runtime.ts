/** Element types a tensor may hold, named as ONNX names them. */
export type TensorType = 'float32' | 'int32' | 'int64' | 'uint8' | 'bool';

/** The typed array behind each tensor type. */
export interface TensorDataMap {
  float32: Float32Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
  bool: Uint8Array;
}

/** A dense tensor in row-major order. `data.length` equals the product of `dims`. */
export type Tensor = {
  [K in TensorType]: { readonly type: K; readonly data: TensorDataMap[K]; readonly dims: readonly number[] };
}[TensorType];

/** A model as bytes, with its identity. */
export interface ModelArtifact {
  readonly id: string;
  readonly version: string;
  readonly format: 'onnx';
  readonly bytes: Uint8Array;
}

/** A model loaded into a runtime, ready to run. */
export interface LoadedModel {
  readonly id: string;
  readonly version: string;
  readonly inputNames: readonly string[];
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
