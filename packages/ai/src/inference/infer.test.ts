import { HealthItError, isHealthItError, type LoadedModel } from '@healthit/core';
import * as fc from 'fast-check';
import { catchError, map, type Observable, of, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type OperatorScenario, operatorOptions, playScenario } from '../../test/operator-scenario.js';
import { doublerCodec, virtualModel } from '../../test/virtual-model.js';
import { float32RowsCodec, type InferenceCodec } from './codec.js';
import { type InferenceEvent, InferenceOverflowError, type OverflowPolicy } from './events.js';
import { infer } from './infer.js';
import type { InferOptions } from './infer-options.js';

/** The doubler's codec without its row fast path: the operator calls prepare, encode, release. */
const genericDoubler: InferenceCodec<number, number, ArrayLike<number>> = {
  prepare: (n) => (doublerCodec.prepare as (n: number) => ArrayLike<number>)(n),
  encode: (batch) => doublerCodec.encode(batch),
  decode: (outputs, index, size) => doublerCodec.decode(outputs, index, size),
  release: (feeds) => doublerCodec.release?.(feeds),
};
const CODECS = [
  ['row mode', doublerCodec],
  ['prepare/encode', genericDoubler],
] as const;

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

/** Inputs of the marbles: a → 1, b → 2 ... */
const IN = { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7 } as const;
/** Results: A = 2 × a ... */
const OUT = { A: 2, B: 4, C: 6, D: 8, E: 10, F: 12, G: 14 } as const;

/** Events as short values: a result is its output, a failure `stage:input`. */
function compact(events$: Observable<InferenceEvent<number, number>>): Observable<number | string> {
  return events$.pipe(map((e) => (e.type === 'result' ? e.output : `${e.stage}:${e.input}`)));
}

