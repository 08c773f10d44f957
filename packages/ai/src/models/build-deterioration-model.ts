/**
 * Builds the project's ONNX models from their parameters, with the `onnx-proto` schema.
 *
 * Node-side build tooling (used by `scripts/build-models.ts` and the tests): `onnx-proto` is a
 * CommonJS protobufjs module, so this file is deliberately not reachable from the package's root
 * entry, which only embeds the built bytes.
 * @module
 */
import onnxProto, { type onnx } from 'onnx-proto';
import { DETERIORATION_MODEL_V0 } from './deterioration-v0-spec.js';
import type { LogisticRegressionSpec } from './logistic-regression.js';
import { BUILT_MODEL_IR_VERSION, BUILT_MODEL_PRODUCER } from './onnx-constants.js';

// onnx-proto is CommonJS (`module.exports = { onnx }`): its namespace is on the default export.
const proto = onnxProto.onnx;

export { BUILT_MODEL_IR_VERSION, BUILT_MODEL_PRODUCER } from './onnx-constants.js';
/** Default-domain operator set the built graphs use (Sub, Div, Gemm, Sigmoid as of opset 13). */
export const BUILT_MODEL_OPSET = 13;

const FLOAT = proto.TensorProto.DataType.FLOAT;

function floatTensor(name: string, dims: readonly number[], values: readonly number[]): onnx.ITensorProto {
  return { name, dims: [...dims], dataType: FLOAT, floatData: [...values] };
}

function floatValueInfo(
  name: string,
  dims: readonly (number | string)[],
  docString: string,
): onnx.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, docString, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
}

function assertSpec(spec: LogisticRegressionSpec): void {
  const n = spec.features.length;
  if (n === 0) throw new RangeError(`model ${spec.id}: at least one feature is required`);
  for (const key of ['units', 'mean', 'std', 'weights'] as const) {
    if (spec[key].length !== n) {
      throw new RangeError(
        `model ${spec.id}: ${key} has ${spec[key].length} entries, expected ${n} (one per feature)`,
      );
    }
  }
  const numbers = [...spec.mean, ...spec.std, ...spec.weights, spec.bias];
  if (!numbers.every(Number.isFinite))
    throw new RangeError(`model ${spec.id}: every parameter must be finite`);
  if (!spec.std.every((s) => s > 0)) throw new RangeError(`model ${spec.id}: every std must be > 0`);
}

/**
 * Builds a standardised logistic regression as ONNX bytes: input `spec.inputName` float32
 * `[N, F]` → `Sub(mean)` → `Div(std)` → `Gemm(weights [F, 1], bias [1])` → `Sigmoid` → output
 * `spec.outputName` float32 `[N, 1]`. IR {@link BUILT_MODEL_IR_VERSION}, opset
 * {@link BUILT_MODEL_OPSET}; the id, version, features and units go into `metadata_props`.
 *
 * Deterministic: the same spec always gives the same bytes.
 *
 * @throws {RangeError} when the parameter arrays do not have one entry per feature, a parameter is
 *   not finite or a `std` is not positive.
 * @example
 * ```ts
 * const bytes = buildLogisticRegressionOnnx(DETERIORATION_MODEL_V0);
 * ```
 */
export function buildLogisticRegressionOnnx(spec: LogisticRegressionSpec): Uint8Array {
  assertSpec(spec);
  const n = spec.features.length;
  const columns = spec.features.map((f, i) => `${f} (${spec.units[i]})`).join(', ');
  const model: onnx.IModelProto = {
    irVersion: BUILT_MODEL_IR_VERSION,
    producerName: BUILT_MODEL_PRODUCER,
    producerVersion: spec.version,
    docString: spec.description,
    opsetImport: [{ domain: '', version: BUILT_MODEL_OPSET }],
    metadataProps: [
      { key: 'healthit.model.id', value: spec.id },
      { key: 'healthit.model.version', value: spec.version },
      { key: 'healthit.model.features', value: spec.features.join(',') },
      { key: 'healthit.model.units', value: spec.units.join(',') },
    ],
    graph: {
      name: spec.id,
      node: [
        { name: 'centre', opType: 'Sub', input: [spec.inputName, 'mean'], output: ['centred'] },
        { name: 'scale', opType: 'Div', input: ['centred', 'std'], output: ['standardised'] },
        { name: 'linear', opType: 'Gemm', input: ['standardised', 'weights', 'bias'], output: ['logit'] },
        { name: 'logistic', opType: 'Sigmoid', input: ['logit'], output: [spec.outputName] },
      ],
      initializer: [
        floatTensor('mean', [n], spec.mean),
        floatTensor('std', [n], spec.std),
        floatTensor('weights', [n, 1], spec.weights),
        floatTensor('bias', [1], [spec.bias]),
      ],
      input: [floatValueInfo(spec.inputName, ['N', n], `float32 [N, ${n}]: ${columns}`)],
      output: [floatValueInfo(spec.outputName, ['N', 1], 'float32 [N, 1]: probability in 0..1')],
    },
  };
  const encoded = proto.ModelProto.encode(proto.ModelProto.fromObject(model)).finish();
  // protobufjs returns a Node Buffer in Node: hand back a plain Uint8Array everywhere.
  return new Uint8Array(encoded);
}

/**
 * The deterioration-risk model v0 ({@link DETERIORATION_MODEL_V0}) as ONNX bytes. The package
 * embeds exactly these bytes (`models/deterioration-v0.onnx`, `deterioration-v0.generated.ts`).
 */
export function buildDeteriorationModelV0(): Uint8Array {
  return buildLogisticRegressionOnnx(DETERIORATION_MODEL_V0);
}
