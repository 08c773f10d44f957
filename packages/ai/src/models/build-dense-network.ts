/**
 * Writes a {@link DenseNetworkSpec} (logistic regression or MLP) as ONNX bytes with the `onnx-proto`
 * schema. Used by training at run time (the platform writes the models it trains), so `onnx-proto`
 * is a runtime dependency of the code that imports this module; the package's browser-safe root
 * entry never does.
 * @module
 */
import onnxProto, { type onnx } from 'onnx-proto';
import { assertDenseNetworkSpec, type DenseNetworkSpec, denseNetworkKind } from './dense-network.js';
import { BUILT_MODEL_IR_VERSION, BUILT_MODEL_PRODUCER } from './onnx-constants.js';

// onnx-proto is CommonJS (`module.exports = { onnx }`): its namespace is on the default export.
const proto = onnxProto.onnx;
const FLOAT = proto.TensorProto.DataType.FLOAT;

/**
 * Default-domain operator set of dense networks: IsNaN and Where (opset 9+), Sub, Div, Gemm, Relu,
 * Sigmoid as of opset 13.
 */
export const DENSE_NETWORK_OPSET = 13;

/** ONNX metadata keys written into every built dense network. */
export const DENSE_NETWORK_METADATA = {
  id: 'healthit.model.id',
  version: 'healthit.model.version',
  kind: 'healthit.model.kind',
  features: 'healthit.model.features',
  units: 'healthit.model.units',
  featureSpec: 'healthit.feature-spec',
} as const;

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

/**
 * Builds the ONNX graph of a dense network: input `spec.inputName` float32 `[N, F]` →
 * `IsNaN` → `Where(isnan, mean, x)` → `Sub(mean)` → `Div(std)` → for each layer `Gemm(W, b)` and
 * `Relu` (hidden) or `Sigmoid` (last) → output `spec.outputName` float32 `[N, 1]`. IR
 * version 8 (`BUILT_MODEL_IR_VERSION`), opset {@link DENSE_NETWORK_OPSET}. The id, version, kind,
 * feature names, units and the whole feature spec (JSON) go into `metadata_props`, so the file alone
 * says what it must be fed.
 *
 * Deterministic: the same spec always gives the same bytes.
 *
 * @throws {RangeError} when the spec is inconsistent (see `assertDenseNetworkSpec`).
 * @example
 * ```ts
 * const bytes = buildDenseNetworkOnnx(trained.spec);
 * const model = await createOnnxRuntime().load({ id, version, format: 'onnx', bytes });
 * ```
 */
export function buildDenseNetworkOnnx(spec: DenseNetworkSpec): Uint8Array {
  assertDenseNetworkSpec(spec);
  const f = spec.features;
  const n = f.columns.length;
  const nodes: onnx.INodeProto[] = [
    { name: 'missing', opType: 'IsNaN', input: [spec.inputName], output: ['is_missing'] },
    { name: 'impute', opType: 'Where', input: ['is_missing', 'mean', spec.inputName], output: ['imputed'] },
    { name: 'centre', opType: 'Sub', input: ['imputed', 'mean'], output: ['centred'] },
    { name: 'scale', opType: 'Div', input: ['centred', 'std'], output: ['h0'] },
  ];
  const initializers: onnx.ITensorProto[] = [
    floatTensor('mean', [n], spec.mean),
    floatTensor('std', [n], spec.std),
  ];
  spec.layers.forEach((layer, k) => {
    const last = k === spec.layers.length - 1;
    initializers.push(
      floatTensor(`w${k + 1}`, [layer.inputs, layer.outputs], layer.weights),
      floatTensor(`b${k + 1}`, [layer.outputs], layer.bias),
    );
    nodes.push({
      name: `dense${k + 1}`,
      opType: 'Gemm',
      input: [`h${k}`, `w${k + 1}`, `b${k + 1}`],
      output: [`z${k + 1}`],
    });
    nodes.push(
      last
        ? { name: 'logistic', opType: 'Sigmoid', input: [`z${k + 1}`], output: [spec.outputName] }
        : { name: `relu${k + 1}`, opType: 'Relu', input: [`z${k + 1}`], output: [`h${k + 1}`] },
    );
  });
  const columns = f.columns.map((c) => `${c.name} (${c.unit})`).join(', ');
  const model: onnx.IModelProto = {
    irVersion: BUILT_MODEL_IR_VERSION,
    producerName: BUILT_MODEL_PRODUCER,
    producerVersion: spec.version,
    docString: spec.description,
    opsetImport: [{ domain: '', version: DENSE_NETWORK_OPSET }],
    metadataProps: [
      { key: DENSE_NETWORK_METADATA.id, value: spec.id },
      { key: DENSE_NETWORK_METADATA.version, value: spec.version },
      { key: DENSE_NETWORK_METADATA.kind, value: denseNetworkKind(spec) },
      { key: DENSE_NETWORK_METADATA.features, value: f.columns.map((c) => c.name).join(',') },
      { key: DENSE_NETWORK_METADATA.units, value: f.columns.map((c) => c.unit).join(',') },
      { key: DENSE_NETWORK_METADATA.featureSpec, value: JSON.stringify(f) },
    ],
    graph: {
      name: spec.id,
      node: nodes,
      initializer: initializers,
      input: [
        floatValueInfo(
          spec.inputName,
          ['N', n],
          `float32 [N, ${n}], features ${f.name}@${f.version} (NaN = undefined): ${columns}`,
        ),
      ],
      output: [floatValueInfo(spec.outputName, ['N', 1], 'float32 [N, 1]: probability in 0..1')],
    },
  };
  return new Uint8Array(proto.ModelProto.encode(proto.ModelProto.fromObject(model)).finish());
}

/**
 * The `metadata_props` of ONNX bytes as a record (e.g. {@link DENSE_NETWORK_METADATA}.featureSpec,
 * to check a model file against an extractor with `parseWindowFeatures` and `assertWindowFeatures`).
 *
 * @throws {RangeError} when the bytes are not an ONNX model.
 */
export function readOnnxMetadata(bytes: Uint8Array): Record<string, string> {
  let model: onnx.ModelProto;
  try {
    model = proto.ModelProto.decode(bytes);
  } catch (e) {
    throw new RangeError(
      `readOnnxMetadata: not an ONNX model (${e instanceof Error ? e.message : String(e)})`,
      {
        cause: e,
      },
    );
  }
  return Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
}
