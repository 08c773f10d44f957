import { METRICS, type MetricId, type ReadingStore } from '@healthit/core';
import { AnalyticsLimitError } from './errors.js';
import { STABLE_SLOPE_PER_HOUR } from './trend-thresholds.js';
import { Checks } from './validate.js';
import { weightedLinearFit } from './weighted-fit.js';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** The default cap on the buckets of one {@link patientTrend}. */
export const DEFAULT_TREND_MAX_BUCKETS = 10_000;

/** A request of {@link patientTrend}. Times are epoch ms, `from` inclusive, `to` exclusive. */
export interface PatientTrendQuery {
  /** The patient whose readings are aggregated (as in `Reading.patientId`). */
  readonly patientId: string;
  /** The catalogue metric, e.g. `spo2`. */
  readonly metric: MetricId;
  /** Start of the range, epoch ms, inclusive; buckets are aligned on it. */
  readonly from: number;
  /** End of the range, epoch ms, exclusive (must be after `from`). */
  readonly to: number;
  /** Bucket width, ms (default {@link defaultTrendBucketMs}: about 24 buckets over the range). */
  readonly bucketMs?: number;
  /**
   * |slope| below this (canonical unit per hour) is `stable` (default
   * {@link STABLE_SLOPE_PER_HOUR} of the metric).
   */
  readonly stableBelowPerHour?: number;
  /** At most this many buckets, else {@link AnalyticsLimitError} (default 10 000). */
  readonly maxBuckets?: number;
}

/** Which way a series goes. */
export type TrendDirection = 'rising' | 'falling' | 'stable';

/** One bucket behind a trend: `[start, end)`, its readings and their mean. */
export interface TrendBucket {
  /** Start of the bucket, epoch ms, inclusive: `from + k·bucketMs`. */
  readonly start: number;
  /** `min(start + bucketMs, to)`: the last bucket may be cut short by `to`. */
  readonly end: number;
  /** Readings in the bucket (at least 1: empty buckets are not listed). */
  readonly count: number;
  /** Mean of the bucket's readings, in the metric's canonical unit. */
  readonly mean: number;
}

interface TrendCommon {
  /** The patient queried. */
  readonly patientId: string;
  /** The metric queried. */
  readonly metric: MetricId;
  /** The metric's canonical UCUM unit: values are in it, slopes in it per hour. */
  readonly unit: string;
  /** Start of the range, epoch ms, as queried. */
  readonly from: number;
  /** End of the range, epoch ms, as queried. */
  readonly to: number;
  /** The bucket width used, ms (the query's, or the default). */
  readonly bucketMs: number;
  /** Non-empty buckets. */
  readonly n: number;
  /** Readings in them. */
  readonly readings: number;
}

/** A fitted trend (at least two non-empty buckets). */
export interface TrendFound extends TrendCommon {
  /** Discriminant: `trend`. */
  readonly type: 'trend';
  /** Least-squares slope over the bucket means weighted by count, canonical unit per hour. */
  readonly slopePerHour: number;
  /** The fitted value at `from`. */
  readonly valueAtFrom: number;
  /** Weighted coefficient of determination, 0–1. */
  readonly r2: number;
  /** `rising`, `falling`, or `stable` when |slope| is below `stableBelowPerHour`. */
  readonly direction: TrendDirection;
  /** The threshold `direction` used. */
  readonly stableBelowPerHour: number;
  /** The earliest non-empty bucket. */
  readonly firstBucket: TrendBucket;
  /** The latest non-empty bucket. */
  readonly lastBucket: TrendBucket;
}

/** Fewer than two non-empty buckets: no slope can be fitted. */
export interface TrendInsufficientData extends TrendCommon {
  /** Discriminant: `insufficient-data`. */
  readonly type: 'insufficient-data';
}

/** What {@link patientTrend} found. */
export type PatientTrend = TrendFound | TrendInsufficientData;

/**
 * The default trend bucket: the range divided into 24, rounded up to a whole minute (at least
 * one minute). E.g. 24 h → 1 h buckets, 7 days → 7 h, 2 h → 5 min.
 */
export function defaultTrendBucketMs(from: number, to: number): number {
  return Math.max(1, Math.ceil((to - from) / 24 / MINUTE_MS)) * MINUTE_MS;
}

