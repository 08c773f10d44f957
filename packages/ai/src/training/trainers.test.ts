import { describe, expect, it } from 'vitest';
import { auroc } from '../evaluation/metrics.js';
import { defineWindowFeatures } from '../features/window-spec.js';
import type { DenseLayer } from '../models/dense-network.js';
import { datasetFromRows, fitStandardisation, type LabelledDataset, standardise } from './dataset.js';
import { trainLogisticRegression } from './logistic-regression.js';
import { trainMlp } from './mlp.js';
import { seededRandom } from './random.js';
import { predict, type TrainedModel } from './trained-model.js';

const TWO = defineWindowFeatures({
  name: 'two',
  version: '1',
  windowMs: 60_000,
  signals: ['heart-rate'],
  statistics: ['last', 'mean'],
});

/** Rows from a known logistic model: logit = 0.5 + 1.5·x1 − 2·x2, x ~ N((10, −3), (2, 0.5)²); some x2 missing. */
function logisticData(n: number, seed: number): LabelledDataset {
  const random = seededRandom(seed);
  return datasetFromRows(
    Array.from({ length: n }, (_, i) => {
      const x1 = 10 + 2 * random.normal();
      const x2 = -3 + 0.5 * random.normal();
      const logit = 0.5 + 1.5 * (x1 - 10) - 2 * (x2 + 3);
      const y = random.uniform() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
      return {
        patientId: `p${i % 50}`,
        ts: i,
        features: [x1, i % 97 === 0 ? Number.NaN : x2],
        label: y as 0 | 1,
      };
    }),
    TWO,
  );
}

/** The gradient of the training objective at the model's parameters (standardised scale). */
function gradient(model: TrainedModel, data: LabelledDataset, l2: number): number[] {
  const layer = model.layers[0] as DenseLayer;
  const z = standardise(data, fitStandardisation(data));
  const p = predict(model, data);
  const g = [0, 0, 0];
  for (let r = 0; r < data.rows; r++) {
    const e = (p[r] as number) - (data.y[r] as number);
    g[0] = (g[0] as number) + e * (z[2 * r] as number);
    g[1] = (g[1] as number) + e * (z[2 * r + 1] as number);
    g[2] = (g[2] as number) + e;
  }
  return [
    (g[0] as number) / data.rows + l2 * (layer.weights[0] as number),
    (g[1] as number) / data.rows + l2 * (layer.weights[1] as number),
    (g[2] as number) / data.rows,
  ];
}

/** Coefficients on the original scale: [intercept, x1, x2]. */
function rawCoefficients(model: TrainedModel): number[] {
  const layer = model.layers[0] as DenseLayer;
  const w = layer.weights.map((wi, i) => wi / (model.std[i] as number));
  const b = (layer.bias[0] as number) - w.reduce((s, wi, i) => s + wi * (model.mean[i] as number), 0);
  return [b, ...w];
}

