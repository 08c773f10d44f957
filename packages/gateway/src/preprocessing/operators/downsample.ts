import type { Reading, ReadingQuality } from '@healthit/core';
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { checkPositiveInt, DEFAULT_MAX_SERIES, IdleTimers, SeriesTable } from './series.js';

/** A reading that represents one bucket of its series. */
export interface DownsampledReading {
  /** Discriminant of {@link DownsampleOutput}: always `reading`. */
  readonly type: 'reading';
  /**
   * The bucket's representative: its first or last reading as received (`first`, `last`), or its
   * last reading with `value` = the bucket's mean and `quality` = the worst in it (`mean`).
   */
  readonly reading: Reading;
  /** Start of the bucket `[bucketStartMs, bucketStartMs + everyMs)`, epoch ms. */
  readonly bucketStartMs: number;
  /** How many input readings the bucket held when emitted (always 1 for `first`). */
  readonly count: number;
}

/** A reading older than its series' current bucket (input out of order). Handed on, not dropped. */
export interface DownsampleLate {
  /** Discriminant of {@link DownsampleOutput}: always `late`. */
  readonly type: 'late';
  /** The late reading, unchanged. */
  readonly reading: Reading;
  /** Start of the series' current bucket, epoch ms. */
  readonly bucketStartMs: number;
}

/** What {@link downsample} emits. */
export type DownsampleOutput = DownsampledReading | DownsampleLate;

/** Options of {@link downsample}. */
export interface DownsampleOptions {
  /** Bucket length, ms; buckets are aligned to epoch 0. */
  readonly everyMs: number;
  /**
   * Which reading represents a bucket: `first` (emitted at once, the rest of the bucket skipped),
   * `last` (emitted when the bucket closes), or `mean` (the last reading with `value` replaced by
   * the mean of the bucket and `quality` by the worst quality in it; emitted when it closes).
   */
  readonly pick: 'first' | 'last' | 'mean';
  /** Optional: close a series' bucket after this long without input (scheduler time). */
  readonly flushAfterIdleMs?: number;
  /** Series remembered at most (least recently used flushed and forgotten). Default 100 000. */
  readonly maxSeries?: number;
  /** Scheduler for `flushAfterIdleMs`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

interface Bucket {
  readonly startMs: number;
  count: number;
  sum: number;
  last: Reading;
  quality: ReadingQuality | undefined;
  /** True once emitted (`first`) — the bucket then only counts. */
  emitted: boolean;
}

interface SeriesState {
  bucket: Bucket | undefined;
  /** Start of the latest bucket seen. */
  currentStartMs: number;
}

const QUALITY_RANK: Readonly<Record<ReadingQuality, number>> = { good: 0, questionable: 1, bad: 2 };

/**
 * Downsamples readings per series (deviceId, metric, unit) to at most one reading per event-time
 * bucket of `everyMs`. Expects input ordered per series (use {@link reorder}); a reading before the
 * series' current bucket becomes a `late` event. Open buckets are closed by a reading of a later
 * bucket, idleness (`flushAfterIdleMs`), eviction, or completion. The emitted reading keeps the id
 * and seq of the reading it was built from, so ids stay stable and de-duplicable.
 *
 * @throws {RangeError} on a non-positive-integer `everyMs`/`maxSeries`/`flushAfterIdleMs` or an
 *   unknown `pick`.
 * @example
 * ```ts
 * readings$.pipe(downsample({ everyMs: 1_000, pick: 'mean' }))
 * ```
 */
export function downsample(options: DownsampleOptions): OperatorFunction<Reading, DownsampleOutput> {
  const { everyMs, pick, flushAfterIdleMs } = options;
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  checkPositiveInt('everyMs', everyMs);
  checkPositiveInt('maxSeries', maxSeries);
  checkPositiveInt('flushAfterIdleMs', flushAfterIdleMs, true);
  if (pick !== 'first' && pick !== 'last' && pick !== 'mean') {
    throw new RangeError(`pick must be 'first', 'last' or 'mean', got ${String(pick)}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<DownsampleOutput>((subscriber) => {
      const close = (s: SeriesState): void => {
        const b = s.bucket;
        s.bucket = undefined;
        if (b === undefined || b.emitted) return;
        let reading = b.last;
        if (pick === 'mean') {
          const { quality: _q, ...rest } = b.last;
          reading = {
            ...rest,
            value: b.sum / b.count,
            ...(b.quality !== undefined ? { quality: b.quality } : {}),
          };
        }
        subscriber.next({ type: 'reading', reading, bucketStartMs: b.startMs, count: b.count });
      };
      const table = new SeriesTable<SeriesState>(maxSeries, (key, s) => {
        timers.cancel(key);
        close(s);
      });
      const timers = new IdleTimers(flushAfterIdleMs, scheduler, (key) => {
        const s = table.get(key);
        if (s !== undefined) close(s);
      });

      const sub = source.subscribe({
        next(r) {
          const key = `${r.deviceId}\u0000${r.metric}\u0000${r.unit}`;
          const s = table.touch(key, () => ({ bucket: undefined, currentStartMs: Number.NEGATIVE_INFINITY }));
          timers.arm(key);
          const startMs = Math.floor(r.ts / everyMs) * everyMs;
          if (startMs < s.currentStartMs) {
            subscriber.next({ type: 'late', reading: r, bucketStartMs: s.currentStartMs });
            return;
          }
          if (s.bucket !== undefined && s.bucket.startMs !== startMs) close(s);
          s.currentStartMs = startMs;
          let b = s.bucket;
          if (b === undefined) {
            b = { startMs, count: 0, sum: 0, last: r, quality: undefined, emitted: false };
            s.bucket = b;
            if (pick === 'first') {
              b.emitted = true;
              subscriber.next({ type: 'reading', reading: r, bucketStartMs: startMs, count: 1 });
            }
          }
          b.count++;
          b.sum += r.value;
          if (r.ts >= b.last.ts) b.last = r;
          if (
            r.quality !== undefined &&
            (b.quality === undefined || QUALITY_RANK[r.quality] > QUALITY_RANK[b.quality])
          ) {
            b.quality = r.quality;
          }
        },
        error(err: unknown) {
          timers.cancelAll();
          subscriber.error(err);
        },
        complete() {
          timers.cancelAll();
          for (const [, s] of table.entries()) close(s);
          subscriber.complete();
        },
      });
      return () => {
        timers.cancelAll();
        sub.unsubscribe();
      };
    });
}
