/**
 * A `LoadedModel` test double whose runs take virtual time: `run` returns a thenable settled by a
 * `TestScheduler` after `durationMs(call)`, so an operator under test stays entirely in virtual
 * time and marble tests see its results. The "model" doubles each value of its `[N, 1]` input `x`
 * into its `[N, 1]` output `y`.
 *
 * Test-only (imported by `*.test.ts` files).
 * @internal
 */
import { HealthItError, type LoadedModel, type Tensor } from '@healthit/core';
import type { SchedulerLike } from 'rxjs';
import { float32RowsCodec } from '../src/inference/codec.js';

/** One run the double received. */
export interface VirtualCall {
  /** Virtual time the run started. */
  readonly at: number;
  /** The input values of the batch, in order. */
  readonly values: readonly number[];
}

/** Options of {@link virtualModel}. */
export interface VirtualModelOptions {
  /** How long run number `call` (0-based) takes, in virtual ms. Default 0. */
  readonly durationMs?: (call: number, size: number) => number;
  /** Run number `call` fails with this error when it returns one. */
  readonly failure?: (call: number) => Error | undefined;
}

/** The double, with what it saw. */
export interface VirtualModel {
  readonly model: LoadedModel;
  readonly calls: VirtualCall[];
  /** Runs started and not yet settled. */
  readonly inFlight: () => number;
  /** The most runs ever in flight at once. */
  readonly maxInFlight: () => number;
}

/** A `LoadedModel` double computing `y = 2x` in virtual time (see the module comment). */
export function virtualModel(scheduler: SchedulerLike, options: VirtualModelOptions = {}): VirtualModel {
  const calls: VirtualCall[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const model: LoadedModel = {
    id: 'doubler',
    version: '1.0.0',
    inputNames: ['x'],
    outputNames: ['y'],
    run(feeds: Readonly<Record<string, Tensor>>): Promise<Record<string, Tensor>> {
      const x = feeds.x;
      if (x?.type !== 'float32') throw new HealthItError('model/run', 'doubler: input "x" must be float32');
      const call = calls.length;
      const size = x.dims[0] ?? 0;
      calls.push({ at: scheduler.now(), values: Array.from(x.data) });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const thenable = {
        // biome-ignore lint/suspicious/noThenProperty: a thenable settled in virtual time, on purpose
        then(onFulfilled: (v: Record<string, Tensor>) => void, onRejected: (e: unknown) => void): void {
          scheduler.schedule(() => {
            inFlight--;
            const error = options.failure?.(call);
            if (error !== undefined) onRejected(error);
            else onFulfilled({ y: { type: 'float32', data: x.data.map((v) => v * 2), dims: [size, 1] } });
          }, options.durationMs?.(call, size) ?? 0);
        },
      };
      return thenable as unknown as Promise<Record<string, Tensor>>;
    },
    async dispose(): Promise<void> {},
  };
  return { model, calls, inFlight: () => inFlight, maxInFlight: () => maxInFlight };
}

/** The codec of the double: a number in, twice that number out. */
export const doublerCodec = float32RowsCodec({
  inputName: 'x',
  width: 1,
  outputName: 'y',
  features: (n: number) => [n],
  column: 0,
});