describe('trainLogisticRegression', () => {
  const data = logisticData(20_000, 1);

  it('stops at the optimum: the gradient of the objective is zero, so the mean prediction is the base rate', () => {
    const model = trainLogisticRegression(data, { l2: 1e-3 });
    expect(model.training).toMatchObject({ algorithm: 'newton-irls', converged: true, rows: 20_000 });
    for (const g of gradient(model, data, 1e-3)) expect(Math.abs(g)).toBeLessThan(1e-6);
    const loss = model.training.loss;
    loss.slice(1).forEach((l, i) => {
      expect(l).toBeLessThanOrEqual((loss[i] as number) + 1e-15);
    });
  });

  it('recovers the coefficients of the model that generated the data', () => {
    const [b, w1, w2] = rawCoefficients(trainLogisticRegression(data, { l2: 0 }));
    // True: intercept 0.5 − 1.5·10 − 2·3 = −20.5 on the raw scale; 1.5 and −2 per unit.
    expect(w1).toBeCloseTo(1.5, 0);
    expect(Math.abs((w1 as number) - 1.5)).toBeLessThan(0.1);
    expect(Math.abs((w2 as number) + 2)).toBeLessThan(0.15);
    expect(Math.abs((b as number) + 20.5)).toBeLessThan(1.5);
  });

  it('reaches the same optimum with a subsampled Hessian', () => {
    const exact = trainLogisticRegression(data, { l2: 1e-3 });
    const sub = trainLogisticRegression(data, {
      l2: 1e-3,
      hessianRows: 500,
      maxIterations: 200,
      tolerance: 1e-9,
    });
    expect(sub.training.converged).toBe(true);
    const a = exact.layers[0] as DenseLayer;
    const c = sub.layers[0] as DenseLayer;
    a.weights.forEach((w, i) => {
      expect(Math.abs(w - (c.weights[i] as number))).toBeLessThan(1e-6);
    });
    expect(Math.abs((a.bias[0] as number) - (c.bias[0] as number))).toBeLessThan(1e-6);
  });

  it('with balanced class weights, keeps the coefficients and undoes the shift of the intercept (prior correction)', () => {
    const plain = trainLogisticRegression(data, { l2: 0 });
    const weighted = trainLogisticRegression(data, { l2: 0, classWeight: 'balanced' });
    expect(weighted.training.priorCorrection).not.toBe(0);
    const [b0, ...w0] = rawCoefficients(plain);
    const [b1, ...w1] = rawCoefficients(weighted);
    w0.forEach((w, i) => {
      expect(Math.abs(w - (w1[i] as number))).toBeLessThan(0.1);
    });
    expect(Math.abs((b0 as number) - (b1 as number))).toBeLessThan(1.5);
  });

  it('refuses what it cannot train on', () => {
    const oneClass = datasetFromRows([{ patientId: 'a', ts: 0, features: [1, 2], label: 1 }], TWO);
    expect(() => trainLogisticRegression(oneClass)).toThrow(/both classes, got 1 positives in 1 rows/);
    expect(() => trainLogisticRegression(data, { l2: -1 })).toThrow(/l2/);
    expect(() => trainLogisticRegression(data, { maxIterations: 0 })).toThrow(/maxIterations/);
    expect(() => trainLogisticRegression(data, { classWeight: { positive: 0, negative: 1 } })).toThrow(
      /classWeight/,
    );
    const infinite = { ...data, x: data.x.map((v, i) => (i === 5 ? Number.POSITIVE_INFINITY : v)) };
    expect(() => trainLogisticRegression(infinite)).toThrow(/infinite/);
  });
});

describe('trainMlp', () => {
  /** XOR: positive when x1 and x2 have the same sign — no linear model can separate it. */
  const random = seededRandom(5);
  const xor = datasetFromRows(
    Array.from({ length: 4000 }, (_, i) => {
      const x1 = 2 * random.uniform() - 1;
      const x2 = 2 * random.uniform() - 1;
      return { patientId: `p${i % 40}`, ts: i, features: [x1, x2], label: (x1 * x2 > 0 ? 1 : 0) as 0 | 1 };
    }),
    TWO,
  );

  it('learns what a logistic regression cannot', () => {
    const mlp = trainMlp(xor, { hidden: [8], epochs: 40, learningRate: 1e-2, seed: 3 });
    const lr = trainLogisticRegression(xor);
    expect(auroc(predict(mlp, xor), xor.y)).toBeGreaterThan(0.97);
    expect(auroc(predict(lr, xor), xor.y)).toBeLessThan(0.6);
    expect(mlp.kind).toBe('mlp');
    expect(mlp.layers.map((l) => [l.inputs, l.outputs, l.activation])).toEqual([
      [2, 8, 'relu'],
      [8, 1, 'sigmoid'],
    ]);
    const loss = mlp.training.loss;
    expect(loss.at(-1)).toBeLessThan((loss[0] as number) / 2);
  });

  it('is deterministic: the same seed gives the same weights bit for bit, another seed others', () => {
    const a = trainMlp(xor, { hidden: [4, 3], epochs: 2, seed: 9 });
    const b = trainMlp(xor, { hidden: [4, 3], epochs: 2, seed: 9 });
    const c = trainMlp(xor, { hidden: [4, 3], epochs: 2, seed: 10 });
    expect(b.layers).toEqual(a.layers);
    expect(c.layers).not.toEqual(a.layers);
    expect(a.layers.map((l) => l.outputs)).toEqual([4, 3, 1]);
  });

  it('refuses bad options', () => {
    expect(() => trainMlp(xor, { hidden: [] })).toThrow(/hidden/);
    expect(() => trainMlp(xor, { hidden: [0] })).toThrow(/hidden\[0\]/);
    expect(() => trainMlp(xor, { epochs: 1.5 })).toThrow(/epochs/);
    expect(() => trainMlp(xor, { learningRate: Number.NaN })).toThrow(/learningRate/);
  });
});
