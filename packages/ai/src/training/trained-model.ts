import { type DenseNetworkParameters, denseForward } from '../models/dense-network.js';
import type { LabelledDataset } from './dataset.js';

/** How the classes are weighted in the training loss. */
export type ClassWeight =
  /** Every row counts 1. */
  | 'none'
  /** Each class counts as much as the other in total: `rows / (2 · rows of the class)`. */
  | 'balanced'
  | {
      /** Weight of each positive row (label 1): a finite number > 0. */
      readonly positive: number;
      /** Weight of each negative row (label 0): a finite number > 0. */
      readonly negative: number;
    };

/** What a trainer did. */
export interface TrainingSummary {
  /**
   * `newton-irls`: Newton's method / iteratively reweighted least squares (logistic regression);
   * `adam`: mini-batch Adam (MLP).
   */
  readonly algorithm: 'newton-irls' | 'adam';
  /** Training rows used. */
  readonly rows: number;
  /** Training rows labelled 1. */
  readonly positives: number;
  /** Newton iterations or epochs run. */
  readonly iterations: number;
  /** True when Newton met its tolerance (always true for Adam, which runs its epochs). */
  readonly converged: boolean;
  /** Training objective (weighted mean log loss + L2 penalty) after each iteration or epoch. */
  readonly loss: readonly number[];
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Record<string, unknown>>;
  /**
   * The log-odds subtracted from the output bias to undo class weighting (prior correction), so
   * the output stays a probability on the data's own base rate; 0 without weighting.
   */
  readonly priorCorrection: number;
}

/** A trained logistic regression or MLP: its parameters and how it was trained. */
export interface TrainedModel extends DenseNetworkParameters {
  /** `logistic-regression` (from `trainLogisticRegression`, one layer) or `mlp` (from `trainMlp`). */
  readonly kind: 'logistic-regression' | 'mlp';
  /** How it was trained: algorithm, rows, positives, iterations, loss curve, options. */
  readonly training: TrainingSummary;
}

/**
 * The model's probabilities for every row of `data` (pure TypeScript, double precision; the ONNX
 * graph built from the model computes the same in float32).
 */
export function predict(
  model: DenseNetworkParameters,
  data: Pick<LabelledDataset, 'x' | 'rows'>,
): Float64Array {
  return denseForward(model, data.x, data.rows);
}

/** The per-class weights of `classWeight` for `data` (`[negative, positive]`). */
export function classWeights(
  classWeight: ClassWeight,
  data: Pick<LabelledDataset, 'y' | 'rows'>,
): readonly [number, number] {
  if (classWeight === 'none') return [1, 1];
  if (classWeight === 'balanced') {
    let positives = 0;
    for (let i = 0; i < data.rows; i++) positives += data.y[i] as number;
    const negatives = data.rows - positives;
    return [data.rows / (2 * negatives), data.rows / (2 * positives)];
  }
  const { negative, positive } = classWeight;
  if (!(negative > 0 && Number.isFinite(negative) && positive > 0 && Number.isFinite(positive))) {
    throw new RangeError('classWeight: positive and negative must be finite numbers > 0');
  }
  return [negative, positive];
}

/** Checks a dataset can be trained on: rows, both classes, columns of the spec. */
export function assertTrainable(data: LabelledDataset, what: string): number {
  const width = data.features.columns.length;
  if (data.x.length !== data.rows * width || data.y.length !== data.rows) {
    throw new RangeError(`${what}: the dataset's arrays do not hold ${data.rows} rows of ${width} columns`);
  }
  let positives = 0;
  for (let i = 0; i < data.rows; i++) {
    const y = data.y[i] as number;
    if (y !== 0 && y !== 1) throw new RangeError(`${what}: label of row ${i} is ${y}, expected 0 or 1`);
    positives += y;
  }
  if (positives === 0 || positives === data.rows) {
    throw new RangeError(
      `${what}: the training rows need both classes, got ${positives} positives in ${data.rows} rows`,
    );
  }
  for (let i = 0; i < data.x.length; i++) {
    const v = data.x[i] as number;
    if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
      throw new RangeError(`${what}: feature value ${i % width} of row ${Math.floor(i / width)} is infinite`);
    }
  }
  return positives;
}

/** A non-negative finite option, or its default. */
export function nonNegative(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${what} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

/** A positive integer option, or its default. */
export function positiveInteger(value: number | undefined, fallback: number, what: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1)
    throw new RangeError(`${what} must be an integer >= 1, got ${String(v)}`);
  return v;
}
