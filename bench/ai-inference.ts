/**
 * Issue 8's inference figures: the `infer` operator beside raw onnxruntime-web `session.run` on the
 * deterioration model (logistic regression, 5 features), one WebAssembly thread.
 *
 * 1. Throughput at the same batch size (1 and 64 rows per run), measured in alternation so that a
 *    slow spell of a shared machine hits the ceiling and the operator alike: raw `session.run` on a
 *    prebuilt tensor (the ceiling), the runtime's `LoadedModel.run` (feeds and outputs checked), and
 *    the operator fed from a synchronous source (rows copied in by the codec, batched, run, decoded,
 *    one event per row, input order kept). Target: operator ≥ 0.8 × raw.
 * 2. Latency the operator adds at 1 000 inferences/s: rows paced at 1 kHz through the operator
 *    (`maxWaitMs: 0`) and, in alternating rounds, straight into `LoadedModel.run`. Reported: p50/p99
 *    from arrival to result for both, and per row the operator's time minus its own run's duration.
 *    Target: p99 added < 1 ms.
 *
 * `npx tsx --conditions=@healthit/source bench/ai-inference.ts` (no build needed), or through
 * `bench/run.ts` after a build.
 */
import type { LoadedModel, Tensor } from '@healthit/core';
import * as ort from 'onnxruntime-web';
import { Observable, Subject, type Subscriber } from 'rxjs';
import { float32RowsCodec } from '../packages/ai/src/inference/codec.js';
import { infer } from '../packages/ai/src/inference/infer.js';
import { deteriorationModelV0 } from '../packages/ai/src/models/deterioration-v0.js';
import { createOnnxRuntime } from '../packages/ai/src/onnx/onnx-runtime.js';
import { mlpRiskModel } from '../packages/ai/test/graphs.js';
import { type Figure, interleavedRates, printFigures } from './measure.js';

type Row = readonly [number, number, number, number, number];

const codec = float32RowsCodec({
  inputName: 'vitals',
  width: 5,
  outputName: 'risk',
  features: (row: Row) => row,
  column: 0,
});

/** The same model's codec for paced samples (a row and its arrival time). */
const sampleCodec = float32RowsCodec({
  inputName: 'vitals',
  width: 5,
  outputName: 'risk',
  features: (s: { row: Row; at: number }) => s.row,
  column: 0,
});

function rows(n: number): Row[] {
  return Array.from({ length: n }, (_, i) => [
    60 + (i % 70),
    12 + (i % 20),
    88 + (i % 12),
    36 + (i % 4) / 2,
    90 + (i % 60),
  ]);
}

