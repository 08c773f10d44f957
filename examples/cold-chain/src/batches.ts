import type { Reading } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';

/**
 * Groups one logger's readings into tumbling periods of reading time (`[origin + k·periodMs,
 * origin + (k+1)·periodMs)`): a period's batch is emitted when the first reading of a later period
 * arrives (the logger anchors the hour that just closed), the last one when the logger stops. Holds
 * at most one period of readings. Readings must arrive in time order (a logger's do).
 * @throws {RangeError} when `periodMs` is not a positive integer.
 * @example
 * ```ts
 * readings$.pipe(batchByPeriod(3_600_000, journeyStart)).subscribe((batch) => anchor(batch));
 * ```
 */
export function batchByPeriod(periodMs: number, originTs: number): OperatorFunction<Reading, Reading[]> {
  if (!Number.isSafeInteger(periodMs) || periodMs <= 0) {
    throw new RangeError(`periodMs must be a positive integer, got ${periodMs}`);
  }
  return (source) =>
    new Observable<Reading[]>((subscriber) => {
      let batch: Reading[] = [];
      let slot = 0;
      return source.subscribe({
        next(r) {
          const s = Math.floor((r.ts - originTs) / periodMs);
          if (batch.length > 0 && s !== slot) {
            subscriber.next(batch);
            batch = [];
          }
          slot = s;
          batch.push(r);
        },
        error: (e: unknown) => subscriber.error(e),
        complete() {
          if (batch.length > 0) subscriber.next(batch);
          batch = [];
          subscriber.complete();
        },
      });
    });
}
