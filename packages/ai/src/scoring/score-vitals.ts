import type { LoadedModel, Reading } from '@healthit/core';
import { asyncScheduler, defer, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { collectVitals } from './collect-vitals.js';
import type { ScoreEvent } from './events.js';
import { runBatches } from './run-batches.js';

/** Options for {@link scoreVitals}. */
export interface ScoreVitalsOptions {
  /** How long complete rows are collected before one model run, in ms. Default 1000. */
  readonly windowMs?: number;
  /** Rows per model run at most (a full batch runs before its window ends). Default 256. */
  readonly maxBatch?: number;
  /** Patients whose latest values are kept at most; the least recently updated is evicted. Default 10 000. */
  readonly maxPatients?: number;
  /**
   * A patient is scored only when the oldest and newest of its five values were measured at most
   * this far apart, in ms. Default `Infinity` (no limit).
   */
  readonly maxFeatureAgeMs?: number;
  /** The model's float32 `[N, 5]` input. Default `'vitals'`. */
  readonly inputName?: string;
  /** The model's float32 `[N, 1]` output of probabilities. Default `'risk'`. */
  readonly outputName?: string;
  /** Scheduler of the batching window. Default `asyncScheduler`; inject a `TestScheduler` in tests. */
  readonly scheduler?: SchedulerLike;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback;
  if (typeof v !== 'number') throw new TypeError(`scoreVitals: ${name} must be a number`);
  if (!Number.isInteger(v) || v < 1)
    throw new RangeError(`scoreVitals: ${name} must be an integer >= 1, got ${v}`);
  return v;
}

function nonEmptyString(name: string, value: unknown, fallback: string): string {
  const v = value ?? fallback;
  if (typeof v !== 'string' || v.length === 0)
    throw new TypeError(`scoreVitals: ${name} must be a non-empty string`);
  return v;
}

/**
 * Scores patients' deterioration risk from a stream of readings with a vitals model such as
 * `deteriorationModelV0()` loaded by a `ModelRuntime`.
 *
 * - Keeps the latest value of each `VITALS_FEATURES` metric per patient, converted to canonical
 *   units. Readings without `patientId`, of other metrics, of `quality: 'bad'`, older than the
 *   value already held, or re-delivered, are ignored.
 * - Each reading that leaves its patient with all five values makes a row; rows are batched with
 *   `bufferTime(windowMs, null, maxBatch, scheduler)` and each batch is one model run, with at most
 *   one row (the latest) per patient. Runs happen one at a time; rows arriving meanwhile wait, one
 *   per patient, a newer row replacing an older one.
 * - Emits `{ type: 'score', score }` per scored patient, and failures as values: a failed run emits
 *   one `{ type: 'error' }` naming every patient and reading of the batch, and the stream goes on.
 *   Only an error of the source itself errors the stream.
 * - Bounded: at most `maxPatients` patients are tracked; beyond that the least recently updated is
 *   evicted, reported as a `buffer/overflow` error event.
 *
 * Cold: each subscription has its own state. The caller owns `model` (this never disposes it).
 *
 * @throws {TypeError} when `model` is not a `LoadedModel` or an option has the wrong type;
 * @throws {RangeError} when an option has a wrong value, or `inputName`/`outputName` is not one of
 *   the model's.
 * @example
 * ```ts
 * const model = await createOnnxRuntime().load(deteriorationModelV0());
 * readings$.pipe(scoreVitals(model, { windowMs: 500 })).subscribe((event) => {
 *   if (event.type === 'score') console.log(event.score.patientId, event.score.risk);
 *   else console.warn(event.error.code, event.error.message);
 * });
 * ```
 */
export function scoreVitals(
  model: LoadedModel,
  options: ScoreVitalsOptions = {},
): OperatorFunction<Reading, ScoreEvent> {
  if (typeof model?.run !== 'function')
    throw new TypeError('scoreVitals: model must be a LoadedModel (from ModelRuntime.load)');
  const windowMs = options.windowMs ?? 1000;
  if (typeof windowMs !== 'number') throw new TypeError('scoreVitals: windowMs must be a number');
  if (!Number.isFinite(windowMs) || windowMs <= 0) {
    throw new RangeError(`scoreVitals: windowMs must be a finite number > 0, got ${windowMs}`);
  }
  const maxBatch = positiveInteger('maxBatch', options.maxBatch, 256);
  const maxPatients = positiveInteger('maxPatients', options.maxPatients, 10_000);
  const maxFeatureAgeMs = options.maxFeatureAgeMs ?? Number.POSITIVE_INFINITY;
  if (typeof maxFeatureAgeMs !== 'number')
    throw new TypeError('scoreVitals: maxFeatureAgeMs must be a number');
  if (Number.isNaN(maxFeatureAgeMs) || maxFeatureAgeMs < 0) {
    throw new RangeError(`scoreVitals: maxFeatureAgeMs must be >= 0, got ${maxFeatureAgeMs}`);
  }
  const inputName = nonEmptyString('inputName', options.inputName, 'vitals');
  const outputName = nonEmptyString('outputName', options.outputName, 'risk');
  for (const [name, value, names] of [
    ['inputName', inputName, model.inputNames],
    ['outputName', outputName, model.outputNames],
  ] as const) {
    if (names.length > 0 && !names.includes(value)) {
      throw new RangeError(
        `scoreVitals: ${name} "${value}" is not one of model ${model.id}@${model.version}'s (${names.join(', ')})`,
      );
    }
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  return (readings$) =>
    defer(() =>
      readings$.pipe(
        collectVitals({ windowMs, maxBatch, maxPatients, maxFeatureAgeMs, scheduler }),
        runBatches(model, maxBatch, { inputName, outputName }),
      ),
    );
}
