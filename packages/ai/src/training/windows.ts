import type { PatientSeries } from '../features/signal-series.js';
import { emptySeries, windowFeatureRows } from '../features/window-features.js';
import {
  ARTEFACT_FEATURES,
  DETERIORATION_FEATURES,
  type WindowFeatureSpec,
} from '../features/window-spec.js';
import { DatasetBuilder, type LabelledDataset } from './dataset.js';
import type { MeasurementTimeline, ScoreTimeline } from './simulation.js';

/** Options of {@link deteriorationWindows}. */
export interface DeteriorationWindowsOptions {
  /** The features (default `DETERIORATION_FEATURES`). */
  readonly features?: WindowFeatureSpec;
  /** Time between the ends of a patient's windows, ms (an integer >= 1). */
  readonly strideMs: number;
  /** How far ahead the label looks, ms (default one hour). */
  readonly horizonMs?: number;
  /** The NEWS2 total that counts as the event (default 7: the RCP's high clinical risk). */
  readonly threshold?: number;
  /**
   * Leave out windows whose current score has already reached `threshold` (default true): the
   * model is asked about the onset of high risk, not about risk that is already visible.
   */
  readonly excludeAtThreshold?: boolean;
  /** The first window of a patient ends this long after their first score (default: one window). */
  readonly warmupMs?: number;
}

function positive(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1)
    throw new RangeError(`${what} must be an integer >= 1, got ${value}`);
  return value;
}

/**
 * The deterioration-risk dataset: for each patient, windows ending every `strideMs` (from one
 * warm-up after their first score, while the whole horizon is observed), each labelled 1 when the
 * patient's score exceeds or reaches `threshold` at some time in `(end, end + horizonMs]`. The
 * row's baseline is the current score (the latest at or before the window's end): NEWS2 alone, the
 * comparison. Patients without series get all-missing features (their scores still count).
 *
 * Scores come from anywhere: the simulator's ground truth ({@link recordSimulation}) or NEWS2
 * records stored in the warehouse ({@link scoreTimelines}).
 *
 * @throws {RangeError} for a bad option.
 */
export function deteriorationWindows(
  series: ReadonlyMap<string, PatientSeries>,
  scores: ReadonlyMap<string, ScoreTimeline>,
  options: DeteriorationWindowsOptions,
): LabelledDataset {
  const features = options.features ?? DETERIORATION_FEATURES;
  const strideMs = positive(options.strideMs, 'deteriorationWindows: strideMs');
  const horizonMs = positive(options.horizonMs ?? 3_600_000, 'deteriorationWindows: horizonMs');
  const warmupMs = options.warmupMs ?? features.windowMs;
  if (!Number.isFinite(warmupMs) || warmupMs < 0) {
    throw new RangeError(`deteriorationWindows: warmupMs must be >= 0, got ${warmupMs}`);
  }
  const threshold = options.threshold ?? 7;
  const exclude = options.excludeAtThreshold ?? true;
  const builder = new DatasetBuilder(features, { baseline: true });
  const patients = [...scores.keys()].sort();
  for (const patientId of patients) {
    const s = scores.get(patientId) as ScoreTimeline;
    const n = s.ts.length;
    if (n === 0) continue;
    const first = s.ts[0] as number;
    const last = s.ts[n - 1] as number;
    const ends: number[] = [];
    const labels: number[] = [];
    const baselines: number[] = [];
    let current = -1; // index of the latest score at or before t
    for (let t = first + warmupMs; t + horizonMs <= last; t += strideMs) {
      while (current + 1 < n && (s.ts[current + 1] as number) <= t) current++;
      if (current < 0) continue;
      const now = s.total[current] as number;
      if (exclude && now >= threshold) continue;
      let event = 0;
      for (let k = current + 1; k < n && (s.ts[k] as number) <= t + horizonMs; k++) {
        if ((s.total[k] as number) >= threshold) {
          event = 1;
          break;
        }
      }
      ends.push(t);
      labels.push(event);
      baselines.push(now);
    }
    if (ends.length === 0) continue;
    const group = builder.patient(patientId);
    const firstRow = builder.reserve(ends.length);
    windowFeatureRows(
      series.get(patientId) ?? emptySeries(patientId),
      ends,
      features,
      builder.featureBuffer,
      firstRow,
    );
    for (let k = 0; k < ends.length; k++) {
      builder.set(firstRow + k, group, ends[k] as number, labels[k] as 0 | 1, baselines[k]);
    }
  }
  return builder.finish();
}

/** Options of {@link artefactWindows}. */
export interface ArtefactWindowsOptions {
  /** The features (default `ARTEFACT_FEATURES`). */
  readonly features?: WindowFeatureSpec;
  /** Skip measurements within this long of a patient's first one (default 0). */
  readonly warmupMs?: number;
}

/**
 * The sensor-artefact dataset: one window per measurement, ending at it (so its readings are the
 * latest in the window), labelled 1 when a sensor fault spoiled that measurement.
 *
 * @throws {RangeError} for a bad option.
 */
export function artefactWindows(
  series: ReadonlyMap<string, PatientSeries>,
  measurements: ReadonlyMap<string, MeasurementTimeline>,
  options: ArtefactWindowsOptions = {},
): LabelledDataset {
  const features = options.features ?? ARTEFACT_FEATURES;
  const warmupMs = options.warmupMs ?? 0;
  if (!Number.isFinite(warmupMs) || warmupMs < 0) {
    throw new RangeError(`artefactWindows: warmupMs must be >= 0, got ${warmupMs}`);
  }
  const builder = new DatasetBuilder(features);
  for (const patientId of [...measurements.keys()].sort()) {
    const m = measurements.get(patientId) as MeasurementTimeline;
    if (m.ts.length === 0) continue;
    const start = (m.ts[0] as number) + warmupMs;
    let k0 = 0;
    while (k0 < m.ts.length && (m.ts[k0] as number) < start) k0++;
    const ends = m.ts.subarray(k0);
    if (ends.length === 0) continue;
    const group = builder.patient(patientId);
    const firstRow = builder.reserve(ends.length);
    windowFeatureRows(
      series.get(patientId) ?? emptySeries(patientId),
      ends,
      features,
      builder.featureBuffer,
      firstRow,
    );
    for (let k = 0; k < ends.length; k++) {
      builder.set(firstRow + k, group, ends[k] as number, m.faulty[k0 + k] as 0 | 1);
    }
  }
  return builder.finish();
}
