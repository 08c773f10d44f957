/**
 * `@healthit/ai`: models and model-driven scoring for the Health-IT SDK. Browser-safe: no Node
 * built-ins and no model runtime here; the onnxruntime-web `ModelRuntime` is on `@healthit/ai/onnx`.
 * @packageDocumentation
 */
export {
  isVitalsFeature,
  VITALS_FEATURES,
  type VitalsFeature,
  type VitalsSample,
  vitalsFeatures,
  vitalsTensor,
} from './features/vitals.js';
export { deteriorationModelV0 } from './models/deterioration-v0.js';
export { DETERIORATION_MODEL_V0 } from './models/deterioration-v0-spec.js';
export type { LogisticRegressionSpec } from './models/logistic-regression.js';
export type { RiskScore, ScoreEvent, ScoreEventError, ScoreEventScore } from './scoring/events.js';
export { type ScoreVitalsOptions, scoreVitals } from './scoring/score-vitals.js';
