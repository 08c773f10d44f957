import { createIdentity, type LoadedModel } from '@healthit/core';
import { createWardSimulator } from '@healthit/device';
import { news2 } from '@healthit/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COHORT_START_TS, news2Total, simulateCohort } from '../../scripts/simulated-cohort.js';
import { signModelArtifact } from '../artifacts/sign.js';
import { auroc, type BinaryEvaluation, evaluateBinary } from '../evaluation/metrics.js';
import {
  assertWindowFeatures,
  DETERIORATION_FEATURES,
  parseWindowFeatures,
} from '../features/window-spec.js';
import { DENSE_NETWORK_METADATA, readOnnxMetadata } from '../models/build-dense-network.js';
import { denseForward } from '../models/dense-network.js';
import { networkFromTrainedSpec } from '../models/trained-spec.js';
import { createOnnxRuntime } from '../onnx/index.js';
import { type LabelledDataset, splitByPatient } from './dataset.js';
import { exportModel, flatMetrics } from './export-model.js';
import { trainLogisticRegression } from './logistic-regression.js';
import { trainMlp } from './mlp.js';
import { news2Observation, recordSimulation, type SimulationRecord } from './simulation.js';
import { predict, type TrainedModel } from './trained-model.js';
import { artefactWindows, deteriorationWindows } from './windows.js';

/**
 * A small simulated cohort (100 patients, 8 hours, vitals once a minute, sensor faults), split by
 * patient 70/30. The 1 M-window figures come from `bench/ai-training.ts`; these thresholds are the
 * ones a cohort this small meets with a margin.
 */
let record: SimulationRecord;
let det: { train: LabelledDataset; test: LabelledDataset };
let lr: TrainedModel;
let lrEval: BinaryEvaluation;
let news2Auroc: number;

beforeAll(() => {
  record = simulateCohort({ patients: 100, seed: 1, hours: 8 });
  const all = deteriorationWindows(record.series, record.news2, { strideMs: 5 * 60_000 });
  det = splitByPatient(all, { testFraction: 0.3, seed: 1 });
  lr = trainLogisticRegression(det.train);
  lrEval = evaluateBinary(predict(lr, det.test), det.test.y);
  news2Auroc = auroc(det.test.baseline as Float32Array, det.test.y);
});

describe('recordSimulation', () => {
  it('scores the true state of every patient at every tick on the gateway NEWS2 chart', () => {
    const ward = createWardSimulator({
      patients: 3,
      seed: 4,
      periodMs: 60_000,
      startTs: COHORT_START_TS,
      scenarios: ['stable', { name: 'deteriorating', startAfterMs: 0, rampMs: 1_800_000 }, 'copd'],
    });
    const ticks = [...ward.simulate({ toMs: 3_600_000 })];
    const seen: number[] = [];
    const rec = recordSimulation(ticks, {
      news2: (o) => {
        const total = news2Total(o);
        seen.push(total);
        return total;
      },
    });
    expect(rec.ticks).toBe(60);
    const tick = ticks[59] as (typeof ticks)[number];
    tick.patients.forEach((truth) => {
      const timeline = rec.news2.get(truth.patientId);
      expect(timeline?.ts.length).toBe(60);
      // The gateway's validating scorer agrees on the recorded value, for the rounded true state.
      expect(timeline?.total[59]).toBe(news2(news2Observation(truth)).total);
    });
    expect(news2Observation(tick.patients[2] as never).spo2Scale).toBe(2); // COPD: SpO2 scale 2
    expect(Math.max(...(rec.news2.get('patient-002')?.total ?? []))).toBeGreaterThanOrEqual(7);
    expect(seen).toHaveLength(180);
    expect(rec.counts.accepted).toBe(3 * 60 * 6);
    expect(rec.series.get('patient-001')?.signals['heart-rate'].ts.length).toBe(60);
  });

  it('refuses a NEWS2 scorer that does not return a total', () => {
    const ward = createWardSimulator({ patients: 1, seed: 1, periodMs: 60_000, startTs: COHORT_START_TS });
    expect(() => recordSimulation(ward.simulate({ toMs: 60_000 }), { news2: () => 21 })).toThrow(/0-20/);
  });

  it('marks the measurements a sensor fault spoiled, and the cohort has faults to find', () => {
    let faulty = 0;
    let total = 0;
    for (const m of record.measurements.values()) {
      total += m.ts.length;
      for (const f of m.faulty) faulty += f;
    }
    expect(total).toBeGreaterThan(100 * 470);
    expect(faulty / total).toBeGreaterThan(0.02);
    expect(faulty / total).toBeLessThan(0.06);
  });
});

describe('deterioration risk on held-out simulated patients', () => {
  it('splits by patient, with events on both sides', () => {
    const train = new Set(Array.from(det.train.group, (g) => det.train.patients[g]));
    const test = new Set(Array.from(det.test.group, (g) => det.test.patients[g]));
    expect([...test].filter((p) => train.has(p))).toEqual([]);
    expect(test.size).toBe(30);
    expect(lrEval.positives).toBeGreaterThan(50);
    expect(lrEval.n).toBeGreaterThan(1500);
  });

  it('logistic regression: AUROC >= 0.90 and at least that of NEWS2 alone; calibrated (ECE <= 0.05, Brier skill >= 0.3)', () => {
    expect(news2Auroc).toBeGreaterThan(0.85); // the baseline is strong: NEWS2 is what the label is made of
    expect(lrEval.auroc).toBeGreaterThanOrEqual(0.9);
    expect(lrEval.auroc).toBeGreaterThanOrEqual(news2Auroc);
    expect(lrEval.ece).toBeLessThanOrEqual(0.05);
    expect(lrEval.brierSkill).toBeGreaterThanOrEqual(0.3);
    expect(lr.training.converged).toBe(true);
  });

  it('MLP: AUROC >= 0.90', () => {
    const mlp = trainMlp(det.train, { hidden: [16], epochs: 10, seed: 1 });
    const e = evaluateBinary(predict(mlp, det.test), det.test.y);
    expect(e.auroc).toBeGreaterThanOrEqual(0.9);
    expect(e.ece).toBeLessThanOrEqual(0.05);
  });
});

