/**
 * Small ONNX graphs for the runtime, inference and placement tests, written with the `onnx-proto`
 * schema (test-only; the package's own models are built in `src/models`).
 */
import type { ModelArtifact } from '@healthit/core';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { DETERIORATION_MODEL_V0 } from '../src/models/deterioration-v0-spec.js';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

function valueInfo(name: string, dims: readonly (number | string)[]): OnnxTypes.IValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType: FLOAT, shape: { dim } } } };
}

function artifact(id: string, version: string, graph: OnnxTypes.IGraphProto): ModelArtifact {
  const bytes = onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: '@healthit/ai tests',
    graph,
  }).finish();
  return { id, version, format: 'onnx', bytes: new Uint8Array(bytes) };
}

/** Two inputs `a` float32 `[N, 2]` and `b` float32 `[N, 3]`, concatenated into `ab` float32 `[N, 5]`. */
export function concatModel(): ModelArtifact {
  return artifact('concat', '1', {
    name: 'concat',
    node: [
      {
        opType: 'Concat',
        input: ['a', 'b'],
        output: ['ab'],
        attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
      },
    ],
    input: [valueInfo('a', ['N', 2]), valueInfo('b', ['N', 3])],
    output: [valueInfo('ab', ['N', 5])],
  });
}

/** A deterministic pseudo-random sequence in [-1, 1) (a 32-bit LCG), for reproducible weights. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

/**
 * A small multilayer perceptron over the five vitals (the "larger cloud model" of the split
 * placement tests): `vitals` float32 `[N, 5]` → standardise (the v0 model's mean and std) →
 * `Gemm [5, hidden]` → `Relu` → `Gemm [hidden, 1]` → `Sigmoid` → `risk` float32 `[N, 1]`. The
 * weights are seeded and illustrative; the first hidden unit carries the v0 logistic regression,
 * so the MLP's risk rises with it.
 */
export function mlpRiskModel(hidden = 64, seed = 7): ModelArtifact {
  const next = lcg(seed);
  const { mean, std, weights, bias } = DETERIORATION_MODEL_V0;
  const w1 = new Array<number>(5 * hidden);
  for (let i = 0; i < 5; i++) {
    for (let j = 0; j < hidden; j++) w1[i * hidden + j] = j === 0 ? (weights[i] as number) : next() * 0.5;
  }
  const b1 = Array.from({ length: hidden }, (_, j) => (j === 0 ? bias + 8 : next() * 0.1));
  const w2 = Array.from({ length: hidden }, (_, j) => (j === 0 ? 1 : next() * 0.05));
  return artifact('deterioration-mlp', '0.1.0', {
    name: 'deterioration-mlp',
    node: [
      { opType: 'Sub', input: ['vitals', 'mean'], output: ['centred'] },
      { opType: 'Div', input: ['centred', 'std'], output: ['z'] },
      { opType: 'Gemm', input: ['z', 'w1', 'b1'], output: ['h'] },
      { opType: 'Relu', input: ['h'], output: ['hr'] },
      { opType: 'Gemm', input: ['hr', 'w2', 'b2'], output: ['logit'] },
      { opType: 'Sigmoid', input: ['logit'], output: ['risk'] },
    ],
    initializer: [
      { name: 'mean', dims: [5], dataType: FLOAT, floatData: [...mean] },
      { name: 'std', dims: [5], dataType: FLOAT, floatData: [...std] },
      { name: 'w1', dims: [5, hidden], dataType: FLOAT, floatData: w1 },
      { name: 'b1', dims: [hidden], dataType: FLOAT, floatData: b1 },
      { name: 'w2', dims: [hidden, 1], dataType: FLOAT, floatData: w2 },
      { name: 'b2', dims: [1], dataType: FLOAT, floatData: [-8] },
    ],
    input: [valueInfo('vitals', ['N', 5])],
    output: [valueInfo('risk', ['N', 1])],
  });
}
