/**
 * The reference architecture's AI placements, run end to end with real ONNX models: the decision
 * from declared facts, then the same operator running the model where it was placed.
 * docs/ai/runtime-and-placement.md quotes these cases.
 */
import type { LoadedModel } from '@healthit/core';
import { from, lastValueFrom, Subject, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlpRiskModel } from '../../test/graphs.js';
import { NORMAL, type Row, SICK } from '../../test/helpers.js';
import { float32RowsCodec } from '../inference/codec.js';
import type { InferenceEvent } from '../inference/events.js';
import { infer } from '../inference/infer.js';
import { deteriorationModelV0 } from '../models/deterioration-v0.js';
import { createOnnxRuntime } from '../onnx/onnx-runtime.js';
import { decidePlacement } from './decide.js';
import type { ModelProfile, PlacementConstraints } from './facts.js';
import { candidateCodec, type SplitEvent, screenAndForward } from './split.js';

const MB = 1024 * 1024;
const HOUR = 3_600_000;

/** One vitals row per input, the risk (column 0 of `[N, 1]`) per output: the codec of both models. */
const riskCodec = float32RowsCodec({
  inputName: 'vitals',
  width: 5,
  outputName: 'risk',
  features: (row: Row) => row,
  column: 0,
});

/** A seeded population: mostly stable patients, some deteriorating (deterministic, no Math.random). */
function population(n: number, seed = 11): Row[] {
  let s = seed >>> 0;
  const next = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return Array.from({ length: n }, () => {
    const base = next() < 0.1 ? SICK : NORMAL;
    return base.map((v, i) => v + (next() - 0.5) * (i === 3 ? 0.6 : 6)) as Row;
  });
}

const runtime = createOnnxRuntime();
let edgeModel: LoadedModel;
let cloudModel: LoadedModel;
beforeAll(async () => {
  edgeModel = await runtime.load(deteriorationModelV0());
  cloudModel = await runtime.load(mlpRiskModel());
});
afterAll(async () => {
  await edgeModel.dispose();
  await cloudModel.dispose();
});

/** The model run directly on rows: the reference every placement must reproduce exactly. */
async function direct(model: LoadedModel, rows: readonly Row[]): Promise<number[]> {
  const { risk } = await model.run({
    vitals: { type: 'float32', data: Float32Array.from(rows.flat()), dims: [rows.length, 5] },
  });
  return Array.from(risk?.data as Float32Array);
}

describe('reference architecture: AI at the edge for real-time alerts', () => {
  // A ward gateway: 30 monitored beds scored every second, an alert budget of 1 s, a hospital
  // Wi-Fi uplink that is down 1 % of the time while alarms must work 99.99 % of the time.
  const model: ModelProfile = {
    id: 'deterioration-risk',
    sizeBytes: deteriorationModelV0().bytes.length,
    edgeMsPerInference: 0.02,
  };
  const facts: PlacementConstraints = {
    latencyBudgetMs: 1000,
    inferencesPerSecond: 30,
    dataBytesPerSecond: 30 * 5 * 120, // 5 vitals/s per bed as ~120-byte JSON readings
    privacy: { rawDataMustStayOnSite: false },
    gateway: { freeMemoryBytes: 256 * MB, load: 0.35, historyMs: 24 * HOUR },
    uplink: { bandwidthBitsPerSecond: 2e6, rttMs: 80, availability: 0.99 },
    requiredAvailability: 0.9999,
  };

  it('places the model at the edge: it fits, keeps up, meets the budget, and does not depend on the uplink', () => {
    const decision = decidePlacement(model, facts);
    expect(decision.placement).toBe('edge');
    // Cloud would have failed on availability: alerts cannot stop whenever the Wi-Fi does.
    expect(decision.checks.find((r) => r.rule === 'C4-availability')).toMatchObject({
      passed: false,
      message: 'results need the uplink, which is up 99 % of the time; 99.99 % is required',
    });
  });

  it('raises an alert for the deteriorating patient well within the budget, scoring every bed in order', async () => {
    const beds = Array.from({ length: 30 }, (_, i) => ({ bed: i, row: i === 7 ? SICK : NORMAL }));
    type BedSample = { bed: number; row: Row; at: number };
    const bedCodec = float32RowsCodec({
      inputName: 'vitals',
      width: 5,
      outputName: 'risk',
      features: (s: BedSample) => s.row,
      column: 0,
    });
    const samples = new Subject<BedSample>();
    const events: InferenceEvent<BedSample, number>[] = [];
    const alerts: { bed: number; latencyMs: number }[] = [];
    const done = new Promise<void>((resolve) => {
      samples.pipe(infer(edgeModel, bedCodec, { maxBatch: 64, maxWaitMs: 10 })).subscribe({
        next: (e) => {
          events.push(e);
          if (e.type === 'result' && e.output > 0.5) {
            alerts.push({ bed: e.input.bed, latencyMs: performance.now() - e.input.at });
          }
        },
        complete: resolve,
      });
    });
    for (const { bed, row } of beds) samples.next({ bed, row, at: performance.now() });
    await new Promise((r) => setTimeout(r, 30)); // the batch runs on its 10 ms timer, not at completion
    samples.complete();
    await done;
    expect(events.map((e) => e.input.bed)).toEqual(beds.map((b) => b.bed));
    expect(alerts.map((a) => a.bed)).toEqual([7]);
    expect(alerts[0]?.latencyMs).toBeLessThan(facts.latencyBudgetMs as number);
  });
});

