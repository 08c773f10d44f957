import type { LoadedModel } from '@healthit/core';
import * as fc from 'fast-check';
import onnxProto, { type onnx } from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DETERIORATION_FEATURES,
  defineWindowFeatures,
  parseWindowFeatures,
  WINDOW_SIGNALS,
  WINDOW_STATISTICS,
  type WindowFeatureSpec,
} from '../features/window-spec.js';
import { createOnnxRuntime } from '../onnx/index.js';
import {
  buildDenseNetworkOnnx,
  DENSE_NETWORK_METADATA,
  DENSE_NETWORK_OPSET,
  readOnnxMetadata,
} from './build-dense-network.js';
import {
  assertDenseNetworkSpec,
  type DenseLayer,
  type DenseNetworkSpec,
  denseForward,
  denseNetworkKind,
  sigmoid,
} from './dense-network.js';

const runtime = createOnnxRuntime();
const loaded: LoadedModel[] = [];
afterAll(async () => {
  for (const m of loaded) await m.dispose();
});

function featureSpec(signals: number, statistics: number): WindowFeatureSpec {
  return defineWindowFeatures({
    name: 'test',
    version: '1.0.0',
    windowMs: 60_000,
    signals: WINDOW_SIGNALS.slice(0, signals),
    statistics: WINDOW_STATISTICS.slice(0, statistics),
  });
}

const weight = fc.double({ min: -3, max: 3, noNaN: true });

function layer(
  inputs: number,
  outputs: number,
  activation: DenseLayer['activation'],
): fc.Arbitrary<DenseLayer> {
  return fc
    .record({
      weights: fc.array(weight, { minLength: inputs * outputs, maxLength: inputs * outputs }),
      bias: fc.array(weight, { minLength: outputs, maxLength: outputs }),
    })
    .map(({ weights, bias }) => ({ inputs, outputs, weights, bias, activation }));
}

/** A random logistic regression or MLP (0–2 hidden ReLU layers) over 1–12 columns. */
const network: fc.Arbitrary<DenseNetworkSpec> = fc
  .record({
    signals: fc.integer({ min: 1, max: 3 }),
    statistics: fc.integer({ min: 1, max: 4 }),
    hidden: fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 2 }),
  })
  .chain(({ signals, statistics, hidden }) => {
    const features = featureSpec(signals, statistics);
    const n = features.columns.length;
    const sizes = [n, ...hidden, 1];
    const layers = fc.tuple(
      ...sizes
        .slice(1)
        .map((out, k) => layer(sizes[k] as number, out, k === hidden.length ? 'sigmoid' : 'relu')),
    );
    return fc
      .record({
        mean: fc.array(fc.double({ min: -200, max: 200, noNaN: true }), { minLength: n, maxLength: n }),
        std: fc.array(fc.double({ min: 0.05, max: 50, noNaN: true }), { minLength: n, maxLength: n }),
        layers,
      })
      .map(
        ({ mean, std, layers }): DenseNetworkSpec => ({
          id: 'random',
          version: '1',
          description: 'random test network',
          inputName: 'features',
          outputName: 'risk',
          features,
          mean,
          std,
          layers,
        }),
      );
  });

/** Rows of the network's width, float32, with NaN for undefined statistics. */
function rows(spec: DenseNetworkSpec): fc.Arbitrary<Float32Array> {
  const n = spec.features.columns.length;
  const cell = fc.oneof(
    { weight: 5, arbitrary: fc.double({ min: -300, max: 300, noNaN: true }) },
    { weight: 1, arbitrary: fc.constant(Number.NaN) },
  );
  return fc
    .array(fc.array(cell, { minLength: n, maxLength: n }), { minLength: 1, maxLength: 20 })
    .map((rs) => Float32Array.from(rs.flat()));
}

async function runOnnx(spec: DenseNetworkSpec, x: Float32Array): Promise<Float32Array> {
  const model = await runtime.load({
    id: spec.id,
    version: spec.version,
    format: 'onnx',
    bytes: buildDenseNetworkOnnx(spec),
  });
  loaded.push(model);
  const n = spec.features.columns.length;
  const out = await model.run({ [spec.inputName]: { type: 'float32', data: x, dims: [x.length / n, n] } });
  const risk = out[spec.outputName];
  expect(risk?.type).toBe('float32');
  expect(risk?.dims).toEqual([x.length / n, 1]);
  return risk?.data as Float32Array;
}

describe('dense networks in onnxruntime-web', () => {
  it('compute what the plain-TypeScript forward pass computes, NaN imputed by the mean, within float32 tolerance', async () => {
    await fc.assert(
      fc.asyncProperty(
        network.chain((spec) => fc.tuple(fc.constant(spec), rows(spec))),
        async ([spec, x]) => {
          const n = spec.features.columns.length;
          const onnx = await runOnnx(spec, x);
          const ts = denseForward(spec, x, x.length / n);
          for (let r = 0; r < ts.length; r++) {
            expect(Math.abs((onnx[r] as number) - (ts[r] as number))).toBeLessThanOrEqual(2e-5);
          }
          await loaded.pop()?.dispose();
        },
      ),
      { numRuns: 60 },
    );
  });

  it('impute a NaN as the column mean: a row of NaN scores exactly like a row of means', async () => {
    const spec: DenseNetworkSpec = {
      id: 'lr',
      version: '1',
      description: 'lr',
      inputName: 'features',
      outputName: 'risk',
      features: featureSpec(1, 2),
      mean: [10, 20],
      std: [2, 4],
      layers: [{ inputs: 2, outputs: 1, weights: [1, -0.5], bias: [0.25], activation: 'sigmoid' }],
    };
    const onnx = await runOnnx(spec, Float32Array.from([Number.NaN, Number.NaN, 10, 20, 12, Number.NaN]));
    expect(onnx[0]).toBeCloseTo(sigmoid(0.25), 6);
    expect(onnx[1]).toBeCloseTo(sigmoid(0.25), 6);
    expect(onnx[2]).toBeCloseTo(sigmoid(1 + 0.25), 6);
  });
});