/**
 * The trend of one patient's metric over `[from, to)`, from the port's `aggregate` (so every
 * store driver computes the buckets in its own engine).
 *
 * Readings are grouped into buckets of `bucketMs` aligned on `from`; each non-empty bucket gives
 * a point (x = its midpoint in hours since `from`, the last bucket's midpoint taken over its part
 * before `to`; y = the mean of its readings; weight = its count), and the slope is the weighted
 * least-squares slope of those points ({@link weightedLinearFit}), in the metric's canonical unit
 * per hour. Weighting by count makes it the least-squares line of the readings themselves, each
 * moved in time to its bucket's midpoint: for a linear series whose readings sit symmetrically in
 * their buckets (one per bucket, or spread evenly) it is exactly the series' slope; otherwise the
 * bucketing moves each reading by at most `bucketMs / 2` in time.
 *
 * `direction` is `rising` when slope ≥ `stableBelowPerHour`, `falling` when slope ≤ −that,
 * otherwise `stable` (with a threshold of 0: the sign of the slope). It does not look at r²: gate
 * on `r2` and `n` yourself for noisy series.
 *
 * Values are aggregated as stored: readings are expected in the metric's canonical unit, as the
 * gateway's unit normalisation leaves them.
 *
 * @throws {ValidationError} (`validation/invalid`, schema `PatientTrendQuery`) naming every bad
 * field: an unknown metric, `from ≥ to`, a non-positive `bucketMs`, an empty `patientId`...
 * @throws {AnalyticsLimitError} when the range holds more than `maxBuckets` buckets.
 * @example
 * ```ts
 * const t = await patientTrend(store, { patientId: 'p-1', metric: 'spo2', from: now - 12 * HOUR, to: now });
 * if (t.type === 'trend' && t.direction === 'falling') console.log(`${t.slopePerHour} %/h`);
 * ```
 */
export async function patientTrend(store: ReadingStore, query: PatientTrendQuery): Promise<PatientTrend> {
  const c = new Checks('PatientTrendQuery');
  if (c.object(query)) {
    c.id('patientId', query.patientId);
    c.metric('metric', query.metric);
    c.range(query.from, query.to);
    if (query.bucketMs !== undefined) c.positiveMs('bucketMs', query.bucketMs);
    if (query.stableBelowPerHour !== undefined) c.nonNegative('stableBelowPerHour', query.stableBelowPerHour);
    if (query.maxBuckets !== undefined) c.positiveInt('maxBuckets', query.maxBuckets);
  }
  c.throwIfAny();
  const { patientId, metric, from, to } = query;
  const bucketMs = query.bucketMs ?? defaultTrendBucketMs(from, to);
  const maxBuckets = query.maxBuckets ?? DEFAULT_TREND_MAX_BUCKETS;
  const buckets = Math.ceil((to - from) / bucketMs);
  if (buckets > maxBuckets) {
    throw new AnalyticsLimitError(
      'patientTrend',
      'maxBuckets',
      buckets,
      maxBuckets,
      'use a wider bucketMs or a shorter range',
    );
  }

  const rows = await store.aggregate({
    from,
    to,
    bucketMs,
    origin: from,
    metric,
    patientId,
    stats: ['count', 'mean'],
  });
  const points = rows.map((r) => {
    const end = Math.min(r.bucket + bucketMs, to);
    return { start: r.bucket, end, count: r.count, mean: r.mean };
  });
  const common: TrendCommon = {
    patientId,
    metric,
    unit: METRICS[metric].unit,
    from,
    to,
    bucketMs,
    n: points.length,
    readings: points.reduce((sum, p) => sum + p.count, 0),
  };
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined || points.length < 2) {
    return { type: 'insufficient-data', ...common };
  }
  const fit = weightedLinearFit(
    points.map((p) => ({ x: (p.start + p.end - 2 * from) / 2 / HOUR_MS, y: p.mean, w: p.count })),
  );
  const stableBelowPerHour = query.stableBelowPerHour ?? STABLE_SLOPE_PER_HOUR[metric];
  return {
    type: 'trend',
    ...common,
    slopePerHour: fit.slope,
    valueAtFrom: fit.intercept,
    r2: fit.r2,
    direction: trendDirection(fit.slope, stableBelowPerHour),
    stableBelowPerHour,
    firstBucket: first,
    lastBucket: last,
  };
}

/** `rising` when `slope ≥ threshold`, `falling` when `slope ≤ −threshold`, else `stable`. */
export function trendDirection(slope: number, threshold: number): TrendDirection {
  if (threshold > 0 ? slope >= threshold : slope > 0) return 'rising';
  if (threshold > 0 ? slope <= -threshold : slope < 0) return 'falling';
  return 'stable';
}
