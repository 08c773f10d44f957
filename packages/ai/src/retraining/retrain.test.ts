import {
  createIdentity,
  isHealthItError,
  type LedgerSink,
  publicIdentity,
  ValidationError,
} from '@healthit/core';
import { recordingLedger } from '@healthit/core/testing';
import { lastValueFrom, of, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { approveModel, MODEL_APPROVE_RECORD } from '../artifacts/approve.js';
import { signModelArtifact } from '../artifacts/sign.js';
import { createModelVerifier } from '../artifacts/verify.js';
import type { BinaryEvaluation } from '../evaluation/metrics.js';
import { defineWindowFeatures } from '../features/window-spec.js';
import { createModelDeployment } from '../lifecycle/deployment.js';
import { verifyReferenceProfile } from '../monitoring/reference-profile.js';
import type { RetrainRequest } from '../monitoring/retrain-request.js';
import { createOnnxRuntime } from '../onnx/onnx-runtime.js';
import { datasetFromRows, type LabelledDataset, selectRows } from '../training/dataset.js';
import { exportModel } from '../training/export-model.js';
import { trainLogisticRegression } from '../training/logistic-regression.js';
import { seededRandom } from '../training/random.js';
import { predict } from '../training/trained-model.js';
import { decidePromotion, resolveCriterion } from './criterion.js';
import { deployCommand } from './release.js';
import { type CurrentModel, createRetrainer, nextMinorVersion, type RetrainerOptions } from './retrain.js';

const SEED = (n: number) => new Uint8Array(32).fill(n);
const platform = createIdentity({ id: 'platform-trainer', kind: 'service', signingSecretKey: SEED(41) });
const biomed = createIdentity({ id: 'biomed-lead', kind: 'person', signingSecretKey: SEED(42) });
const clock = { now: () => Date.UTC(2025, 6, 1) };
const TWO = defineWindowFeatures({
  name: 'two',
  version: '1.0.0',
  windowMs: 60_000,
  signals: ['heart-rate'],
  statistics: ['last', 'mean'],
});
const MODEL = { task: 'P(event)', description: 'Synthetic data; a test model.', intendedUse: 'tests' };

/**
 * Rows of two populations. `ward-a`: the risk rises with x1. `ward-b` (a new ward): it falls with
 * x1 and rises with x2 — a model of ward A ranks ward B's patients badly.
 */
function population(ward: 'ward-a' | 'ward-b', n: number, seed: number): LabelledDataset {
  const random = seededRandom(seed);
  return datasetFromRows(
    Array.from({ length: n }, (_, i) => {
      const x1 = 10 + 2 * random.normal();
      const x2 = -3 + 0.5 * random.normal();
      const logit = ward === 'ward-a' ? -2 + 1.5 * (x1 - 10) : -2 - 1.2 * (x1 - 10) + 2.5 * (x2 + 3);
      return {
        patientId: `${ward}-${i % 80}`,
        ts: i * 60_000,
        features: [x1, i % 53 === 0 ? Number.NaN : x2],
        label: (random.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0) as 0 | 1,
      };
    }),
    TWO,
  );
}

const request = (extra: Partial<RetrainRequest> = {}): RetrainRequest => ({
  v: 1,
  requestId: 'gw-1/risk@1.0.0#1',
  modelId: 'risk',
  version: '1.0.0',
  ts: 1_000_000,
  findings: [
    {
      kind: 'accuracy',
      auroc: 0.41,
      brier: 0.3,
      minAuroc: 0.8,
      maxBrier: 0.15,
      labelled: 500,
      positives: 90,
    },
  ],
  evidence: { from: 0, to: 1_000_000, labelled: 500, predictions: 900 },
  ...extra,
});

const runtime = createOnnxRuntime();
let current: CurrentModel;

beforeAll(async () => {
  const trained = trainLogisticRegression(population('ward-a', 3000, 1));
  const { signable } = exportModel(trained, { id: 'risk', version: '1.0.0', ...MODEL });
  const signed = await signModelArtifact(signable, platform, { clock });
  const approval = await approveModel(signed, {
    approver: biomed,
    ledger: recordingLedger({ logId: 'c'.repeat(64) }),
    trustedSigners: [publicIdentity(platform)],
    clock,
  });
  current = { signed, approval };
});

function retrainerWith(ledger: LedgerSink, data: LabelledDataset, extra: Partial<RetrainerOptions> = {}) {
  return createRetrainer({
    features: TWO,
    dataset: () => data,
    runtime,
    signer: platform,
    approver: biomed,
    ledger,
    trustedSigners: [publicIdentity(platform)],
    model: MODEL,
    clock,
    ...extra,
  });
}

describe('decidePromotion', () => {
  const evaluation = (auroc: number, brier: number, n = 1000, positives = 100): BinaryEvaluation => ({
    n,
    positives,
    prevalence: positives / n,
    auroc,
    brier,
    brierSkill: 0,
    logLoss: 0,
    ece: 0,
    bins: [],
  });

  it('promotes only a candidate that ranks better by at least the gain and is not worse calibrated', () => {
    expect(decidePromotion(evaluation(0.8, 0.1), evaluation(0.85, 0.09)).promote).toBe(true);
    expect(decidePromotion(evaluation(0.8, 0.1), evaluation(0.805, 0.09)).promote).toBe(false); // gain < 0.01
    expect(decidePromotion(evaluation(0.8, 0.1), evaluation(0.9, 0.11)).promote).toBe(false); // Brier worse
    expect(
      decidePromotion(evaluation(0.8, 0.1), evaluation(0.9, 0.11), { maxBrierIncrease: 0.02 }).promote,
    ).toBe(true);
    expect(decidePromotion(evaluation(0.8, 0.1, 150, 15), evaluation(0.95, 0.05, 150, 15)).promote).toBe(
      false,
    ); // too few
    const verdict = decidePromotion(evaluation(0.8, 0.1), evaluation(0.805, 0.09));
    expect(verdict.reasons[1]).toMatch(/AUROC 0\.8050 vs 0\.8000: \+0\.0050 < the required gain 0\.0100/);
  });

  it('refuses evaluations of different rows and a criterion out of range', () => {
    expect(() => decidePromotion(evaluation(0.8, 0.1, 1000), evaluation(0.9, 0.1, 999))).toThrow(RangeError);
    expect(() => resolveCriterion({ minAurocGain: -0.1 })).toThrow(RangeError);
    expect(() => resolveCriterion({ minTestPositives: 0 })).toThrow(RangeError);
  });
});

describe('nextMinorVersion', () => {
  it('bumps the minor version of a semantic version, else counts revisions', () => {
    expect(nextMinorVersion('1.0.0')).toBe('1.1.0');
    expect(nextMinorVersion('2.9.3')).toBe('2.10.0');
    expect(nextMinorVersion('2025-06')).toBe('2025-06-r1');
    expect(nextMinorVersion('2025-06-r1')).toBe('2025-06-r2');
  });
});

describe('createRetrainer', () => {
  it('on drift: trains a candidate, evaluates both on the same held-out patients, promotes it, signs it, records model.approve', async () => {
    const ledger = recordingLedger({ logId: 'c'.repeat(64) });
    const outcome = await retrainerWith(ledger, population('ward-b', 3000, 2)).retrain(request(), current);
    expect(outcome.type).toBe('promoted');
    if (outcome.type !== 'promoted') return;
    const { evaluation, release } = outcome;
    expect(evaluation.current.evaluation.n).toBe(evaluation.candidate.evaluation.n); // the same rows
    expect(evaluation.current.evaluation.auroc).toBeLessThan(0.5); // ward A's model ranks ward B backwards
    expect(evaluation.candidate.evaluation.auroc).toBeGreaterThan(evaluation.current.evaluation.auroc + 0.2);
    expect(evaluation.candidate.evaluation.brier).toBeLessThan(evaluation.current.evaluation.brier);
    expect(evaluation.heldOut.patients + evaluation.train.patients).toBe(80);
    expect(release.signed.manifest).toMatchObject({
      modelId: 'risk',
      version: '1.1.0',
      signer: { id: 'platform-trainer' },
    });
    expect(release.signed.manifest.metrics['heldOut.auroc']).toBe(evaluation.candidate.evaluation.auroc);
    expect(release.signed.manifest.metrics['replaced.heldOut.auroc']).toBe(
      evaluation.current.evaluation.auroc,
    );
    // One model.approve on the ledger, for exactly these bytes.
    expect(ledger.records).toEqual([
      {
        type: MODEL_APPROVE_RECORD,
        body: {
          modelId: 'risk',
          version: '1.1.0',
          digest: release.signed.manifest.sha256,
          metrics: release.signed.manifest.metrics,
          intendedUse: 'tests',
        },
      },
    ]);
    // What a gateway checks: artifact, approval held by the ledger, profile for these bytes.
    const verified = await createModelVerifier({
      signers: [publicIdentity(platform)],
      approvers: [publicIdentity(biomed)],
      ledger,
    }).verify(release.signed, release.approval);
    expect(verified.version).toBe('1.1.0');
    const profile = verifyReferenceProfile(release.profile, {
      signers: [publicIdentity(platform)],
      model: { id: 'risk', version: '1.1.0', sha256: verified.sha256 },
    });
    expect(profile.heldOut?.auroc).toBe(evaluation.candidate.evaluation.auroc);
    expect(profile.rows).toBe(evaluation.train.rows);
  });

  it('does not promote a worse candidate: nothing signed, nothing on the ledger', async () => {
    const ledger = recordingLedger({ logId: 'c'.repeat(64) });
    const data = population('ward-b', 3000, 2);
    // A candidate trained on shuffled labels: no better than chance.
    const shuffled = (d: LabelledDataset) => {
      const random = seededRandom(9);
      const y = d.y.slice();
      for (let i = y.length - 1; i > 0; i--) {
        const j = Math.floor(random.uniform() * (i + 1));
        [y[i], y[j]] = [y[j] as number, y[i] as number];
      }
      return trainLogisticRegression({ ...d, y });
    };
    const retrainer = retrainerWith(ledger, data, { train: shuffled });
    // The current model is the one this ward needs here, so the candidate is compared with a good model.
    const good = trainLogisticRegression(population('ward-b', 3000, 3));
    const { signable } = exportModel(good, { id: 'risk', version: '1.0.0', ...MODEL });
    const outcome = await retrainer.retrain(request(), {
      signed: await signModelArtifact(signable, platform, { clock }),
    });
    expect(outcome.type).toBe('kept-current');
    if (outcome.type !== 'kept-current') return;
    expect(outcome.evaluation.promote).toBe(false);
    expect(outcome.evaluation.candidate.evaluation.auroc).toBeLessThan(
      outcome.evaluation.current.evaluation.auroc,
    );
    expect(outcome.evaluation.reasons.join(' ')).toMatch(/< the required gain/);
    expect(ledger.records).toEqual([]);
  });

  it('does not churn versions without drift: a candidate from the same population is not better by the margin', async () => {
    const ledger = recordingLedger({ logId: 'c'.repeat(64) });
    const outcome = await retrainerWith(ledger, population('ward-a', 3000, 4)).retrain(request(), current);
    expect(outcome.type).toBe('kept-current');
    expect(ledger.records).toEqual([]);
  });

  it('asks for more data when the fresh dataset is too small to train and decide', async () => {
    const ledger = recordingLedger({ logId: 'c'.repeat(64) });
    const data = population('ward-b', 3000, 2);
    const few = selectRows(
      data,
      Array.from({ length: 300 }, (_, i) => i),
    );
    const outcome = await retrainerWith(ledger, few).retrain(request(), current);
    expect(outcome).toMatchObject({ type: 'insufficient-data', data: { rows: 300 } });
    expect(ledger.records).toEqual([]);
  });

  it('refuses a malformed request and one about another model, with typed errors', async () => {
    const retrainer = retrainerWith(recordingLedger({ logId: 'c'.repeat(64) }), population('ward-b', 600, 2));
    await expect(retrainer.retrain({ ...request(), findings: [] }, current)).rejects.toThrow(ValidationError);
    const other = await retrainer.retrain(request({ modelId: 'other' }), current).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isHealthItError(other, 'config/invalid')).toBe(true);
  });
});

