/**
 * `@healthit/ai`: models and model-driven scoring for the Health-IT SDK. Browser-safe: no Node
 * built-ins and no model runtime here; the onnxruntime-web `ModelRuntime` is on `@healthit/ai/onnx`.
 * @packageDocumentation
 */

export {
  type ApproveModelOptions,
  type ArtifactSigner,
  approveModel,
  createModelVerifier,
  Dim,
  digestsEqual,
  FeatureSpec,
  LedgerRef,
  MODEL_APPROVAL_DOMAIN,
  MODEL_APPROVE_RECORD,
  MODEL_ARTIFACT_DOMAIN,
  MODEL_REFUSALS,
  ModelApproval,
  type ModelArtifactInput,
  ModelId,
  ModelManifest,
  ModelMetrics,
  type ModelRefusal,
  ModelSpec,
  type ModelTrust,
  type ModelVerdict,
  ModelVerificationError,
  type ModelVerifier,
  ModelVersion,
  manifestDigest,
  modelApproveRecord,
  SignedManifest,
  type SignedModelArtifact,
  SignedModelArtifactJson,
  SignerRef,
  type SignModelArtifactOptions,
  sha256Hex,
  signedArtifactFromJson,
  signedArtifactToJson,
  signModelArtifact,
  TENSOR_TYPES,
  TensorSpec,
  type TrustedKey,
  type VerifiedModel,
} from './artifacts/index.js';
export {
  auroc,
  type BinaryEvaluation,
  type BinaryLabels,
  brierScore,
  calibrateByScore,
  evaluateBinary,
  expectedCalibrationError,
  logLoss,
  type ReliabilityBin,
  reliabilityBins,
} from './evaluation/metrics.js';
export {
  createFeatureWindows,
  type FeatureWindows,
  type FeatureWindowsOptions,
  type PushOutcome,
} from './features/feature-windows.js';
export {
  type AcceptedReading,
  acceptReading,
  createSeriesBuilder,
  type PatientSeries,
  type ReadingCounts,
  type ReadingLike,
  type ReadingRejection,
  type SeriesBuilder,
  type SignalSeries,
  seriesFromReadings,
} from './features/signal-series.js';
export {
  isVitalsFeature,
  VITALS_FEATURES,
  type VitalsFeature,
  type VitalsSample,
  vitalsFeatures,
  vitalsTensor,
} from './features/vitals.js';
export {
  emptySeries,
  extractWindowFeatures,
  windowFeatureRows,
  windowFeatures,
} from './features/window-features.js';
export {
  ARTEFACT_FEATURES,
  assertWindowFeatures,
  DETERIORATION_FEATURES,
  defineWindowFeatures,
  type FeatureColumn,
  isWindowSignal,
  parseWindowFeatures,
  statisticUnit,
  WINDOW_SIGNALS,
  WINDOW_STATISTICS,
  type WindowFeatureSpec,
  type WindowFeatureSpecInit,
  type WindowSignal,
  type WindowStatistic,
  windowFeatureMismatches,
} from './features/window-spec.js';
export {
  type Float32RowsCodecOptions,
  float32RowsCodec,
  INFERENCE_STAGES,
  type InferenceCodec,
  type InferenceEvent,
  type InferenceFailure,
  InferenceOverflowError,
  type InferenceResult,
  type InferenceStage,
  type InferOptions,
  infer,
  type ModelRef,
  OVERFLOW_POLICIES,
  type OverflowPolicy,
} from './inference/index.js';
export {
  type Activation,
  assertDenseNetworkSpec,
  type DenseLayer,
  type DenseNetworkParameters,
  type DenseNetworkSpec,
  denseForward,
  denseNetworkKind,
} from './models/dense-network.js';
export { deteriorationModelV0 } from './models/deterioration-v0.js';
export { DETERIORATION_MODEL_V0 } from './models/deterioration-v0-spec.js';
export type { LogisticRegressionSpec } from './models/logistic-regression.js';
export { networkFromTrainedSpec, type TrainedModelSpec } from './models/trained-spec.js';
export {
  type Candidate,
  candidateCodec,
  decidePlacement,
  GatewayCapacity,
  ModelProfile,
  PLACEMENTS,
  type Placement,
  PlacementConstraints,
  type PlacementDecision,
  type PlacementEstimates,
  PlacementInfeasibleError,
  type PlacementReason,
  type PlacementRule,
  type ScreenAndForwardOptions,
  type SplitCounts,
  type SplitEvent,
  SplitFacts,
  screenAndForward,
  UplinkFacts,
} from './placement/index.js';
export type { RiskScore, ScoreEvent, ScoreEventError, ScoreEventScore } from './scoring/events.js';
export { type ScoreVitalsOptions, scoreVitals } from './scoring/score-vitals.js';
export type { TrainingSummary } from './training/trained-model.js';
