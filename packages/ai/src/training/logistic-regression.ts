import { sigmoid } from '../models/dense-network.js';
import { fitStandardisation, type LabelledDataset, standardise } from './dataset.js';
import {
  assertTrainable,
  type ClassWeight,
  classWeights,
  nonNegative,
  positiveInteger,
  type TrainedModel,
} from './trained-model.js';

/** Options of {@link trainLogisticRegression}. */
export interface LogisticRegressionOptions {
  /**
   * L2 penalty on the standardised coefficients (not the intercept), added to the weighted mean
   * log loss as `(l2 / 2)·‖β‖²`. Default 1e-4. Keeps the solution unique and finite when the
   * classes separate.
   */
  readonly l2?: number;
  /** Class weighting (default `'none'`); the output is prior-corrected either way. */
  readonly classWeight?: ClassWeight;
  /** Newton iterations at most (default 50). */
  readonly maxIterations?: number;
  /** Stop when no coefficient moves by more than this (default 1e-7). */
  readonly tolerance?: number;
  /** Or when no component of the objective's gradient is larger than this (default 1e-10). */
  readonly gradientTolerance?: number;
  /**
   * Rows the Hessian is computed from while far from the optimum (default 65 536), evenly spaced
   * through the data; the loss and gradient always use every row. Once the loss settles (it falls
   * by less than a millionth, or a step had to be halved) the Hessian uses every row, so the last
   * steps are exact Newton steps. With more rows than this, the early iterations cost O(rows ·
   * columns + hessianRows · columns²) instead of O(rows · columns²).
   */
  readonly hessianRows?: number;
}

/** Solves `A x = b` for symmetric positive-definite `A` (d × d, upper triangle used) by Cholesky. */
function choleskySolve(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const l = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[j * d + i] as number; // upper triangle: A[j][i] with j <= i
      for (let k = 0; k < j; k++) s -= (l[i * d + k] as number) * (l[j * d + k] as number);
      if (i === j) {
        if (!(s > 0))
          throw new RangeError('trainLogisticRegression: the Hessian is not positive definite; raise l2');
        l[i * d + i] = Math.sqrt(s);
      } else {
        l[i * d + j] = s / (l[j * d + j] as number);
      }
    }
  }
  const y = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * d + k] as number) * (y[k] as number);
    y[i] = s / (l[i * d + i] as number);
  }
  const x = new Float64Array(d);
  for (let i = d - 1; i >= 0; i--) {
    let s = y[i] as number;
    for (let k = i + 1; k < d; k++) s -= (l[k * d + i] as number) * (x[k] as number);
    x[i] = s / (l[i * d + i] as number);
  }
  return x;
}

/**
 * Trains an L2-regularised logistic regression by Newton's method (iteratively reweighted least
 * squares) with step halving: deterministic, no learning rate, converges to the unique optimum of
 * the weighted mean log loss + `(l2 / 2)·‖β‖²` on standardised features (`NaN` imputed by the
 * column mean, as the built ONNX graph does). Each iteration is one pass over the rows: the loss
 * and gradient from all of them, the Hessian from `hessianRows` of them until the loss settles,
 * then from all of them.
 *
 * @throws {RangeError} for a dataset without both classes or with infinite values, or a bad option.
 * @example
 * ```ts
 * const model = trainLogisticRegression(train, { l2: 1e-4 });
 * const auroc = evaluateBinary(predict(model, test), test.y).auroc;
 * ```
 */
