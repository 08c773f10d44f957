/**
 * The whole loop, in one process and in simulated time: train in the platform → deploy to the
 * gateway (verified, shadow, promoted) → score and monitor at the edge → the population shifts →
 * drift and accuracy alarms → a retrain request up to the platform → a candidate trained on fresh
 * data, compared with the current model on the same held-out patients, promoted only if better,
 * signed, approved on the ledger → redeployed (shadow → promote) → accuracy recovers.
 */

import {
  approveModel,
  auroc,
  type BinaryEvaluation,
  buildReferenceProfile,
  createFeatureWindows,
  createModelDeployment,
  createModelVerifier,
  DETERIORATION_FEATURES,
  type DeploymentEvent,
  evaluateBinary,
  type LabelObservation,
  type MonitorAlarm,
  type MonitorEvent,
  type MonitorInput,
  type MonitorReport,
  monitorModel,
  type RetrainRequest,
  rollbackOnAlarm,
  type ScoringEvent,
  signModelArtifact,
  signReferenceProfile,
} from '@healthit/ai';
import { createOnnxRuntime } from '@healthit/ai/onnx';
import {
  type CurrentModel,
  createRetrainer,
  deployCommand,
  type ModelRelease,
  type RetrainOutcome,
} from '@healthit/ai/retraining';
import {
  deteriorationWindows,
  exportModel,
  flatMetrics,
  news2Observation,
  predict,
  recordSimulation,
  splitByPatient,
  trainLogisticRegression,
} from '@healthit/ai/training';
import { createIdentity, type Identity, publicIdentity } from '@healthit/core';
import { scoreValidNews2 } from '@healthit/gateway';
import { merge, mergeMap, Subject, share } from 'rxjs';
import { createModelLedger, createWarehouse, seedBytes } from './platform.js';
import { GENERAL_WARD, RESPIRATORY_WARD, simulateWard, type WardRun, type WardSpec } from './wards.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** A feature window every 5 minutes per patient, as in training. */
const STRIDE_MS = 5 * MINUTE_MS;
/** The label looks one hour ahead. */
const HORIZON_MS = HOUR_MS;
/** 2025-03-03T00:00:00Z: the gateway's run starts at midnight. */
export const RUN_START_TS = Date.UTC(2025, 2, 3);

/** The model of the story. */
export const MODEL_ID = 'deterioration-risk';
const TASK = 'P(NEWS2 >= 7 within 1 h)';
const DESCRIPTION =
  'Deterioration risk from 1-hour windows of vital signs. Trained on simulated patients only (@healthit/device); NOT a validated clinical model.';
const INTENDED_USE = 'Demonstration of the edge-AI lifecycle on simulated data; not for clinical decisions.';

/** Options of {@link runEdgeAiLoop}. */
export interface EdgeAiOptions {
  readonly seed: number;
  /** Patients in each ward at the gateway (default 100). */
  readonly patients: number;
  /** How long the gateway runs, in hours. */
  readonly hours: number;
  /** When the gateway moves to the respiratory ward, in hours after the start. */
  readonly shiftAtHours: number;
  /** The platform's history the first model is trained on: patients and hours of the general ward. */
  readonly historyPatients: number;
  readonly historyHours: number;
  /** The downlink corrupts the first copy of the redeployed model (one flipped bit). */
  readonly tamper: boolean;
  /** Windows the gateway scores in shadow before it promotes a new version (default 6 per patient: 30 min). */
  readonly minShadowScores?: number;
  readonly onProgress?: (event: LoopProgress) => void;
}

/** What happened, as it happened (for the command's progress lines). */
export type LoopProgress =
  | { readonly type: 'trained'; readonly at: number; readonly v1: FirstModel }
  | { readonly type: 'deployment'; readonly at: number; readonly event: DeploymentEvent }
  | { readonly type: 'shift'; readonly at: number; readonly ward: string }
  | {
      readonly type: 'status';
      readonly at: number;
      readonly ward: string;
      /** The version acted on now, and the monitor's latest report. */
      readonly active: string | undefined;
      readonly report: MonitorReport | undefined;
    }
  | { readonly type: 'alarm'; readonly at: number; readonly alarm: MonitorAlarm }
  | { readonly type: 'retrain-request'; readonly at: number; readonly request: RetrainRequest }
  /** The gateway stopped asking (its alarms cleared): the platform drops the episode. */
  | { readonly type: 'request-expired'; readonly at: number; readonly request: RetrainRequest }
  | { readonly type: 'retrain'; readonly at: number; readonly outcome: RetrainOutcome };