describe('reference architecture: cloud for big-data mining', () => {
  // A cohort model over 30 days of every ward's data: it needs the fleet's history, which no
  // gateway has, and no one waits for it at the bedside.
  const model: ModelProfile = {
    id: 'readmission-cohort',
    sizeBytes: 150 * MB,
    flopsPerInference: 4e8,
    inputWindowMs: 30 * 24 * HOUR,
    needsFleetData: true,
  };
  const facts: PlacementConstraints = {
    inferencesPerSecond: 2,
    dataBytesPerSecond: 4_000,
    privacy: { rawDataMustStayOnSite: false },
    gateway: { freeMemoryBytes: 256 * MB, load: 0.35, historyMs: 24 * HOUR, flopsPerSecond: 2e9 },
    uplink: { bandwidthBitsPerSecond: 10e6, rttMs: 60, availability: 0.99 },
    cloudFlopsPerSecond: 5e10,
  };

  it('places the model in the cloud, because it needs fleet data and more history than a gateway keeps', () => {
    const decision = decidePlacement(model, facts);
    expect(decision.placement).toBe('cloud');
    expect(decision.reasons.filter((r) => !r.passed).map((r) => r.rule)).toEqual([
      'E1-fleet-data',
      'E2-history',
      'E3-memory',
    ]);
    expect(decision.estimates.cloudMsPerInference).toBeCloseTo(8, 9);
  });

  it('the platform runs the same operator over a warehouse batch: 10 000 rows in large batches, exactly the direct results', async () => {
    const rows = population(10_000, 5);
    const events = await lastValueFrom(
      from(rows).pipe(
        infer(cloudModel, riskCodec, { maxBatch: 512, maxWaitMs: 0, maxBuffered: 10_000, overflow: 'error' }),
        toArray(),
      ),
    );
    expect(events).toHaveLength(10_000);
    expect(events.every((e) => e.type === 'result')).toBe(true);
    const expected = await direct(cloudModel, rows);
    expect(events.map((e) => (e.type === 'result' ? e.output : Number.NaN))).toEqual(expected);
  });
});

