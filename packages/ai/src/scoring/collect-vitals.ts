import type { Reading } from '@healthit/core';
import {
  bufferTime,
  connect,
  defer,
  filter,
  map,
  merge,
  mergeMap,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { ScoreEventError } from './events.js';
import { createLatestVitals, type VitalsRow, type VitalsUpdate } from './latest-vitals.js';

/** Options of {@link collectVitals}; all required (`scoreVitals` fills in the defaults). */
export interface CollectVitalsOptions {
  readonly windowMs: number;
  readonly maxBatch: number;
  readonly maxPatients: number;
  readonly maxFeatureAgeMs: number;
  readonly scheduler: SchedulerLike;
}

/** A batch of complete rows to score together, or an error to pass on at once. */
export type CollectedVitals =
  | { readonly type: 'batch'; readonly rows: readonly VitalsRow[] }
  | ScoreEventError;

/**
 * The synchronous half of `scoreVitals`: tracks the latest vitals per patient (bounded, see
 * `createLatestVitals`) and groups complete rows into batches with
 * `bufferTime(windowMs, null, maxBatch, scheduler)`; errors are not delayed. Empty windows emit
 * nothing. Cold: each subscription has its own state.
 */
export function collectVitals(options: CollectVitalsOptions): OperatorFunction<Reading, CollectedVitals> {
  return (readings$) =>
    defer(() => {
      const latest = createLatestVitals(options);
      // `connect` subscribes both branches before the source starts, so a synchronous source is not
      // consumed by the first branch alone.
      return readings$.pipe(
        mergeMap((reading) => latest.update(reading)),
        connect((updates$) =>
          merge(
            updates$.pipe(filter((u): u is ScoreEventError => u.type === 'error')),
            updates$.pipe(
              filter((u): u is Extract<VitalsUpdate, { type: 'row' }> => u.type === 'row'),
              map((u) => u.row),
              bufferTime(options.windowMs, null, options.maxBatch, options.scheduler),
              filter((rows) => rows.length > 0),
              map((rows): CollectedVitals => ({ type: 'batch', rows })),
            ),
          ),
        ),
      );
    });
}
