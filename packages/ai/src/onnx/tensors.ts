import { HealthItError, type Tensor, type TensorType } from '@healthit/core';
import type * as ort from 'onnxruntime-web';

/** The tensor types the core `Tensor` carries, i.e. the ones this adapter maps. */
const CORE_TYPES: ReadonlySet<string> = new Set<TensorType>(['float32', 'int32', 'int64', 'uint8', 'bool']);

/** The number of elements a tensor of shape `dims` holds. */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

/** The `Tensor` class of an onnxruntime package (onnxruntime-web and onnxruntime-node share its API). */
export type OrtTensorClass = typeof ort.Tensor;

/**
 * A core {@link Tensor} as an onnxruntime tensor of the backend's own `Tensor` class (sharing its
 * data, no copy).
 *
 * @throws {Error} from the `Tensor` constructor when data and dims disagree (callers check first).
 */
export function toOrtTensor(Tensor: OrtTensorClass, tensor: Tensor): ort.Tensor {
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case 'float32':
      return new Tensor('float32', tensor.data, dims);
    case 'int32':
      return new Tensor('int32', tensor.data, dims);
    case 'int64':
      return new Tensor('int64', tensor.data, dims);
    case 'uint8':
      return new Tensor('uint8', tensor.data, dims);
    case 'bool':
      return new Tensor('bool', tensor.data, dims);
  }
}

/**
 * An onnxruntime output tensor as a core {@link Tensor}.
 *
 * @throws {HealthItError} `model/run` when the output's element type is not one the core `Tensor`
 *   carries (float32, int32, int64, uint8, bool) or its data is not on the CPU.
 */
export function fromOrtTensor(name: string, tensor: ort.Tensor, where: string): Tensor {
  if (!CORE_TYPES.has(tensor.type)) {
    throw new HealthItError(
      'model/run',
      `${where}: output "${name}" has element type ${tensor.type}, which @healthit/core's Tensor cannot carry ` +
        `(float32, int32, int64, uint8, bool); cast it in the model (ONNX Cast) to one of these.`,
      { detail: { output: name, type: tensor.type } },
    );
  }
  if (tensor.location !== 'cpu') {
    throw new HealthItError(
      'model/run',
      `${where}: output "${name}" is on ${tensor.location}, expected the CPU (use the wasm or cpu execution provider)`,
      { detail: { output: name, location: tensor.location } },
    );
  }
  const dims = [...tensor.dims];
  // The type guard above makes these casts exact: ort's data type follows tensor.type.
  switch (tensor.type as TensorType) {
    case 'float32':
      return { type: 'float32', data: tensor.data as Float32Array, dims };
    case 'int32':
      return { type: 'int32', data: tensor.data as Int32Array, dims };
    case 'int64':
      return { type: 'int64', data: tensor.data as BigInt64Array, dims };
    case 'uint8':
      return { type: 'uint8', data: tensor.data as Uint8Array, dims };
    case 'bool':
      return { type: 'bool', data: tensor.data as Uint8Array, dims };
  }
}
