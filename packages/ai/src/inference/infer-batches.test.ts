import { type HealthItError, isHealthItError, type LoadedModel, type Tensor } from '@healthit/core';
import * as fc from 'fast-check';
import { catchError, map, type Observable, of, Subject, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type OperatorScenario, operatorOptions, playScenario } from '../../test/operator-scenario.js';
import { virtualModel } from '../../test/virtual-model.js';
import { deteriorationModelV0 } from '../models/deterioration-v0.js';
import { createOnnxRuntime } from '../onnx/onnx-runtime.js';
import { float32RowsCodec } from './codec.js';
import { type InferenceEvent, InferenceOverflowError, type OverflowPolicy } from './events.js';
import { infer } from './infer.js';
import { float32BlockCodec, inferBatches } from './infer-batches.js';
import type { InferOptions } from './infer-options.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** A block: its name (for the marbles) and its rows of one value each. */
interface Block {
  readonly name: string;
  readonly rows: Float32Array;
}
const block = (name: string, ...values: number[]): Block => ({ name, rows: Float32Array.from(values) });

/** The virtual model's codec: one column, results y = 2x. */
const codec = float32BlockCodec({ inputName: 'x', width: 1, outputName: 'y', rows: (b: Block) => b.rows });

/** Blocks of the marbles. */
const IN = {
  a: block('a', 1, 2),
  b: block('b', 3, 4, 5),
  c: block('c', 6),
  d: block('d', 7, 8, 9, 10, 11),
  e: block('e'),
  n: block('n', 12, Number.NaN),
} as const;

/** Events as short values: a result `name:scores`, a failure `stage:name`. */
function compact(events$: Observable<InferenceEvent<Block, Float32Array>>): Observable<string> {
  return events$.pipe(
    map((e) =>
      e.type === 'result'
        ? `${e.input.name}:${Array.from(e.output).join(',')}`
        : `${e.stage}:${e.input.name}`,
    ),
  );
}

