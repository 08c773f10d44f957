import { readFileSync } from 'node:fs';
import onnxProto, { type onnx } from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import {
  BUILT_MODEL_IR_VERSION,
  BUILT_MODEL_OPSET,
  buildDeteriorationModelV0,
  buildLogisticRegressionOnnx,
} from './build-deterioration-model.js';
import { deteriorationModelV0 } from './deterioration-v0.js';
import { DETERIORATION_MODEL_V0 } from './deterioration-v0-spec.js';
import { renderModelModule } from './generated-module.js';

const committedOnnx = new Uint8Array(
  readFileSync(new URL('../../models/deterioration-v0.onnx', import.meta.url)),
);
const committedModule = readFileSync(new URL('./deterioration-v0.generated.ts', import.meta.url), 'utf8');
const REBUILD = 'run `npx tsx packages/ai/scripts/build-models.ts` and commit the artefacts';

describe('buildDeteriorationModelV0', () => {
  it('is deterministic', () => {
    expect(buildDeteriorationModelV0()).toEqual(buildDeteriorationModelV0());
  });

  it('rebuilds models/deterioration-v0.onnx byte for byte', () => {
    const bytes = buildDeteriorationModelV0();
    expect(bytes.constructor).toBe(Uint8Array);
    expect(bytes, REBUILD).toEqual(committedOnnx);
  });

  it('rebuilds deterioration-v0.generated.ts character for character', () => {
    const text = renderModelModule(
      'DETERIORATION_V0_ONNX_BASE64URL',
      buildDeteriorationModelV0(),
      'packages/ai/scripts/build-models.ts',
    );
    expect(text, REBUILD).toBe(committedModule);
  });

  it('is what the root entry embeds, handed out as a fresh copy', () => {
    const a = deteriorationModelV0();
    expect(a).toMatchObject({ id: 'deterioration-risk', version: '0.1.0', format: 'onnx' });
    expect(a.bytes).toEqual(committedOnnx);
    a.bytes.fill(0);
    expect(deteriorationModelV0().bytes).toEqual(committedOnnx);
  });

  it('writes the Sub → Div → Gemm → Sigmoid graph with the spec parameters, IR 8, opset 13', () => {
    const model = onnxProto.onnx.ModelProto.decode(committedOnnx);
    expect(Number(model.irVersion)).toBe(BUILT_MODEL_IR_VERSION);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', BUILT_MODEL_OPSET]]);
    const graph = model.graph as onnx.GraphProto;
    expect(graph.node.map((n) => n.opType)).toEqual(['Sub', 'Div', 'Gemm', 'Sigmoid']);
    expect(graph.input.map((i) => i.name)).toEqual(['vitals']);
    expect(graph.output.map((o) => o.name)).toEqual(['risk']);
    const init = Object.fromEntries(graph.initializer.map((t) => [t.name, t]));
    const f32 = (xs: readonly number[]) => xs.map(Math.fround);
    expect(init.mean?.floatData).toEqual(f32(DETERIORATION_MODEL_V0.mean));
    expect(init.std?.floatData).toEqual(f32(DETERIORATION_MODEL_V0.std));
    expect(init.weights?.floatData).toEqual(f32(DETERIORATION_MODEL_V0.weights));
    expect(init.weights?.dims.map(Number)).toEqual([5, 1]);
    expect(init.bias?.floatData).toEqual([DETERIORATION_MODEL_V0.bias]);
    const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
    expect(meta['healthit.model.features']).toBe(
      'heart-rate,respiratory-rate,spo2,body-temperature,bp-systolic',
    );
    expect(model.docString).toContain('NOT a validated clinical model');
  });

  it('has clinically sensible signs', () => {
    const [hr, rr, spo2, temp, sbp] = DETERIORATION_MODEL_V0.weights;
    expect(hr).toBeGreaterThan(0);
    expect(rr).toBeGreaterThan(0);
    expect(spo2).toBeLessThan(0);
    expect(sbp).toBeLessThan(0);
    expect(temp).toBeGreaterThan(0);
    expect(temp).toBeLessThan(Math.min(...[hr, rr, -spo2, -sbp].map(Number)));
  });
});

describe('buildLogisticRegressionOnnx', () => {
  const base = { ...DETERIORATION_MODEL_V0, id: 'lr', features: ['a', 'b'], units: ['1', '1'] };
  const ok = { ...base, mean: [0, 0], std: [1, 1], weights: [1, -1], bias: 0 };

  it('builds other specs, and different parameters give different bytes', () => {
    expect(buildLogisticRegressionOnnx(ok)).not.toEqual(buildLogisticRegressionOnnx({ ...ok, bias: 1 }));
  });

  it('refuses inconsistent or invalid parameters', () => {
    expect(() => buildLogisticRegressionOnnx({ ...ok, weights: [1] })).toThrow(
      /weights has 1 entries, expected 2/,
    );
    expect(() => buildLogisticRegressionOnnx({ ...ok, std: [1, 0] })).toThrow(RangeError);
    expect(() => buildLogisticRegressionOnnx({ ...ok, bias: Number.NaN })).toThrow(RangeError);
    expect(() =>
      buildLogisticRegressionOnnx({ ...ok, features: [], units: [], mean: [], std: [], weights: [] }),
    ).toThrow(RangeError);
  });
});

describe('renderModelModule', () => {
  it('refuses a constant name that is not UPPER_SNAKE_CASE', () => {
    expect(() => renderModelModule('bytes', new Uint8Array([1]), 'x')).toThrow(RangeError);
  });
});
