import { HealthItError, type LoadedModel } from '@healthit/core';
import { connect, defer, filter, map, merge, type Observable, type OperatorFunction } from 'rxjs';
import type { InferenceCodec } from '../inference/codec.js';
import type { InferenceEvent, InferenceStage } from '../inference/events.js';
import { infer } from '../inference/infer.js';
import type { InferOptions } from '../inference/infer-options.js';

/** An input the screen forwarded, with its screening score. */
export interface Candidate<In> {
  /** The input, as it arrived at the screen. */
  readonly input: In;
  /** The screen's score for it: a finite number at or above the threshold. */
  readonly score: number;
}

/** Counts of a split stage so far (per subscription). */
export interface SplitCounts {
  /** Inputs the screen scored. */
  readonly screened: number;
  /** Of those, forwarded to the cloud model (score ≥ threshold). */
  readonly forwarded: number;
  /** Of those, settled at the edge (score < threshold). */
  readonly screenedOut: number;
  /** Forwarded candidates the cloud model scored. */
  readonly confirmed: number;
  /** Inputs that failed at either stage. */
  readonly failed: number;
}

/** What {@link screenAndForward} emits (every event carries the counts so far). */
export type SplitEvent<In, Out> =
  /** Below the threshold: settled at the edge, never uploaded. */
  | {
      /** `screened-out`: the screen scored the input below `threshold`. */
      readonly type: 'screened-out';
      /** The input, as it arrived. */
      readonly input: In;
      /** The screen's score for it: a finite number below `threshold`. */
      readonly score: number;
      /** The running {@link SplitCounts} of this subscription, this input included. */
      readonly counts: SplitCounts;
    }
  /** A forwarded candidate, scored by the cloud model. */
  | {
      /** `result`: the cloud model confirmed (scored) a forwarded input. */
      readonly type: 'result';
      /** The input, as it arrived. */
      readonly input: In;
      /** The screen's score that forwarded it: a finite number at or above `threshold`. */
      readonly score: number;
      /** The cloud model's output for it, as its codec decodes it. */
      readonly output: Out;
      /** The running {@link SplitCounts} of this subscription, this input included. */
      readonly counts: SplitCounts;
    }
  /** Failed at the screen or in the cloud stage; the stream goes on. */
  | {
      /** `error`: the input got no verdict. */
      readonly type: 'error';
      /** The input, as it arrived. */
      readonly input: In;
      /** Which stage failed: the edge `screen` or the `cloud` stage (`forward`). */
      readonly where: 'screen' | 'cloud';
      /** Where in that stage's inference it failed (a screen score that is not finite is `decode`). */
      readonly stage: InferenceStage;
      /** What failed (e.g. `model/run`, `buffer/overflow`). */
      readonly error: HealthItError;
      /** The running {@link SplitCounts} of this subscription, this input included. */
      readonly counts: SplitCounts;
    };

/** Options of {@link screenAndForward}. */
export interface ScreenAndForwardOptions<In, Out, Prepared> {
  /** The cheap screening model, run at the edge on every input. */
  readonly screen: LoadedModel;
  /** Its codec: the output is the screening score (a finite number; higher means more likely a candidate). */
  readonly screenCodec: InferenceCodec<In, number, Prepared>;
  /** Batching, concurrency and buffer of the screen (see `infer`). */
  readonly screenOptions?: InferOptions;
  /** Inputs scoring at least this are forwarded. */
  readonly threshold: number;
  /**
   * The cloud stage: candidates in, one inference event per candidate out. In one process,
   * `infer(cloudModel, candidateCodec(codec))`; across the uplink, an operator that publishes
   * candidates to the platform and maps its results back.
   */
  readonly forward: OperatorFunction<Candidate<In>, InferenceEvent<Candidate<In>, Out>>;
}

/**
 * A codec over candidates from a codec over inputs (so the cloud model's codec stays the one the
 * model was built with).
 */
export function candidateCodec<In, Out, Prepared>(
  codec: InferenceCodec<In, Out, Prepared>,
): InferenceCodec<Candidate<In>, Out, Prepared> {
  const prepare = codec.prepare?.bind(codec);
  return {
    prepare: (c) => (prepare === undefined ? (c.input as unknown as Prepared) : prepare(c.input)),
    encode: (batch) => codec.encode(batch),
    decode: (outputs, index, size) => codec.decode(outputs, index, size),
  };
}

