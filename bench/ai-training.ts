/**
 * Training in TypeScript (issue 8): the deterioration-risk model on 1 M windows of simulated
 * patients, and the sensor-artefact detector, each evaluated on held-out patients against NEWS2
 * alone. Prints figures (wall time, windows/s, AUROC, Brier, ECE); not part of `npm run bench`
 * (it simulates ~2 M patient-minutes first).
 *
 *   npx tsx --conditions @healthit/source bench/ai-training.ts [--train-windows 1000000] [--mlp-epochs 2]
 *
 * Stages: simulate the cohort (`packages/ai/scripts/simulated-cohort.ts`: the ward simulator with
 * scenarios and sensor faults, NEWS2 of the true state from the gateway's chart) → windowed features
 * every minute (`deteriorationWindows`) → split by patient → train (Newton/IRLS logistic regression;
 * Adam MLP) → evaluate on the held-out patients.
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { simulateCohort } from '../packages/ai/scripts/simulated-cohort.js';
import {
  auroc,
  type BinaryEvaluation,
  calibrateByScore,
  evaluateBinary,
} from '../packages/ai/src/evaluation/metrics.js';
import {
  artefactWindows,
  deteriorationWindows,
  exportModel,
  type LabelledDataset,
  predict,
  selectRows,
  splitByPatient,
  type TrainedModel,
  trainLogisticRegression,
  trainMlp,
} from '../packages/ai/src/training/index.js';
import { against, type Figure, median, printFigures } from './measure.js';

/** Trainings from scratch per model; the figures are their medians (the IRLS ceiling runs once). */
const TRAIN_RUNS = 3;

const { values } = parseArgs({
  options: {
    'train-windows': { type: 'string', default: '1000000' },
    'mlp-epochs': { type: 'string', default: '2' },
    'artefact-patients': { type: 'string', default: '300' },
    seed: { type: 'string', default: '2026' },
  },
});
const TRAIN_WINDOWS = Number(values['train-windows']);
const MLP_EPOCHS = Number(values['mlp-epochs']);
const ARTEFACT_PATIENTS = Number(values['artefact-patients']);
const SEED = Number(values.seed);
const HOURS = 16;
/** Windows a patient contributes: one a minute from hour 1 to hour 15, less those already at NEWS2 >= 7. */
const WINDOWS_PER_PATIENT = 0.9 * (HOURS - 2) * 60;
const TEST_FRACTION = 0.3;

function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

function evaluationFigures(name: string, e: BinaryEvaluation): Figure[] {
  return [
    { name: `${name}: AUROC`, value: e.auroc, unit: '' },
    { name: `${name}: Brier score`, value: e.brier, unit: '', note: `skill ${e.brierSkill.toFixed(3)}` },
    { name: `${name}: expected calibration error (10 bins)`, value: e.ece, unit: '' },
  ];
}

/**
 * The ceiling of Newton/IRLS logistic regression: `iterations` bare passes over the same rows, each
 * accumulating the gradient and the upper triangle of the Hessian (XᵀWX with an intercept) in plain
 * Float64Arrays, with no line search, standardisation or solve. Returns seconds.
 */
function bareIrlsSeconds(data: LabelledDataset, iterations: number): number {
  const d = data.features.columns.length;
  const k = d + 1;
  const w = new Float64Array(k);
  const t0 = performance.now();
  for (let it = 0; it < iterations; it++) {
    const g = new Float64Array(k);
    const h = new Float64Array(k * k);
    const row = new Float64Array(k);
    for (let r = 0; r < data.rows; r++) {
      row[0] = 1;
      for (let j = 0; j < d; j++) row[j + 1] = data.x[r * d + j] as number;
      let z = 0;
      for (let j = 0; j < k; j++) z += (w[j] as number) * (row[j] as number);
      const p = 1 / (1 + Math.exp(-z));
      const e = p - (data.y[r] as number);
      const v = p * (1 - p);
      for (let i = 0; i < k; i++) {
        const ri = row[i] as number;
        g[i] = (g[i] as number) + e * ri;
        const vri = v * ri;
        for (let j = i; j < k; j++) h[i * k + j] = (h[i * k + j] as number) + vri * (row[j] as number);
      }
    }
    for (let j = 0; j < k; j++) w[j] = (w[j] as number) - (g[j] as number) / data.rows;
  }
  return seconds(t0);
}

function train(
  name: string,
  data: LabelledDataset,
  trainer: (d: LabelledDataset) => TrainedModel,
  figures: Figure[],
): TrainedModel {
  // The median of TRAIN_RUNS trainings from scratch (the model of the last is kept).
  const times: number[] = [];
  let model: TrainedModel | undefined;
  for (let run = 0; run < TRAIN_RUNS; run++) {
    const t0 = performance.now();
    model = trainer(data);
    times.push(seconds(t0));
  }
  if (model === undefined) throw new Error('bench: no training run');
  const s = median(times);
  const irls = model.training.algorithm !== 'adam';
  const bare = irls ? bareIrlsSeconds(data, model.training.iterations) : undefined;
  figures.push(
    {
      name: `${name}: training wall time, ${data.rows.toLocaleString('en-US')} windows`,
      value: s,
      unit: 's',
    },
    {
      name: `${name}: training throughput`,
      value: data.rows / s,
      unit: 'windows/s',
      runs: TRAIN_RUNS,
      note: `${model.training.algorithm}, ${model.training.iterations} ${model.training.algorithm === 'adam' ? 'epochs' : 'iterations'}`,
      ...(bare === undefined
        ? {}
        : against(
            data.rows / s,
            'windows/s',
            'the same number of bare IRLS passes (gradient + XᵀWX) over the same rows',
            data.rows / bare,
          )),
    },
  );
  return model;
}

