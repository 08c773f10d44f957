/**
 * Monitoring of the ward's edge model with `@healthit/ai`'s model monitor:
 *
 * - **Accuracy against delayed labels.** Every risk score is a prediction for its window
 *   (`patient@ts`). Its label arrives `labelHorizonMs` later from the simulator's ground truth: 1
 *   when the patient's true NEWS2 (scored on the true vital signs, SpO2 scale, oxygen and
 *   consciousness) reached {@link LABEL_NEWS2} — medium clinical risk, an urgent response — within
 *   the horizon after the score, else 0. The monitor keeps rolling AUROC and Brier score.
 * - **Input drift.** The population stability index of each of the model's inputs over the latest
 *   scores, against the model's reference profile (quantile histograms of its inputs and scores).
 *   The v0 model's weights are hand-chosen, so it has no training data: its profile is counted from
 *   a reference population, a simulated general ward ({@link REFERENCE_WARD}) scored by the same
 *   model at start-up.
 */
import { createHash } from 'node:crypto';
import {
  buildReferenceProfile,
  createModelMonitor,
  DETERIORATION_MODEL_V0,
  type MonitorReport,
  type ReferenceProfile,
  type RiskScore,
  VITALS_FEATURES,
} from '@healthit/ai';
import type { LoadedModel, ModelArtifact } from '@healthit/core';
import { createWardSimulator, type PatientTruth, type SimulationTick } from '@healthit/device';
import { news2 } from '@healthit/gateway';

/** A window is labelled 1 when the true NEWS2 reaches this within the horizon. */
export const LABEL_NEWS2 = 5;

/**
 * The reference population of the model's profile: the simulator's default ward (mostly stable,
 * some deteriorating or hypoxic, its own timing), 100 patients over 24 h (every circadian hour),
 * a measurement every 20 min: 7 200 rows, counted in a fraction of a second at start-up.
 */
export const REFERENCE_WARD = {
  patients: 100,
  seed: 2025,
  periodMs: 20 * 60_000,
  hours: 24,
  startTs: Date.UTC(2025, 0, 6),
} as const;

/** Options of the ward's model monitoring (`WardOptions.modelMonitor`). */
export interface WardModelMonitorOptions {
  /**
   * How far after a score its label looks, ms (default 10 000: the demo's compressed stand-in for
   * the clinical hour ahead).
   */
  readonly labelHorizonMs?: number;
  /** Scores needed before input drift is judged (default 200; the window holds the latest 500). */
  readonly minDriftSamples?: number;
}

/** The PSI at which one input counts as drifted; the monitor's alarm needs three such inputs. */
export const DRIFT_PSI = 0.5;

/** The most drifted input, once enough scores were seen. */
export interface WardModelDrift {
  /** The input with the highest PSI against the reference profile. */
  readonly feature: string;
  readonly psi: number;
  /** True when it reaches {@link DRIFT_PSI}. */
  readonly drifted: boolean;
  /** Inputs at or over {@link DRIFT_PSI}. */
  readonly driftedFeatures: number;
  /** Scores in the drift window. */
  readonly samples: number;
}

/** The model monitor in a {@link WardSummary} (`ward.ts`). */
export interface WardModelMonitorSummary {
  readonly labelHorizonMs: number;
  /** Predictions and labels observed. */
  readonly predictions: number;
  readonly labels: number;
  /** Labelled windows in the rolling accuracy window, and positives among them. */
  readonly labelled: number;
  readonly positives: number;
  /** null until both classes are labelled. */
  readonly auroc: number | null;
  readonly brier: number | null;
  /** The most drifted input (PSI against the reference profile); absent before enough scores. */
  readonly drift?: WardModelDrift;
  /** Alarms raised now (`accuracy`, `input-drift`, `prediction-drift`). */
  readonly alarms: readonly string[];
  /** Rows of the reference profile. */
  readonly referenceRows: number;
}