function tensorOf(batch: readonly Row[]): Tensor {
  return { type: 'float32', data: Float32Array.from(batch.flat()), dims: [batch.length, 5] };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** Throughput of raw session.run, LoadedModel.run and the operator at one batch size. */
async function throughput(
  label: string,
  model: LoadedModel,
  session: ort.InferenceSession,
  batch: number,
): Promise<Figure[]> {
  const runs = batch === 1 ? 2_000 : 200;
  const items = runs * batch;
  const input = rows(items);
  const prebuilt = tensorOf(input.slice(0, batch));
  const ortFeeds = { vitals: new ort.Tensor('float32', prebuilt.data as Float32Array, [batch, 5]) };
  const runOptions = { logSeverityLevel: 4 as const };
  /**
   * The operator in steady state, as in a long-running pipeline: one subscription per variant for
   * the whole measurement; each round pushes `items` rows into it at once (a backlog, so every run
   * is a full batch) and waits for their `items` events.
   */
  const operator = (concurrency: number, over: LoadedModel = model) => {
    // A plain hot source (a Subject's per-emission bookkeeping is the caller's cost, not the operator's).
    let feed: Subscriber<Row> | undefined;
    const source = new Observable<Row>((subscriber) => {
      feed = subscriber;
    });
    let seen = 0;
    let target = 0;
    let wake: (() => void) | undefined;
    source
      .pipe(
        infer(over, codec, {
          maxBatch: batch,
          maxWaitMs: 5,
          concurrency,
          maxBuffered: items,
          overflow: 'error',
        }),
      )
      .subscribe({
        next(e) {
          if (e.type !== 'result') throw new Error(`operator failed: ${e.error.message}`);
          if (++seen === target) wake?.();
        },
        error(e: unknown) {
          console.error(e);
          process.exit(1);
        },
      });
    return () =>
      new Promise<void>((resolve) => {
        target = seen + items;
        wake = resolve;
        const f = feed as Subscriber<Row>;
        for (let i = 0; i < input.length; i++) f.next(input[i] as Row);
      });
  };
  const r = await interleavedRates(
    25,
    items,
    async () => {
      for (let i = 0; i < runs; i++) await session.run(ortFeeds, runOptions);
    },
    {
      rawBuilding: async () => {
        for (let i = 0; i < runs; i++) {
          const data = new Float32Array(batch * 5);
          for (let j = 0; j < batch; j++) data.set(input[i * batch + j] as Row, j * 5);
          await session.run({ vitals: new ort.Tensor('float32', data, [batch, 5]) }, runOptions);
        }
      },
      loadedModel: async () => {
        for (let i = 0; i < runs; i++) await model.run({ vitals: prebuilt });
      },
      operator: operator(1),
      operator2: operator(2),
      // The operator's own cost: a model that answers at once with a precomputed output.
      operatorAlone: operator(1, {
        ...model,
        run: () =>
          Promise.resolve({ risk: { type: 'float32', data: new Float32Array(batch), dims: [batch, 1] } }),
      }),
    },
  );
  const note = (x: { ratio: number }) => `${x.ratio.toFixed(2)} × raw, same rounds`;
  return [
    {
      name: `${label}: raw session.run, batch ${batch}, prebuilt tensor (ceiling)`,
      value: r.ceiling.median,
      unit: 'rows/s',
    },
    {
      name: `${label}: raw session.run, batch ${batch}, tensor built from the rows`,
      value: r.rawBuilding.median,
      unit: 'rows/s',
      note: note(r.rawBuilding),
    },
    {
      name: `${label}: LoadedModel.run (checked feeds/outputs), batch ${batch}`,
      value: r.loadedModel.median,
      unit: 'rows/s',
      note: note(r.loadedModel),
    },
    {
      name: `${label}: infer operator, maxBatch ${batch}, concurrency 1`,
      value: r.operator.median,
      unit: 'rows/s',
      note: note(r.operator),
    },
    {
      name: `${label}: infer operator, maxBatch ${batch}, concurrency 2`,
      value: r.operator2.median,
      unit: 'rows/s',
      note: note(r.operator2),
    },
    {
      name: `${label}: infer operator alone (instant model), maxBatch ${batch}`,
      value: 1e9 / r.operatorAlone.median,
      unit: 'ns/row',
      note: `its own cost per row; raw session.run costs ${Math.round(1e9 / r.ceiling.median)} ns/row`,
    },
  ];
}

/** Paces `n` rows at `rateHz`, calling `emit(row, at)`; resolves after the last. */
function paced(n: number, rateHz: number, emit: (row: Row, at: number) => void): Promise<void> {
  const input = rows(n);
  const periodMs = 1000 / rateHz;
  const start = performance.now();
  let i = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (i < n && start + i * periodMs <= now) {
        emit(input[i] as Row, performance.now());
        i++;
      }
      if (i < n) setImmediate(tick);
      else resolve();
    };
    tick();
  });
}

interface LatencyRound {
  readonly total: number[];
  readonly added: number[];
}

/** One round through the operator: arrival → result, and that minus the run's own duration. */
async function operatorRound(model: LoadedModel, n: number): Promise<LatencyRound> {
  // The run durations, in order (concurrency 1 and input order: events map onto runs in turn).
  const runs: { size: number; ms: number }[] = [];
  const timed: LoadedModel = {
    ...model,
    run(feeds) {
      const t0 = performance.now();
      return model.run(feeds).then((out) => {
        runs.push({ size: feeds.vitals?.dims[0] ?? 0, ms: performance.now() - t0 });
        return out;
      });
    },
  };
  const source = new Subject<{ row: Row; at: number }>();
  const total: number[] = [];
  const added: number[] = [];
  let runIndex = 0;
  let usedOfRun = 0;
  const done = new Promise<void>((resolve, reject) => {
    source.pipe(infer(timed, sampleCodec, { maxBatch: 64, maxWaitMs: 0 })).subscribe({
      next(e) {
        const t = performance.now() - e.input.at;
        const run = runs[runIndex] as { size: number; ms: number };
        total.push(t);
        added.push(t - run.ms);
        if (++usedOfRun === run.size) {
          runIndex++;
          usedOfRun = 0;
        }
      },
      error: reject,
      complete: resolve,
    });
  });
  await paced(n, 1000, (row, at) => source.next({ row, at }));
  source.complete();
  await done;
  return { total, added };
}