describe('infer: batching by count and by time (marbles)', () => {
  it('runs a batch the moment maxBatch inputs wait, and a partial batch maxWaitMs after its first input', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 10 });
      const source = cold('a 9ms b 9ms c 29ms d 9ms e 100ms |', IN);
      const out = source.pipe(infer(double.model, doublerCodec, { maxBatch: 3, maxWaitMs: 50 }));
      // [a b c] runs at 20 (count), done at 30; [d e] runs at 100 = d's arrival (50) + 50, done at 110.
      expectObservable(compact(out)).toBe('30ms (ABC) 75ms (DE) 47ms |', OUT);
      scheduler.flush();
      expect(double.calls).toEqual([
        { at: 20, values: [1, 2, 3] },
        { at: 100, values: [4, 5] },
      ]);
    });
  });

  it('times a partial batch from its oldest input, not its newest', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler);
      const source = cold('a 19ms b 19ms c 99ms |', IN); // a@0 b@20 c@40, complete@140
      const out = source.pipe(infer(double.model, doublerCodec, { maxBatch: 10, maxWaitMs: 30 }));
      expectObservable(compact(out)).toBe('30ms (AB) 36ms C 69ms |', OUT);
      scheduler.flush();
      expect(double.calls.map((c) => c.at)).toEqual([30, 70]);
    });
  });

  it('with maxWaitMs 0 runs at once, and inputs arriving during a run batch up behind it', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 10 });
      const source = cold('a 1ms b 1ms c 30ms |', IN); // a@0 b@2 c@4
      const out = source.pipe(infer(double.model, doublerCodec, { maxBatch: 8, maxWaitMs: 0 }));
      expectObservable(compact(out)).toBe('10ms A 9ms (BC) 11ms |', OUT);
      scheduler.flush();
      expect(double.calls).toEqual([
        { at: 0, values: [1] },
        { at: 10, values: [2, 3] },
      ]);
    });
  });

  it('runs what waits at once when the source completes, then completes after the last result', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 5 });
      const source = cold('a b 3ms |', IN); // a@0 b@1 complete@5; maxWaitMs would be 1000
      const out = source.pipe(infer(double.model, doublerCodec, { maxBatch: 8, maxWaitMs: 1000 }));
      expectObservable(compact(out)).toBe('10ms (AB|)', OUT);
    });
  });

  it('bounds runs in flight by concurrency and emits in input order when a later run finishes first', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      // run 0 is slow (30 ms), runs 1 and 2 are fast (5 ms).
      const double = virtualModel(scheduler, { durationMs: (call) => (call === 0 ? 30 : 5) });
      const source = cold('(abcde|)', IN);
      const out = source.pipe(infer(double.model, doublerCodec, { maxBatch: 2, concurrency: 2 }));
      expectObservable(compact(out)).toBe('30ms (ABCDE|)', OUT);
      scheduler.flush();
      // [e] waits for a free slot: it starts when run 1 ends (5), not at 0.
      expect(double.calls).toEqual([
        { at: 0, values: [1, 2] },
        { at: 0, values: [3, 4] },
        { at: 5, values: [5] },
      ]);
      expect(double.maxInFlight()).toBe(2);
    });
  });

  it('times the rest of a backlog from its own oldest input after a full batch is taken', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold }) => {
      // z runs alone at 10 until 30; a, b, c queue meanwhile; at 30 [a b] runs (count) until 31;
      // c, the next head, arrived at 24, so it runs at 24 + 10 = 34 — not earlier, not later.
      const double = virtualModel(scheduler, {
        durationMs: (call) => (call === 0 ? 20 : call === 1 ? 1 : 0),
      });
      const source = cold('z 10ms a b 11ms c 100ms |', { z: 0, ...IN });
      const seen: (number | string)[] = [];
      compact(source.pipe(infer(double.model, doublerCodec, { maxBatch: 2, maxWaitMs: 10 }))).subscribe((v) =>
        seen.push(v),
      );
      scheduler.flush();
      expect(double.calls).toEqual([
        { at: 10, values: [0] },
        { at: 30, values: [1, 2] },
        { at: 34, values: [3] },
      ]);
      expect(seen).toEqual([0, 2, 4, 6]);
    });
  });

  it('does not start a timer-due batch while every slot is busy; it starts when one frees', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: (call) => (call === 0 ? 50 : 1) });
      // a@0 runs alone at 10 (until 60); b@15 is due at 25 but the only slot is busy until 60.
      const source = cold('a 14ms b 99ms |', IN);
      const out = source.pipe(infer(double.model, doublerCodec, { maxBatch: 4, maxWaitMs: 10 }));
      expectObservable(compact(out)).toBe('60ms A B 53ms |', OUT);
      scheduler.flush();
      expect(double.calls.map((c) => c.at)).toEqual([10, 60]);
    });
  });
});

describe('infer: the bounded buffer and its policies (marbles)', () => {
  const hung = { durationMs: () => 1000 };
  const bounded = (overflow: OverflowPolicy): InferOptions => ({
    maxBatch: 1,
    maxWaitMs: 0,
    maxBuffered: 2,
    overflow,
  });

  it('drop-oldest: drops the oldest waiting input at once, with a running count, and scores the rest', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, hung);
      const source = cold('abcde|', IN); // a runs at once; b c wait; d drops b; e drops c
      const events: InferenceEvent<number, number>[] = [];
      const out = source.pipe(
        infer(double.model, doublerCodec, bounded('drop-oldest')),
        tap((e) => events.push(e)),
      );
      expectObservable(compact(out)).toBe('---xy 995ms A 999ms D 999ms (E|)', {
        ...OUT,
        x: 'overflow:2',
        y: 'overflow:3',
      });
      scheduler.flush();
      const drops = events.filter((e) => e.type === 'error');
      expect(drops.map((e) => (e.type === 'error' ? e.error : undefined))).toEqual([
        expect.objectContaining({
          code: 'buffer/overflow',
          policy: 'drop-oldest',
          dropped: 1,
          maxBuffered: 2,
        }),
        expect.objectContaining({ code: 'buffer/overflow', policy: 'drop-oldest', dropped: 2 }),
      ]);
      expect(drops[0]?.type === 'error' && drops[0].error).toBeInstanceOf(InferenceOverflowError);
    });
  });

  it('drop-newest: drops the arriving input and keeps those waiting', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, hung);
      const out = cold('abcde|', IN).pipe(infer(double.model, doublerCodec, bounded('drop-newest')));
      expectObservable(compact(out)).toBe('---xy 995ms A 999ms B 999ms (C|)', {
        ...OUT,
        x: 'overflow:4',
        y: 'overflow:5',
      });
    });
  });

  it('error: ends the stream with a typed buffer/overflow error and runs nothing more', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, hung);
      const out = cold('abcde|', IN).pipe(
        infer(double.model, doublerCodec, bounded('error')),
        map((e) => (e.type === 'result' ? e.output : e.stage)),
        catchError((e: unknown) =>
          of(e instanceof InferenceOverflowError ? `${e.code} ${e.policy} ${e.maxBuffered}` : 'other'),
        ),
      );
      expectObservable(out).toBe('---(x|)', { x: 'buffer/overflow error 2' });
      scheduler.flush();
      expect(double.calls).toHaveLength(1);
    });
  });
});