/** The ward's model monitoring. */
export interface WardModelMonitor {
  readonly labelHorizonMs: number;
  readonly profile: ReferenceProfile;
  /** A risk score of the edge model: a prediction. */
  onScore(score: RiskScore): void;
  /** One tick of the simulation: the ground truth; labels the windows whose horizon has passed. */
  onTick(tick: SimulationTick): void;
  /** The monitor's report as of now. */
  report(): MonitorReport;
  /** Input drift as of now: absent before `minDriftSamples` scores. */
  drift(report?: MonitorReport): WardModelDrift | undefined;
  summary(): WardModelMonitorSummary;
}

/** Predictions waiting for their label at most (the oldest is labelled `null` beyond it). */
const MAX_WAITING = 100_000;

/** The true NEWS2 of a patient at a tick, or undefined when a value is off the chart. */
function trueNews2(truth: PatientTruth): number | undefined {
  const v = truth.vitals;
  try {
    return news2({
      rr: Math.round(v['respiratory-rate']),
      spo2: Math.round(v.spo2),
      spo2Scale: truth.spo2Scale,
      onOxygen: truth.onOxygen,
      sbp: Math.round(v['bp-systolic']),
      pulse: Math.round(v['heart-rate']),
      consciousness: truth.consciousness,
      temp: Math.round(v['body-temperature'] * 10) / 10,
    }).total;
  } catch {
    return undefined;
  }
}

/**
 * Counts the model's reference profile: the {@link REFERENCE_WARD}'s monitors' measurements as the
 * model's input rows, and the model's scores on them.
 */
export async function referenceProfile(
  model: LoadedModel,
  artifact: ModelArtifact,
): Promise<ReferenceProfile> {
  const ward = createWardSimulator({
    patients: REFERENCE_WARD.patients,
    seed: REFERENCE_WARD.seed,
    periodMs: REFERENCE_WARD.periodMs,
    startTs: REFERENCE_WARD.startTs,
  });
  const rows: number[] = [];
  for (const tick of ward.simulate({ toMs: REFERENCE_WARD.hours * 3_600_000 })) {
    for (const sample of tick.samples) {
      const row = VITALS_FEATURES.map((f) => sample.values[f]);
      if (row.every((x): x is number => x !== undefined)) rows.push(...row);
    }
  }
  const width = VITALS_FEATURES.length;
  const n = rows.length / width;
  const x = Float32Array.from(rows);
  const out = await model.run({
    [model.inputNames[0] ?? 'vitals']: { type: 'float32', data: x, dims: [n, width] },
  });
  const risk = out[model.outputNames[0] ?? 'risk'];
  if (risk?.type !== 'float32' || risk.data.length !== n) {
    throw new Error(`The model gave no float32 [${n}, 1] output for the reference rows`);
  }
  return buildReferenceProfile(
    {
      columns: VITALS_FEATURES.map((name, i) => ({ name, unit: DETERIORATION_MODEL_V0.units[i] ?? '1' })),
      rows: n,
      x,
    },
    risk.data,
    {
      model: {
        id: artifact.id,
        version: artifact.version,
        sha256: createHash('sha256').update(artifact.bytes).digest('hex'),
      },
    },
  );
}

