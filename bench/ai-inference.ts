/**
 * Issue 8's inference figures: the `infer` operator (one event per row) and the `inferBatches`
 * operator (one event per block of rows) beside raw onnxruntime-web `session.run`, on the
 * deterioration model (logistic regression, 5 features) and a 5-64-1 MLP, one WebAssembly thread.
 *
 * 1. Throughput at the same batch size (1 and 64 rows per run), measured in alternation so that a
 *    slow spell of a shared machine hits the ceiling and the operators alike: raw `session.run` on
 *    a prebuilt tensor (the ceiling); raw `session.run` on a tensor built from the rows; the
 *    runtime's `LoadedModel.run` (feeds and outputs checked); `infer` fed the caller's rows (JS
 *    arrays) from a synchronous source, every result read by the consumer; `inferBatches` fed
 *    blocks the caller packs from the same rows into a fresh `Float32Array` per block (inside the
 *    measured time), every score read by the consumer — blocks of the run size (a run is one
 *    block), blocks of 100 rows (packed and split across runs of 64), and blocks already in float32
 *    (a columnar source: nothing to pack). Each ratio is the median over the rounds of the variant's
 *    rate ÷ the ceiling's in the same round, by wall clock and by CPU time of the process (the
 *    latter is less sensitive to other jobs on a loaded machine). Target: operator ≥ 0.8 × raw.
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
import { float32BlockCodec, inferBatches } from '../packages/ai/src/inference/infer-batches.js';
import { deteriorationModelV0 } from '../packages/ai/src/models/deterioration-v0.js';
import { createOnnxRuntime } from '../packages/ai/src/onnx/onnx-runtime.js';
import { mlpRiskModel } from '../packages/ai/test/graphs.js';
import { against, type Figure, median, printFigures } from './measure.js';

type Row = readonly [number, number, number, number, number];

const codec = float32RowsCodec({
  inputName: 'vitals',
  width: 5,
  outputName: 'risk',
  features: (row: Row) => row,
  column: 0,
});

/** A block of rows as a caller hands it over (ids and the like would ride along). */
interface Block {
  readonly rows: Float32Array;
}