describe('inferBatches: packing, splitting and timing (marbles)', () => {
  it('packs blocks into runs of maxBatch rows, splits a block across runs, one event per block in order', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 10 });
      // a@0 (2 rows), b@5 (3 rows): 5 rows wait ≥ 4, so [a, b₀ b₁] runs at 5 (done at 15: a is
      // emitted); b₂ and c@20 run when b's deadline comes, 5 + 30 = 35 (done at 45).
      const source = cold('a 4ms b 14ms c 100ms |', IN);
      const out = source.pipe(inferBatches(double.model, codec, { maxBatch: 4, maxWaitMs: 30 }));
      expectObservable(compact(out)).toBe('15ms x 29ms (yz) 72ms |', {
        x: 'a:2,4',
        y: 'b:6,8,10',
        z: 'c:12',
      });
      scheduler.flush();
      expect(double.calls).toEqual([
        { at: 5, values: [1, 2, 3, 4] },
        { at: 35, values: [5, 6] },
      ]);
    });
  });

  it('runs a partial run maxWaitMs after its oldest block, and what waits when the source completes', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler);
      const source = cold('a 19ms c 59ms b |', IN); // a@0 c@20 b@80, complete@81
      const out = source.pipe(inferBatches(double.model, codec, { maxBatch: 64, maxWaitMs: 30 }));
      expectObservable(compact(out)).toBe('30ms (xy) 47ms (z|)', { x: 'a:2,4', y: 'c:12', z: 'b:6,8,10' });
      scheduler.flush();
      expect(double.calls.map((c) => c.at)).toEqual([30, 81]);
    });
  });

  it('splits a block larger than maxBatch into several runs and emits it once, after its last run', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 3 });
      const out = cold('(d|)', IN).pipe(inferBatches(double.model, codec, { maxBatch: 2, concurrency: 2 }));
      expectObservable(compact(out)).toBe('6ms (x|)', { x: 'd:14,16,18,20,22' });
      scheduler.flush();
      expect(double.calls).toEqual([
        { at: 0, values: [7, 8] },
        { at: 0, values: [9, 10] },
        { at: 3, values: [11] },
      ]);
    });
  });

  it('keeps input order when a later run finishes first, with concurrency bounded', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: (call) => (call === 0 ? 30 : 5) });
      const out = cold('(abc|)', IN).pipe(inferBatches(double.model, codec, { maxBatch: 2, concurrency: 2 }));
      // runs: [a] (2 rows, 30 ms), [b₀ b₁] (5 ms), then [b₂ c] when run 1 ends (5 → 10).
      expectObservable(compact(out)).toBe('30ms (xyz|)', { x: 'a:2,4', y: 'b:6,8,10', z: 'c:12' });
      scheduler.flush();
      expect(double.calls).toEqual([
        { at: 0, values: [1, 2] },
        { at: 0, values: [3, 4] },
        { at: 5, values: [5, 6] },
      ]);
      expect(double.maxInFlight()).toBe(2);
    });
  });

  it('passes a block that fills a run as it is, and gives views of the output as scores', async () => {
    const seen: Float32Array[] = [];
    const outputs: Float32Array[] = [];
    const model: LoadedModel = {
      id: 'spy',
      version: '1',
      inputNames: ['x'],
      outputNames: ['y'],
      async run(feeds: Readonly<Record<string, Tensor>>) {
        const x = feeds.x as Tensor & { data: Float32Array };
        seen.push(x.data);
        const y = x.data.map((v) => v * 2);
        outputs.push(y);
        return { y: { type: 'float32', data: y, dims: [x.dims[0] as number, 1] } };
      },
      async dispose() {},
    };
    const events: InferenceEvent<Block, Float32Array>[] = [];
    const source = new Subject<Block>();
    const done = new Promise<void>((resolve) =>
      source
        .pipe(inferBatches(model, codec, { maxBatch: 3, maxWaitMs: 0 }))
        .subscribe({ next: (e) => events.push(e), complete: resolve }),
    );
    source.next(IN.b); // 3 rows: a run of its own, at once
    source.next(IN.a); // a and c wait, then run together
    source.next(IN.c);
    source.complete();
    await done;
    const scores = events.map((e) => (e.type === 'result' ? e.output : undefined));
    expect(scores.map((x) => Array.from(x ?? []))).toEqual([[6, 8, 10], [2, 4], [12]]);
    // b: no copy in, no copy out.
    expect(seen[0]).toBe(IN.b.rows);
    expect(scores[0]).toBe(outputs[0]);
    // a and c: copied into one run buffer; their scores are views of that run's output.
    expect(Array.from(seen[1] as Float32Array)).toEqual([1, 2, 6]);
    expect(scores[1]?.buffer).toBe(outputs[1]?.buffer);
    expect(scores[2]?.buffer).toBe(outputs[1]?.buffer);
  });

  it('with column, gives that column of each output row; without, the rows', async () => {
    // A model with two outputs per row: [x, -x].
    const model: LoadedModel = {
      id: 'pair',
      version: '1',
      inputNames: ['x'],
      outputNames: ['y'],
      async run(feeds: Readonly<Record<string, Tensor>>) {
        const x = (feeds.x as Tensor & { data: Float32Array }).data;
        const y = new Float32Array(x.length * 2);
        x.forEach((v, i) => {
          y[2 * i] = v;
          y[2 * i + 1] = -v;
        });
        return { y: { type: 'float32', data: y, dims: [x.length, 2] } };
      },
      async dispose() {},
    };
    const run = async (column: number | undefined, maxBatch: number) => {
      const c = float32BlockCodec({
        inputName: 'x',
        width: 1,
        outputName: 'y',
        column,
        rows: (b: Block) => b.rows,
      });
      const out: number[][] = [];
      const source = new Subject<Block>();
      const done = new Promise<void>((resolve) =>
        source.pipe(inferBatches(model, c, { maxBatch, maxWaitMs: 0 })).subscribe({
          next: (e) => out.push(e.type === 'result' ? Array.from(e.output) : []),
          complete: resolve,
        }),
      );
      source.next(IN.b);
      source.next(IN.d);
      source.complete();
      await done;
      return out;
    };
    for (const maxBatch of [2, 3, 64]) {
      expect(await run(1, maxBatch)).toEqual([
        [-3, -4, -5],
        [-7, -8, -9, -10, -11],
      ]);
      expect(await run(undefined, maxBatch)).toEqual([
        [3, -3, 4, -4, 5, -5],
        [7, -7, 8, -8, 9, -9, 10, -10, 11, -11],
      ]);
    }
  });
});

