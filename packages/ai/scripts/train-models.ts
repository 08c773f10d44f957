/**
 * Trains the package's v1 models on a simulated cohort, in TypeScript, and writes them.
 *
 *   npx tsx --conditions @healthit/source packages/ai/scripts/train-models.ts          # (re)train and write
 *   npx tsx --conditions @healthit/source packages/ai/scripts/train-models.ts --check  # exit 1 if a file is stale
 *
 * Writes to `packages/ai/models/`, for each model, `<name>.onnx` (open it in Netron or any ONNX tool)
 * and `<name>.json` (its `TrainedModelSpec`: features with version and units, parameters, training summary,
 * held-out metrics beside NEWS2 alone):
 *
 * - `deterioration-v1-lr`: logistic regression, P(NEWS2 >= 7 within 1 h), `vitals-trend@1.0.0`;
 * - `deterioration-v1-mlp`: the same task, MLP 42-16-1;
 * - `artefact-v1-lr`: logistic regression, P(this measurement is spoiled by a motion artefact or a
 *   flat line), `vitals-artefact@1.0.0`.
 *
 * Everything is seeded, so training is deterministic and `--check` retrains and compares bytes.
 * The JSON is formatted by Biome, as the repository's formatter would.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { auroc, calibrateByScore, evaluateBinary } from '../src/evaluation/metrics.js';
import {
  artefactWindows,
  deteriorationWindows,
  type ExportModelOptions,
  exportModel,
  flatMetrics,
  type LabelledDataset,
  predict,
  splitByPatient,
  type TrainedModel,
  trainLogisticRegression,
  trainMlp,
} from '../src/training/index.js';
import { simulateCohort } from './simulated-cohort.js';

const COHORT = { patients: 400, seed: 2025, hours: 16 } as const;
const SPLIT = { testFraction: 0.3, seed: 2025 } as const;
const DISCLAIMER =
  'Trained on simulated patients only (seeded @healthit/device ward simulator: clinical scenarios, sensor faults). ' +
  'NOT a validated clinical model; not for clinical decisions.';

const check = process.argv.includes('--check');
const modelsDir = new URL('../models/', import.meta.url);

console.log(`simulating ${COHORT.patients} patients × ${COHORT.hours} h (seed ${COHORT.seed}) …`);
const record = simulateCohort(COHORT);

function patientCount(d: LabelledDataset): number {
  return new Set(d.group).size;
}

function describeData(prefix: string, d: LabelledDataset): Record<string, number> {
  return {
    [`${prefix}.windows`]: d.rows,
    [`${prefix}.patients`]: patientCount(d),
    [`${prefix}.positives`]: d.y.reduce((s, y) => s + y, 0),
  };
}

interface Built {
  readonly name: string;
  readonly model: TrainedModel;
  readonly options: ExportModelOptions;
}

const built: Built[] = [];

// Deterioration risk: a window every 5 minutes, label NEWS2 >= 7 within the next hour.
{
  const all = deteriorationWindows(record.series, record.news2, { strideMs: 5 * 60_000 });
  const { train, test } = splitByPatient(all, SPLIT);
  const news2 = test.baseline as Float32Array;
  const news2Rate = calibrateByScore(train.baseline as Float32Array, train.y);
  const baseline = evaluateBinary(Array.from(news2, news2Rate), test.y);
  const baselineMetrics = {
    'baseline.news2.auroc': auroc(news2, test.y),
    'baseline.news2.brier': baseline.brier,
    'baseline.news2.ece': baseline.ece,
  };
  const task = 'P(NEWS2 >= 7 within the next hour), for a patient whose NEWS2 is below 7 now';
  for (const [kind, model] of [
    ['lr', trainLogisticRegression(train)],
    ['mlp', trainMlp(train, { hidden: [16], epochs: 10, seed: 1 })],
  ] as const) {
    const e = evaluateBinary(predict(model, test), test.y);
    console.log(
      `deterioration ${kind}: AUROC ${e.auroc.toFixed(4)} (NEWS2 ${baselineMetrics['baseline.news2.auroc'].toFixed(4)}), Brier ${e.brier.toFixed(4)}, ECE ${e.ece.toFixed(4)}`,
    );
    built.push({
      name: `deterioration-v1-${kind}`,
      model,
      options: {
        id: kind === 'lr' ? 'deterioration-risk' : 'deterioration-risk-mlp',
        version: '1.0.0',
        task,
        description: `${kind === 'lr' ? 'Logistic regression' : 'MLP 42-16-1'} over one hour of windowed vital signs (vitals-trend@1.0.0). ${DISCLAIMER}`,
        metrics: {
          ...flatMetrics('heldOut', e),
          ...baselineMetrics,
          ...describeData('train', train),
          ...describeData('heldOut', test),
        },
      },
    });
  }
}

// Sensor artefacts: one window per measurement of the first 200 patients.
{
  const ids = new Set([...record.measurements.keys()].sort().slice(0, 200));
  const all = artefactWindows(record.series, new Map([...record.measurements].filter(([p]) => ids.has(p))));
  const { train, test } = splitByPatient(all, SPLIT);
  const model = trainLogisticRegression(train);
  const e = evaluateBinary(predict(model, test), test.y);
  console.log(
    `artefact lr: AUROC ${e.auroc.toFixed(4)}, Brier ${e.brier.toFixed(4)}, ECE ${e.ece.toFixed(4)}`,
  );
  built.push({
    name: 'artefact-v1-lr',
    model,
    options: {
      id: 'sensor-artefact',
      version: '1.0.0',
      task: 'P(the latest measurement is spoiled by a motion artefact or a flat line (stuck sensor))',
      description: `Logistic regression over the last ten minutes of vital signs (vitals-artefact@1.0.0). ${DISCLAIMER}`,
      metrics: {
        ...flatMetrics('heldOut', e),
        ...describeData('train', train),
        ...describeData('heldOut', test),
      },
    },
  });
}

/** JSON as Biome formats it (the repository's formatter), so regenerating is a no-op for the linter. */
function biomeJson(value: unknown, path: string): Uint8Array {
  const text = execFileSync('npx', ['biome', 'format', `--stdin-file-path=${path}`], {
    input: `${JSON.stringify(value, null, 2)}\n`,
    encoding: 'utf8',
  });
  return new TextEncoder().encode(text);
}

async function readOrEmpty(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch {
    return new Uint8Array(0);
  }
}

let stale = 0;
for (const { name, model, options } of built) {
  const { artifact, spec } = exportModel(model, options);
  const onnxPath = fileURLToPath(new URL(`${name}.onnx`, modelsDir));
  const jsonPath = fileURLToPath(new URL(`${name}.json`, modelsDir));
  for (const [path, content] of [
    [onnxPath, artifact.bytes],
    [jsonPath, biomeJson(spec, jsonPath)],
  ] as const) {
    const current = await readOrEmpty(path);
    if (current.length === content.length && current.every((b, i) => b === content[i])) {
      console.log(`up to date  ${path} (${content.length} bytes)`);
    } else if (check) {
      stale++;
      console.error(`stale       ${path}: run packages/ai/scripts/train-models.ts`);
    } else {
      await writeFile(path, content);
      console.log(`wrote       ${path} (${content.length} bytes)`);
    }
  }
}
process.exitCode = stale === 0 ? 0 : 1;
