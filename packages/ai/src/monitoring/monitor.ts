import { HealthItError, ValidationError } from '@healthit/core';
import { Observable, type Observer, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { ModelId, ModelVersion } from '../artifacts/manifest.js';
import { auroc, brierScore } from '../evaluation/metrics.js';
import { DriftWindow } from './histogram.js';
import type { ReferenceProfile } from './reference-profile.js';
import {
  type AccuracyFinding,
  ALARM_KINDS,
  type AlarmKind,
  type InputDriftFinding,
  type MonitorFinding,
  type PredictionDriftFinding,
  RetrainRequest,
} from './retrain-request.js';

/** A model's score for one feature window, as the deployment emitted it. */
export interface PredictionObservation {
  /** Discriminant of {@link MonitorInput}: `prediction` for a model's score. */
  readonly type: 'prediction';
  /** The window's id, e.g. `patient-007@2025-01-01T10:05:00Z`: its label will name it. */
  readonly windowId: string;
  /** The window's end (data time), epoch ms. */
  readonly ts: number;
  /** The model version that scored the window (1-64 printable ASCII characters, as in its manifest). */
  readonly version: string;
  /** `active`: the score was acted on; `shadow`: logged only. */
  readonly role: 'active' | 'shadow';
  /** The model's probability, 0…1. */
  readonly score: number;
  /** The row the model scored (`NaN` = undefined), for input drift. Optional. */
  readonly features?: ArrayLike<number>;
}

/**
 * The outcome of a window, known later (e.g. whether NEWS2 reached 7 within the hour after it):
 * `label` 0 or 1, or `null` when the window has no label by the task's definition (its pending
 * prediction is then released). Arrives from outside the monitor: validated with this schema.
 */
export const LabelObservation = z.strictObject({
  type: z.literal('label'),
  windowId: z.string().min(1).max(256),
  /** When the label became known (data time), epoch ms. */
  ts: z.number().int().nonnegative(),
  label: z.union([z.literal(0), z.literal(1), z.null()]),
});
export type LabelObservation = z.infer<typeof LabelObservation>;

/** What a monitor takes. */
export type MonitorInput = PredictionObservation | LabelObservation;

/** Why a monitor let an input go. */
export type DropReason =
  /** A prediction was evicted from the full pending buffer (policy `drop-oldest`), or not kept (`drop-newest`). */
  | 'pending-full'
  /** A prediction waited longer than `maxLabelDelayMs` (data time) for its label. */
  | 'expired'
  /** A label for a window with no pending prediction (never scored, expired, evicted, or labelled twice). */
  | 'unmatched'
  /** A second prediction of the same window and role. */
  | 'duplicate'
  /** An input that is not valid (shape, score outside 0…1, feature row of the wrong width). */
  | 'invalid'
  /** A label for a prediction of a version the monitor no longer tracks (see `maxVersions`). */
  | 'untracked-version';

/** The drop reasons of {@link DropReason}. */
export const DROP_REASONS: readonly DropReason[] = [
  'pending-full',
  'expired',
  'unmatched',
  'duplicate',
  'invalid',
  'untracked-version',
];

/** Rolling accuracy of one version against its delayed labels. */
export interface AccuracyStatus {
  /** Labelled predictions in the rolling accuracy window (at most `accuracyWindow`). */
  readonly labelled: number;
  /** Of those, labelled 1. */
  readonly positives: number;
  /** null when the window holds one class only. */
  readonly auroc: number | null;
  /** null when the window is empty. */
  readonly brier: number | null;
  /**
   * The AUROC under which the accuracy alarm is raised: `thresholds.minAuroc`, else the profile's
   * held-out AUROC − `aurocDrop` (at least 0), else 0.75.
   */
  readonly minAuroc: number;
  /**
   * The Brier score over which the accuracy alarm is raised: `thresholds.maxBrier`, else the
   * profile's held-out Brier score + `brierRise` (at most 1), else 0.25.
   */
  readonly maxBrier: number;
}

/** Input drift of one version against its reference profile. */
export interface InputDriftStatus {
  /** Feature rows in the rolling drift window (at most `driftWindow`) the PSIs are computed over. */
  readonly samples: number;
  /** Features at or over the PSI threshold. */
  readonly drifted: number;
  /** The most drifted features (at most 16), highest PSI first. */
  readonly top: readonly { readonly name: string; readonly psi: number }[];
}

/** One version's status. */
export interface MonitoredVersionStatus {
  /** The model version, as its predictions name it. */
  readonly version: string;
  /** The role of its latest prediction: `active` (acted on) or `shadow` (logged only). */
  readonly role: 'active' | 'shadow';
  /** Its rolling AUROC and Brier score against delayed labels, with the thresholds in force. */
  readonly accuracy: AccuracyStatus;
  /** Absent without a reference profile. */
  readonly inputDrift: InputDriftStatus | undefined;
  /** PSI of the scores against the training scores; absent without a reference profile. */
  readonly predictionDrift: { readonly samples: number; readonly psi: number } | undefined;
  /** The alarms raised now. */
  readonly alarms: readonly AlarmKind[];
}

/** A monitor's periodic report. */
export interface MonitorReport {
  /** Data time of the report, epoch ms. */
  readonly ts: number;
  /** The model monitored ({@link ModelMonitorOptions.modelId}). */
  readonly modelId: string;
  /** The version acted on (of the latest `active` prediction). */
  readonly active: MonitoredVersionStatus | undefined;
  /** The version in shadow, when one is scoring. */
  readonly shadow: MonitoredVersionStatus | undefined;
  /**
   * Totals since the monitor started: valid predictions and labels taken, labels joined, `null`
   * labels, predictions waiting for their label now, and inputs dropped by {@link DropReason}.
   */
  readonly counts: {
    readonly predictions: number;
    readonly labels: number;
    /** Labels joined to a pending prediction (once per window, whatever the roles scored). */
    readonly joined: number;
    /** `null` labels. */
    readonly unlabelled: number;
    readonly pending: number;
    readonly dropped: Readonly<Record<DropReason, number>>;
  };
}

/** A threshold crossed (`raised: true`) or back within its margin (`raised: false`). */
export interface MonitorAlarm {
  /** What crossed its threshold: `accuracy`, `input-drift` or `prediction-drift`. */
  readonly kind: AlarmKind;
  /** True when the alarm was raised, false when it cleared (back within its margin). */
  readonly raised: boolean;
  /** The model version the alarm is about. */
  readonly version: string;
  /** That version's role at the time: `active` or `shadow`. */
  readonly role: 'active' | 'shadow';
  /** Data time, epoch ms. */
  readonly ts: number;
  /** The figures that raised (or cleared) it: rolling AUROC and Brier score, or PSIs, with thresholds and sample counts. */
  readonly finding: MonitorFinding;
}

/** What a monitor emits. */
export type MonitorEvent =
  | {
      /** `report`: the periodic report, every `reportEvery` joined labels. */
      readonly type: 'report';
      /** The report as of the label that completed the period. */
      readonly report: MonitorReport;
    }
  | {
      /** `alarm`: an alarm was raised or cleared. */
      readonly type: 'alarm';
      /** Which alarm, for which version, and the figures behind it. */
      readonly alarm: MonitorAlarm;
    }
  | {
      /** `retrain-request`: the active version has a raised alarm of a `triggers` kind (at most once per `cooldownMs`). */
      readonly type: 'retrain-request';
      /** The request, as also given to `requests`. */
      readonly request: RetrainRequest;
    }
  | {
      /** `dropped`: an input was let go without counting towards accuracy. */
      readonly type: 'dropped';
      /** What was let go: a `prediction` or a `label` (an input of unknown type counts as a label). */
      readonly item: 'prediction' | 'label';
      /** Why it was let go. */
      readonly reason: DropReason;
      /** The window concerned; undefined when the input carried no string window id. */
      readonly windowId: string | undefined;
      /** For `invalid`: what is wrong with the input (`validation/invalid`); absent for the other reasons. */
      readonly error?: HealthItError;
    };

/** When a monitor raises an alarm. */
export interface MonitorThresholds {
  /** Alarm when rolling AUROC falls below this. Default: the profile's held-out AUROC − `aurocDrop`, else 0.75. */
  readonly minAuroc?: number;
  /** Default 0.05. */
  readonly aurocDrop?: number;
  /** Alarm when the rolling Brier score exceeds this. Default: the profile's held-out Brier + `brierRise`, else 0.25. */
  readonly maxBrier?: number;
  /** Default 0.03. */
  readonly brierRise?: number;
  /** A feature has drifted when its PSI reaches this. Default 0.25 (the usual "significant shift"). */
  readonly featurePsi?: number;
  /** Input drift alarms when at least this many features have drifted. Default 3. */
  readonly minDriftedFeatures?: number;
  /** Prediction drift alarms when the scores' PSI reaches this. Default 0.25. */
  readonly predictionPsi?: number;
}

/** Options of {@link createModelMonitor} and {@link monitorModel}. */
export interface ModelMonitorOptions {
  /** The model monitored (every version of it). */
  readonly modelId: string;
  /** Names the gateway in retrain requests. */
  readonly gatewayId?: string;
  /** The reference profile of a version (e.g. the deployment's `profileOf`); none: no drift monitoring for it. */
  readonly profiles?: (version: string) => ReferenceProfile | undefined;
  /** Labelled windows in the rolling accuracy window, per version. Default 500. */
  readonly accuracyWindow?: number;
  /** Labelled windows needed before accuracy can alarm. Default 200. */
  readonly minLabelled?: number;
  /** Positives (and negatives) needed before accuracy can alarm. Default 10. */
  readonly minPositives?: number;
  /** Predictions in the rolling drift window, per version. Default 500. */
  readonly driftWindow?: number;
  /** Predictions needed before drift can alarm. Default 200. */
  readonly minDriftSamples?: number;
  /** Check thresholds every this many observations of a version. Default 25. */
  readonly evaluateEvery?: number;
  /** Report every this many joined labels. Default 200. */
  readonly reportEvery?: number;
  /** Predictions waiting for their label, at most. Default 20 000. */
  readonly maxPending?: number;
  /**
   * When a prediction arrives and `maxPending` wait: `drop-oldest` (default: the oldest waiting
   * prediction is let go) or `drop-newest` (the arriving one is not kept). Either is a `dropped`
   * event with reason `pending-full`.
   */
  readonly pendingPolicy?: 'drop-oldest' | 'drop-newest';
  /** A prediction waits at most this long (data time) for its label. Default 2 h. */
  readonly maxLabelDelayMs?: number;
  /** Versions tracked at once (least recently seen forgotten first). Default 4. */
  readonly maxVersions?: number;
  /** When alarms are raised (accuracy and drift thresholds); each has its own default. */
  readonly thresholds?: MonitorThresholds;
  /** Alarm kinds that ask for retraining. Default all three. */
  readonly triggers?: readonly AlarmKind[];
  /** Between two retrain requests for a model, at least this long (data time). Default 1 h. */
  readonly cooldownMs?: number;
  /** Where retrain requests go as well as onto the event stream: the uplink to the platform, a Subject. */
  readonly requests?: Pick<Observer<RetrainRequest>, 'next'>;
}

/** A monitor driven by hand: one call per input, the events it causes returned. */
export interface ModelMonitor {
  /** Takes one input; never throws for bad data (a `dropped` event says why). */
  observe(input: MonitorInput): MonitorEvent[];
  /** The report as of now. */
  report(): MonitorReport;
}

/** Accuracy alarms clear 0.01 inside their threshold; drift alarms at 80 % of theirs. */
const ACCURACY_MARGIN = 0.01;
const DRIFT_CLEAR_RATIO = 0.8;

function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1)
    throw new RangeError(`monitor: ${what} must be an integer >= 1, got ${v}`);
  return v;
}

