import type { ModelArtifact } from '@healthit/core';
import onnxProto from 'onnx-proto';
import { buildLogisticRegressionOnnx } from '../src/models/build-deterioration-model.js';
import { DETERIORATION_MODEL_V0 } from '../src/models/deterioration-v0-spec.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

/** A real model that takes 4 vitals columns instead of 5: every run with 5 fails. */
export function fourColumnModel(): ModelArtifact {
  const spec = {
    ...DETERIORATION_MODEL_V0,
    id: 'four-columns',
    features: DETERIORATION_MODEL_V0.features.slice(0, 4),
    units: DETERIORATION_MODEL_V0.units.slice(0, 4),
    mean: DETERIORATION_MODEL_V0.mean.slice(0, 4),
    std: DETERIORATION_MODEL_V0.std.slice(0, 4),
    weights: DETERIORATION_MODEL_V0.weights.slice(0, 4),
  };
  return { id: spec.id, version: '1', format: 'onnx', bytes: buildLogisticRegressionOnnx(spec) };
}

/** A real model whose "risk" is the row maximum / 100: out of 0..1 for most real vitals. */
export function rowMaxModel(): ModelArtifact {
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'row-max',
      node: [
        { opType: 'Div', input: ['vitals', 'hundred'], output: ['scaled'] },
        {
          opType: 'ReduceMax',
          input: ['scaled'],
          output: ['risk'],
          attribute: [
            { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [1] },
            { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
          ],
        },
      ],
      initializer: [{ name: 'hundred', dims: [1], dataType: FLOAT, floatData: [100] }],
      input: [
        {
          name: 'vitals',
          type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: 5 }] } } },
        },
      ],
      output: [
        {
          name: 'risk',
          type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: 1 }] } } },
        },
      ],
    },
  }).finish();
  return { id: 'row-max', version: '1', format: 'onnx', bytes: new Uint8Array(bytes) };
}