console.log(
  `AI training · node ${process.version} · ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length} · seed ${SEED}`,
);

// 1. The cohort.
const patients = Math.ceil(TRAIN_WINDOWS / ((1 - TEST_FRACTION) * WINDOWS_PER_PATIENT) / 0.97);
let t0 = performance.now();
const record = simulateCohort({ patients, seed: SEED, hours: HOURS });
const simulated = seconds(t0);
const data: Figure[] = [
  {
    name: `simulate ${patients} patients × ${HOURS} h (one set of vitals a minute)`,
    value: simulated,
    unit: 's',
  },
  { name: 'readings delivered', value: record.counts.accepted, unit: 'readings' },
];

// 2. Deterioration windows, every minute; split by patient.
t0 = performance.now();
const windows = deteriorationWindows(record.series, record.news2, { strideMs: 60_000 });
const extracted = seconds(t0);
data.push(
  {
    name: 'deterioration windows (features: 6 vitals × 7 statistics over 1 h)',
    value: windows.rows,
    unit: 'windows',
  },
  { name: 'feature extraction throughput', value: windows.rows / extracted, unit: 'windows/s' },
);
const split = splitByPatient(windows, { testFraction: TEST_FRACTION, seed: SEED });
const trainSet = selectRows(
  split.train,
  Uint32Array.from({ length: Math.min(TRAIN_WINDOWS, split.train.rows) }, (_, i) => i),
);
const testSet = split.test;
const positives = (d: LabelledDataset) => d.y.reduce((s, y) => s + y, 0);
data.push(
  {
    name: 'training windows',
    value: trainSet.rows,
    unit: 'windows',
    note: `${positives(trainSet)} positive`,
  },
  {
    name: 'held-out windows',
    value: testSet.rows,
    unit: 'windows',
    note: `${split.testPatients.length} patients, ${positives(testSet)} positive`,
  },
);
printFigures('Simulated cohort and features', data);

// 3. Deterioration risk: NEWS2 alone, logistic regression, MLP.
const det: Figure[] = [];
const news2Rate = calibrateByScore(trainSet.baseline as Float32Array, trainSet.y);
const news2Eval = evaluateBinary(Array.from(testSet.baseline as Float32Array, news2Rate), testSet.y);
det.push({
  name: 'NEWS2 alone (current total): AUROC',
  value: auroc(testSet.baseline as Float32Array, testSet.y),
  unit: '',
});
det.push(...evaluationFigures('NEWS2 alone, as each total’s observed rate', news2Eval).slice(1));
const lr = train('logistic regression', trainSet, (d) => trainLogisticRegression(d), det);
const lrEval = evaluateBinary(predict(lr, testSet), testSet.y);
det.push(...evaluationFigures('logistic regression', lrEval));
const mlp = train(
  'MLP 42-16-1',
  trainSet,
  (d) => trainMlp(d, { hidden: [16], epochs: MLP_EPOCHS, seed: SEED }),
  det,
);
const mlpEval = evaluateBinary(predict(mlp, testSet), testSet.y);
det.push(...evaluationFigures('MLP 42-16-1', mlpEval));
t0 = performance.now();
const exported = exportModel(lr, {
  id: 'deterioration-risk',
  version: 'bench',
  task: 'P(NEWS2 >= 7 within 1 h)',
  description: 'bench',
});
det.push({
  name: 'export to ONNX',
  value: seconds(t0) * 1000,
  unit: 'ms',
  note: `${exported.artifact.bytes.length} bytes`,
});
printFigures(
  `Deterioration risk, P(NEWS2 >= 7 within 1 h), held-out patients (prevalence ${lrEval.prevalence.toFixed(3)})`,
  det,
);

// 4. Sensor-artefact detector on a subset of the patients: one window per measurement.
const subset = new Set([...record.measurements.keys()].sort().slice(0, ARTEFACT_PATIENTS));
const measurements = new Map([...record.measurements].filter(([p]) => subset.has(p)));
const art = artefactWindows(record.series, measurements);
const artSplit = splitByPatient(art, { testFraction: TEST_FRACTION, seed: SEED });
const artFigures: Figure[] = [
  {
    name: 'artefact windows (features: 6 vitals × 7 statistics over 10 min)',
    value: art.rows,
    unit: 'windows',
    note: `${positives(art)} faulty`,
  },
];
const artLr = train(
  'artefact logistic regression',
  artSplit.train,
  (d) => trainLogisticRegression(d),
  artFigures,
);
artFigures.push(
  ...evaluationFigures(
    'artefact logistic regression',
    evaluateBinary(predict(artLr, artSplit.test), artSplit.test.y),
  ),
);
const artMlp = train(
  'artefact MLP 42-16-1',
  artSplit.train,
  (d) => trainMlp(d, { hidden: [16], epochs: 3, seed: SEED }),
  artFigures,
);
artFigures.push(
  ...evaluationFigures(
    'artefact MLP 42-16-1',
    evaluateBinary(predict(artMlp, artSplit.test), artSplit.test.y),
  ),
);
printFigures(`Sensor-artefact detector (motion artefact, flat line), held-out patients`, artFigures);
