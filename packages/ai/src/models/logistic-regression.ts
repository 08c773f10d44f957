/**
 * The parameters of a standardised logistic-regression model:
 * `output = sigmoid(((input - mean) / std) · weights + bias)`, one row of `input` per sample.
 *
 * Describes both the ONNX graph the builder writes (`Sub → Div → Gemm → Sigmoid`) and what it
 * computes, so the numbers live in one place.
 */
export interface LogisticRegressionSpec {
  /** The model's id, as carried by its `ModelArtifact`. */
  readonly id: string;
  /** The model's version, as carried by its `ModelArtifact`. */
  readonly version: string;
  /** What the model is and how far it may be trusted; written into the ONNX `doc_string`. */
  readonly description: string;
  /** Name of the float32 `[N, features.length]` input. */
  readonly inputName: string;
  /** Name of the float32 `[N, 1]` output, each value in `0..1`. */
  readonly outputName: string;
  /** Feature names, in input column order. */
  readonly features: readonly string[];
  /** UCUM unit of each feature, in input column order. */
  readonly units: readonly string[];
  /** Per-feature value subtracted before scaling (the population centre). */
  readonly mean: readonly number[];
  /** Per-feature divisor after centring (the population spread); every value > 0. */
  readonly std: readonly number[];
  /** Per-feature coefficient on the standardised value (log-odds per standard deviation). */
  readonly weights: readonly number[];
  /** Intercept: the log-odds of a sample exactly at `mean`. */
  readonly bias: number;
}
