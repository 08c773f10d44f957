import type { Reading } from '@healthit/core';
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import {
  checkNonNegative,
  checkPositiveInt,
  compareReadings,
  DEFAULT_MAX_SERIES,
  deviceSeriesKey,
  IdleTimers,
  SeriesTable,
} from './series.js';

/** A reading released in (ts, seq) order within its series. */
export interface ReorderedReading {
  /** Discriminant of {@link ReorderOutput}: always `reading`. */
  readonly type: 'reading';
  /** The reading, unchanged. */
  readonly reading: Reading;
}

/**
 * A reading that arrived too late to be put in order: a reading of its series with a later
 * (ts, seq) — or the same one — was already released. It is handed on here, never dropped.
 */
export interface LateReading {
  /** Discriminant of {@link ReorderOutput}: always `late`. */
  readonly type: 'late';
  /** The late reading, unchanged. */
  readonly reading: Reading;
  /** The (ts) of the last reading released in its series, epoch ms. */
  readonly releasedUpToMs: number;
}

/**
 * A series' buffer was full (`maxBuffered`), so its oldest reading was released before the
 * watermark passed it. The released reading follows as a `reading`; order is still kept, but a
 * straggler older than it will now be `late`.
 */
export interface ReorderOverflow {
  /** Discriminant of {@link ReorderOutput}: always `overflow`. */
  readonly type: 'overflow';
  /** The device of the series whose buffer was full. */
  readonly deviceId: Reading['deviceId'];
  /** The metric of the series whose buffer was full. */
  readonly metric: Reading['metric'];
  /** The buffer's capacity, readings per series (the `maxBuffered` option). */
  readonly maxBuffered: number;
}

/** What {@link reorder} emits. */
export type ReorderOutput = ReorderedReading | LateReading | ReorderOverflow;

/** Options of {@link reorder}. */
export interface ReorderOptions {
  /** How long (event time, ms) a reading waits for older stragglers of its series. */
  readonly latenessMs: number;
  /** The most readings buffered per series; when full, the oldest is released early. */
  readonly maxBuffered: number;
  /**
   * Optional: when a series has had no input for this long (scheduler time), all of its buffered
   * readings are released. Without it, a quiet series' buffer waits for more input or completion.
   */
  readonly flushAfterIdleMs?: number;
  /** Series remembered at most (least recently used forgotten, after flushing). Default 100 000. */
  readonly maxSeries?: number;
  /** Scheduler for `flushAfterIdleMs`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

interface SeriesState {
  /** Buffered readings, sorted by (ts, seq). */
  readonly buffer: Reading[];
  maxTsMs: number;
  lastReleased: Reading | undefined;
}

/**
 * Re-orders readings per series (deviceId, metric) within a bounded lateness window.
 *
 * The watermark of a series is `max ts seen in the series − latenessMs` (event time, so results do
 * not depend on arrival speed). Buffered readings with `ts ≤ watermark` are released in (ts, seq)
 * order. A reading that can no longer be placed in order (its (ts, seq) is not after the last
 * reading released in its series) becomes a `late` event carrying it. When a series' buffer holds
 * `maxBuffered` readings, the oldest is released early, announced by an `overflow` event. On
 * completion every buffer is flushed in order; errors are passed on without flushing.
 *
 * @throws {RangeError} on a negative `latenessMs` or non-positive-integer `maxBuffered`,
 *   `maxSeries` or `flushAfterIdleMs`.
 * @example
 * ```ts
 * readings$.pipe(reorder({ latenessMs: 2_000, maxBuffered: 64 }))
 * ```
 */
export function reorder(options: ReorderOptions): OperatorFunction<Reading, ReorderOutput> {
  const { latenessMs, maxBuffered, flushAfterIdleMs } = options;
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  checkNonNegative('latenessMs', latenessMs);
  checkPositiveInt('maxBuffered', maxBuffered);
  checkPositiveInt('maxSeries', maxSeries);
  checkPositiveInt('flushAfterIdleMs', flushAfterIdleMs, true);
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<ReorderOutput>((subscriber) => {
      const release = (s: SeriesState, count: number): void => {
        const out = s.buffer.splice(0, count);
        for (const r of out) {
          s.lastReleased = r;
          subscriber.next({ type: 'reading', reading: r });
        }
      };
      const flushAll = (s: SeriesState): void => release(s, s.buffer.length);
      const table = new SeriesTable<SeriesState>(maxSeries, (key, s) => {
        timers.cancel(key);
        flushAll(s);
      });
      const timers = new IdleTimers(flushAfterIdleMs, scheduler, (key) => {
        const s = table.get(key);
        if (s !== undefined) flushAll(s);
      });

      const sub = source.subscribe({
        next(r) {
          const key = deviceSeriesKey(r);
          const s = table.touch(key, () => ({
            buffer: [],
            maxTsMs: Number.NEGATIVE_INFINITY,
            lastReleased: undefined,
          }));
          timers.arm(key);
          if (s.lastReleased !== undefined && compareReadings(r, s.lastReleased) <= 0) {
            subscriber.next({ type: 'late', reading: r, releasedUpToMs: s.lastReleased.ts });
            return;
          }
          // Binary insertion keeps the buffer sorted by (ts, seq).
          let lo = 0;
          let hi = s.buffer.length;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (compareReadings(s.buffer[mid] as Reading, r) <= 0) lo = mid + 1;
            else hi = mid;
          }
          s.buffer.splice(lo, 0, r);
          if (r.ts > s.maxTsMs) s.maxTsMs = r.ts;
          const watermarkMs = s.maxTsMs - latenessMs;
          let ready = 0;
          while (ready < s.buffer.length && (s.buffer[ready] as Reading).ts <= watermarkMs) ready++;
          if (ready > 0) release(s, ready);
          if (s.buffer.length > maxBuffered) {
            subscriber.next({ type: 'overflow', deviceId: r.deviceId, metric: r.metric, maxBuffered });
            release(s, s.buffer.length - maxBuffered);
          }
        },
        error(err: unknown) {
          timers.cancelAll();
          subscriber.error(err);
        },
        complete() {
          timers.cancelAll();
          for (const [, s] of table.entries()) flushAll(s);
          subscriber.complete();
        },
      });
      return () => {
        timers.cancelAll();
        sub.unsubscribe();
      };
    });
}
