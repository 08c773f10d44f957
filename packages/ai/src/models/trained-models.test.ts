import { readFileSync } from 'node:fs';
import type { LoadedModel } from '@healthit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReadingLike } from '../features/signal-series.js';
import { extractWindowFeatures } from '../features/window-features.js';
import {
  ARTEFACT_FEATURES,
  DETERIORATION_FEATURES,
  parseWindowFeatures,
  type WindowFeatureSpec,
} from '../features/window-spec.js';
import { createOnnxRuntime } from '../onnx/index.js';
import { buildDenseNetworkOnnx, DENSE_NETWORK_METADATA, readOnnxMetadata } from './build-dense-network.js';
import { type DenseNetworkSpec, denseForward } from './dense-network.js';
import { networkFromTrainedSpec, type TrainedModelSpec } from './trained-spec.js';

const RETRAIN =
  'run `npx tsx --conditions @healthit/source packages/ai/scripts/train-models.ts` and commit the models';

function committed(name: string): { spec: TrainedModelSpec; bytes: Uint8Array; network: DenseNetworkSpec } {
  const spec = JSON.parse(
    readFileSync(new URL(`../../models/${name}.json`, import.meta.url), 'utf8'),
  ) as TrainedModelSpec;
  const bytes = new Uint8Array(readFileSync(new URL(`../../models/${name}.onnx`, import.meta.url)));
  return { spec, bytes, network: networkFromTrainedSpec(spec) };
}

const MODELS: readonly (readonly [string, WindowFeatureSpec])[] = [
  ['deterioration-v1-lr', DETERIORATION_FEATURES],
  ['deterioration-v1-mlp', DETERIORATION_FEATURES],
  ['artefact-v1-lr', ARTEFACT_FEATURES],
];

describe('the committed trained models (packages/ai/models)', () => {
  it.each(MODELS)(
    '%s: the ONNX file is exactly what its spec builds, and embeds the features it was trained on',
    (name, features) => {
      const { spec, bytes, network } = committed(name);
      expect(buildDenseNetworkOnnx(network), RETRAIN).toEqual(bytes);
      expect(parseWindowFeatures(spec.features)).toEqual(features);
      const meta = readOnnxMetadata(bytes);
      expect(parseWindowFeatures(JSON.parse(meta[DENSE_NETWORK_METADATA.featureSpec] as string))).toEqual(
        features,
      );
      expect(meta[DENSE_NETWORK_METADATA.id]).toBe(spec.id);
      expect(spec.description).toContain('NOT a validated clinical model');
    },
  );

  it('deterioration models beat NEWS2 alone on held-out patients: AUROC and Brier score, and are calibrated', () => {
    for (const name of ['deterioration-v1-lr', 'deterioration-v1-mlp']) {
      const m = committed(name).spec.metrics;
      expect(m['heldOut.patients']).toBeGreaterThanOrEqual(100);
      expect(m['heldOut.auroc']).toBeGreaterThanOrEqual(0.95);
      expect(m['heldOut.auroc']).toBeGreaterThan(m['baseline.news2.auroc'] as number);
      expect(m['heldOut.brier']).toBeLessThan(m['baseline.news2.brier'] as number);
      expect(m['heldOut.ece']).toBeLessThanOrEqual(0.02);
    }
  });

  it('the artefact detector: AUROC >= 0.99 on held-out patients', () => {
    const m = committed('artefact-v1-lr').spec.metrics;
    expect(m['heldOut.auroc']).toBeGreaterThanOrEqual(0.99);
    expect(m['heldOut.ece']).toBeLessThanOrEqual(0.02);
  });
});

describe('the deterioration models on hand-made patients', () => {
  const T = Date.UTC(2025, 3, 1, 12);
  const runtime = createOnnxRuntime();
  const loaded: LoadedModel[] = [];
  beforeAll(async () => {
    for (const name of ['deterioration-v1-lr', 'deterioration-v1-mlp']) {
      const { spec, bytes } = committed(name);
      loaded.push(await runtime.load({ id: spec.id, version: spec.version, format: 'onnx', bytes }));
    }
  });
  afterAll(async () => {
    for (const m of loaded) await m.dispose();
  });

  /** An hour of vitals once a minute, moving linearly from `from` to `to` (HR, RR, SpO2, T, SBP, DBP). */
  function hour(from: readonly number[], to: readonly number[]): ReadingLike[] {
    const metrics = [
      'heart-rate',
      'respiratory-rate',
      'spo2',
      'body-temperature',
      'bp-systolic',
      'bp-diastolic',
    ];
    const units = ['/min', '/min', '%', 'Cel', 'mm[Hg]', 'mm[Hg]'];
    return Array.from({ length: 60 }, (_, k) =>
      metrics.map((metric, i) => {
        const v = (from[i] as number) + (((to[i] as number) - (from[i] as number)) * k) / 59;
        return {
          id: `m:${k * 6 + i}`,
          patientId: 'p',
          metric,
          value: i === 3 ? Math.round(v * 10) / 10 : Math.round(v),
          unit: units[i] as string,
          ts: T - (59 - k) * 60_000,
        };
      }),
    ).flat();
  }

  const stable = hour([72, 14, 98, 36.8, 124, 78], [74, 15, 97, 36.9, 122, 77]);
  // NEWS2 now 5 (RR 21: 2, SpO2 95: 1, SBP 108: 1, HR 100: 1): rising over the hour…
  const worsening = hour([80, 16, 97, 37.2, 126, 76], [100, 21, 95, 38.0, 108, 64]);
  // …versus the same values all hour long.
  const steady = hour([100, 21, 95, 38.0, 108, 64], [100, 21, 95, 38.0, 108, 64]);

  async function risks(readings: ReadingLike[]): Promise<number[]> {
    const x = extractWindowFeatures(readings, { patientId: 'p', endTs: T }, DETERIORATION_FEATURES);
    const out: number[] = [];
    for (const [k, model] of loaded.entries()) {
      const { risk } = await model.run({ features: { type: 'float32', data: x, dims: [1, 42] } });
      expect(risk?.type).toBe('float32');
      const r = (risk as { data: Float32Array }).data[0] as number;
      const name = k === 0 ? 'deterioration-v1-lr' : 'deterioration-v1-mlp';
      expect(Math.abs(r - (denseForward(committed(name).network, x, 1)[0] as number))).toBeLessThan(2e-5);
      out.push(r);
    }
    return out;
  }

  it('give a stable patient a low risk and a worsening one a higher risk than the same values held steady', async () => {
    const [stableLr, stableMlp] = await risks(stable);
    const [worseLr, worseMlp] = await risks(worsening);
    const [steadyLr, steadyMlp] = await risks(steady);
    expect(stableLr).toBeLessThan(0.02);
    expect(stableMlp).toBeLessThan(0.02);
    expect(worseLr).toBeGreaterThan(steadyLr as number);
    expect(worseMlp).toBeGreaterThan(steadyMlp as number);
    expect(worseLr).toBeGreaterThan(0.2);
    expect(worseMlp).toBeGreaterThan(0.2);
  });
});
