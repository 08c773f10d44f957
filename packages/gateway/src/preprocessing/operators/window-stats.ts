import { METRICS, type MetricId, type Reading } from '@healthit/core';
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { checkPositiveInt, DEFAULT_MAX_SERIES, IdleTimers, PairSeriesTable } from './series.js';

/** The idle-timer key of a (series, metric) pair: ids never contain U+0000. */
function timerKey(series: string, inner: string): string {
  return `${series}\u0000${inner}`;
}

/** The statistics {@link windowStats} can compute (`count` is always present). */
export const WINDOW_STATS = ['mean', 'min', 'max', 'last', 'stddev'] as const;
/** One of {@link WINDOW_STATS}. */
export type WindowStatName = (typeof WINDOW_STATS)[number];

/**
 * The aggregate of one series over one event-time window `[windowStart, windowEnd)`. Only
 * non-empty windows are emitted. Fields not asked for in `stats` are absent. `stddev` is the
 * POPULATION standard deviation (divides by `count`; 0 for one reading).
 */
export interface WindowAggregate {
  /** Discriminant of {@link WindowOutput}: always `window`. */
  readonly type: 'window';
  /** `patientId` when the reading has one, else `deviceId`. */
  readonly series: string;
  /** The metric of the aggregated readings. */
  readonly metric: MetricId;
  /** The unit of the aggregated values (windows never mix units). */
  readonly unit: string;
  /** Start of the window, inclusive, in ms since the epoch (a multiple of the slide). */
  readonly windowStart: number;
  /** End of the window, exclusive, in ms since the epoch (`windowStart + sizeMs`). */
  readonly windowEnd: number;
  /** How many readings fell in the window (at least 1). */
  readonly count: number;
  /** The arithmetic mean of the values, in `unit`. */
  readonly mean?: number;
  /** The lowest value, in `unit`. */
  readonly min?: number;
  /** The highest value, in `unit`. */
  readonly max?: number;
  /** The value of the reading with the greatest ts (the last one on ties). */
  readonly last?: number;
  /**
   * The population standard deviation of the values (divides by `count`; 0 for one reading), in
   * `unit`.
   */
  readonly stddev?: number;
}

/**
 * A reading that belongs to a window already emitted (input out of order: put {@link reorder}
 * first). Handed on, never dropped.
 */
export interface WindowLate {
  /** Discriminant of {@link WindowOutput}: always `late`. */
  readonly type: 'late';
  /** The late reading, unchanged. */
  readonly reading: Reading;
  /** Readings before this time (epoch ms) can no longer be aggregated in their series. */
  readonly closedUpToMs: number;
}

/** What {@link windowStats} emits. */
export type WindowOutput = WindowAggregate | WindowLate;

/** Options of {@link windowStats}. */
export interface WindowStatsOptions {
  /**
   * `tumbling`: back-to-back windows of `sizeMs`, each reading in exactly one; `sliding`: windows
   * of `sizeMs` starting every `slideMs`, so a reading may fall in several.
   */
  readonly kind: 'tumbling' | 'sliding';
  /** Window length, ms. Windows are aligned to epoch 0: starts are multiples of the slide. */
  readonly sizeMs: number;
  /** Sliding only: distance between window starts, ms; `0 < slideMs ≤ sizeMs`. */
  readonly slideMs?: number;
  /** Statistics to include besides `count`. Default: all of {@link WINDOW_STATS}. */
  readonly stats?: readonly WindowStatName[];
  /** Optional: close a series' open windows after this long without input (scheduler time). */
  readonly flushAfterIdleMs?: number;
  /** Series remembered at most (least recently used flushed and forgotten). Default 100 000. */
  readonly maxSeries?: number;
  /** Scheduler for `flushAfterIdleMs`. Default `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
}

interface Acc {
  readonly start: number;
  count: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
  last: number;
  lastTs: number;
}

interface SeriesState {
  readonly series: string;
  readonly metric: MetricId;
  readonly unit: string;
  /** Open windows by ascending start. */
  readonly open: Acc[];
  /** End of the latest window emitted, epoch ms. */
  closedUpToMs: number;
}

/** The state of the series `r` starts (a function, not a closure per reading). */
function newSeries(r: Reading): SeriesState {
  return {
    series: r.patientId ?? r.deviceId,
    metric: r.metric,
    unit: r.unit,
    open: [],
    closedUpToMs: Number.NEGATIVE_INFINITY,
  };
}

/**
 * Aggregates readings per series (patient ?? device, metric, unit) over event-time tumbling or
 * sliding windows. A window is emitted once a reading of its series at or after its end arrives,
 * when the series is idle for `flushAfterIdleMs`, when it is evicted, or on completion. Expects
 * input ordered per series (use {@link reorder}); a reading whose time is before the end of a
 * window already emitted becomes a `late` event — so `Σ count` (tumbling) + late = input.
 * Mean and variance use Welford's algorithm.
 *
 * @throws {RangeError} on non-positive-integer `sizeMs`/`slideMs`/`maxSeries`/`flushAfterIdleMs`,
 *   `slideMs > sizeMs`, `slideMs` given for tumbling windows, or an unknown stat.
 * @example
 * ```ts
 * readings$.pipe(windowStats({ kind: 'sliding', sizeMs: 60_000, slideMs: 10_000 }))
 * ```
 */