function probability(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!(value >= 0 && value <= 1)) throw new RangeError(`monitor: ${what} must be in 0…1, got ${value}`);
  return value;
}

function positiveNumber(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!(v > 0 && Number.isFinite(v)))
    throw new RangeError(`monitor: ${what} must be a finite number > 0, got ${v}`);
  return v;
}

/** A ring of labelled scores. */
class AccuracyWindow {
  readonly scores: Float64Array;
  readonly labels: Uint8Array;
  readonly ts: Float64Array;
  private head = 0;
  size = 0;
  positives = 0;

  constructor(readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.labels = new Uint8Array(capacity);
    this.ts = new Float64Array(capacity);
  }

  push(score: number, label: 0 | 1, ts: number): void {
    if (this.size === this.capacity) this.positives -= this.labels[this.head] as number;
    else this.size++;
    this.scores[this.head] = score;
    this.labels[this.head] = label;
    this.ts[this.head] = ts;
    this.positives += label;
    this.head = (this.head + 1) % this.capacity;
  }

  get oldestTs(): number {
    if (this.size === 0) return Number.NaN;
    return this.ts[(this.head - this.size + this.capacity) % this.capacity] as number;
  }

  metrics(): { auroc: number | null; brier: number | null } {
    if (this.size === 0) return { auroc: null, brier: null };
    const s = this.scores.subarray(0, this.size);
    const y = this.labels.subarray(0, this.size);
    const both = this.positives > 0 && this.positives < this.size;
    return { auroc: both ? auroc(s, y) : null, brier: brierScore(s, y) };
  }
}

