import { parseWindowFeatures, type WindowFeatureSpec } from '../features/window-spec.js';
import type { TrainingSummary } from '../training/trained-model.js';
import { assertDenseNetworkSpec, type DenseLayer, type DenseNetworkSpec } from './dense-network.js';

/**
 * Everything about a built model except its bytes, JSON-safe: what it computes, what it must be fed
 * (the feature spec, with version and units), how it was trained, how well it did, and its
 * parameters (so the model can be re-run in plain TypeScript and its ONNX rebuilt). What a signed
 * model artifact carries next to the bytes.
 */
export interface TrainedModelSpec {
  /** The model's id, stable across versions (e.g. `deterioration-risk`), as its artifact carries it. */
  readonly id: string;
  /** The model's version (e.g. `1.0.0`); with `id` it names one trained model. */
  readonly version: string;
  /** The serialisation of the model's bytes: always ONNX. */
  readonly format: 'onnx';
  /** `logistic-regression` (one dense layer) or `mlp` (ReLU hidden layers before the sigmoid output). */
  readonly kind: 'logistic-regression' | 'mlp';
  /** What the output means, e.g. `P(NEWS2 >= 7 within 1 h)`. */
  readonly task: string;
  /** What the model is, what it was trained on, and how far it may be trusted. */
  readonly description: string;
  /** The graph's input: its name and a float32 `[N, columns]` shape, one row of `features` per scored window. */
  readonly input: { readonly name: string; readonly type: 'float32'; readonly dims: readonly ['N', number] };
  /** The graph's output: its name and a float32 `[N, 1]` shape, one probability in [0, 1] per row. */
  readonly output: { readonly name: string; readonly type: 'float32'; readonly dims: readonly ['N', 1] };
  /** The feature spec the model was trained on (columns in input order, with units and version). */
  readonly features: WindowFeatureSpec;
  /**
   * The network's numbers: per-column training `mean` (also the value a `NaN` input takes) and
   * `std`, and the dense `layers` (see {@link DenseNetworkParameters}).
   */
  readonly parameters: {
    readonly mean: readonly number[];
    readonly std: readonly number[];
    readonly layers: readonly DenseLayer[];
  };
  /** How it was trained: algorithm, rows, positives, iterations, loss curve, options. */
  readonly training: TrainingSummary;
  /** Flat, JSON-safe figures (e.g. `heldOut.auroc`, `baseline.auroc`), for comparing versions. */
  readonly metrics: Readonly<Record<string, number>>;
}

/**
 * The network of a {@link TrainedModelSpec} read back from JSON, checked: its feature spec rebuilt and
 * compared ({@link parseWindowFeatures}) and its parameters checked for consistency.
 *
 * @throws {TypeError} when `value` is not a model spec object.
 * @throws {RangeError} for an inconsistent feature spec or parameters.
 */
export function networkFromTrainedSpec(value: unknown): DenseNetworkSpec {
  if (typeof value !== 'object' || value === null) throw new TypeError('model spec: expected an object');
  const v = value as Partial<TrainedModelSpec>;
  if (v.format !== 'onnx' || typeof v.parameters !== 'object' || v.parameters === null) {
    throw new TypeError('model spec: expected format "onnx" and parameters');
  }
  const network: DenseNetworkSpec = {
    id: String(v.id),
    version: String(v.version),
    description: String(v.description),
    inputName: String(v.input?.name),
    outputName: String(v.output?.name),
    features: parseWindowFeatures(v.features),
    mean: v.parameters.mean,
    std: v.parameters.std,
    layers: v.parameters.layers,
  };
  assertDenseNetworkSpec(network);
  return network;
}