/**
 * Split placement as one operator: a cheap screening model scores every input at the edge; inputs
 * scoring at least `threshold` are forwarded to a larger cloud model through `forward`; the others
 * are settled at the edge. Emits one event per input — `screened-out`, the cloud `result`, or an
 * `error` naming the stage — each with the running {@link SplitCounts} (screened, forwarded,
 * screened out, confirmed, failed), so the uplink saving is measured, not assumed.
 *
 * Screened-out events come as the screen settles them; results as the cloud stage returns them
 * (each stage keeps its own input order). Bounded: each stage's `infer` buffer bounds what waits;
 * nothing else is held. A screen output that is not a finite number is an error for that input.
 *
 * @throws {TypeError} when a model, codec or `forward` is missing;
 * @throws {RangeError} when `threshold` is not a finite number.
 * @example
 * ```ts
 * readings$.pipe(screenAndForward({
 *   screen: edgeModel, screenCodec, threshold: 0.3,
 *   forward: infer(cloudModel, candidateCodec(cloudCodec), { maxBatch: 64 }),
 * })).subscribe((e) => e.type === 'result' && e.output > 0.8 && raiseAlert(e.input));
 * ```
 */
export function screenAndForward<In, Out, Prepared = In>(
  options: ScreenAndForwardOptions<In, Out, Prepared>,
): OperatorFunction<In, SplitEvent<In, Out>> {
  const { screen, screenCodec, threshold, forward } = options;
  if (typeof forward !== 'function') throw new TypeError('screenAndForward: forward must be an operator');
  if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
    throw new RangeError(`screenAndForward: threshold must be a finite number, got ${String(threshold)}`);
  }
  const screenStage = infer(screen, screenCodec, options.screenOptions);

  return (source) =>
    defer(() => {
      let screened = 0;
      let forwarded = 0;
      let screenedOut = 0;
      let confirmed = 0;
      let failed = 0;
      const counts = (): SplitCounts => ({ screened, forwarded, screenedOut, confirmed, failed });

      type Screened =
        | { readonly kind: 'candidate'; readonly candidate: Candidate<In> }
        | { readonly kind: 'out'; readonly input: In; readonly score: number }
        | {
            readonly kind: 'error';
            readonly input: In;
            readonly stage: InferenceStage;
            readonly error: HealthItError;
          };

      const classify = map((e: InferenceEvent<In, number>): Screened => {
        if (e.type === 'error') return { kind: 'error', input: e.input, stage: e.stage, error: e.error };
        const score = e.output;
        if (typeof score !== 'number' || !Number.isFinite(score)) {
          return {
            kind: 'error',
            input: e.input,
            stage: 'decode',
            error: new HealthItError(
              'model/run',
              `screenAndForward: screen ${screen.id}@${screen.version} gave ${String(score)}, not a finite score`,
            ),
          };
        }
        return score >= threshold
          ? { kind: 'candidate', candidate: { input: e.input, score } }
          : { kind: 'out', input: e.input, score };
      });

      return source.pipe(
        screenStage,
        classify,
        connect((screened$: Observable<Screened>) =>
          merge(
            screened$.pipe(
              filter((s): s is Extract<Screened, { kind: 'out' | 'error' }> => s.kind !== 'candidate'),
              map((s): SplitEvent<In, Out> => {
                if (s.kind === 'out') {
                  screened++;
                  screenedOut++;
                  return { type: 'screened-out', input: s.input, score: s.score, counts: counts() };
                }
                failed++;
                return {
                  type: 'error',
                  input: s.input,
                  where: 'screen',
                  stage: s.stage,
                  error: s.error,
                  counts: counts(),
                };
              }),
            ),
            screened$.pipe(
              filter((s): s is Extract<Screened, { kind: 'candidate' }> => s.kind === 'candidate'),
              map((s) => {
                screened++;
                forwarded++;
                return s.candidate;
              }),
              forward,
              map((e): SplitEvent<In, Out> => {
                if (e.type === 'result') {
                  confirmed++;
                  return {
                    type: 'result',
                    input: e.input.input,
                    score: e.input.score,
                    output: e.output,
                    counts: counts(),
                  };
                }
                failed++;
                return {
                  type: 'error',
                  input: e.input.input,
                  where: 'cloud',
                  stage: e.stage,
                  error: e.error,
                  counts: counts(),
                };
              }),
            ),
          ),
        ),
      );
    });
}