export function windowStats(options: WindowStatsOptions): OperatorFunction<Reading, WindowOutput> {
  const { kind, sizeMs, flushAfterIdleMs } = options;
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  if (kind !== 'tumbling' && kind !== 'sliding') {
    throw new RangeError(`kind must be 'tumbling' or 'sliding', got ${String(kind)}`);
  }
  checkPositiveInt('sizeMs', sizeMs);
  if (kind === 'tumbling' && options.slideMs !== undefined) {
    throw new RangeError('slideMs is only for sliding windows; remove it or use kind "sliding"');
  }
  const slideMs = kind === 'tumbling' ? sizeMs : options.slideMs;
  checkPositiveInt('slideMs', slideMs);
  if ((slideMs as number) > sizeMs) {
    throw new RangeError(
      `slideMs (${slideMs}) must not exceed sizeMs (${sizeMs}): readings would fall between windows`,
    );
  }
  const slide = slideMs as number;
  checkPositiveInt('maxSeries', maxSeries);
  checkPositiveInt('flushAfterIdleMs', flushAfterIdleMs, true);
  const stats = new Set<WindowStatName>(options.stats ?? WINDOW_STATS);
  for (const s of stats) {
    if (!WINDOW_STATS.includes(s)) {
      throw new RangeError(`unknown stat "${String(s)}"; use some of ${WINDOW_STATS.join(', ')}`);
    }
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  const withMean = stats.has('mean');
  const withMin = stats.has('min');
  const withMax = stats.has('max');
  const withLast = stats.has('last');
  const withStddev = stats.has('stddev');
  const withAll = withMean && withMin && withMax && withLast && withStddev;
  const toAggregate = (s: SeriesState, a: Acc): WindowAggregate => {
    if (withAll) {
      // The default: one literal, one allocation with its final shape.
      return {
        type: 'window',
        series: s.series,
        metric: s.metric,
        unit: s.unit,
        windowStart: a.start,
        windowEnd: a.start + sizeMs,
        count: a.count,
        mean: a.mean,
        min: a.min,
        max: a.max,
        last: a.last,
        stddev: Math.sqrt(a.m2 / a.count),
      };
    }
    const out: { -readonly [K in keyof WindowAggregate]: WindowAggregate[K] } = {
      type: 'window',
      series: s.series,
      metric: s.metric,
      unit: s.unit,
      windowStart: a.start,
      windowEnd: a.start + sizeMs,
      count: a.count,
    };
    if (withMean) out.mean = a.mean;
    if (withMin) out.min = a.min;
    if (withMax) out.max = a.max;
    if (withLast) out.last = a.last;
    if (withStddev) out.stddev = Math.sqrt(a.m2 / a.count);
    return out;
  };

  return (source) =>
    new Observable<WindowOutput>((subscriber) => {
      /** Emits the open windows of `s` ending at or before `untilMs`, in order. */
      const close = (s: SeriesState, untilMs: number): void => {
        while (s.open.length > 0 && (s.open[0] as Acc).start + sizeMs <= untilMs) {
          const a = s.open.shift() as Acc;
          s.closedUpToMs = a.start + sizeMs;
          subscriber.next(toAggregate(s, a));
        }
      };
      // Keyed by (series, metric) — by (series, metric + unit) for a unit other than the
      // metric's canonical one — without building a key string per reading.
      const table = new PairSeriesTable<SeriesState>(maxSeries, (series, inner, s) => {
        timers.cancel(timerKey(series, inner));
        close(s, Number.POSITIVE_INFINITY);
      });
      const timers = new IdleTimers(flushAfterIdleMs, scheduler, (key) => {
        const cut = key.indexOf('\u0000');
        const s = table.get(key.slice(0, cut), key.slice(cut + 1));
        if (s !== undefined) close(s, Number.POSITIVE_INFINITY);
      });

      const sub = source.subscribe({
        next(r) {
          const series = r.patientId ?? r.deviceId;
          const canonical = (METRICS as Readonly<Record<string, { unit: string } | undefined>>)[r.metric]
            ?.unit;
          const inner = r.unit === canonical ? r.metric : `${r.metric}\u0000${r.unit}`;
          const s = table.touch(series, inner, newSeries, r);
          if (flushAfterIdleMs !== undefined) timers.arm(timerKey(series, inner));
          if (r.ts < s.closedUpToMs) {
            subscriber.next({ type: 'late', reading: r, closedUpToMs: s.closedUpToMs });
            return;
          }
          close(s, r.ts);
          // Window starts m·slide with start ≤ ts < start + size.
          const firstStart = (Math.floor((r.ts - sizeMs) / slide) + 1) * slide;
          const lastStart = Math.floor(r.ts / slide) * slide;
          for (let start = firstStart; start <= lastStart; start += slide) {
            let a: Acc | undefined;
            for (const w of s.open) {
              if (w.start === start) {
                a = w;
                break;
              }
            }
            if (a === undefined) {
              a = {
                start,
                count: 0,
                mean: 0,
                m2: 0,
                min: r.value,
                max: r.value,
                last: r.value,
                lastTs: r.ts,
              };
              let i = s.open.length;
              while (i > 0 && (s.open[i - 1] as Acc).start > start) i--;
              if (i === s.open.length) s.open.push(a);
              else s.open.splice(i, 0, a);
            }
            a.count++;
            const delta = r.value - a.mean;
            a.mean += delta / a.count;
            a.m2 += delta * (r.value - a.mean);
            if (r.value < a.min) a.min = r.value;
            if (r.value > a.max) a.max = r.value;
            if (r.ts >= a.lastTs) {
              a.last = r.value;
              a.lastTs = r.ts;
            }
          }
        },
        error(err: unknown) {
          timers.cancelAll();
          subscriber.error(err);
        },
        complete() {
          timers.cancelAll();
          for (const [, , s] of table.entries()) close(s, Number.POSITIVE_INFINITY);
          subscriber.complete();
        },
      });
      return () => {
        timers.cancelAll();
        sub.unsubscribe();
      };
    });
}