/** The first model, as the platform trained it. */
export interface FirstModel {
  readonly version: string;
  readonly patients: number;
  readonly trainRows: number;
  readonly heldOut: BinaryEvaluation;
  readonly news2Auroc: number;
}

/** AUROC and Brier of the acted-on version's scores over labelled windows of one phase. */
export interface PhaseResult {
  readonly phase: 'before-shift' | 'after-shift' | 'after-retrain';
  readonly ward: string;
  readonly versions: readonly string[];
  readonly windows: number;
  readonly positives: number;
  /** null when the phase has no labelled window of one class. */
  readonly auroc: number | null;
  readonly brier: number | null;
}

/** What {@link runEdgeAiLoop} returns. */
export interface LoopResult {
  readonly v1: FirstModel;
  readonly phases: readonly PhaseResult[];
  readonly alarms: readonly MonitorAlarm[];
  readonly requests: readonly RetrainRequest[];
  readonly retrains: readonly { readonly at: number; readonly outcome: RetrainOutcome }[];
  /** The deployment's transitions (no command acknowledgements). */
  readonly deployment: readonly DeploymentEvent[];
  readonly finalVersion: string | undefined;
  readonly ledger: {
    readonly entries: number;
    readonly verified: boolean;
    readonly approvals: readonly string[];
  };
  readonly windowsScored: number;
  readonly readings: number;
}

interface Window {
  readonly windowId: string;
  readonly patientId: string;
  readonly ts: number;
  readonly features: Float32Array;
}

/** NEWS2 of the true state (as a chart records it), the label's source. */
function news2Total(truth: Parameters<typeof news2Observation>[0]): number {
  return scoreValidNews2(news2Observation(truth)).total;
}

function identities(seed: number): { platform: Identity; approver: Identity } {
  return {
    platform: createIdentity({
      id: 'platform-model-trainer',
      kind: 'service',
      signingSecretKey: seedBytes(seed, 'platform-signer'),
    }),
    approver: createIdentity({
      id: 'biomed-qa-lead',
      kind: 'person',
      signingSecretKey: seedBytes(seed, 'approver-signer'),
    }),
  };
}

/** The platform trains, evaluates, signs, profiles and approves the first model on its history. */
async function trainFirstModel(
  options: EdgeAiOptions,
  ids: { platform: Identity; approver: Identity },
  ledger: ReturnType<typeof createModelLedger>,
  clock: { now(): number },
): Promise<{ release: ModelRelease; summary: FirstModel }> {
  // The general ward's past: patients admitted a day and a half before the run, their first
  // `historyHours` of stay.
  const admittedAt = RUN_START_TS - 36 * HOUR_MS;
  const history = simulateWard(GENERAL_WARD, {
    patients: options.historyPatients,
    seed: options.seed + 1000,
    admittedAt,
    from: admittedAt,
    to: admittedAt + options.historyHours * HOUR_MS,
  });
  const record = recordSimulation(history.ticks, { news2: (o) => scoreValidNews2(o).total });
  const data = deteriorationWindows(record.series, record.news2, { strideMs: STRIDE_MS });
  const split = splitByPatient(data, { testFraction: 0.3, seed: options.seed });
  const model = trainLogisticRegression(split.train);
  const heldOut = evaluateBinary(predict(model, split.test), split.test.y);
  const news2Auroc = auroc(split.test.baseline as Float32Array, split.test.y);
  const exported = exportModel(model, {
    id: MODEL_ID,
    version: '1.0.0',
    task: TASK,
    description: DESCRIPTION,
    metrics: { ...flatMetrics('heldOut', heldOut), 'baseline.news2.auroc': news2Auroc },
  });
  const signed = await signModelArtifact(exported.signable, ids.platform, { clock });
  const profile = signReferenceProfile(
    buildReferenceProfile(
      { columns: DETERIORATION_FEATURES.columns, rows: split.train.rows, x: split.train.x },
      predict(model, split.train),
      {
        model: { id: MODEL_ID, version: '1.0.0', sha256: signed.manifest.sha256 },
        heldOut: { auroc: heldOut.auroc, brier: heldOut.brier, n: heldOut.n, positives: heldOut.positives },
        clock,
      },
    ),
    ids.platform,
  );
  const approval = await approveModel(signed, {
    approver: ids.approver,
    ledger: ledger.sink,
    trustedSigners: [publicIdentity(ids.platform)],
    intendedUse: INTENDED_USE,
    clock,
  });
  return {
    release: { signed, approval, profile, spec: exported.spec },
    summary: {
      version: '1.0.0',
      patients: options.historyPatients,
      trainRows: split.train.rows,
      heldOut,
      news2Auroc,
    },
  };
}

