import type { HealthItError, PatientId } from '@healthit/core';
import type { VitalsFeature } from '../features/vitals.js';

/** A patient's deterioration risk, computed by a model from the latest reading of each feature. */
export interface RiskScore {
  /** The patient scored (the `patientId` of the readings used). */
  readonly patientId: PatientId;
  /** The model's output, a probability in `0..1`. */
  readonly risk: number;
  /** Epoch ms: the measurement time of the newest reading used (the score describes the patient as of then). */
  readonly ts: number;
  /** The ids of the readings used, in `VITALS_FEATURES` order. */
  readonly readingIds: readonly string[];
  /** The values used, in each feature's canonical unit. */
  readonly features: Readonly<Record<VitalsFeature, number>>;
  /** The `id` of the loaded model that computed the score (e.g. `deterioration-risk`). */
  readonly modelId: string;
  /** The `version` of that model; with `modelId` it names the trained model exactly. */
  readonly modelVersion: string;
}

/** A risk score, on the `scoreVitals` stream. */
export interface ScoreEventScore {
  /** Discriminant of {@link ScoreEvent}: `score` for a computed risk. */
  readonly type: 'score';
  /** The patient's risk score. */
  readonly score: RiskScore;
}

/**
 * A failure on the `scoreVitals` stream; the stream goes on.
 *
 * `error.code` says what happened: `model/run` (a batch could not be scored: every patient of the
 * batch is listed), `state/invalid` (the model was disposed), `units/unsupported` or
 * `validation/invalid` (a reading's value could not be used), `buffer/overflow` (a patient's
 * latest values were evicted because more than `maxPatients` patients were tracked).
 */
export interface ScoreEventError {
  /** Discriminant of {@link ScoreEvent}: `error` for a failure. */
  readonly type: 'error';
  /** What went wrong; its `code` as listed above. */
  readonly error: HealthItError;
  /** The patients concerned. */
  readonly patientIds: readonly PatientId[];
  /** The readings concerned (those of the failed batch, or the unusable reading). */
  readonly readingIds: readonly string[];
}

/** What `scoreVitals` emits: scores and, as values, the failures that did not stop it. */
export type ScoreEvent = ScoreEventScore | ScoreEventError;