describe('inferBatches: failures are values, per block (marbles)', () => {
  it('refuses a block with a value that is not finite, keeps an empty block, in order', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 2 });
      const events: InferenceEvent<Block, Float32Array>[] = [];
      const out = cold('(anec|)', IN).pipe(
        inferBatches(double.model, codec, { maxBatch: 8 }),
        tap((e) => events.push(e)),
      );
      expectObservable(compact(out)).toBe('2ms (wxyz|)', { w: 'a:2,4', x: 'prepare:n', y: 'e:', z: 'c:12' });
      scheduler.flush();
      expect(double.calls.map((c) => c.values)).toEqual([[1, 2, 6]]); // n never reached the model
      const refused = events[1];
      expect(refused?.type === 'error' && refused.error.code).toBe('validation/invalid');
      expect(refused?.type === 'error' && refused.error.message).toBe(
        'input "x": row 1, column 0 of a block is NaN, not a finite number',
      );
    });
  });

  it('fails every block with rows in a failed run, and a split block when one of its runs fails', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, {
        durationMs: () => 1,
        failure: (call) => (call === 1 ? new Error('wasm memory access out of bounds') : undefined),
      });
      // runs of 2: [a] ok, [b₀ b₁] fails, [b₂ c] ok → b fails (its first part), a and c are scored.
      const events: InferenceEvent<Block, Float32Array>[] = [];
      const out = cold('(abc|)', IN).pipe(
        inferBatches(double.model, codec, { maxBatch: 2 }),
        tap((e) => events.push(e)),
      );
      expectObservable(compact(out)).toBe('1ms x 1ms (yz|)', { x: 'a:2,4', y: 'run:b', z: 'c:12' });
      scheduler.flush();
      expect(double.calls.map((c) => c.values)).toEqual([
        [1, 2],
        [3, 4],
        [5, 6],
      ]);
      const failed = events[1];
      expect(failed?.type === 'error' && failed.error.message).toContain(
        'doubler@1.0.0: a run of 2 rows failed: wasm memory access out of bounds',
      );
    });
  });

  it('fails the blocks of a run whose output cannot be read, as decode failures', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler);
      const wrong = float32BlockCodec({
        inputName: 'x',
        width: 1,
        outputName: 'z',
        rows: (b: Block) => b.rows,
      });
      const out = cold('(ac|)', IN).pipe(inferBatches(double.model, wrong, { maxBatch: 8 }));
      expectObservable(compact(out)).toBe('(xy|)', { x: 'decode:a', y: 'decode:c' });
    });
  });

  it('passes a source error on, and unsubscribing ignores the run in flight', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 100 });
      const out = cold('a-#', IN, new Error('transport lost')).pipe(inferBatches(double.model, codec));
      expectObservable(compact(out)).toBe('--#', undefined, new Error('transport lost'));
    });
    const scheduler2 = newScheduler();
    scheduler2.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler2, { durationMs: () => 20 });
      const out = cold('a 30ms c 100ms |', IN).pipe(inferBatches(double.model, codec, { maxWaitMs: 10 }));
      expectObservable(compact(out), '^ 34ms !').toBe('30ms x', { x: 'a:2,4' });
      scheduler2.flush();
      expect(double.calls.map((c) => c.at)).toEqual([10]);
    });
  });
});