const blockCodec = float32BlockCodec({
  inputName: 'vitals',
  width: 5,
  outputName: 'risk',
  column: 0,
  rows: (b: Block) => b.rows,
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

/** The caller's packing: `n` rows from `from` into a fresh float32 block. */
function pack(input: readonly Row[], from: number, n: number): Float32Array {
  const data = new Float32Array(n * 5);
  for (let r = 0, o = 0; r < n; r++, o += 5) {
    const row = input[from + r] as Row;
    for (let j = 0; j < 5; j++) data[o + j] = row[j] as number;
  }
  return data;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** What {@link interleaved} measured for one function. */
interface Rate {
  /** Median rate over the rounds, items/s (wall clock). */
  readonly median: number;
  /** Median over the rounds of (this rate ÷ the ceiling's in the same round), wall clock. */
  readonly ratio: number;
  /** The same by CPU time of the process (user + system): the ceiling's CPU time ÷ this one's. */
  readonly cpuRatio: number;
}

/**
 * As `interleavedRates` (bench/measure.ts) — each round runs the ceiling, then every function
 * once; one warm-up round; medians — and by CPU time as well as by wall clock.
 */
async function interleaved<K extends string>(
  rounds: number,
  items: number,
  ceiling: () => Promise<void>,
  fns: Readonly<Record<K, () => Promise<void>>>,
): Promise<{ ceiling: Rate } & Record<K, Rate>> {
  const once = async (fn: () => Promise<void>): Promise<{ rate: number; cpu: number }> => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    return { rate: items / (ms / 1000), cpu: c.user + c.system };
  };
  const names = Object.keys(fns) as K[];
  const rates = new Map<string, number[]>([['ceiling', []], ...names.map((n) => [n, []] as [K, number[]])]);
  const ratios = new Map<string, number[]>(names.map((n) => [n, []]));
  const cpuRatios = new Map<string, number[]>(names.map((n) => [n, []]));
  for (let round = 0; round <= rounds; round++) {
    const c = await once(ceiling);
    for (const name of names) {
      const r = await once(fns[name]);
      if (round === 0) continue; // warm-up
      rates.get(name)?.push(r.rate);
      ratios.get(name)?.push(r.rate / c.rate);
      cpuRatios.get(name)?.push(c.cpu / r.cpu);
    }
    if (round > 0) rates.get('ceiling')?.push(c.rate);
  }
  const out: Record<string, Rate> = {
    ceiling: { median: median(rates.get('ceiling') ?? []), ratio: 1, cpuRatio: 1 },
  };
  for (const name of names) {
    out[name] = {
      median: median(rates.get(name) ?? []),
      ratio: median(ratios.get(name) ?? []),
      cpuRatio: median(cpuRatios.get(name) ?? []),
    };
  }
  return out as { ceiling: Rate } & Record<K, Rate>;
}

/** A model that answers at once with a precomputed output: the operators' own cost. */
function instant(model: LoadedModel): LoadedModel {
  const outputs = new Map<number, Record<string, Tensor>>();
  return {
    ...model,
    run(feeds) {
      const n = feeds.vitals?.dims[0] ?? 0;
      let out = outputs.get(n);
      if (out === undefined) {
        out = { risk: { type: 'float32', data: new Float32Array(n), dims: [n, 1] } };
        outputs.set(n, out);
      }
      return Promise.resolve(out);
    },
  };
}

/**
 * An operator in steady state, as in a long-running pipeline: one subscription for the whole
 * measurement; each round `feed` pushes the round's inputs into it at once (a backlog, so every
 * run is full) and the round ends when the consumer has read `items` results.
 */
function steady<T, E>(
  operator: (source: Observable<T>) => Observable<E>,
  items: number,
  read: (e: E) => number,
  feed: (next: (value: T) => void) => void,
): () => Promise<void> {
  // A plain hot source (a Subject's per-emission bookkeeping is the caller's cost, not the operator's).
  let subscriber: Subscriber<T> | undefined;
  const source = new Observable<T>((s) => {
    subscriber = s;
  });
  let seen = 0;
  let target = 0;
  let wake: (() => void) | undefined;
  operator(source).subscribe({
    next(e) {
      seen += read(e);
      if (seen === target) wake?.();
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
      const s = subscriber as Subscriber<T>;
      feed((value) => s.next(value));
    });
}

/** Throughput of raw session.run, LoadedModel.run and both operators at one batch size. */
async function throughput(
  label: string,
  model: LoadedModel,
  session: ort.InferenceSession,
  batch: number,
): Promise<Figure[]> {
  const runs = batch === 1 ? 2_000 : 800;
  const items = runs * batch;
  const input = rows(items);
  const prebuilt = tensorOf(input.slice(0, batch));
  const ortFeeds = { vitals: new ort.Tensor('float32', prebuilt.data as Float32Array, [batch, 5]) };
  const runOptions = { logSeverityLevel: 4 as const };
  // Concurrency 1: one wasm thread runs one run at a time anyway (see docs/ai/runtime-and-placement.md).
  const options = {
    maxBatch: batch,
    maxWaitMs: 5,
    concurrency: 1,
    maxBuffered: items,
    overflow: 'error',
  } as const;
  let sink = 0; // what the consumers read, so that nothing is optimised away
  const perRow = (over: LoadedModel = model) =>
    steady(
      infer(over, codec, options),
      items,
      (e) => {
        if (e.type !== 'result') throw new Error(`operator failed: ${e.error.message}`);
        sink += e.output;
        return 1;
      },
      (next) => {
        for (let i = 0; i < input.length; i++) next(input[i] as Row);
      },
    );
  const readBlock = (e: { type: 'result'; output: Float32Array } | { type: 'error'; error: Error }) => {
    if (e.type !== 'result') throw new Error(`operator failed: ${e.error.message}`);
    const scores = e.output;
    let sum = 0;
    for (let i = 0; i < scores.length; i++) sum += scores[i] as number;
    sink += sum;
    return scores.length;
  };
  /** The caller packs its rows into blocks of `blockRows` as part of the measured work. */
  const blocks = (blockRows: number, over: LoadedModel = model) =>
    steady(inferBatches(over, blockCodec, options), items, readBlock, (next) => {
      for (let at = 0; at < items; at += blockRows) {
        next({ rows: pack(input, at, Math.min(blockRows, items - at)) });
      }
    });
  /** Blocks already in float32 (a columnar source): nothing to pack. */
  const ready: Block[] = [];
  for (let at = 0; at < items; at += batch) ready.push({ rows: pack(input, at, batch) });
  const readyBlocks = steady(inferBatches(model, blockCodec, options), items, readBlock, (next) => {
    for (let i = 0; i < ready.length; i++) next(ready[i] as Block);
  });
  const r = await interleaved(
    25,
    items,
    async () => {
      for (let i = 0; i < runs; i++) await session.run(ortFeeds, runOptions);
    },
    {
      rawBuilding: async () => {
        for (let i = 0; i < runs; i++) {
          const data = pack(input, i * batch, batch);
          await session.run({ vitals: new ort.Tensor('float32', data, [batch, 5]) }, runOptions);
        }
      },
      loadedModel: async () => {
        for (let i = 0; i < runs; i++) await model.run({ vitals: prebuilt });
      },
      perRow: perRow(),
      blocks: blocks(batch),
      ...(batch > 1 ? { blocks100: blocks(100) } : {}),
      readyBlocks,
      perRowAlone: perRow(instant(model)),
      blocksAlone: blocks(batch, instant(model)),
    } as Record<string, () => Promise<void>>,
  );
  if (Number.isNaN(sink)) console.log(sink);
  const figure = (name: string, x: Rate | undefined): Figure[] =>
    x === undefined
      ? []
      : [
          {
            name: `${label}, batch ${batch}: ${name}`,
            value: x.median,
            unit: 'rows/s',
            runs: 25,
            note: `by CPU time ${x.cpuRatio.toFixed(2)} ×`,
            ...against(
              x.median,
              'rows/s',
              'raw onnxruntime-web session.run, prebuilt tensor, same batch size, same rounds',
              r.ceiling.median,
              x.ratio,
            ),
          },
        ];
  const rawNs = 1e9 / r.ceiling.median;
  return [
    ...figure('raw session.run, tensor packed from the rows', r.rawBuilding),
    ...figure('LoadedModel.run (checked feeds/outputs), prebuilt', r.loadedModel),
    ...figure('infer (one event per row)', r.perRow),
    ...figure(`inferBatches, blocks of ${batch} rows packed by the caller`, r.blocks),
    ...figure('inferBatches, blocks of 100 rows packed, runs of 64', r.blocks100),
    ...figure(`inferBatches, blocks of ${batch} rows already float32`, r.readyBlocks),
    {
      name: `${label}, batch ${batch}: infer alone (instant model)`,
      value: 1e9 / (r.perRowAlone as Rate).median,
      unit: 'ns/row',
      note: `its own cost per row; raw session.run costs ${Math.round(rawNs)} ns/row`,
    },
    {
      name: `${label}, batch ${batch}: inferBatches alone (instant model, packing included)`,
      value: 1e9 / (r.blocksAlone as Rate).median,
      unit: 'ns/row',
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
  const rawName = 'raw LoadedModel.run per arrival, same rounds';
  return [
    {
      name: 'at 1 000/s: through the operator, arrival → result p50',
      value: percentile(ot, 50),
      unit: 'ms',
      runs: rounds,
      ...against(percentile(ot, 50), 'ms', `${rawName}, p50`, percentile(rt, 50)),
    },
    {
      name: 'at 1 000/s: through the operator, arrival → result p99',
      value: percentile(ot, 99),
      unit: 'ms',
      runs: rounds,
      note: `median of rounds' p99: ${medianOf(roundP99.operator).toFixed(3)} ms (raw ${medianOf(roundP99.raw).toFixed(3)} ms)`,
      ...against(percentile(ot, 99), 'ms', `${rawName}, p99`, percentile(rt, 99)),
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

/** All the figures of this benchmark, or of the parts named. */
export async function benchAiInference(
  parts: readonly ('throughput' | 'latency')[] = ['throughput', 'latency'],
): Promise<Figure[]> {
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
    const only = parts.length === 1 ? parts[0] : undefined;
    return [
      ...(only === 'latency' ? [] : await throughput('LR', model, session, 1)),
      ...(only === 'latency' ? [] : await throughput('LR', model, session, 64)),
      ...(only === 'latency' ? [] : await throughput('MLP 5-64-1', mlp, mlpSession, 1)),
      ...(only === 'latency' ? [] : await throughput('MLP 5-64-1', mlp, mlpSession, 64)),
      ...(only === 'throughput' ? [] : await latency(model)),
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
    'AI inference: infer / inferBatches vs raw onnxruntime-web (LR = the deterioration logistic regression; one wasm thread)',
    // `… bench/ai-inference.ts throughput` (or `latency`) runs that part only.
    await benchAiInference(
      process.argv[2] === 'throughput' || process.argv[2] === 'latency' ? [process.argv[2]] : undefined,
    ),
  );
}
