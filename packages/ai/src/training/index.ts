/**
 * `@healthit/ai/training`: training in TypeScript, for the platform — datasets of windowed features
 * (from simulated patients or warehouse rows), split by patient; logistic regression (Newton/IRLS)
 * and a small MLP (Adam); export of a trained model as ONNX bytes and its spec. Writes ONNX with
 * `onnx-proto` (protobufjs), which is why it is not on the root entry.
 * @packageDocumentation
 */
export {
  buildDenseNetworkOnnx,
  DENSE_NETWORK_METADATA,
  DENSE_NETWORK_OPSET,
  readOnnxMetadata,
} from '../models/build-dense-network.js';
export {
  DatasetBuilder,
  datasetFromRows,
  fitStandardisation,
  type LabelledDataset,
  type Standardisation,
  selectRows,
  splitByPatient,
  standardise,
  type TrainingRow,
} from './dataset.js';
export { type DeclaredModelSpec, type ExportModelOptions, exportModel, flatMetrics } from './export-model.js';
export { type LogisticRegressionOptions, trainLogisticRegression } from './logistic-regression.js';
export { type MlpOptions, trainMlp } from './mlp.js';
export { type Random, seededRandom } from './random.js';
export {
  type MeasurementTimeline,
  type News2Observation,
  news2Observation,
  type RecordSimulationOptions,
  recordSimulation,
  type SampleLike,
  type ScoreTimeline,
  type SimulationRecord,
  scoreTimelines,
  type TickLike,
  type TruthLike,
} from './simulation.js';
export {
  type ClassWeight,
  classWeights,
  predict,
  type TrainedModel,
  type TrainingSummary,
} from './trained-model.js';
export {
  type ArtefactWindowsOptions,
  artefactWindows,
  type DeteriorationWindowsOptions,
  deteriorationWindows,
} from './windows.js';