describe('redeploy: shadow → promote at the gateway, refusing a tampered artifact', () => {
  it('deploys the promoted release in shadow and promotes it; a tampered copy is refused and the current model stays', async () => {
    const ledger = recordingLedger({ logId: 'c'.repeat(64) });
    const data = population('ward-b', 3000, 2);
    const outcome = await retrainerWith(ledger, data).retrain(request(), current);
    if (outcome.type !== 'promoted') throw new Error(`expected a promotion, got ${outcome.type}`);
    const gatewayRuntime = createOnnxRuntime();
    const deployment = createModelDeployment({
      modelId: 'risk',
      runtime: gatewayRuntime,
      verifier: createModelVerifier({
        signers: [publicIdentity(platform)],
        approvers: [publicIdentity(biomed)],
        ledger,
      }),
      profileSigners: [publicIdentity(platform)],
      features: TWO.columns,
    });
    // The current model is in service (approved on this ledger too).
    const approval = await approveModel(current.signed, {
      approver: biomed,
      ledger,
      trustedSigners: [publicIdentity(platform)],
      clock,
    });
    const first = await deployment.execute({
      type: 'deploy',
      commandId: 'c0',
      artifact: { ...current.signed, manifest: { ...current.signed.manifest } },
      approval,
      mode: 'active',
    });
    expect(first.ok).toBe(true);

    // Tampered on the way (one byte of the weights): refused, nothing loaded.
    const tampered = outcome.release.signed.bytes.slice();
    tampered[tampered.length - 20] = (tampered[tampered.length - 20] as number) ^ 0x01;
    const bad = deployCommand(
      { ...outcome.release, signed: { ...outcome.release.signed, bytes: tampered } },
      'redeploy-tampered',
      { json: true },
    );
    const refused = await deployment.execute(JSON.parse(JSON.stringify(bad)));
    expect(refused.ok).toBe(false);
    expect(deployment.history().find((e) => e.type === 'refused')).toMatchObject({
      error: { subject: 'artifact', reason: 'digest-mismatch' },
    });
    expect(deployment.status()).toMatchObject({ active: { version: '1.0.0' }, shadow: undefined });

    // The intact release over the same JSON downlink: shadow, then promoted.
    const good = deployCommand(outcome.release, 'redeploy-1.1.0', { json: true });
    expect((await deployment.execute(JSON.parse(JSON.stringify(good)))).ok).toBe(true);
    expect(deployment.status().shadow).toMatchObject({ version: '1.1.0', profiled: true });
    const rows = [0, 1, 2, 3].map((i) => data.x.subarray(i * 2, i * 2 + 2));
    const events = await lastValueFrom(
      of(...rows).pipe(
        deployment.score((r: Float32Array) => r),
        toArray(),
      ),
    );
    const shadowScores = events.filter((e) => e.type === 'shadow-score');
    expect(shadowScores).toHaveLength(4);
    // The edge computes what the platform computed (ONNX float32 vs TypeScript double).
    const { spec } = outcome.release;
    const reference = predict(
      { features: spec.features, ...spec.parameters },
      { x: data.x.subarray(0, 8), rows: 4 },
    );
    shadowScores.forEach((e, i) => {
      expect(e.type === 'shadow-score' && e.score).toBeCloseTo(reference[i] as number, 5);
    });
    expect((await deployment.execute({ type: 'promote', commandId: 'p', version: '1.1.0' })).ok).toBe(true);
    expect(deployment.status()).toMatchObject({
      active: { version: '1.1.0' },
      previous: [{ version: '1.0.0' }],
    });
    await deployment.close();
  });
});
