import { type DenseLayer, sigmoid } from '../models/dense-network.js';
import { fitStandardisation, type LabelledDataset, standardise } from './dataset.js';
import { seededRandom } from './random.js';
import {
  assertTrainable,
  type ClassWeight,
  classWeights,
  nonNegative,
  positiveInteger,
  type TrainedModel,
} from './trained-model.js';

/** Options of {@link trainMlp}. */
export interface MlpOptions {
  /** Units of each hidden ReLU layer (default `[16]`: one hidden layer of 16). */
  readonly hidden?: readonly number[];
  /** Passes over the training rows (default 10). */
  readonly epochs?: number;
  /** Rows per Adam step (default 256). */
  readonly batchSize?: number;
  /** Adam step size (default 3e-3). */
  readonly learningRate?: number;
  /** L2 penalty on the weights (not biases), `(l2 / 2)·‖W‖²` (default 1e-4). */
  readonly l2?: number;
  /** Class weighting (default `'none'`); the output is prior-corrected either way. */
  readonly classWeight?: ClassWeight;
  /** Seed of the initial weights and of the row order of each epoch (default 1). */
  readonly seed?: number;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-8;

/**
 * Trains a small multilayer perceptron — standardised features (`NaN` imputed by the column mean),
 * ReLU hidden layers, one sigmoid output — on the weighted mean log loss with mini-batch Adam.
 * Deterministic: the same data, options and seed give the same weights, bit for bit (He-normal
 * initial weights and per-epoch shuffles come from the seeded generator; the output bias starts at
 * the base rate's log-odds).
 *
 * @throws {RangeError} for a dataset without both classes or with infinite values, or a bad option.
 * @example
 * ```ts
 * const model = trainMlp(train, { hidden: [16], epochs: 10, seed: 7 });
 * ```
 */
export function trainMlp(data: LabelledDataset, options: MlpOptions = {}): TrainedModel {
  const positives = assertTrainable(data, 'trainMlp');
  const hidden = options.hidden ?? [16];
  if (!Array.isArray(hidden) || hidden.length === 0) {
    throw new RangeError(
      'trainMlp: hidden must list at least one layer size (use trainLogisticRegression for none)',
    );
  }
  for (const [i, h] of hidden.entries()) positiveInteger(h, h, `trainMlp: hidden[${i}]`);
  const epochs = positiveInteger(options.epochs, 10, 'trainMlp: epochs');
  const batchSize = positiveInteger(options.batchSize, 256, 'trainMlp: batchSize');
  const learningRate = nonNegative(options.learningRate, 3e-3, 'trainMlp: learningRate');
  const l2 = nonNegative(options.l2, 1e-4, 'trainMlp: l2');
  const seed = options.seed ?? 1;
  const classWeight = options.classWeight ?? 'none';
  const [w0, w1] = classWeights(classWeight, data);
  const random = seededRandom(seed);

  const standardisation = fitStandardisation(data);
  const z = standardise(data, standardisation);
  const n = data.rows;
  const f = data.features.columns.length;
  const sizes = [f, ...hidden, 1];
  const depth = sizes.length - 1;

  // All parameters in one vector for Adam; per layer, weights stored [out][in] (row j = unit j),
  // then biases.
  const wOffset: number[] = [];
  const bOffset: number[] = [];
  let total = 0;
  for (let l = 0; l < depth; l++) {
    wOffset.push(total);
    total += (sizes[l] as number) * (sizes[l + 1] as number);
    bOffset.push(total);
    total += sizes[l + 1] as number;
  }
  const params = new Float64Array(total);
  const grads = new Float64Array(total);
  const m = new Float64Array(total);
  const s2 = new Float64Array(total);
  const isWeight = new Uint8Array(total);
  for (let l = 0; l < depth; l++) {
    const fanIn = sizes[l] as number;
    const count = fanIn * (sizes[l + 1] as number);
    const sd = l === depth - 1 ? Math.sqrt(1 / fanIn) : Math.sqrt(2 / fanIn);
    for (let k = 0; k < count; k++) {
      params[(wOffset[l] as number) + k] = sd * random.normal();
      isWeight[(wOffset[l] as number) + k] = 1;
    }
  }
  const totalWeight = w0 * (n - positives) + w1 * positives;
  const prevalence = (w1 * positives) / totalWeight;
  params[bOffset[depth - 1] as number] = Math.log(prevalence / (1 - prevalence));

  const acts = sizes.map((size) => new Float64Array(size));
  const deltas = sizes.map((size) => new Float64Array(size));
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const history: number[] = [];
  let t = 0;

  for (let epoch = 0; epoch < epochs; epoch++) {
    random.shuffle(order);
    let epochLoss = 0;
    let epochWeight = 0;
    for (let start = 0; start < n; start += batchSize) {
      const end = Math.min(n, start + batchSize);
      grads.fill(0);
      let batchWeight = 0;
      for (let k = start; k < end; k++) {
        const r = order[k] as number;
        const input = acts[0] as Float64Array;
        const o = r * f;
        for (let c = 0; c < f; c++) input[c] = z[o + c] as number;
        // forward
        let eta = 0;
        for (let l = 0; l < depth; l++) {
          const inputs = sizes[l] as number;
          const outputs = sizes[l + 1] as number;
          const a = acts[l] as Float64Array;
          const next = acts[l + 1] as Float64Array;
          const wo = wOffset[l] as number;
          const bo = bOffset[l] as number;
          for (let j = 0; j < outputs; j++) {
            let sum = params[bo + j] as number;
            const row = wo + j * inputs;
            for (let i = 0; i < inputs; i++) sum += (params[row + i] as number) * (a[i] as number);
            if (l === depth - 1) {
              eta = sum;
              next[j] = sigmoid(sum);
            } else {
              next[j] = Math.max(0, sum);
            }
          }
        }
        const y = data.y[r] as number;
        const w = y === 1 ? w1 : w0;
        const p = (acts[depth] as Float64Array)[0] as number;
        epochLoss += w * ((eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta))) - y * eta);
        batchWeight += w;
        // backward
        (deltas[depth] as Float64Array)[0] = w * (p - y);
        for (let l = depth - 1; l >= 0; l--) {
          const inputs = sizes[l] as number;
          const outputs = sizes[l + 1] as number;
          const a = acts[l] as Float64Array;
          const delta = deltas[l + 1] as Float64Array;
          const back = deltas[l] as Float64Array;
          const wo = wOffset[l] as number;
          const bo = bOffset[l] as number;
          if (l > 0) back.fill(0);
          for (let j = 0; j < outputs; j++) {
            const dj = delta[j] as number;
            if (dj === 0) continue;
            grads[bo + j] = (grads[bo + j] as number) + dj;
            const row = wo + j * inputs;
            for (let i = 0; i < inputs; i++) {
              grads[row + i] = (grads[row + i] as number) + dj * (a[i] as number);
              if (l > 0) back[i] = (back[i] as number) + (params[row + i] as number) * dj;
            }
          }
          if (l > 0) for (let i = 0; i < inputs; i++) if ((a[i] as number) <= 0) back[i] = 0;
        }
      }
      epochWeight += batchWeight;
      // Adam step on the batch's weighted mean loss + L2
      t++;
      const c1 = 1 - BETA1 ** t;
      const c2 = 1 - BETA2 ** t;
      for (let k = 0; k < total; k++) {
        let g = (grads[k] as number) / batchWeight;
        if (isWeight[k] === 1) g += l2 * (params[k] as number);
        const mk = BETA1 * (m[k] as number) + (1 - BETA1) * g;
        const vk = BETA2 * (s2[k] as number) + (1 - BETA2) * g * g;
        m[k] = mk;
        s2[k] = vk;
        params[k] = (params[k] as number) - (learningRate * (mk / c1)) / (Math.sqrt(vk / c2) + EPSILON);
      }
    }
    let penalty = 0;
    for (let k = 0; k < total; k++) if (isWeight[k] === 1) penalty += 0.5 * l2 * (params[k] as number) ** 2;
    history.push(epochLoss / epochWeight + penalty);
  }

  const priorCorrection = Math.log(w1 / w0);
  const layers: DenseLayer[] = [];
  for (let l = 0; l < depth; l++) {
    const inputs = sizes[l] as number;
    const outputs = sizes[l + 1] as number;
    const weights = new Array<number>(inputs * outputs);
    for (let j = 0; j < outputs; j++) {
      for (let i = 0; i < inputs; i++) {
        weights[i * outputs + j] = params[(wOffset[l] as number) + j * inputs + i] as number;
      }
    }
    const bias = Array.from(params.subarray(bOffset[l] as number, (bOffset[l] as number) + outputs));
    if (l === depth - 1) bias[0] = (bias[0] as number) - priorCorrection;
    layers.push({ inputs, outputs, weights, bias, activation: l === depth - 1 ? 'sigmoid' : 'relu' });
  }
  return {
    kind: 'mlp',
    features: data.features,
    mean: standardisation.mean,
    std: standardisation.std,
    layers,
    training: {
      algorithm: 'adam',
      rows: n,
      positives,
      iterations: epochs,
      converged: true,
      loss: history,
      options: { hidden: [...hidden], epochs, batchSize, learningRate, l2, classWeight, seed },
      priorCorrection,
    },
  };
}