describe('sensor-artefact detection on held-out simulated patients', () => {
  it('logistic regression: AUROC >= 0.99', () => {
    const all = artefactWindows(record.series, record.measurements);
    const { train, test } = splitByPatient(all, { testFraction: 0.3, seed: 1 });
    const model = trainLogisticRegression(train, { hessianRows: 8192 });
    const e = evaluateBinary(predict(model, test), test.y);
    expect(e.positives).toBeGreaterThan(300);
    expect(e.auroc).toBeGreaterThanOrEqual(0.99);
    expect(e.ece).toBeLessThanOrEqual(0.02);
  });
});

describe('exportModel', () => {
  const runtime = createOnnxRuntime();
  let loaded: LoadedModel | undefined;
  afterAll(async () => {
    await loaded?.dispose();
  });

  it('turns the trained model into ONNX that onnxruntime-web runs to the same risks, and a spec that survives JSON', async () => {
    const { artifact, spec, network } = exportModel(lr, {
      id: 'deterioration-risk',
      version: '1.0.0-test',
      task: 'P(NEWS2 >= 7 within 1 h)',
      description: 'test model',
      metrics: { ...flatMetrics('heldOut', lrEval), 'baseline.news2.auroc': news2Auroc },
    });
    expect(spec).toMatchObject({
      kind: 'logistic-regression',
      input: { name: 'features', type: 'float32', dims: ['N', 42] },
      output: { name: 'risk', dims: ['N', 1] },
    });
    expect(spec.metrics['heldOut.auroc']).toBe(lrEval.auroc);
    loaded = await runtime.load(artifact);
    const rows = Math.min(det.test.rows, 500);
    const x = det.test.x.slice(0, rows * 42);
    // A signal missing from every fifth window (a dropout): its values reach the graph as NaN.
    for (let r = 0; r < rows; r += 5) {
      const s = (r / 5) % 6;
      x.fill(Number.NaN, r * 42 + s * 7, r * 42 + s * 7 + 6);
      x[r * 42 + s * 7 + 6] = 1;
    }
    const out = await loaded.run({ features: { type: 'float32', data: x, dims: [rows, 42] } });
    const expected = denseForward(network, x, rows);
    const got = out.risk?.data as Float32Array;
    for (let r = 0; r < rows; r++)
      expect(Math.abs((got[r] as number) - (expected[r] as number))).toBeLessThan(2e-5);

    const back = networkFromTrainedSpec(JSON.parse(JSON.stringify(spec)));
    expect(Array.from(denseForward(back, x, rows))).toEqual(Array.from(expected));
    const meta = readOnnxMetadata(artifact.bytes);
    const embedded = parseWindowFeatures(JSON.parse(meta[DENSE_NETWORK_METADATA.featureSpec] as string));
    expect(() => assertWindowFeatures(embedded, DETERIORATION_FEATURES)).not.toThrow();
    expect(
      exportModel(lr, {
        id: 'deterioration-risk',
        version: '1.0.0-test',
        task: 't',
        description: 'test model',
      }).artifact.bytes,
    ).toEqual(
      exportModel(lr, {
        id: 'deterioration-risk',
        version: '1.0.0-test',
        task: 't',
        description: 'test model',
      }).artifact.bytes,
    );
  });

  it('hands the signed-artifact code what it signs: the bytes, the declared spec with the columns and units, the metrics', async () => {
    const { signable, artifact } = exportModel(lr, {
      id: 'deterioration-risk',
      version: '1.0.0-test',
      task: 'P(NEWS2 >= 7 within 1 h)',
      description: 'test model',
      metrics: flatMetrics('heldOut', lrEval),
    });
    const signer = createIdentity({
      id: 'platform-trainer',
      kind: 'service',
      signingSecretKey: new Uint8Array(32).fill(1),
    });
    const signed = await signModelArtifact(signable, signer, { clock: { now: () => Date.UTC(2025, 0, 1) } });
    expect(signed.bytes).toEqual(artifact.bytes);
    expect(signed.manifest.spec.inputs).toEqual([{ name: 'features', type: 'float32', shape: ['N', 42] }]);
    expect(signed.manifest.spec.features?.map((c) => `${c.name} ${c.unit}`).slice(5, 7)).toEqual([
      'heart-rate.slope /min/h',
      'heart-rate.missing 1',
    ]);
    expect(signed.manifest.spec.description).toContain('Features: vitals-trend@1.0.0');
    expect(signed.manifest.metrics['heldOut.auroc']).toBe(lrEval.auroc);
  });

  it('refuses empty identities and non-finite metrics', () => {
    expect(() => exportModel(lr, { id: '', version: '1', task: 't', description: 'd' })).toThrow(/id/);
    expect(() =>
      exportModel(lr, { id: 'x', version: '1', task: 't', description: 'd', metrics: { auroc: Number.NaN } }),
    ).toThrow(/metric auroc/);
    expect(() => networkFromTrainedSpec({ format: 'tflite' })).toThrow(TypeError);
  });
});