export function trainLogisticRegression(
  data: LabelledDataset,
  options: LogisticRegressionOptions = {},
): TrainedModel {
  const positives = assertTrainable(data, 'trainLogisticRegression');
  const l2 = nonNegative(options.l2, 1e-4, 'trainLogisticRegression: l2');
  const maxIterations = positiveInteger(options.maxIterations, 50, 'trainLogisticRegression: maxIterations');
  const tolerance = nonNegative(options.tolerance, 1e-7, 'trainLogisticRegression: tolerance');
  const gradientTolerance = nonNegative(
    options.gradientTolerance,
    1e-10,
    'trainLogisticRegression: gradientTolerance',
  );
  const hessianRows = positiveInteger(options.hessianRows, 65_536, 'trainLogisticRegression: hessianRows');
  const classWeight = options.classWeight ?? 'none';
  const [w0, w1] = classWeights(classWeight, data);

  const standardisation = fitStandardisation(data);
  const z = standardise(data, standardisation);
  const f = data.features.columns.length;
  const d = f + 1; // coefficients, then the intercept
  const n = data.rows;
  const totalWeight = w0 * (n - positives) + w1 * positives;
  // While far from the optimum, the Hessian comes from `hessianRows` evenly spaced rows (each
  // standing for n/m rows); once the loss settles, from every row, so the last steps are exact Newton
  // steps (fast, quadratic convergence) whatever the subsample missed (e.g. rare missing-value flags).
  const every = n <= hessianRows ? 1 : n / hessianRows;
  let exact = every === 1;

  const beta = new Float64Array(d);
  const prevalence = (w1 * positives) / totalWeight;
  beta[f] = Math.log(prevalence / (1 - prevalence));
  const grad = new Float64Array(d);
  const hess = new Float64Array(d * d);
  // Hessian rows are accumulated four at a time: a quarter of the loads and stores of `hess`.
  const BLOCK = 4;
  const block = new Float64Array(BLOCK * d);
  const blockQ = new Float64Array(BLOCK);
  let blocked = 0;
  const flush = (): void => {
    for (let k = blocked; k < BLOCK; k++) blockQ[k] = 0;
    const q0 = blockQ[0] as number;
    const q1 = blockQ[1] as number;
    const q2 = blockQ[2] as number;
    const q3 = blockQ[3] as number;
    for (let i = 0; i < d; i++) {
      const a0 = q0 * (block[i] as number);
      const a1 = q1 * (block[d + i] as number);
      const a2 = q2 * (block[2 * d + i] as number);
      const a3 = q3 * (block[3 * d + i] as number);
      const row = i * d;
      for (let j = i; j < d; j++) {
        hess[row + j] =
          (hess[row + j] as number) +
          a0 * (block[j] as number) +
          a1 * (block[d + j] as number) +
          a2 * (block[2 * d + j] as number) +
          a3 * (block[3 * d + j] as number);
      }
    }
    blocked = 0;
  };

  /** One pass: the objective at `beta`, its gradient, and its Hessian (upper triangle). */
  const pass = (): number => {
    grad.fill(0);
    hess.fill(0);
    let loss = 0;
    let hessianWeight = 0;
    let nextHessianRow = 0;
    const stride = exact ? 1 : every;
    for (let r = 0; r < n; r++) {
      const o = r * f;
      let eta = beta[f] as number;
      for (let c = 0; c < f; c++) eta += (z[o + c] as number) * (beta[c] as number);
      const y = data.y[r] as number;
      const w = y === 1 ? w1 : w0;
      const p = sigmoid(eta);
      // log(1 + e^η) − yη, stably
      loss += w * ((eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta))) - y * eta);
      const e = w * (p - y);
      for (let c = 0; c < f; c++) grad[c] = (grad[c] as number) + e * (z[o + c] as number);
      grad[f] = (grad[f] as number) + e;
      if (r >= nextHessianRow) {
        nextHessianRow += stride;
        hessianWeight += w;
        const b = blocked * d;
        for (let c = 0; c < f; c++) block[b + c] = z[o + c] as number;
        block[b + f] = 1;
        blockQ[blocked] = w * p * (1 - p);
        if (++blocked === BLOCK) flush();
      }
    }
    if (blocked > 0) flush();
    let penalty = 0;
    for (let i = 0; i < d; i++) {
      grad[i] = (grad[i] as number) / totalWeight;
      for (let j = i; j < d; j++) hess[i * d + j] = (hess[i * d + j] as number) / hessianWeight;
    }
    for (let c = 0; c < f; c++) {
      const b = beta[c] as number;
      penalty += 0.5 * l2 * b * b;
      grad[c] = (grad[c] as number) + l2 * b;
      hess[c * d + c] = (hess[c * d + c] as number) + l2;
    }
    return loss / totalWeight + penalty;
  };

  const history: number[] = [];
  let previous = Number.POSITIVE_INFINITY;
  const accepted = new Float64Array(d);
  let step: Float64Array = new Float64Array(d);
  let scale = 1;
  let halved = false;
  let iterations = 0;
  let converged = false;
  while (iterations < maxIterations) {
    const loss = pass();
    // Rounding makes the loss wobble by ~1e-16 near the optimum: only a real rise halves the step.
    if (loss > previous + 1e-12 * Math.abs(previous) && scale > 1e-6) {
      // The full Newton step overshot: halve it from the last accepted point.
      scale /= 2;
      halved = true;
      for (let i = 0; i < d; i++) beta[i] = (accepted[i] as number) - scale * (step[i] as number);
      continue;
    }
    iterations++;
    history.push(loss);
    accepted.set(beta);
    let steepest = 0;
    for (let i = 0; i < d; i++) steepest = Math.max(steepest, Math.abs(grad[i] as number));
    if (steepest < gradientTolerance) {
      converged = true;
      break;
    }
    step = choleskySolve(hess, grad, d);
    let largest = 0;
    for (let i = 0; i < d; i++) largest = Math.max(largest, Math.abs(step[i] as number));
    if (exact && largest < tolerance) {
      converged = true;
      break;
    }
    if (!exact && (halved || previous - loss <= 1e-6 * Math.abs(loss))) exact = true;
    previous = loss;
    scale = 1;
    halved = false;
    for (let i = 0; i < d; i++) beta[i] = (accepted[i] as number) - (step[i] as number);
  }
  if (!converged) beta.set(accepted); // the last step was never evaluated
  const priorCorrection = Math.log(w1 / w0);
  return {
    kind: 'logistic-regression',
    features: data.features,
    mean: standardisation.mean,
    std: standardisation.std,
    layers: [
      {
        inputs: f,
        outputs: 1,
        weights: Array.from(beta.subarray(0, f)),
        bias: [(beta[f] as number) - priorCorrection],
        activation: 'sigmoid',
      },
    ],
    training: {
      algorithm: 'newton-irls',
      rows: n,
      positives,
      iterations,
      converged,
      loss: history,
      options: { l2, classWeight, maxIterations, tolerance, gradientTolerance, hessianRows },
      priorCorrection,
    },
  };
}