describe('infer: failures are values, in order (marbles)', () => {
  it.each(CODECS)(
    'fails one refused input, one failed batch, and scores everything else in input order (%s)',
    (_, codec) => {
      const scheduler = newScheduler();
      scheduler.run(({ cold, expectObservable }) => {
        // Run 1 ([c, d]) fails inside the runtime; b is NaN, refused on arrival.
        const double = virtualModel(scheduler, {
          durationMs: () => 2,
          failure: (call) => (call === 1 ? new Error('wasm memory access out of bounds') : undefined),
        });
        const source = cold('(ab) 9ms (cd) 9ms (ef|)', { ...IN, b: Number.NaN });
        const events: InferenceEvent<number, number>[] = [];
        const out = source.pipe(
          infer(double.model, codec, { maxBatch: 2, maxWaitMs: 5 }),
          tap((e) => events.push(e)),
        );
        expectObservable(compact(out)).toBe('2ms (Ax) 9ms (yz) 9ms (EF|)', {
          ...OUT,
          x: 'prepare:NaN',
          y: 'run:3',
          z: 'run:4',
        });
        scheduler.flush();
        const [refused, run3] = events.filter((e) => e.type === 'error');
        expect(refused?.error.code).toBe('validation/invalid');
        expect(refused?.error.message).toContain('column 0 is NaN');
        expect(run3?.error.code).toBe('model/run');
        expect(run3?.error.message).toContain(
          'doubler@1.0.0: a run of 2 failed: wasm memory access out of bounds',
        );
        expect((run3?.error.cause as Error | undefined)?.message).toBe('wasm memory access out of bounds');
        // The refused input never reached the model.
        expect(double.calls.map((c) => c.values)).toEqual([[1], [3, 4], [5, 6]]);
      });
    },
  );

  it('fails only the input whose output cannot be read', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler);
      const codec = float32RowsCodec({
        inputName: 'x',
        width: 1,
        outputName: 'y',
        features: (n: number) => [n],
        output: (row) => {
          const v = row[0] as number;
          if (v > 7) throw new HealthItError('model/run', `score ${v} is out of range`);
          return v;
        },
      });
      const out = cold('(abcd|)', IN).pipe(infer(double.model, codec, { maxBatch: 4 }));
      expectObservable(compact(out)).toBe('(ABCx|)', { ...OUT, x: 'decode:4' });
    });
  });

  it('fails a whole batch when the model returns the wrong output, as decode failures', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler);
      const codec = float32RowsCodec({
        inputName: 'x',
        width: 1,
        outputName: 'missing',
        features: (n: number) => [n],
      });
      const events: InferenceEvent<number, Float32Array>[] = [];
      const out = cold('(ab|)', IN).pipe(
        infer(double.model, codec, { maxBatch: 4 }),
        tap((e) => events.push(e)),
      );
      expectObservable(out.pipe(map((e) => e.type))).toBe('(xx|)', { x: 'error' });
      scheduler.flush();
      expect(events[0]?.type === 'error' && events[0].error.message).toContain(
        'output "missing": expected float32 [2, k] for a run of 2 rows, found no output "missing" (outputs: y)',
      );
    });
  });

  it('passes a source error on as the stream error', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 100 });
      const out = cold('a-#', IN, new Error('transport lost')).pipe(infer(double.model, doublerCodec));
      expectObservable(compact(out)).toBe('--#', undefined, new Error('transport lost'));
    });
  });

  it('unsubscribing cancels the timer and ignores the run in flight', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler, { durationMs: () => 20 });
      const out = cold('a 30ms b 100ms |', IN).pipe(infer(double.model, doublerCodec, { maxWaitMs: 10 }));
      // a runs at 10 (done at 30: emitted); b arrives at 31, would run at 41; unsubscribed at 35.
      expectObservable(compact(out), '^ 34ms !').toBe('30ms A', OUT);
      scheduler.flush();
      expect(double.calls.map((c) => c.at)).toEqual([10]);
    });
  });
});