interface VersionState {
  readonly version: string;
  role: 'active' | 'shadow';
  readonly profile: ReferenceProfile | undefined;
  readonly accuracy: AccuracyWindow;
  readonly inputs: DriftWindow | undefined;
  readonly scores: DriftWindow | undefined;
  readonly minAuroc: number;
  readonly maxBrier: number;
  readonly raised: Set<AlarmKind>;
  readonly findings: Map<AlarmKind, MonitorFinding>;
  sinceEvaluation: number;
  latestTs: number;
  predictions: number;
  requests: number;
}

interface Pending {
  readonly ts: number;
  active?: { readonly version: string; readonly score: number };
  shadow?: { readonly version: string; readonly score: number };
}

/**
 * A monitor of one model at the edge, driven by hand (see {@link monitorModel} for the operator):
 *
 * - **Rolling accuracy against delayed labels.** Each prediction waits in a bounded pending buffer
 *   (`maxPending`, `pendingPolicy`, `maxLabelDelayMs`) until its label arrives, joined by window id;
 *   then (score, label) enters the version's rolling window of `accuracyWindow`, over which AUROC
 *   and the Brier score are computed. Active and shadow versions are tracked side by side.
 * - **Input drift.** The population stability index of every feature over the last `driftWindow`
 *   predictions, against the histograms of the version's training data (its signed
 *   {@link ReferenceProfile}); the alarm needs `minDriftedFeatures` at or over `featurePsi`.
 * - **Prediction drift.** The PSI of the version's scores against its scores on its training data.
 * - **Alarms and retrain requests.** Every `evaluateEvery` observations of a version its thresholds
 *   are checked; a crossing raises an alarm (cleared with a margin: accuracy 0.01 inside its
 *   threshold, drift at 80 % of it). While an alarm of a `triggers` kind is raised for the active
 *   version, a typed {@link RetrainRequest} is emitted (and given to `requests`), at most once per
 *   `cooldownMs` of data time.
 *
 * Time is the data's (window ends, label times), never a wall clock: deterministic and testable.
 *
 * @throws {RangeError} for an option out of range.
 * @example
 * ```ts
 * const monitor = createModelMonitor({ modelId: 'deterioration-risk', profiles: deployment.profileOf });
 * monitor.observe({ type: 'prediction', windowId, ts, version: '1.0.0', role: 'active', score, features });
 * monitor.observe({ type: 'label', windowId, ts: ts + 3_600_000, label: 1 }); // an hour later
 * ```
 */
