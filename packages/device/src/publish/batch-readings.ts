import type { DeviceId, Reading } from '@healthit/core';
import {
  asapScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

/** The readings one device measured at one time (one tick of a monitor), in arrival order. */
export interface ReadingBatch {
  /** The device that measured every reading of the batch. */
  readonly deviceId: DeviceId;
  /** The shared `ts` of the readings, epoch ms. */
  readonly ts: number;
  /** At least one reading, all with this `deviceId` and `ts`. */
  readonly readings: readonly Reading[];
}

/** Options of {@link batchReadingsByDevice}. */
export interface BatchReadingsOptions {
  /** A batch is emitted as soon as it holds this many readings: an integer >= 1. Default 256. */
  readonly maxBatchSize?: number;
  /**
   * Schedules the flush at the end of a synchronous burst of readings (default `asapScheduler`,
   * i.e. a microtask; pass the `TestScheduler` in tests).
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * Groups consecutive readings with the same `deviceId` and `ts` into one {@link ReadingBatch}: the
 * readings one monitor produced in one tick. A batch is emitted when a reading of another device
 * or time arrives, when a reading's `seq` is not above the previous one's (a duplicate or late
 * delivery of the same measurement is a message of its own, so a batch never holds a reading
 * twice), when it reaches `maxBatchSize`, when the source completes or errors (the
 * pending batch goes first), and otherwise at the end of the current synchronous burst (one
 * action later on `scheduler`), so the last device of a tick is not held until the next tick.
 * The pending batch is the only buffer, bounded by `maxBatchSize`.
 *
 * @throws {RangeError} when `maxBatchSize` is not an integer >= 1.
 * @example
 * ```ts
 * ward.readings$.pipe(batchReadingsByDevice()).subscribe((b) => console.log(b.deviceId, b.readings.length));
 * ```
 */
export function batchReadingsByDevice(
  options: BatchReadingsOptions = {},
): OperatorFunction<Reading, ReadingBatch> {
  const maxBatchSize = options.maxBatchSize ?? 256;
  if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
    throw new RangeError(`maxBatchSize must be an integer >= 1, got ${maxBatchSize}`);
  }
  const scheduler = options.scheduler ?? asapScheduler;
  return (source) =>
    new Observable<ReadingBatch>((subscriber) => {
      let pending: Reading[] = [];
      let scheduled: Subscription | undefined;
      const flush = (): void => {
        scheduled?.unsubscribe();
        scheduled = undefined;
        const readings = pending;
        const first = readings[0];
        if (first === undefined) return;
        pending = [];
        subscriber.next({ deviceId: first.deviceId, ts: first.ts, readings });
      };
      const onSchedule = (): void => {
        scheduled = undefined;
        flush();
      };
      const subscription = source.subscribe({
        next(reading) {
          const head = pending[0];
          if (
            head !== undefined &&
            (head.deviceId !== reading.deviceId ||
              head.ts !== reading.ts ||
              reading.seq <= (pending[pending.length - 1] as Reading).seq)
          ) {
            flush();
          }
          pending.push(reading);
          if (pending.length >= maxBatchSize) flush();
          else scheduled ??= scheduler.schedule(onSchedule);
        },
        error(e) {
          flush();
          subscriber.error(e);
        },
        complete() {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        scheduled?.unsubscribe();
        subscription.unsubscribe();
      };
    });
}