/** Labels each window an hour later from the NEWS2 chart: 1 when NEWS2 reaches 7 in the hour after it. */
function createLabeller() {
  const charts = new Map<string, { ts: number[]; total: number[] }>();
  const waiting: { windowId: string; patientId: string; end: number }[] = [];
  return {
    chart(patientId: string, ts: number, total: number): void {
      let c = charts.get(patientId);
      if (c === undefined) {
        c = { ts: [], total: [] };
        charts.set(patientId, c);
      }
      c.ts.push(ts);
      c.total.push(total);
      // Bounded: what a label can still need (its hour ahead and the score at its end).
      while ((c.ts[0] as number) < ts - 3 * HOUR_MS) {
        c.ts.shift();
        c.total.shift();
      }
    },
    expect(w: Window): void {
      waiting.push({ windowId: w.windowId, patientId: w.patientId, end: w.ts });
    },
    /** The labels due at `now`: the window's hour ahead has passed. */
    due(now: number): LabelObservation[] {
      const out: LabelObservation[] = [];
      while (waiting.length > 0 && (waiting[0] as (typeof waiting)[number]).end + HORIZON_MS <= now) {
        const w = waiting.shift() as (typeof waiting)[number];
        const c = charts.get(w.patientId);
        let label: 0 | 1 | null = null;
        if (c !== undefined && (c.ts.at(-1) as number) >= w.end + HORIZON_MS) {
          let current = Number.NaN;
          let event = 0;
          c.ts.forEach((t, i) => {
            const total = c.total[i] as number;
            if (t <= w.end) current = total;
            else if (t <= w.end + HORIZON_MS && total >= 7) event = 1;
          });
          // As in training: a window already at NEWS2 >= 7 is not asked about (no label).
          label = Number.isNaN(current) || current >= 7 ? null : (event as 0 | 1);
        }
        out.push({ type: 'label', windowId: w.windowId, ts: now, label });
      }
      return out;
    },
  };
}

function phaseResult(
  phase: PhaseResult['phase'],
  ward: string,
  rows: { score: number; label: 0 | 1; version: string }[],
): PhaseResult {
  const positives = rows.filter((r) => r.label === 1).length;
  const both = positives > 0 && positives < rows.length;
  const e = both
    ? evaluateBinary(
        rows.map((r) => r.score),
        rows.map((r) => r.label),
      )
    : undefined;
  return {
    phase,
    ward,
    versions: [...new Set(rows.map((r) => r.version))],
    windows: rows.length,
    positives,
    auroc: e?.auroc ?? null,
    brier: e?.brier ?? null,
  };
}

/**
 * Runs the loop (see the module comment) and returns what happened; `onProgress` hears it as it
 * happens. Deterministic for a seed.
 */