/** One round straight into LoadedModel.run, same pacing: arrival → result. */
async function rawRound(model: LoadedModel, n: number): Promise<number[]> {
  const total: number[] = [];
  const pending: Promise<void>[] = [];
  await paced(n, 1000, (row, at) => {
    pending.push(model.run({ vitals: tensorOf([row]) }).then(() => void total.push(performance.now() - at)));
  });
  await Promise.all(pending);
  return total;
}

async function latency(model: LoadedModel): Promise<Figure[]> {
  const perRound = 1_000; // 1 s at 1 kHz
  const rounds = 9;
  const operatorTotal: number[] = [];
  const operatorAdded: number[] = [];
  const rawTotal: number[] = [];
  const roundP99 = { added: [] as number[], operator: [] as number[], raw: [] as number[] };
  const sort = (xs: readonly number[]) => [...xs].sort((a, b) => a - b);
  await operatorRound(model, 200); // warm-up
  await rawRound(model, 200);
  for (let round = 0; round < rounds; round++) {
    const op = await operatorRound(model, perRound);
    const raw = await rawRound(model, perRound);
    operatorTotal.push(...op.total);
    operatorAdded.push(...op.added);
    rawTotal.push(...raw);
    roundP99.added.push(percentile(sort(op.added), 99));
    roundP99.operator.push(percentile(sort(op.total), 99));
    roundP99.raw.push(percentile(sort(raw), 99));
  }
  const [ot, oa, rt] = [sort(operatorTotal), sort(operatorAdded), sort(rawTotal)];
  const medianOf = (xs: readonly number[]) => percentile(sort(xs), 50);
  return [
    { name: 'at 1 000/s: raw LoadedModel.run, arrival → result p50', value: percentile(rt, 50), unit: 'ms' },
    {
      name: 'at 1 000/s: raw LoadedModel.run, arrival → result p99',
      value: percentile(rt, 99),
      unit: 'ms',
      note: `median of ${rounds} one-second rounds' p99: ${medianOf(roundP99.raw).toFixed(3)} ms`,
    },
    { name: 'at 1 000/s: through the operator, arrival → result p50', value: percentile(ot, 50), unit: 'ms' },
    {
      name: 'at 1 000/s: through the operator, arrival → result p99',
      value: percentile(ot, 99),
      unit: 'ms',
      note: `median of rounds' p99: ${medianOf(roundP99.operator).toFixed(3)} ms`,
    },
    {
      name: 'at 1 000/s: added by the operator (its time − its run), p50',
      value: percentile(oa, 50),
      unit: 'ms',
    },
    {
      name: 'at 1 000/s: added by the operator (its time − its run), p99',
      value: percentile(oa, 99),
      unit: 'ms',
      note: `target < 1 ms; median of rounds' p99: ${medianOf(roundP99.added).toFixed(3)} ms`,
    },
  ];
}

/** All the figures of this benchmark. */
export async function benchAiInference(): Promise<Figure[]> {
  const runtime = createOnnxRuntime();
  const model = await runtime.load(deteriorationModelV0()); // sets ort.env (1 wasm thread)
  const mlp = await runtime.load(mlpRiskModel());
  const options = {
    executionProviders: ['wasm'],
    graphOptimizationLevel: 'all',
    logSeverityLevel: 4,
  } as const;
  const session = await ort.InferenceSession.create(deteriorationModelV0().bytes, options);
  const mlpSession = await ort.InferenceSession.create(mlpRiskModel().bytes, options);
  try {
    return [
      ...(await throughput('LR', model, session, 1)),
      ...(await throughput('LR', model, session, 64)),
      ...(await throughput('MLP 5-64-1', mlp, mlpSession, 64)),
      ...(await latency(model)),
    ];
  } finally {
    await model.dispose();
    await mlp.dispose();
    await session.release();
    await mlpSession.release();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  printFigures(
    'AI inference: infer operator vs raw onnxruntime-web (LR = the deterioration logistic regression; one wasm thread)',
    await benchAiInference(),
  );
}
