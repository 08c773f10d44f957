import { z } from 'zod';
import { ModelId, ModelVersion } from '../artifacts/manifest.js';

/** What a monitor watches: accuracy against delayed labels, input drift, prediction drift. */
export const ALARM_KINDS = ['accuracy', 'input-drift', 'prediction-drift'] as const;
/** One of {@link ALARM_KINDS}. */
export type AlarmKind = (typeof ALARM_KINDS)[number];

const nonNegativeInt = z.number().int().nonnegative();
const epochMs = z.number().int().nonnegative();

/** Rolling accuracy crossed its threshold: AUROC too low or Brier score too high. */
export const AccuracyFinding = z.strictObject({
  kind: z.literal('accuracy'),
  /** Rolling AUROC over the labelled window (null when the window holds one class only). */
  auroc: z.number().min(0).max(1).nullable(),
  brier: z.number().min(0).max(1),
  /** The thresholds in force. */
  minAuroc: z.number().min(0).max(1),
  maxBrier: z.number().min(0).max(1),
  labelled: nonNegativeInt,
  positives: nonNegativeInt,
});
export type AccuracyFinding = z.infer<typeof AccuracyFinding>;

/** Input drift: enough features' population stability index crossed the threshold. */
export const InputDriftFinding = z.strictObject({
  kind: z.literal('input-drift'),
  threshold: z.number().positive(),
  /** Features at or over the threshold. */
  drifted: nonNegativeInt,
  /** The most drifted features (at most 16), highest PSI first. */
  features: z
    .array(z.strictObject({ name: z.string().min(1).max(128), psi: z.number().nonnegative() }))
    .max(16),
  samples: nonNegativeInt,
});
export type InputDriftFinding = z.infer<typeof InputDriftFinding>;

/** Prediction drift: the PSI of the model's scores against its training scores crossed the threshold. */
export const PredictionDriftFinding = z.strictObject({
  kind: z.literal('prediction-drift'),
  threshold: z.number().positive(),
  psi: z.number().nonnegative(),
  samples: nonNegativeInt,
});
export type PredictionDriftFinding = z.infer<typeof PredictionDriftFinding>;

/** What a monitor found. */
export const MonitorFinding = z.discriminatedUnion('kind', [
  AccuracyFinding,
  InputDriftFinding,
  PredictionDriftFinding,
]);
export type MonitorFinding = z.infer<typeof MonitorFinding>;

/**
 * A gateway asks the platform to retrain a model: which model and version, why (the findings over
 * threshold), and the time span of the evidence (data time, epoch ms), so the platform can build a
 * fresh dataset from data at least as recent as the drift. Travels over the uplink: validate it
 * with this schema where it arrives.
 */
export const RetrainRequest = z.strictObject({
  v: z.literal(1),
  /** Unique per gateway and model, e.g. `gw-ward-7/deterioration-risk@1.0.0#1`. */
  requestId: z.string().min(1).max(256),
  gatewayId: z.string().min(1).max(128).optional(),
  modelId: ModelId,
  version: ModelVersion,
  /** When the request was raised (the data time of the observation that crossed), epoch ms. */
  ts: epochMs,
  findings: z.array(MonitorFinding).min(1).max(ALARM_KINDS.length),
  evidence: z.strictObject({
    /** The oldest observation of the windows that crossed, epoch ms. */
    from: epochMs,
    /** The newest, epoch ms. */
    to: epochMs,
    labelled: nonNegativeInt,
    predictions: nonNegativeInt,
  }),
});
export type RetrainRequest = z.infer<typeof RetrainRequest>;
