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
  readonly id: string;
  readonly version: string;
  readonly format: 'onnx';
  readonly kind: 'logistic-regression' | 'mlp';
  /** What the output means, e.g. `P(NEWS2 >= 7 within 1 h)`. */
  readonly task: string;
  readonly description: string;
  readonly input: { readonly name: string; readonly type: 'float32'; readonly dims: readonly ['N', number] };
  readonly output: { readonly name: string; readonly type: 'float32'; readonly dims: readonly ['N', 1] };
  readonly features: WindowFeatureSpec;
  readonly parameters: {
    readonly mean: readonly number[];
    readonly std: readonly number[];
    readonly layers: readonly DenseLayer[];
  };
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