export function createModelMonitor(options: ModelMonitorOptions): ModelMonitor {
  if (typeof options?.modelId !== 'string') throw new TypeError('monitor: modelId must be a string');
  if (!ModelId.safeParse(options.modelId).success) {
    throw new RangeError(
      `monitor: modelId ${JSON.stringify(options.modelId)} is not a model id (see ModelId)`,
    );
  }
  const { modelId } = options;
  const accuracyWindow = positiveInteger(options.accuracyWindow, 500, 'accuracyWindow');
  const minLabelled = positiveInteger(options.minLabelled, 200, 'minLabelled');
  const minPositives = positiveInteger(options.minPositives, 10, 'minPositives');
  const driftWindow = positiveInteger(options.driftWindow, 500, 'driftWindow');
  const minDriftSamples = positiveInteger(options.minDriftSamples, 200, 'minDriftSamples');
  const evaluateEvery = positiveInteger(options.evaluateEvery, 25, 'evaluateEvery');
  const reportEvery = positiveInteger(options.reportEvery, 200, 'reportEvery');
  const maxPending = positiveInteger(options.maxPending, 20_000, 'maxPending');
  const maxVersions = positiveInteger(options.maxVersions, 4, 'maxVersions');
  const maxLabelDelayMs = positiveNumber(options.maxLabelDelayMs, 2 * 3_600_000, 'maxLabelDelayMs');
  const cooldownMs = options.cooldownMs ?? 3_600_000;
  if (!(cooldownMs >= 0 && Number.isFinite(cooldownMs))) {
    throw new RangeError(`monitor: cooldownMs must be a finite number >= 0, got ${cooldownMs}`);
  }
  const pendingPolicy = options.pendingPolicy ?? 'drop-oldest';
  if (pendingPolicy !== 'drop-oldest' && pendingPolicy !== 'drop-newest') {
    throw new RangeError(
      `monitor: pendingPolicy must be drop-oldest or drop-newest, got ${String(pendingPolicy)}`,
    );
  }
  const t = options.thresholds ?? {};
  const minAurocOption = probability(t.minAuroc, 'thresholds.minAuroc');
  const maxBrierOption = probability(t.maxBrier, 'thresholds.maxBrier');
  const aurocDrop = probability(t.aurocDrop ?? 0.05, 'thresholds.aurocDrop') as number;
  const brierRise = probability(t.brierRise ?? 0.03, 'thresholds.brierRise') as number;
  const featurePsi = positiveNumber(t.featurePsi, 0.25, 'thresholds.featurePsi');
  const predictionPsi = positiveNumber(t.predictionPsi, 0.25, 'thresholds.predictionPsi');
  const minDriftedFeatures = positiveInteger(t.minDriftedFeatures, 3, 'thresholds.minDriftedFeatures');
  const triggers = new Set<AlarmKind>(options.triggers ?? ALARM_KINDS);
  for (const k of triggers) {
    if (!ALARM_KINDS.includes(k)) throw new RangeError(`monitor: unknown trigger ${String(k)}`);
  }

  const versions = new Map<string, VersionState>(); // least recently seen first
  const pending = new Map<string, Pending>(); // oldest first
  let activeVersion: string | undefined;
  let shadowVersion: string | undefined;
  let now = Number.NEGATIVE_INFINITY;
  let lastRequestTs = Number.NEGATIVE_INFINITY;
  let sinceReport = 0;
  const counts = { predictions: 0, labels: 0, joined: 0, unlabelled: 0 };
  const dropped = Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>;

  function drop(
    events: MonitorEvent[],
    item: 'prediction' | 'label',
    reason: DropReason,
    windowId: string | undefined,
    error?: HealthItError,
  ): undefined {
    dropped[reason]++;
    events.push({ type: 'dropped', item, reason, windowId, ...(error === undefined ? {} : { error }) });
  }

  function state(version: string, role: 'active' | 'shadow'): VersionState {
    let s = versions.get(version);
    if (s !== undefined) {
      versions.delete(version);
      versions.set(version, s);
      s.role = role;
      return s;
    }
    if (versions.size >= maxVersions) {
      const oldest = versions.keys().next().value as string;
      versions.delete(oldest);
    }
    const profile = options.profiles?.(version);
    const held = profile?.heldOut;
    s = {
      version,
      role,
      profile,
      accuracy: new AccuracyWindow(accuracyWindow),
      inputs:
        profile === undefined
          ? undefined
          : new DriftWindow(
              profile.features.map((f) => f.histogram),
              driftWindow,
            ),
      scores: profile === undefined ? undefined : new DriftWindow([profile.prediction], driftWindow),
      minAuroc: minAurocOption ?? (held === undefined ? 0.75 : Math.max(0, held.auroc - aurocDrop)),
      maxBrier: maxBrierOption ?? (held === undefined ? 0.25 : Math.min(1, held.brier + brierRise)),
      raised: new Set(),
      findings: new Map(),
      sinceEvaluation: 0,
      latestTs: Number.NEGATIVE_INFINITY,
      predictions: 0,
      requests: 0,
    };
    versions.set(version, s);
    return s;
  }

  function accuracyStatus(s: VersionState): AccuracyStatus {
    const m = s.accuracy.metrics();
    return {
      labelled: s.accuracy.size,
      positives: s.accuracy.positives,
      auroc: m.auroc,
      brier: m.brier,
      minAuroc: s.minAuroc,
      maxBrier: s.maxBrier,
    };
  }

  function featurePsis(s: VersionState): { name: string; psi: number }[] {
    const inputs = s.inputs as DriftWindow;
    const profile = s.profile as ReferenceProfile;
    return profile.features
      .map((f, i) => ({ name: f.name, psi: inputs.psi(i) }))
      .sort((a, b) => b.psi - a.psi);
  }

  function inputDriftStatus(s: VersionState): InputDriftStatus | undefined {
    if (s.inputs === undefined) return undefined;
    if (s.inputs.size === 0) return { samples: 0, drifted: 0, top: [] };
    const psis = featurePsis(s);
    return {
      samples: s.inputs.size,
      drifted: psis.filter((p) => p.psi >= featurePsi).length,
      top: psis.slice(0, 16),
    };
  }

  function versionStatus(s: VersionState | undefined): MonitoredVersionStatus | undefined {
    if (s === undefined) return undefined;
    return {
      version: s.version,
      role: s.role,
      accuracy: accuracyStatus(s),
      inputDrift: inputDriftStatus(s),
      predictionDrift:
        s.scores === undefined
          ? undefined
          : { samples: s.scores.size, psi: s.scores.size === 0 ? 0 : s.scores.psi(0) },
      alarms: ALARM_KINDS.filter((k) => s.raised.has(k)),
    };
  }

  function report(): MonitorReport {
    const shadow = shadowVersion === undefined ? undefined : versions.get(shadowVersion);
    return {
      ts: Number.isFinite(now) ? now : 0,
      modelId,
      active: versionStatus(activeVersion === undefined ? undefined : versions.get(activeVersion)),
      shadow: shadow?.role === 'shadow' ? versionStatus(shadow) : undefined,
      counts: { ...counts, pending: pending.size, dropped: { ...dropped } },
    };
  }

  /** Raises or clears one alarm kind; returns the event when it changed. */
  function setAlarm(
    s: VersionState,
    kind: AlarmKind,
    crossing: boolean,
    clear: boolean,
    finding: MonitorFinding,
    events: MonitorEvent[],
  ): void {
    const raised = s.raised.has(kind);
    if (!raised && crossing) {
      s.raised.add(kind);
      s.findings.set(kind, finding);
      events.push({
        type: 'alarm',
        alarm: { kind, raised: true, version: s.version, role: s.role, ts: now, finding },
      });
    } else if (raised && clear) {
      s.raised.delete(kind);
      s.findings.delete(kind);
      events.push({
        type: 'alarm',
        alarm: { kind, raised: false, version: s.version, role: s.role, ts: now, finding },
      });
    } else if (raised) {
      s.findings.set(kind, finding); // the latest figures of a standing alarm
    }
  }

  function evaluate(s: VersionState, events: MonitorEvent[]): void {
    s.sinceEvaluation = 0;
    const a = accuracyStatus(s);
    const negatives = a.labelled - a.positives;
    if (a.labelled >= minLabelled && a.positives >= minPositives && negatives >= minPositives) {
      const finding: AccuracyFinding = {
        kind: 'accuracy',
        auroc: a.auroc,
        brier: a.brier as number,
        minAuroc: a.minAuroc,
        maxBrier: a.maxBrier,
        labelled: a.labelled,
        positives: a.positives,
      };
      const aurocLow = a.auroc !== null && a.auroc < a.minAuroc;
      const brierHigh = (a.brier as number) > a.maxBrier;
      const recovered =
        (a.auroc === null || a.auroc >= a.minAuroc + ACCURACY_MARGIN) &&
        (a.brier as number) <= a.maxBrier - ACCURACY_MARGIN;
      setAlarm(s, 'accuracy', aurocLow || brierHigh, recovered, finding, events);
    }
    if (s.inputs !== undefined && s.inputs.size >= minDriftSamples) {
      const psis = featurePsis(s);
      const drifted = psis.filter((p) => p.psi >= featurePsi).length;
      const stillHigh = psis.filter((p) => p.psi >= featurePsi * DRIFT_CLEAR_RATIO).length;
      const finding: InputDriftFinding = {
        kind: 'input-drift',
        threshold: featurePsi,
        drifted,
        features: psis.slice(0, 16),
        samples: s.inputs.size,
      };
      setAlarm(
        s,
        'input-drift',
        drifted >= minDriftedFeatures,
        stillHigh < minDriftedFeatures,
        finding,
        events,
      );
    }
    if (s.scores !== undefined && s.scores.size >= minDriftSamples) {
      const psi = s.scores.psi(0);
      const finding: PredictionDriftFinding = {
        kind: 'prediction-drift',
        threshold: predictionPsi,
        psi,
        samples: s.scores.size,
      };
      setAlarm(
        s,
        'prediction-drift',
        psi >= predictionPsi,
        psi < predictionPsi * DRIFT_CLEAR_RATIO,
        finding,
        events,
      );
    }
    maybeRequest(s, events);
  }

  function maybeRequest(s: VersionState, events: MonitorEvent[]): void {
    if (s.role !== 'active' || s.version !== activeVersion) return;
    const findings = ALARM_KINDS.filter((k) => s.raised.has(k) && triggers.has(k)).map(
      (k) => s.findings.get(k) as MonitorFinding,
    );
    if (findings.length === 0 || now - lastRequestTs < cooldownMs) return;
    lastRequestTs = now;
    s.requests++;
    const from = Math.min(
      ...[s.accuracy.oldestTs, s.inputs?.oldestTs ?? Number.NaN, s.scores?.oldestTs ?? Number.NaN].filter(
        Number.isFinite,
      ),
    );
    const request = RetrainRequest.parse({
      v: 1,
      requestId: `${options.gatewayId ?? 'gateway'}/${modelId}@${s.version}#${s.requests}`,
      ...(options.gatewayId === undefined ? {} : { gatewayId: options.gatewayId }),
      modelId,
      version: s.version,
      ts: Math.max(0, Math.round(now)),
      findings,
      evidence: {
        from: Math.max(0, Math.round(Number.isFinite(from) ? from : now)),
        to: Math.max(0, Math.round(s.latestTs)),
        labelled: s.accuracy.size,
        predictions: s.predictions,
      },
    });
    events.push({ type: 'retrain-request', request });
  }

  function expire(events: MonitorEvent[]): void {
    for (const [windowId, p] of pending) {
      if (p.ts >= now - maxLabelDelayMs) break;
      pending.delete(windowId);
      drop(events, 'prediction', 'expired', windowId);
    }
  }

  function advance(ts: number): void {
    if (ts > now) now = ts;
  }

  function observePrediction(p: PredictionObservation, events: MonitorEvent[]): undefined {
    const invalid = (what: string) =>
      drop(
        events,
        'prediction',
        'invalid',
        typeof p.windowId === 'string' ? p.windowId : undefined,
        new HealthItError('validation/invalid', `monitor: prediction ${String(p.windowId)}: ${what}`),
      );
    if (typeof p.windowId !== 'string' || p.windowId.length === 0 || p.windowId.length > 256)
      return invalid('windowId must be a string of 1-256 characters');
    if (!Number.isFinite(p.ts)) return invalid(`ts must be a finite epoch-ms time, got ${p.ts}`);
    if (!(p.score >= 0 && p.score <= 1)) return invalid(`score must be in 0…1, got ${p.score}`);
    if (p.role !== 'active' && p.role !== 'shadow')
      return invalid(`role must be active or shadow, got ${String(p.role)}`);
    if (!ModelVersion.safeParse(p.version).success) {
      return invalid('version must be 1-64 printable ASCII characters');
    }
    const s = state(p.version, p.role);
    if (
      p.features !== undefined &&
      s.inputs !== undefined &&
      p.features.length !== s.inputs.histograms.length
    ) {
      return invalid(
        `a row of ${p.features.length} features, the profile of ${p.version} has ${s.inputs.histograms.length}`,
      );
    }
    counts.predictions++;
    advance(p.ts);
    if (p.role === 'active') {
      activeVersion = p.version;
      if (shadowVersion === p.version) shadowVersion = undefined; // promoted
    } else shadowVersion = p.version;

    let entry = pending.get(p.windowId);
    if (entry?.[p.role] !== undefined) return drop(events, 'prediction', 'duplicate', p.windowId);
    if (entry === undefined) {
      if (pending.size >= maxPending) {
        if (pendingPolicy === 'drop-newest') {
          drop(events, 'prediction', 'pending-full', p.windowId);
          entry = undefined;
        } else {
          const oldest = pending.keys().next().value as string;
          pending.delete(oldest);
          drop(events, 'prediction', 'pending-full', oldest);
          entry = { ts: p.ts };
          pending.set(p.windowId, entry);
        }
      } else {
        entry = { ts: p.ts };
        pending.set(p.windowId, entry);
      }
    }
    if (entry !== undefined) entry[p.role] = { version: p.version, score: p.score };
    s.predictions++;
    s.latestTs = Math.max(s.latestTs, p.ts);
    if (p.features !== undefined && s.inputs !== undefined) s.inputs.push(p.features, p.ts);
    s.scores?.push([p.score], p.ts);
    if (++s.sinceEvaluation >= evaluateEvery) evaluate(s, events);
    expire(events);
  }

  function observeLabel(input: unknown, events: MonitorEvent[]): undefined {
    const parsed = LabelObservation.safeParse(input);
    if (!parsed.success) {
      const windowId = (input as { windowId?: unknown })?.windowId;
      return drop(
        events,
        'label',
        'invalid',
        typeof windowId === 'string' ? windowId : undefined,
        ValidationError.fromZod('LabelObservation', parsed.error, 'monitor'),
      );
    }
    const label = parsed.data;
    counts.labels++;
    advance(label.ts);
    const entry = pending.get(label.windowId);
    if (entry === undefined) {
      drop(events, 'label', 'unmatched', label.windowId);
    } else {
      pending.delete(label.windowId);
      if (label.label === null) counts.unlabelled++;
      else {
        counts.joined++;
        for (const scored of [entry.active, entry.shadow]) {
          if (scored === undefined) continue;
          const s = versions.get(scored.version);
          if (s === undefined) {
            drop(events, 'label', 'untracked-version', label.windowId);
            continue;
          }
          s.accuracy.push(scored.score, label.label, entry.ts);
          s.latestTs = Math.max(s.latestTs, entry.ts);
          if (++s.sinceEvaluation >= evaluateEvery) evaluate(s, events);
        }
        if (++sinceReport >= reportEvery) {
          sinceReport = 0;
          events.push({ type: 'report', report: report() });
        }
      }
    }
    expire(events);
  }

  return {
    observe(input) {
      const events = observeOne(input);
      // The port hears a request after the events that led to it were returned.
      if (options.requests !== undefined) {
        for (const e of events) if (e.type === 'retrain-request') options.requests.next(e.request);
      }
      return events;
    },
    report,
  };

  function observeOne(input: MonitorInput): MonitorEvent[] {
    const events: MonitorEvent[] = [];
    if (input?.type === 'prediction') observePrediction(input, events);
    else if (input?.type === 'label') observeLabel(input, events);
    else {
      const type = String((input as { type?: unknown })?.type);
      drop(
        events,
        'label',
        'invalid',
        undefined,
        new HealthItError(
          'validation/invalid',
          `monitor: an input of type ${type}; expected prediction or label`,
        ),
      );
    }
    return events;
  }
}

/**
 * The monitor as an RxJS operator: predictions and labels in (merge the deployment's scores with
 * the labels as they arrive), {@link MonitorEvent}s out. Cold: each subscription has its own
 * monitor. Bad inputs are `dropped` events; only an error of the source errors the stream.
 *
 * @throws {RangeError} / {TypeError} for bad options (when called).
 * @example
 * ```ts
 * merge(predictions$, labels$).pipe(monitorModel({ modelId, profiles: deployment.profileOf, requests: uplink }))
 *   .subscribe((e) => e.type === 'report' && console.log(e.report.active?.accuracy.auroc));
 * ```
 */
export function monitorModel(options: ModelMonitorOptions): OperatorFunction<MonitorInput, MonitorEvent> {
  createModelMonitor(options); // checks the options now, not at subscription
  return (source) =>
    new Observable<MonitorEvent>((subscriber) => {
      const { requests, ...rest } = options;
      const monitor = createModelMonitor(rest);
      return source.subscribe({
        next(input) {
          for (const event of monitor.observe(input)) {
            if (subscriber.closed) return;
            subscriber.next(event);
            // The port hears a request after the subscriber has seen the alarm that led to it.
            if (event.type === 'retrain-request') requests?.next(event.request);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