describe('buildDenseNetworkOnnx', () => {
  const mlp: DenseNetworkSpec = {
    id: 'mlp',
    version: '2.0.0',
    description: 'two layers',
    inputName: 'features',
    outputName: 'risk',
    features: DETERIORATION_FEATURES,
    mean: DETERIORATION_FEATURES.columns.map(() => 0),
    std: DETERIORATION_FEATURES.columns.map(() => 1),
    layers: [
      {
        inputs: 42,
        outputs: 3,
        weights: Array.from({ length: 126 }, (_, i) => ((i % 7) - 3) / 10),
        bias: [0, 0.1, -0.1],
        activation: 'relu',
      },
      { inputs: 3, outputs: 1, weights: [1, -1, 0.5], bias: [-2], activation: 'sigmoid' },
    ],
  };

  it('is deterministic and writes IsNaN → Where → Sub → Div → Gemm → Relu → Gemm → Sigmoid, opset 13', () => {
    const bytes = buildDenseNetworkOnnx(mlp);
    expect(buildDenseNetworkOnnx(mlp)).toEqual(bytes);
    const model = onnxProto.onnx.ModelProto.decode(bytes);
    expect(model.opsetImport.map((o) => Number(o.version))).toEqual([DENSE_NETWORK_OPSET]);
    const graph = model.graph as onnx.GraphProto;
    expect(graph.node.map((x) => x.opType)).toEqual([
      'IsNaN',
      'Where',
      'Sub',
      'Div',
      'Gemm',
      'Relu',
      'Gemm',
      'Sigmoid',
    ]);
    const init = Object.fromEntries(graph.initializer.map((t) => [t.name, t]));
    expect(init.w1?.dims.map(Number)).toEqual([42, 3]);
    expect(init.w2?.floatData).toEqual([1, -1, 0.5]);
    expect(init.b2?.floatData).toEqual([-2]);
  });

  it('records the kind and the whole feature spec in the metadata, so the file says what it must be fed', () => {
    const meta = readOnnxMetadata(buildDenseNetworkOnnx(mlp));
    expect(meta[DENSE_NETWORK_METADATA.kind]).toBe('mlp');
    expect(meta[DENSE_NETWORK_METADATA.features]?.split(',')).toEqual(
      DETERIORATION_FEATURES.columns.map((c) => c.name),
    );
    expect(meta[DENSE_NETWORK_METADATA.units]?.split(',')).toContain('/min/h');
    expect(parseWindowFeatures(JSON.parse(meta[DENSE_NETWORK_METADATA.featureSpec] as string))).toEqual(
      DETERIORATION_FEATURES,
    );
    const lr = {
      ...mlp,
      layers: [{ inputs: 42, outputs: 1, weights: mlp.mean, bias: [0], activation: 'sigmoid' as const }],
    };
    expect(denseNetworkKind(lr)).toBe('logistic-regression');
    expect(readOnnxMetadata(buildDenseNetworkOnnx(lr))[DENSE_NETWORK_METADATA.kind]).toBe(
      'logistic-regression',
    );
  });

  it('refuses inconsistent networks, naming what is wrong', () => {
    const hidden = mlp.layers[0] as DenseLayer;
    const out = mlp.layers[1] as DenseLayer;
    expect(() => assertDenseNetworkSpec({ ...mlp, mean: [1] })).toThrow(
      /one entry per feature column \(42\)/,
    );
    expect(() => assertDenseNetworkSpec({ ...mlp, std: mlp.std.map((s, i) => (i === 3 ? 0 : s)) })).toThrow(
      /std/,
    );
    expect(() =>
      assertDenseNetworkSpec({ ...mlp, layers: [hidden, { ...out, inputs: 4, weights: [1, 1, 1, 1] }] }),
    ).toThrow(/layer 1 takes 4 inputs, expected 3/);
    expect(() => assertDenseNetworkSpec({ ...mlp, layers: [hidden, { ...out, weights: [1, 1] }] })).toThrow(
      /weights has 2/,
    );
    expect(() => assertDenseNetworkSpec({ ...mlp, layers: [hidden] })).toThrow(/one output and a sigmoid/);
    expect(() =>
      assertDenseNetworkSpec({ ...mlp, layers: [{ ...hidden, activation: 'sigmoid' }, out] }),
    ).toThrow(/relu/);
    expect(() =>
      assertDenseNetworkSpec({ ...mlp, layers: [hidden, { ...out, bias: [Number.NaN] }] }),
    ).toThrow(/finite/);
    expect(() => assertDenseNetworkSpec({ ...mlp, outputName: 'features' })).toThrow(/identifiers/);
    expect(() => buildDenseNetworkOnnx({ ...mlp, layers: [] })).toThrow(RangeError);
    expect(() => readOnnxMetadata(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(/not an ONNX model/);
  });

  it('denseForward refuses input of the wrong width', () => {
    expect(() => denseForward(mlp, new Float32Array(41), 1)).toThrow(/42 columns/);
  });
});
