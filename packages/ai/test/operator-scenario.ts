/**
 * The property tests' harness shared by the `infer` and `inferBatches` tests: a random scenario of
 * operator options, arrival gaps and run durations, played in virtual time against the
 * {@link virtualModel} double.
 *
 * Test-only (imported by `*.test.ts` files).
 * @internal
 */
import type { InferenceEvent } from '@healthit/ai';
import fc from 'fast-check';
import { type OperatorFunction, Subject } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { InferOptions } from '../src/inference/infer-options.js';
import { type VirtualModel, virtualModel } from './virtual-model.js';

/** Operator options and run durations of one scenario; the inputs' gaps are the caller's. */
export interface OperatorScenario {
  readonly gaps: readonly number[];
  readonly maxBatch: number;
  readonly maxWaitMs: number;
  readonly concurrency: number;
  readonly maxBuffered: number;
  readonly overflow: 'drop-oldest' | 'drop-newest';
  /** Run `k` takes `durations[k % length]` virtual ms. */
  readonly durations: readonly number[];
}

/** Random operator options and run durations (gaps and inputs are added by the caller). */
export function operatorOptions(
  maxBuffered: fc.Arbitrary<number>,
): fc.Arbitrary<Omit<OperatorScenario, 'gaps'>> {
  return fc.record({
    maxBatch: fc.integer({ min: 1, max: 9 }),
    maxWaitMs: fc.integer({ min: 0, max: 25 }),
    concurrency: fc.integer({ min: 1, max: 4 }),
    maxBuffered,
    overflow: fc.constantFrom('drop-oldest' as const, 'drop-newest' as const),
    durations: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 16 }),
  });
}

/** What a played scenario produced. */
export interface Played<In, E> {
  readonly events: E[];
  readonly completed: boolean;
  readonly error: unknown;
  readonly double: VirtualModel;
  /** Virtual arrival time of each input. */
  readonly arrival: number[];
  readonly inputs: readonly In[];
}

/**
 * Feeds `inputs[i]` after `gaps[i]` more virtual ms through `operator(model, options)` and
 * collects what comes out, until the operator completes.
 */
export function playScenario<In, Out>(
  s: OperatorScenario,
  inputs: readonly In[],
  operator: (
    model: VirtualModel['model'],
    options: InferOptions,
  ) => OperatorFunction<In, InferenceEvent<In, Out>>,
): Played<In, InferenceEvent<In, Out>> {
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  // flush() outside run() stops at 750 virtual ms by default: long scenarios must finish.
  scheduler.maxFrames = Number.POSITIVE_INFINITY;
  const double = virtualModel(scheduler, {
    durationMs: (call) => s.durations[call % s.durations.length] as number,
  });
  const source = new Subject<In>();
  const events: InferenceEvent<In, Out>[] = [];
  let completed = false;
  let error: unknown;
  source
    .pipe(
      operator(double.model, {
        maxBatch: s.maxBatch,
        maxWaitMs: s.maxWaitMs,
        concurrency: s.concurrency,
        maxBuffered: s.maxBuffered,
        overflow: s.overflow,
        scheduler,
      }),
    )
    .subscribe({
      next: (e) => events.push(e),
      error: (e: unknown) => {
        error = e;
      },
      complete: () => {
        completed = true;
      },
    });
  let t = 0;
  const arrival: number[] = [];
  s.gaps.forEach((gap, i) => {
    t += gap;
    arrival.push(t);
    scheduler.schedule(() => source.next(inputs[i] as In), t);
  });
  scheduler.schedule(() => source.complete(), t + 1);
  scheduler.flush();
  return {
    events,
    double,
    arrival,
    inputs,
    get completed() {
      return completed;
    },
    get error() {
      return error;
    },
  };
}
