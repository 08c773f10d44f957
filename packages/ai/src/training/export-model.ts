import type { ModelArtifact } from '@healthit/core';
import type { BinaryEvaluation } from '../evaluation/metrics.js';
import { buildDenseNetworkOnnx } from '../models/build-dense-network.js';
import { assertDenseNetworkSpec, type DenseNetworkSpec } from '../models/dense-network.js';
import type { TrainedModelSpec } from '../models/trained-spec.js';
import type { TrainedModel } from './trained-model.js';

/**
 * What a signed model artifact declares about the model — the shape of the artifact `ModelSpec`
 * (`src/artifacts/spec.ts`) that `signModelArtifact` takes: inputs and outputs, the input's
 * columns with units, and a description naming the feature spec and its version.
 */
export interface DeclaredModelSpec {
  /** The one input: the input name, float32, shape `['N', columns]`. */
  inputs: { name: string; type: 'float32'; shape: (number | string)[] }[];
  /** The one output: the output name, float32, shape `['N', 1]` (a probability per row). */
  outputs: { name: string; type: 'float32'; shape: (number | string)[] }[];
  /** The input's columns in order, name and UCUM unit each (from the feature spec). */
  features: { name: string; unit: string }[];
  /** The model's description, then its task and feature spec (`name@version`, window in ms); at most 4096 characters. */
  description: string;
}

/** What {@link exportModel} needs besides the trained model. */
export interface ExportModelOptions {
  /** The model's id, stable across versions (e.g. `deterioration-risk`); not empty. */
  readonly id: string;
  /** The model's version (e.g. `1.0.0`); not empty. */
  readonly version: string;
  /** What the output means, e.g. `P(NEWS2 >= 7 within 1 h)`; not empty. */
  readonly task: string;
  /** What the model is, what it was trained on, and how far it may be trusted; not empty. */
  readonly description: string;
  /** Default `features`. */
  readonly inputName?: string;
  /** Default `risk`. */
  readonly outputName?: string;
  /** Flat, finite figures to carry in the spec and sign with the model, e.g. from {@link flatMetrics} (default none). */
  readonly metrics?: Readonly<Record<string, number>>;
}

/**
 * Turns a trained model into what deployment needs: the ONNX bytes as a {@link ModelArtifact} (for
 * `ModelRuntime.load`), its {@link TrainedModelSpec} (everything but the bytes, JSON-safe), the
 * {@link DenseNetworkSpec} it was built from, and `signable` — the artifact with its
 * {@link DeclaredModelSpec} and metrics, as `signModelArtifact` takes them. Deterministic.
 *
 * @throws {RangeError} when an option is empty, a metric is not finite, or the parameters are
 *   inconsistent.
 * @example
 * ```ts
 * const { artifact, spec } = exportModel(trained, {
 *   id: 'deterioration-risk', version: '1.0.0', task: 'P(NEWS2 >= 7 within 1 h)',
 *   description: 'Trained on simulated patients; not a validated clinical model.',
 *   metrics: { 'heldOut.auroc': evaluation.auroc },
 * });
 * ```
 */
export function exportModel(
  model: TrainedModel,
  options: ExportModelOptions,
): {
  readonly artifact: ModelArtifact;
  readonly spec: TrainedModelSpec;
  readonly network: DenseNetworkSpec;
  /** Ready for `signModelArtifact`: the artifact, its declared spec and its metrics. */
  readonly signable: {
    readonly artifact: ModelArtifact;
    readonly spec: DeclaredModelSpec;
    readonly metrics: Record<string, number>;
  };
} {
  for (const key of ['id', 'version', 'task', 'description'] as const) {
    if (typeof options[key] !== 'string' || options[key].length === 0) {
      throw new RangeError(`exportModel: ${key} must be a non-empty string`);
    }
  }
  const metrics = options.metrics ?? {};
  for (const [k, v] of Object.entries(metrics)) {
    if (!Number.isFinite(v)) throw new RangeError(`exportModel: metric ${k} must be a finite number`);
  }
  const network: DenseNetworkSpec = {
    id: options.id,
    version: options.version,
    description: options.description,
    inputName: options.inputName ?? 'features',
    outputName: options.outputName ?? 'risk',
    features: model.features,
    mean: model.mean,
    std: model.std,
    layers: model.layers,
  };
  assertDenseNetworkSpec(network);
  const bytes = buildDenseNetworkOnnx(network);
  const spec: TrainedModelSpec = {
    id: network.id,
    version: network.version,
    format: 'onnx',
    kind: model.kind,
    task: options.task,
    description: network.description,
    input: { name: network.inputName, type: 'float32', dims: ['N', model.features.columns.length] },
    output: { name: network.outputName, type: 'float32', dims: ['N', 1] },
    features: model.features,
    parameters: { mean: model.mean, std: model.std, layers: model.layers },
    training: model.training,
    metrics: { ...metrics },
  };
  const f = model.features;
  const declared: DeclaredModelSpec = {
    inputs: [{ name: network.inputName, type: 'float32', shape: ['N', f.columns.length] }],
    outputs: [{ name: network.outputName, type: 'float32', shape: ['N', 1] }],
    features: f.columns.map((c) => ({ name: c.name, unit: c.unit })),
    description: `${network.description} Task: ${options.task}. Features: ${f.name}@${f.version} (window ${f.windowMs} ms; NaN = undefined).`,
  };
  if (declared.description.length > 4096) {
    throw new RangeError('exportModel: description and task must fit in 4096 characters together');
  }
  const artifact: ModelArtifact = { id: network.id, version: network.version, format: 'onnx', bytes };
  return { artifact, spec, network, signable: { artifact, spec: declared, metrics: { ...metrics } } };
}

/**
 * The flat metrics of a held-out evaluation, prefixed (e.g. `heldOut.auroc`, `heldOut.brier`,
 * `heldOut.ece`, `heldOut.n`, `heldOut.positives`), for {@link ExportModelOptions.metrics}.
 */
export function flatMetrics(prefix: string, e: BinaryEvaluation): Record<string, number> {
  return {
    [`${prefix}.n`]: e.n,
    [`${prefix}.positives`]: e.positives,
    [`${prefix}.auroc`]: e.auroc,
    [`${prefix}.brier`]: e.brier,
    [`${prefix}.brierSkill`]: e.brierSkill,
    [`${prefix}.ece`]: e.ece,
    [`${prefix}.logLoss`]: e.logLoss,
  };
}