/** Creates the ward's model monitoring for `model` (its reference profile counted first). */
export async function createWardModelMonitor(
  model: LoadedModel,
  artifact: ModelArtifact,
  options: WardModelMonitorOptions = {},
): Promise<WardModelMonitor> {
  const labelHorizonMs = options.labelHorizonMs ?? 10_000;
  if (!(labelHorizonMs > 0 && Number.isFinite(labelHorizonMs))) {
    throw new RangeError(`labelHorizonMs must be a finite number of ms > 0, got ${labelHorizonMs}`);
  }
  const minDriftSamples = options.minDriftSamples ?? 200;
  const profile = await referenceProfile(model, artifact);
  const monitor = createModelMonitor({
    modelId: artifact.id,
    gatewayId: 'gw-ward-7',
    profiles: (version) => (version === profile.version ? profile : undefined),
    maxLabelDelayMs: labelHorizonMs * 10,
    // A ward of tens of patients is a small sample of its population: patient-level inputs differ
    // from the reference by a PSI of 0.2–0.4 by chance alone, so a feature drifts at 0.5 and the
    // alarm needs three of them (as in examples/edge-ai).
    thresholds: { featurePsi: DRIFT_PSI, minDriftedFeatures: 3, predictionPsi: DRIFT_PSI },
    minDriftSamples,
  });
  const drift = (report: MonitorReport = monitor.report()): WardModelDrift | undefined => {
    const input = report.active?.inputDrift;
    const top = input?.top[0];
    if (input === undefined || top === undefined || input.samples < minDriftSamples) return undefined;
    return {
      feature: top.name,
      psi: top.psi,
      drifted: top.psi >= DRIFT_PSI,
      driftedFeatures: input.drifted,
      samples: input.samples,
    };
  };
  // The true NEWS2 of each patient, tick by tick, for as far back as a label can look.
  const charts = new Map<string, { ts: number[]; total: number[] }>();
  const waiting: { readonly windowId: string; readonly patientId: string; readonly ts: number }[] = [];
  let head = 0;
  let predictions = 0;
  let labels = 0;

  const label = (w: (typeof waiting)[number], now: number): void => {
    const chart = charts.get(w.patientId);
    let value: 0 | 1 | null = null;
    if (chart !== undefined && chart.ts.length > 0 && (chart.ts[0] as number) <= w.ts) {
      value = 0;
      chart.ts.forEach((t, i) => {
        if (t > w.ts && t <= w.ts + labelHorizonMs && (chart.total[i] as number) >= LABEL_NEWS2) value = 1;
      });
    }
    labels += 1;
    monitor.observe({ type: 'label', windowId: w.windowId, ts: Math.max(0, Math.round(now)), label: value });
  };

  return {
    labelHorizonMs,
    profile,
    onScore(score) {
      predictions += 1;
      const windowId = `${score.patientId}@${score.ts}`;
      monitor.observe({
        type: 'prediction',
        windowId,
        ts: score.ts,
        version: score.modelVersion,
        role: 'active',
        score: score.risk,
        features: VITALS_FEATURES.map((f) => score.features[f]),
      });
      if (waiting.length - head >= MAX_WAITING) label(waiting[head++] as (typeof waiting)[number], score.ts);
      waiting.push({ windowId, patientId: score.patientId, ts: score.ts });
    },
    onTick(tick) {
      for (const truth of tick.patients) {
        const total = trueNews2(truth);
        if (total === undefined) continue;
        let chart = charts.get(truth.patientId);
        if (chart === undefined) {
          chart = { ts: [], total: [] };
          charts.set(truth.patientId, chart);
        }
        chart.ts.push(tick.ts);
        chart.total.push(total);
        // Bounded: what a waiting window can still need.
        while (chart.ts.length > 1 && (chart.ts[0] as number) < tick.ts - 3 * labelHorizonMs) {
          chart.ts.shift();
          chart.total.shift();
        }
      }
      while (
        head < waiting.length &&
        (waiting[head] as (typeof waiting)[number]).ts + labelHorizonMs <= tick.ts
      ) {
        label(waiting[head++] as (typeof waiting)[number], tick.ts);
      }
      if (head > 1_024 && head * 2 > waiting.length) {
        waiting.splice(0, head);
        head = 0;
      }
    },
    report: () => monitor.report(),
    drift,
    summary() {
      const report = monitor.report();
      const active = report.active;
      const d = drift(report);
      return {
        labelHorizonMs,
        predictions,
        labels,
        labelled: active?.accuracy.labelled ?? 0,
        positives: active?.accuracy.positives ?? 0,
        auroc: active?.accuracy.auroc ?? null,
        brier: active?.accuracy.brier ?? null,
        ...(d === undefined ? {} : { drift: d }),
        alarms: active?.alarms ?? [],
        referenceRows: profile.rows,
      };
    },
  };
}
