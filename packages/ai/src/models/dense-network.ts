import type { WindowFeatureSpec } from '../features/window-spec.js';

/** The activation after a dense layer. */
export type Activation = 'relu' | 'sigmoid';

/** One fully connected layer: `activation(input · weights + bias)`. */
export interface DenseLayer {
  /** Values the layer takes: the feature columns for the first layer, else the previous layer's `outputs`. */
  readonly inputs: number;
  /** Values the layer gives: 1 for the last layer (the probability). */
  readonly outputs: number;
  /** Row-major `[inputs, outputs]`: `weights[i * outputs + j]` links input `i` to output `j`. */
  readonly weights: readonly number[];
  /** One bias per output, added after the weights. */
  readonly bias: readonly number[];
  /** Applied to each output: `relu` for hidden layers, `sigmoid` for the last. */
  readonly activation: Activation;
}

/**
 * A feed-forward network over a feature row, as the project builds and trains it:
 *
 * 1. every `NaN` input (an undefined statistic: see `WINDOW_STATISTICS`) is replaced by that
 *    column's `mean` — imputation happens here, declared, not in feature extraction;
 * 2. standardised: `(x − mean) / std`;
 * 3. the `layers` in order; the last has one output and a sigmoid, a probability in `0..1`.
 *
 * One layer is a logistic regression; a ReLU hidden layer before it makes a small MLP. The same
 * numbers drive the ONNX graph (`IsNaN → Where → Sub → Div → (Gemm → Relu)* → Gemm → Sigmoid`)
 * and the plain-TypeScript {@link denseForward}. JSON-safe.
 */
export interface DenseNetworkSpec extends DenseNetworkParameters {
  /** The model's id, as carried by its `ModelArtifact`. */
  readonly id: string;
  /** The model's version. */
  readonly version: string;
  /** What the model is, what it was trained on, and how far it may be trusted. */
  readonly description: string;
  /** Name of the float32 `[N, features.columns.length]` input. */
  readonly inputName: string;
  /** Name of the float32 `[N, 1]` output. */
  readonly outputName: string;
}

/** The numbers of a dense network (see {@link DenseNetworkSpec}): what training produces. */
export interface DenseNetworkParameters {
  /** The features the model was trained on, in input column order, with units and version. */
  readonly features: WindowFeatureSpec;
  /** Per-column training mean: the value a `NaN` input takes, and the centre. */
  readonly mean: readonly number[];
  /** Per-column training spread; every value > 0. */
  readonly std: readonly number[];
  /** The layers, input to output; the last has one output and a sigmoid. One layer is a logistic regression. */
  readonly layers: readonly DenseLayer[];
}

/** `logistic-regression` for one layer, `mlp` for more. */
export function denseNetworkKind(spec: Pick<DenseNetworkSpec, 'layers'>): 'logistic-regression' | 'mlp' {
  return spec.layers.length === 1 ? 'logistic-regression' : 'mlp';
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Checks that a network spec is consistent: one `mean` and `std` per feature column, layer sizes
 * that chain from the columns to one output, finite parameters, positive spreads, a sigmoid last.
 *
 * @throws {RangeError} naming the first inconsistency.
 */
export function assertDenseNetworkSpec(spec: DenseNetworkSpec): void {
  const where = `model ${spec.id}`;
  const n = spec.features.columns.length;
  if (!NAME.test(spec.inputName) || !NAME.test(spec.outputName) || spec.inputName === spec.outputName) {
    throw new RangeError(`${where}: inputName and outputName must be two different identifiers`);
  }
  if (spec.mean.length !== n || spec.std.length !== n) {
    throw new RangeError(
      `${where}: mean and std need one entry per feature column (${n}), got ${spec.mean.length} and ${spec.std.length}`,
    );
  }
  if (!spec.mean.every(Number.isFinite)) throw new RangeError(`${where}: every mean must be finite`);
  if (!spec.std.every((s) => Number.isFinite(s) && s > 0)) {
    throw new RangeError(`${where}: every std must be finite and > 0`);
  }
  if (spec.layers.length === 0) throw new RangeError(`${where}: at least one layer is required`);
  let inputs = n;
  spec.layers.forEach((layer, k) => {
    const at = `${where}: layer ${k}`;
    if (layer.inputs !== inputs)
      throw new RangeError(`${at} takes ${layer.inputs} inputs, expected ${inputs}`);
    if (!Number.isSafeInteger(layer.outputs) || layer.outputs < 1) {
      throw new RangeError(`${at}: outputs must be an integer >= 1`);
    }
    if (layer.weights.length !== layer.inputs * layer.outputs) {
      throw new RangeError(
        `${at}: weights has ${layer.weights.length} entries, expected ${layer.inputs} × ${layer.outputs}`,
      );
    }
    if (layer.bias.length !== layer.outputs) {
      throw new RangeError(`${at}: bias has ${layer.bias.length} entries, expected ${layer.outputs}`);
    }
    if (!layer.weights.every(Number.isFinite) || !layer.bias.every(Number.isFinite)) {
      throw new RangeError(`${at}: every weight and bias must be finite`);
    }
    if (layer.activation !== 'relu' && layer.activation !== 'sigmoid') {
      throw new RangeError(`${at}: activation must be relu or sigmoid`);
    }
    inputs = layer.outputs;
  });
  const last = spec.layers[spec.layers.length - 1] as DenseLayer;
  if (last.outputs !== 1 || last.activation !== 'sigmoid') {
    throw new RangeError(`${where}: the last layer must have one output and a sigmoid`);
  }
  if (spec.layers.slice(0, -1).some((l) => l.activation !== 'relu')) {
    throw new RangeError(`${where}: hidden layers must use relu`);
  }
}

/** The logistic function, stable for large |z|. */
export function sigmoid(z: number): number {
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/**
 * The network's output for `rows` feature rows (row-major in `x`, `NaN` allowed), computed in
 * double precision: the reference the ONNX graph is tested against, and what training and
 * evaluation use.
 *
 * @throws {RangeError} when `x` does not hold `rows` rows of the spec's width.
 */
export function denseForward(spec: DenseNetworkParameters, x: ArrayLike<number>, rows: number): Float64Array {
  const n = spec.features.columns.length;
  if (!Number.isSafeInteger(rows) || rows < 0 || x.length !== rows * n) {
    throw new RangeError(`denseForward: expected ${rows} rows of ${n} columns, got ${x.length} values`);
  }
  const out = new Float64Array(rows);
  const widest = Math.max(n, ...spec.layers.map((l) => l.outputs));
  let a = new Float64Array(widest);
  let b = new Float64Array(widest);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < n; i++) {
      const v = x[r * n + i] as number;
      const m = spec.mean[i] as number;
      a[i] = ((Number.isNaN(v) ? m : v) - m) / (spec.std[i] as number);
    }
    for (const layer of spec.layers) {
      const { inputs, outputs, weights, bias } = layer;
      for (let j = 0; j < outputs; j++) {
        let s = bias[j] as number;
        for (let i = 0; i < inputs; i++) s += (a[i] as number) * (weights[i * outputs + j] as number);
        b[j] = layer.activation === 'relu' ? Math.max(0, s) : sigmoid(s);
      }
      const t = a;
      a = b;
      b = t;
    }
    out[r] = a[0] as number;
  }
  return out;
}