describe('inferBatches: the bounded buffer, in rows (marbles)', () => {
  const hung = { durationMs: () => 1000 };
  const bounded = (overflow: OverflowPolicy): InferOptions => ({
    maxBatch: 2,
    maxWaitMs: 0,
    maxBuffered: 4,
    overflow,
  });

  it('drop-oldest: drops whole waiting blocks from the oldest until the arriving one fits', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, hung);
      // a runs at once; b (3) + c (1) wait = 4; d (5 rows) can never fit → dropped; a fresh a (2)
      // drops b, the oldest waiting.
      const events: InferenceEvent<Block, Float32Array>[] = [];
      const out = cold('abcda|', IN).pipe(
        inferBatches(double.model, codec, bounded('drop-oldest')),
        tap((e) => events.push(e)),
      );
      expectObservable(compact(out)).toBe('---xy 995ms z 999ms w 999ms (v|)', {
        x: 'overflow:d',
        y: 'overflow:b',
        z: 'a:2,4',
        w: 'c:12',
        v: 'a:2,4',
      });
      scheduler.flush();
      const drops = events.filter((e) => e.type === 'error');
      expect(drops.map((e) => e.type === 'error' && (e.error as InferenceOverflowError).dropped)).toEqual([
        1, 2,
      ]);
    });
  });

  it('drop-oldest never drops a block already partly run', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, hung);
      // b: b₀ b₁ run at once, b₂ waits; c, a wait: 1 + 1 + 2 = 4. A second c drops the first (the
      // oldest block none of whose rows ran), not b.
      const out = cold('bcac|', IN).pipe(inferBatches(double.model, codec, bounded('drop-oldest')));
      expectObservable(compact(out)).toBe('---x 1996ms y 999ms (zw|)', {
        x: 'overflow:c',
        y: 'b:6,8,10',
        z: 'a:2,4',
        w: 'c:12',
      });
    });
  });

  it('drop-newest drops the arriving block; error ends the stream with a typed error', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, hung);
      const out = cold('abca|', IN).pipe(inferBatches(double.model, codec, bounded('drop-newest')));
      expectObservable(compact(out)).toBe('---x 996ms y 1999ms (zw|)', {
        x: 'overflow:a',
        y: 'a:2,4',
        z: 'b:6,8,10',
        w: 'c:12',
      });
    });
    const scheduler2 = newScheduler();
    scheduler2.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler2, hung);
      const out = cold('abca|', IN).pipe(
        inferBatches(double.model, codec, bounded('error')),
        map((e) => e.type),
        catchError((e: unknown) =>
          of(e instanceof InferenceOverflowError ? `${e.code} ${e.policy}` : 'other'),
        ),
      );
      expectObservable(out).toBe('---(x|)', { x: 'buffer/overflow error' });
    });
  });
});

