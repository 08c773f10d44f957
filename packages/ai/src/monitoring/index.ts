/**
 * Monitoring of a deployed model at the edge: rolling accuracy against delayed labels (AUROC,
 * Brier), input drift (population stability index per feature against the training data's
 * histograms, shipped as a signed reference profile) and prediction drift; thresholds raise alarms
 * and typed retrain requests for the platform. Browser-safe.
 * @module
 */
export {
  binCount,
  binOf,
  DriftWindow,
  type Histogram,
  MAX_HISTOGRAM_EDGES,
  PSI_EPSILON,
  populationStabilityIndex,
  quantileHistogram,
  shares,
} from './histogram.js';
export {
  type AccuracyStatus,
  createModelMonitor,
  DROP_REASONS,
  type DropReason,
  type InputDriftStatus,
  LabelObservation,
  type ModelMonitor,
  type ModelMonitorOptions,
  type MonitorAlarm,
  type MonitorEvent,
  type MonitoredVersionStatus,
  type MonitorInput,
  type MonitorReport,
  type MonitorThresholds,
  monitorModel,
  type PredictionObservation,
} from './monitor.js';
export {
  type BuildReferenceProfileOptions,
  buildReferenceProfile,
  HistogramSchema,
  type ProfileRefusal,
  ProfileVerificationError,
  REFERENCE_PROFILE_DOMAIN,
  type ReferenceData,
  ReferenceProfile,
  SignedReferenceProfile,
  signReferenceProfile,
  verifyReferenceProfile,
} from './reference-profile.js';
export {
  AccuracyFinding,
  ALARM_KINDS,
  type AlarmKind,
  InputDriftFinding,
  MonitorFinding,
  PredictionDriftFinding,
  RetrainRequest,
} from './retrain-request.js';