export async function runEdgeAiLoop(options: EdgeAiOptions): Promise<LoopResult> {
  const progress = options.onProgress ?? (() => {});
  const { patients } = options;
  let now = RUN_START_TS;
  const clock = { now: () => now };
  const ids = identities(options.seed);
  const ledger = createModelLedger(options.seed);
  const warehouse = createWarehouse();
  const runtime = createOnnxRuntime();
  const shiftTs = RUN_START_TS + options.shiftAtHours * HOUR_MS;
  const endTs = RUN_START_TS + options.hours * HOUR_MS;

  try {
    // ---- platform: the first model ----
    const first = await trainFirstModel(options, ids, ledger, clock);
    progress({ type: 'trained', at: now, v1: first.summary });
    let current: CurrentModel = first.release;

    // ---- gateway: deployment, features, monitoring ----
    const trustedSigners = [publicIdentity(ids.platform)];
    const deployment = createModelDeployment({
      modelId: MODEL_ID,
      runtime,
      verifier: createModelVerifier({
        signers: trustedSigners,
        approvers: [publicIdentity(ids.approver)],
        ledger: ledger.sink,
      }),
      profileSigners: trustedSigners,
      requireProfile: true,
      features: DETERIORATION_FEATURES.columns,
      promotion: { auto: true, minShadowScores: options.minShadowScores ?? 6 * patients },
      clock,
    });
    const transitions: DeploymentEvent[] = [];
    // The platform's registry follows what the gateway reports: the version in service is `current`.
    const releases = new Map<string, ModelRelease>([['1.0.0', first.release]]);
    deployment.events$.subscribe((event) => {
      const inService =
        event.type === 'promoted' ? event.version : event.type === 'rolled-back' ? event.to : undefined;
      const release = inService === undefined ? undefined : releases.get(inService);
      if (release !== undefined) current = release;
      if (event.type !== 'command-accepted') {
        transitions.push(event);
        progress({ type: 'deployment', at: now, event });
      }
    });
    const windows = createFeatureWindows(DETERIORATION_FEATURES, { maxPatients: 4 * patients });
    const labeller = createLabeller();
    const input$ = new Subject<Window>();
    const labels$ = new Subject<LabelObservation>();
    const requests$ = new Subject<RetrainRequest>();
    const scored$ = input$.pipe(
      deployment.score((w: Window) => w.features, { maxBatch: 512, maxWaitMs: 0 }),
      share(),
    );
    const predictions$ = scored$.pipe(
      mergeMap((e: ScoringEvent<Window>): MonitorInput[] =>
        e.type === 'score' || e.type === 'shadow-score'
          ? [
              {
                type: 'prediction',
                windowId: e.input.windowId,
                ts: e.input.ts,
                version: e.version,
                role: e.type === 'score' ? 'active' : 'shadow',
                score: e.score,
                features: e.input.features,
              },
            ]
          : [],
      ),
    );
    const monitor$ = merge(predictions$, labels$).pipe(
      monitorModel({
        modelId: MODEL_ID,
        gatewayId: 'gw-ward-7',
        profiles: (version) => deployment.profileOf(version),
        accuracyWindow: 12 * patients,
        minLabelled: 6 * patients,
        minPositives: 15,
        driftWindow: 6 * patients,
        minDriftSamples: 3 * patients,
        evaluateEvery: 50,
        reportEvery: 3 * patients,
        maxPending: 4 * 12 * patients,
        maxLabelDelayMs: 2 * HOUR_MS,
        cooldownMs: HOUR_MS,
        // A ward is ~100 patients: patient-level features (means, minima, maxima) differ by a PSI of
        // 0.2–0.4 between two samples of the same population, so drift needs 3 features at 0.5.
        thresholds: {
          aurocDrop: 0.08,
          brierRise: 0.08,
          featurePsi: 0.5,
          minDriftedFeatures: 3,
          predictionPsi: 0.5,
        },
        // Prediction drift is reported and alarmed, but alone is no reason to retrain.
        triggers: ['accuracy', 'input-drift'],
        requests: requests$,
      }),
      share(),
    );

    const alarms: MonitorAlarm[] = [];
    const requests: RetrainRequest[] = [];
    let lastReport: MonitorReport | undefined;
    // The platform's queue: the latest request replaces an older one; `since` is when the episode's
    // first request was raised: data from then on is surely of the drifted population (the evidence
    // windows of a request still hold data from before the drift).
    let pending: RetrainRequest | undefined;
    let since = Number.POSITIVE_INFINITY;
    let lastRequestAt = Number.NEGATIVE_INFINITY;
    requests$.subscribe((request) => {
      requests.push(request);
      pending = request;
      lastRequestAt = now;
      since = Math.min(since, request.ts);
      progress({ type: 'retrain-request', at: now, request });
    });
    monitor$.subscribe((e: MonitorEvent) => {
      if (e.type === 'report') lastReport = e.report;
      else if (e.type === 'alarm') {
        alarms.push(e.alarm);
        progress({ type: 'alarm', at: now, alarm: e.alarm });
      }
    });
    // A freshly promoted version that alarms on accuracy within 2 h is rolled back.
    monitor$.pipe(rollbackOnAlarm(deployment, { probationMs: 2 * HOUR_MS })).subscribe();

    // What the gateway acted on, joined to the labels, for the summary.
    const acted = new Map<string, { score: number; version: string; ts: number }>();
    const joined: { score: number; label: 0 | 1; version: string; ts: number }[] = [];
    let verdicts = 0;
    let target = 0;
    let wake: (() => void) | undefined;
    scored$.subscribe((e) => {
      if (e.type === 'score')
        acted.set(e.input.windowId, { score: e.score, version: e.version, ts: e.input.ts });
      if (e.type === 'score' || e.type === 'error') {
        verdicts++;
        if (verdicts >= target) wake?.();
      }
    });
    labels$.subscribe((l) => {
      const a = acted.get(l.windowId);
      if (a === undefined) return;
      acted.delete(l.windowId);
      if (l.label !== null) joined.push({ ...a, label: l.label });
    });

    // ---- deploy the first model: shadow, then promoted by the gateway's policy ----
    const firstDeploy = await deployment.execute(
      deployCommand(first.release, 'deploy-1.0.0', { json: true }),
    );
    if (!firstDeploy.ok) throw firstDeploy.error;

    // ---- the platform's retraining service ----
    const retrainer = createRetrainer({
      features: DETERIORATION_FEATURES,
      // Fresh data: since the episode's first request (at most 12 h back).
      dataset: () => warehouse.dataset(Math.max(since, now - 12 * HOUR_MS), now),
      runtime,
      signer: ids.platform,
      approver: ids.approver,
      ledger: ledger.sink,
      trustedSigners,
      model: { task: TASK, description: DESCRIPTION, intendedUse: INTENDED_USE },
      minRows: 24 * patients,
      minPositives: 60,
      criterion: { minAurocGain: 0.02, maxBrierIncrease: 0, minTestRows: 400, minTestPositives: 30 },
      clock,
    });
    const retrains: { at: number; outcome: RetrainOutcome }[] = [];
    let nextAttempt = Number.NEGATIVE_INFINITY;
    let tamperNext = options.tamper;

    async function platformTurn(): Promise<void> {
      // The gateway asks again every hour while an alarm stands; silence for 2 h ends the episode.
      if (pending !== undefined && now - lastRequestAt > 2 * HOUR_MS) {
        progress({ type: 'request-expired', at: now, request: pending });
        pending = undefined;
        since = Number.POSITIVE_INFINITY;
      }
      if (pending === undefined || now < nextAttempt) return;
      const request = pending;
      nextAttempt = now + HOUR_MS;
      const outcome = await retrainer.retrain(request, current);
      retrains.push({ at: now, outcome });
      progress({ type: 'retrain', at: now, outcome });
      if (outcome.type === 'insufficient-data') return; // asked again in an hour
      pending = undefined;
      since = Number.POSITIVE_INFINITY;
      if (outcome.type !== 'promoted') return;
      releases.set(outcome.release.signed.manifest.version, outcome.release);
      const command = deployCommand(outcome.release, `redeploy-${outcome.release.signed.manifest.version}`, {
        json: true,
      });
      if (tamperNext) {
        // The downlink flips one bit of the model on the way: the gateway must refuse it.
        tamperNext = false;
        const bytes = Buffer.from(command.artifact.bytes as string, 'base64url');
        bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] as number) ^ 0x04;
        const refused = await deployment.execute({
          ...command,
          artifact: { ...command.artifact, bytes: bytes.toString('base64url') },
        });
        if (refused.ok) throw new Error('the gateway accepted a tampered model');
      }
      const sent = await deployment.execute(JSON.parse(JSON.stringify(command)));
      if (!sent.ok) throw sent.error;
    }

    // ---- the run: the general ward, then the respiratory ward ----
    // Both wards are looked at in the middle of their patients' stays (admitted 12 h before). The
    // gateway hears the general ward from an hour before the run (so its windows are full at the
    // start) and the respiratory ward from the shift on (its first windows an hour later).
    const phases: { spec: WardSpec; admittedAt: number; from: number; to: number; seed: number }[] = [
      {
        spec: GENERAL_WARD,
        admittedAt: RUN_START_TS - 12 * HOUR_MS,
        from: RUN_START_TS - HOUR_MS,
        to: Math.min(shiftTs, endTs),
        seed: options.seed,
      },
      {
        spec: RESPIRATORY_WARD,
        admittedAt: shiftTs - 12 * HOUR_MS,
        from: shiftTs,
        to: endTs,
        seed: options.seed + 1,
      },
    ];
    for (const phase of phases) {
      if (phase.to <= phase.from) continue;
      const run: WardRun = simulateWard(phase.spec, {
        patients,
        seed: phase.seed,
        admittedAt: phase.admittedAt,
        from: phase.from,
        to: phase.to,
      });
      if (phase.spec === RESPIRATORY_WARD) progress({ type: 'shift', at: now, ward: phase.spec.name });
      for (const tick of run.ticks) {
        now = tick.ts;
        for (const { sample } of tick.deliveries) {
          for (const r of sample.readings) {
            windows.push(r);
            warehouse.addReading(r); // the uplink: stored once per reading id
          }
        }
        for (const truth of tick.patients) {
          const total = news2Total(truth);
          labeller.chart(truth.patientId, tick.ts, total);
          warehouse.addScore(truth.patientId, tick.ts, total);
        }
        if ((now - RUN_START_TS) % STRIDE_MS !== 0) continue;
        for (const label of labeller.due(now)) labels$.next(label);
        if (now >= RUN_START_TS && now - phase.from >= DETERIORATION_FEATURES.windowMs) {
          const batch = run.patientIds.map(
            (patientId): Window => ({
              windowId: `${patientId}@${now}`,
              patientId,
              ts: now,
              features: windows.features(patientId, now),
            }),
          );
          target += batch.length;
          const scoredAll = new Promise<void>((resolve) => {
            wake = resolve;
          });
          for (const w of batch) {
            labeller.expect(w);
            input$.next(w);
          }
          if (verdicts < target) await scoredAll;
          wake = undefined;
        }
        await platformTurn();
        if (now >= RUN_START_TS && (now - RUN_START_TS) % HOUR_MS === 0)
          progress({
            type: 'status',
            at: now,
            ward: phase.spec.name,
            active: deployment.status().active?.version,
            report: lastReport,
          });
      }
    }
    input$.complete();
    labels$.complete();

    const before = joined.filter((j) => j.ts < shiftTs);
    const after = joined.filter((j) => j.ts >= shiftTs);
    const v1 = first.summary.version;
    const result: LoopResult = {
      v1: first.summary,
      phases: [
        phaseResult('before-shift', GENERAL_WARD.name, before),
        phaseResult(
          'after-shift',
          RESPIRATORY_WARD.name,
          after.filter((j) => j.version === v1),
        ),
        phaseResult(
          'after-retrain',
          RESPIRATORY_WARD.name,
          after.filter((j) => j.version !== v1),
        ),
      ],
      alarms,
      requests,
      retrains,
      deployment: transitions,
      finalVersion: deployment.status().active?.version,
      ledger: await ledger.verify(),
      windowsScored: verdicts,
      readings: warehouse.readings,
    };
    await deployment.close();
    return result;
  } finally {
    await ledger.close();
  }
}