describe('inferBatches: properties (virtual time)', () => {
  type Scenario = OperatorScenario & { readonly sizes: readonly number[] };

  const scenario = (maxBuffered: fc.Arbitrary<number>): fc.Arbitrary<Scenario> =>
    fc
      .tuple(
        fc.array(fc.tuple(fc.integer({ min: -1, max: 7 }), fc.integer({ min: 0, max: 15 })), {
          maxLength: 50,
        }),
        operatorOptions(maxBuffered),
      )
      .map(([blocks, options]) => ({
        ...options,
        sizes: blocks.map((b) => b[0]),
        gaps: blocks.map((b) => b[1]),
      }));

  /** Block i holds the next rows of the sequence 0, 1, 2 ... (row value = its global number). */
  function blocksOf(sizes: readonly number[]): Block[] {
    let next = 0;
    return sizes.map((n, i) => {
      if (n < 0) return { name: `${i}`, rows: Float32Array.of(Number.NaN) };
      const rows = new Float32Array(n);
      for (let r = 0; r < n; r++) rows[r] = next++;
      return { name: `${i}`, rows };
    });
  }

  function play(s: Scenario) {
    const played = playScenario(s, blocksOf(s.sizes), (model, options) =>
      inferBatches(model, codec, options),
    );
    return { ...played, blocks: played.inputs, completed: played.completed, error: played.error };
  }

  const expected = (b: Block) => (Number.isNaN(b.rows[0]) ? 'prepare' : Array.from(b.rows, (v) => 2 * v));
  const actual = (e: InferenceEvent<Block, Float32Array>) =>
    e.type === 'result' ? Array.from(e.output) : e.stage;

  it('scores every row exactly once, in order, one event per block, whatever the sizes, waits and timing', () => {
    fc.assert(
      fc.property(scenario(fc.constant(10_000)), (s) => {
        const { blocks, events, completed, error, double } = play(s);
        expect(error).toBeUndefined();
        expect(completed).toBe(true);
        expect(events.map((e) => e.input)).toEqual(blocks);
        expect(events.map(actual)).toEqual(blocks.map(expected));
        // Every row went to the model exactly once, in order; no run had more than maxBatch rows, nor
        // none; runs in flight never exceeded concurrency.
        const rows = blocks.flatMap((b) => (Number.isNaN(b.rows[0]) ? [] : Array.from(b.rows)));
        expect(double.calls.flatMap((c) => c.values)).toEqual(rows);
        expect(double.calls.every((c) => c.values.length >= 1 && c.values.length <= s.maxBatch)).toBe(true);
        expect(double.maxInFlight()).toBeLessThanOrEqual(s.concurrency);
      }),
      { numRuns: 300 },
    );
  });

  it('under a small buffer, every block still gets exactly one event: its outcome in order, or its drop', () => {
    fc.assert(
      fc.property(scenario(fc.integer({ min: 1, max: 12 })), (s) => {
        const { blocks, events, completed, error, double } = play(s);
        expect(error).toBeUndefined();
        expect(completed).toBe(true);
        const index = new Map(blocks.map((b, i) => [b, i]));
        expect(events.map((e) => index.get(e.input)).sort((x, y) => (x as number) - (y as number))).toEqual(
          blocks.map((_, i) => i),
        );
        const drops = events.filter((e) => e.type === 'error' && e.stage === 'overflow');
        const kept = events.filter((e) => !(e.type === 'error' && e.stage === 'overflow'));
        // Outcomes keep input order and are right; only drops come out of order.
        const order = kept.map((e) => index.get(e.input) as number);
        expect(order).toEqual([...order].sort((x, y) => x - y));
        expect(kept.map(actual)).toEqual(kept.map((e) => expected(e.input)));
        // A dropped block never ran a row; a kept one ran each of its rows once.
        const rows = kept.flatMap((e) => (e.type === 'result' ? Array.from(e.input.rows) : []));
        expect(double.calls.flatMap((c) => c.values)).toEqual(rows);
        drops.forEach((e, i) => {
          expect(e.type === 'error' && (e.error as InferenceOverflowError).dropped).toBe(i + 1);
        });
        expect(double.maxInFlight()).toBeLessThanOrEqual(s.concurrency);
      }),
      { numRuns: 300 },
    );
  });

  it('lets no row wait past its block deadline while a run slot is free (latency bound)', () => {
    fc.assert(
      fc.property(scenario(fc.constant(10_000)), (s) => {
        const { blocks, arrival, double } = play({ ...s, durations: [0] });
        const blockOfRow = new Map<number, number>();
        blocks.forEach((b, i) => {
          if (!Number.isNaN(b.rows[0])) for (const v of b.rows) blockOfRow.set(v, i);
        });
        for (const call of double.calls) {
          const oldest = arrival[blockOfRow.get(call.values[0] as number) as number] as number;
          expect(call.at).toBeLessThanOrEqual(oldest + s.maxWaitMs);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('inferBatches: a real model', () => {
  it('gives the same scores as infer row by row, for blocks of any size and views', async () => {
    const model = await createOnnxRuntime().load(deteriorationModelV0());
    try {
      const n = 1000;
      const all = new Float32Array(n * 5);
      for (let i = 0; i < n; i++)
        all.set([60 + (i % 70), 12 + (i % 20), 88 + (i % 12), 36 + (i % 4) / 2, 90 + (i % 60)], i * 5);
      const rowCodec = float32RowsCodec({
        inputName: 'vitals',
        width: 5,
        outputName: 'risk',
        column: 0,
        features: (i: number) => all.subarray(i * 5, i * 5 + 5),
      });
      const expectedScores: number[] = [];
      await new Promise<void>((resolve, reject) => {
        const source = new Subject<number>();
        source.pipe(infer(model, rowCodec, { maxBatch: 64, maxWaitMs: 0 })).subscribe({
          next: (e) => expectedScores.push(e.type === 'result' ? e.output : Number.NaN),
          error: reject,
          complete: resolve,
        });
        for (let i = 0; i < n; i++) source.next(i);
        source.complete();
      });
      // Blocks of 0 to 150 rows, as views of one array.
      const blocks: { name: string; rows: Float32Array }[] = [];
      for (let at = 0, size = 0; at < n; at += size, size = (size * 7 + 13) % 151) {
        const end = Math.min(n, at + size);
        blocks.push({ name: `${at}`, rows: all.subarray(at * 5, end * 5) });
        size = end - at;
      }
      const blockCodec = float32BlockCodec({
        inputName: 'vitals',
        width: 5,
        outputName: 'risk',
        column: 0,
        rows: (b: { rows: Float32Array }) => b.rows,
      });
      for (const maxBatch of [1, 64, 512]) {
        const scores: number[] = [];
        await new Promise<void>((resolve, reject) => {
          const source = new Subject<{ rows: Float32Array }>();
          source.pipe(inferBatches(model, blockCodec, { maxBatch, maxWaitMs: 0, concurrency: 2 })).subscribe({
            next: (e) => {
              if (e.type !== 'result') reject(e.error);
              else scores.push(...e.output);
            },
            error: reject,
            complete: resolve,
          });
          for (const b of blocks) source.next(b);
          source.complete();
        });
        expect(scores).toHaveLength(n);
        const worst = Math.max(...scores.map((s, i) => Math.abs(s - (expectedScores[i] as number))));
        expect(worst).toBeLessThan(1e-6);
      }
    } finally {
      await model.dispose();
    }
  });
});

describe('inferBatches: options', () => {
  const model = virtualModel(newScheduler()).model;
  it('refuses wrong values and types with RangeError and TypeError', () => {
    expect(() => inferBatches(model, codec, { maxBatch: 0 })).toThrow(RangeError);
    expect(() => inferBatches(model, codec, { maxWaitMs: -1 })).toThrow(/inferBatches: maxWaitMs/);
    expect(() => inferBatches(model, codec, { overflow: 'block' as 'error' })).toThrow(RangeError);
    expect(() => inferBatches({} as LoadedModel, codec)).toThrow(TypeError);
    expect(() => inferBatches(model, {} as typeof codec)).toThrow(TypeError);
  });

  it('float32BlockCodec refuses a bad shape of options, and blocks that are not whole rows of float32', () => {
    const rows = (b: Block) => b.rows;
    expect(() => float32BlockCodec({ inputName: 'x', outputName: 'y', width: 0, rows })).toThrow(RangeError);
    expect(() => float32BlockCodec({ inputName: '', outputName: 'y', width: 1, rows })).toThrow(RangeError);
    expect(() => float32BlockCodec({ inputName: 'x', outputName: 'y', width: 1, rows, column: -1 })).toThrow(
      RangeError,
    );
    expect(() =>
      float32BlockCodec({ inputName: 'x', outputName: 'y', width: 1, rows: 1 as unknown as typeof rows }),
    ).toThrow(TypeError);
    const c = float32BlockCodec({
      inputName: 'vitals',
      outputName: 'risk',
      width: 5,
      rows: (r: unknown) => r as Float32Array,
    });
    const refusal = (value: unknown) => {
      try {
        c.prepare(value);
      } catch (e) {
        expect(isHealthItError(e, 'validation/invalid')).toBe(true);
        return (e as HealthItError).message;
      }
      return 'accepted';
    };
    expect(refusal([1, 2, 3, 4, 5])).toBe(
      'input "vitals": a block\'s rows must be a Float32Array, got [object Array]',
    );
    expect(refusal(new Float32Array(7))).toBe(
      'input "vitals": a block has 7 values, not a whole number of rows of 5',
    );
    const inf = new Float32Array(10);
    inf[8] = Number.POSITIVE_INFINITY;
    expect(refusal(inf)).toBe('input "vitals": row 1, column 3 of a block is Infinity, not a finite number');
    expect(refusal(new Float32Array(0))).toBe('accepted');
    expect(refusal(new Float32Array(10).subarray(5))).toBe('accepted');
  });
});
