import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { doublerCodec, virtualModel } from '../../test/virtual-model.js';
import { float32RowsCodec } from '../inference/codec.js';
import { infer } from '../inference/infer.js';
import { candidateCodec, type SplitEvent, screenAndForward } from './split.js';

const newScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
const IN = { a: 1, b: 2, c: 3, d: 4, e: 5 } as const;

function compact(e: SplitEvent<number, number>): string {
  if (e.type === 'screened-out') return `out:${e.input}`;
  if (e.type === 'result') return `ok:${e.input}=${e.output}`;
  return `${e.where}-${e.stage}:${e.input}`;
}

describe('screenAndForward', () => {
  it('settles inputs below the threshold at the edge, forwards the rest, and counts both (marbles)', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const screen = virtualModel(scheduler, { durationMs: () => 1 });
      const cloud = virtualModel(scheduler, { durationMs: () => 20 });
      const events: SplitEvent<number, number>[] = [];
      const out = cold('(abcde|)', IN).pipe(
        screenAndForward({
          screen: screen.model,
          screenCodec: doublerCodec,
          screenOptions: { maxBatch: 8, maxWaitMs: 1 },
          threshold: 6, // scores 2, 4, 6, 8, 10: c, d, e go to the cloud
          forward: infer(cloud.model, candidateCodec(doublerCodec), { maxBatch: 8, maxWaitMs: 1 }),
        }),
        map((e) => {
          events.push(e);
          return compact(e);
        }),
      );
      expectObservable(out).toBe('- (xy) 16ms (uvw|)', {
        x: 'out:1',
        y: 'out:2',
        u: 'ok:3=6',
        v: 'ok:4=8',
        w: 'ok:5=10',
      });
      scheduler.flush();
      expect(cloud.calls.map((c) => c.values)).toEqual([[3, 4, 5]]); // only candidates crossed the uplink
      expect(events.at(-1)?.counts).toEqual({
        screened: 5,
        forwarded: 3,
        screenedOut: 2,
        confirmed: 3,
        failed: 0,
      });
      expect(events.filter((e) => e.type === 'result').map((e) => e.type === 'result' && e.score)).toEqual([
        6, 8, 10,
      ]);
    });
  });

  it('reports failures at either stage as values, naming the stage, and goes on', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const screen = virtualModel(scheduler);
      const cloud = virtualModel(scheduler, {
        durationMs: () => 5,
        failure: (call) => (call === 0 ? new Error('platform unavailable') : undefined),
      });
      const out = cold('a b c 5ms (de|)', { ...IN, b: Number.NaN }).pipe(
        screenAndForward({
          screen: screen.model,
          screenCodec: doublerCodec,
          screenOptions: { maxBatch: 1, maxWaitMs: 0 },
          threshold: 0,
          forward: infer(cloud.model, candidateCodec(doublerCodec), { maxBatch: 2, maxWaitMs: 0 }),
        }),
        map(compact),
      );
      // a is forwarded alone (run 0 fails at 5); b is refused by the screen; c waits for the cloud slot.
      expectObservable(out).toBe('-x--- y 4ms z 4ms (uv|)', {
        x: 'screen-prepare:NaN',
        y: 'cloud-run:1',
        z: 'ok:3=6',
        u: 'ok:4=8',
        v: 'ok:5=10',
      });
    });
  });

  it('treats a screen score that is not a finite number as a screen failure', () => {
    const scheduler = newScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const screen = virtualModel(scheduler);
      const cloud = virtualModel(scheduler);
      const infinite = float32RowsCodec({
        inputName: 'x',
        width: 1,
        outputName: 'y',
        features: (n: number) => [n],
        output: (row) => ((row[0] as number) > 5 ? Number.POSITIVE_INFINITY : (row[0] as number)),
      });
      const out = cold('(ad|)', IN).pipe(
        screenAndForward({
          screen: screen.model,
          screenCodec: infinite,
          threshold: 100,
          forward: infer(cloud.model, candidateCodec(doublerCodec)),
        }),
        map(compact),
      );
      // The source completes at once, so the batch runs at once rather than after maxWaitMs.
      expectObservable(out).toBe('(xy|)', { x: 'out:1', y: 'screen-decode:4' });
    });
  });

  it('checks its options', () => {
    const double = virtualModel(newScheduler());
    const base = {
      screen: double.model,
      screenCodec: doublerCodec,
      forward: infer(double.model, candidateCodec(doublerCodec)),
    };
    expect(() => screenAndForward({ ...base, threshold: Number.NaN })).toThrow(RangeError);
    expect(() =>
      screenAndForward({ ...base, threshold: 1, forward: undefined as unknown as typeof base.forward }),
    ).toThrow(TypeError);
  });
});