describe('reference architecture: split — screen at the edge, confirm in the cloud', () => {
  // 40 beds of 3-lead waveforms (500 Hz, 2 bytes) feed a large cloud model; the uplink cannot carry
  // them all and the model does not fit the gateway, but a 1 KB screen forwards ~10 % of windows.
  const big: ModelProfile = {
    id: 'deterioration-mlp',
    sizeBytes: 400 * MB,
    edgeMsPerInference: 40,
    cloudMsPerInference: 15,
  };
  const facts: PlacementConstraints = {
    latencyBudgetMs: 5000,
    inferencesPerSecond: 40,
    dataBytesPerSecond: 40 * 3 * 500 * 2,
    privacy: { rawDataMustStayOnSite: false },
    gateway: { freeMemoryBytes: 256 * MB, load: 0.35 },
    uplink: { bandwidthBitsPerSecond: 1e6, rttMs: 120, availability: 0.995 },
    split: {
      screen: {
        id: 'deterioration-risk',
        sizeBytes: deteriorationModelV0().bytes.length,
        edgeMsPerInference: 0.02,
      },
      candidateFraction: 0.15,
    },
  };

  it('places it split: edge too small for the model, uplink too narrow for all data, candidates fit', () => {
    const decision = decidePlacement(big, facts);
    expect(decision.placement).toBe('split');
    expect(decision.checks.find((r) => r.rule === 'E3-memory')?.passed).toBe(false);
    expect(decision.checks.find((r) => r.rule === 'C2-bandwidth')?.passed).toBe(false);
    expect(decision.checks.find((r) => r.rule === 'S5-bandwidth')?.passed).toBe(true);
  });

  it('forwards only candidates, counts them, and the cloud scores each exactly as it would alone', async () => {
    const rows = population(600);
    const threshold = 0.3;
    const events = await lastValueFrom(
      from(rows).pipe(
        screenAndForward({
          screen: edgeModel,
          screenCodec: riskCodec,
          screenOptions: { maxBatch: 64, maxWaitMs: 5, maxBuffered: 1000 },
          threshold,
          forward: infer(cloudModel, candidateCodec(riskCodec), {
            maxBatch: 64,
            maxWaitMs: 5,
            maxBuffered: 1000,
          }),
        }),
        toArray(),
      ),
    );
    const screenScores = await direct(edgeModel, rows);
    const candidates = rows.filter((_, i) => (screenScores[i] as number) >= threshold);
    const last = events.at(-1) as SplitEvent<Row, number>;
    expect(last.counts).toEqual({
      screened: 600,
      forwarded: candidates.length,
      screenedOut: 600 - candidates.length,
      confirmed: candidates.length,
      failed: 0,
    });
    // The declared candidate fraction holds on this population: the uplink saving is measured.
    expect(candidates.length / rows.length).toBeLessThanOrEqual(facts.split?.candidateFraction as number);
    expect(candidates.length).toBeGreaterThan(0);
    const results = events.flatMap((e) => (e.type === 'result' ? [e] : []));
    expect(results.map((e) => e.input)).toEqual(candidates);
    expect(results.map((e) => e.output)).toEqual(await direct(cloudModel, candidates));
    expect(events.filter((e) => e.type === 'screened-out').every((e) => e.score < threshold)).toBe(true);
  });
});

describe('the same model runs unchanged at either place', () => {
  it('gateway and platform runtimes, loading the same bytes, give bit-identical results through the same operator', async () => {
    const rows = population(257, 3);
    const gatewayRuntime = createOnnxRuntime();
    const platformRuntime = createOnnxRuntime();
    const atGateway = await gatewayRuntime.load(deteriorationModelV0());
    const atPlatform = await platformRuntime.load(deteriorationModelV0());
    try {
      const run = (model: LoadedModel, maxBatch: number) =>
        lastValueFrom(from(rows).pipe(infer(model, riskCodec, { maxBatch, maxWaitMs: 0 }), toArray()));
      const [edge, cloud] = await Promise.all([run(atGateway, 1), run(atPlatform, 256)]);
      const outputs = (events: typeof edge) =>
        events.map((e) => (e.type === 'result' ? e.output : Number.NaN));
      expect(outputs(edge)).toEqual(outputs(cloud));
      expect(atGateway.id).toBe(atPlatform.id);
    } finally {
      await atGateway.dispose();
      await atPlatform.dispose();
    }
  });
});