describe.each(CODECS)('infer: properties (virtual time, %s)', (_, codec) => {
  const scenario = (maxBuffered: fc.Arbitrary<number>): fc.Arbitrary<OperatorScenario> =>
    fc
      .tuple(
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 0, maxLength: 80 }),
        operatorOptions(maxBuffered),
      )
      .map(([gaps, options]) => ({ ...options, gaps }));

  /** Feeds inputs 0, 1, 2 ... at the scenario's gaps and collects what comes out, in virtual time. */
  const play = (s: OperatorScenario) =>
    playScenario(
      s,
      s.gaps.map((_, i) => i),
      (model, options) => infer(model, codec, options),
    );

  it('scores every input exactly once, in input order, with any batch size, wait, concurrency and timing', () => {
    fc.assert(
      fc.property(scenario(fc.constant(10_000)), (s) => {
        const { events, completed, error, double } = play(s);
        expect(error).toBeUndefined();
        expect(completed).toBe(true);
        const inputs = s.gaps.map((_, i) => i);
        expect(events.map((e) => e.input)).toEqual(inputs);
        expect(events.map((e) => (e.type === 'result' ? e.output : e.stage))).toEqual(
          inputs.map((i) => 2 * i),
        );
        // Each input went to the model exactly once, batches never exceeded maxBatch, runs in flight
        // never exceeded concurrency.
        expect(double.calls.flatMap((c) => c.values)).toEqual(inputs);
        expect(double.calls.every((c) => c.values.length >= 1 && c.values.length <= s.maxBatch)).toBe(true);
        expect(double.maxInFlight()).toBeLessThanOrEqual(s.concurrency);
      }),
      { numRuns: 300 },
    );
  });

  it('under a small buffer, every input still gets exactly one event: its result in order, or its drop', () => {
    fc.assert(
      fc.property(scenario(fc.integer({ min: 1, max: 6 })), (s) => {
        const { events, completed, error, double } = play(s);
        expect(error).toBeUndefined();
        expect(completed).toBe(true);
        const inputs = s.gaps.map((_, i) => i);
        expect(events.map((e) => e.input).sort((x, y) => x - y)).toEqual(inputs);
        const results = events.filter((e) => e.type === 'result');
        const drops = events.filter((e) => e.type === 'error');
        // Results keep input order; only drops are reported out of order.
        const scored = results.map((e) => e.input);
        expect(scored).toEqual([...scored].sort((x, y) => x - y));
        expect(drops.every((e) => e.stage === 'overflow')).toBe(true);
        expect(double.calls.flatMap((c) => c.values)).toEqual(scored);
        // The running count of drops is exact.
        drops.forEach((e, i) => {
          expect(e.type === 'error' && (e.error as InferenceOverflowError).dropped).toBe(i + 1);
        });
        expect(double.maxInFlight()).toBeLessThanOrEqual(s.concurrency);
      }),
      { numRuns: 300 },
    );
  });

  it('lets no input wait past its deadline while a run slot is free (latency bound)', () => {
    fc.assert(
      fc.property(scenario(fc.constant(10_000)), (s) => {
        // With instant runs, a slot is always free: each batch starts by the deadline of its oldest input.
        const { double } = play({ ...s, durations: [0] });
        let t = 0;
        const arrival = s.gaps.map((gap) => {
          t += gap;
          return t;
        });
        for (const call of double.calls) {
          const oldest = arrival[call.values[0] as number] as number;
          expect(call.at).toBeLessThanOrEqual(oldest + s.maxWaitMs);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('infer: row mode', () => {
  it("writes each row into the batch's tensor on arrival: neither prepare nor encode is called", () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const double = virtualModel(scheduler);
      const codec = {
        ...doublerCodec,
        prepare: () => {
          throw new Error('prepare called');
        },
        encode: () => {
          throw new Error('encode called');
        },
      };
      const out = cold('(abcde|)', IN).pipe(infer(double.model, codec, { maxBatch: 2, concurrency: 2 }));
      expectObservable(compact(out)).toBe('(ABCDE|)', OUT);
      scheduler.flush();
      expect(double.calls.map((c) => c.values)).toEqual([[1, 2], [3, 4], [5]]);
    });
  });

  it('refuses a rowWriter of the wrong shape', () => {
    const model = virtualModel(newScheduler()).model;
    const bad = (rowWriter: unknown) => ({ ...doublerCodec, rowWriter }) as typeof doublerCodec;
    expect(() => infer(model, bad({ inputName: 'x', width: 1 }))).toThrow(TypeError);
    expect(() => infer(model, bad({ inputName: 'x', width: 0, write: () => {} }))).toThrow(RangeError);
  });
});

describe('infer: options', () => {
  const model = virtualModel(newScheduler()).model;
  it('refuses wrong values and types with RangeError and TypeError', () => {
    expect(() => infer(model, doublerCodec, { maxBatch: 0 })).toThrow(RangeError);
    expect(() => infer(model, doublerCodec, { concurrency: 1.5 })).toThrow(RangeError);
    expect(() => infer(model, doublerCodec, { maxBuffered: -1 })).toThrow(RangeError);
    expect(() => infer(model, doublerCodec, { maxWaitMs: -1 })).toThrow(RangeError);
    expect(() => infer(model, doublerCodec, { maxWaitMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
    expect(() => infer(model, doublerCodec, { overflow: 'block' as 'error' })).toThrow(
      /overflow must be one of/,
    );
    expect(() => infer(model, doublerCodec, { maxBatch: '4' as unknown as number })).toThrow(TypeError);
    expect(() => infer({} as LoadedModel, doublerCodec)).toThrow(TypeError);
    expect(() => infer(model, {} as typeof doublerCodec)).toThrow(TypeError);
  });

  it('float32RowsCodec refuses a bad shape of options', () => {
    const features = (n: number) => [n];
    expect(() => float32RowsCodec({ inputName: 'x', outputName: 'y', width: 0, features })).toThrow(
      RangeError,
    );
    expect(() => float32RowsCodec({ inputName: '', outputName: 'y', width: 1, features })).toThrow(
      RangeError,
    );
    expect(() =>
      float32RowsCodec({
        inputName: 'x',
        outputName: 'y',
        width: 1,
        features: 1 as unknown as typeof features,
      }),
    ).toThrow(TypeError);
  });

  it('float32RowsCodec refuses a row of the wrong width, naming the input and both widths', () => {
    const codec = float32RowsCodec({
      inputName: 'vitals',
      outputName: 'risk',
      width: 5,
      features: (r: number[]) => r,
    });
    let e: unknown;
    try {
      codec.prepare?.([1, 2, 3]);
    } catch (caught) {
      e = caught;
    }
    expect(isHealthItError(e, 'validation/invalid')).toBe(true);
    expect((e as Error).message).toBe('input "vitals": a row has 3 values, the model takes 5');
  });
});
