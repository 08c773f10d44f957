import { METRICS, type MetricId, type ReadingStore, toCanonicalUnit } from '@healthit/core';
import { AnalyticsLimitError } from './errors.js';
import { DEFAULT_PAGE_SIZE, readingPages } from './reading-pages.js';
import { Checks } from './validate.js';
import {
  addToBucket,
  type BucketSummary,
  bucketOf,
  combineBuckets,
  type WindowStats,
} from './window-buckets.js';

/** The default cap on the steps of one {@link rollingStats}. */
export const DEFAULT_ROLLING_MAX_STEPS = 10_000;

/** A request of {@link rollingStats}. Times are epoch ms. */
export interface RollingStatsQuery {
  /** The patient whose readings are summarised (as in `Reading.patientId`). */
  readonly patientId: string;
  /** The catalogue metric summarised, e.g. `heart-rate`. */
  readonly metric: MetricId;
  /** The steps cover `[from, to)`: the first window ends at `from + stepMs`. */
  readonly from: number;
  /** End of the range, exclusive: the last window ends at or before it. */
  readonly to: number;
  /** Width of the trailing window, ms (a positive integer). */
  readonly windowMs: number;
  /** Distance between consecutive window ends, ms (a positive integer). */
  readonly stepMs: number;
  /** At most this many steps, else {@link AnalyticsLimitError} (default 10 000). */
  readonly maxSteps?: number;
  /** Readings fetched per `query` call (default 5 000). */
  readonly pageSize?: number;
}

/** The statistics of one trailing window `[start, end)`. */
export interface RollingStep extends WindowStats {
  /** `end − windowMs` (may precede the query's `from`: every window is a full one). */
  readonly start: number;
  /** End of the window, exclusive: `from + k·stepMs` for step k (1-based). */
  readonly end: number;
}

/** What {@link rollingStats} computed. */
export interface RollingStats {
  /** The patient queried. */
  readonly patientId: string;
  /** The metric queried. */
  readonly metric: MetricId;
  /** The metric's canonical UCUM unit: every value is converted to it. */
  readonly unit: string;
  /** Width of each trailing window, ms, as queried. */
  readonly windowMs: number;
  /** Distance between consecutive window ends, ms, as queried. */
  readonly stepMs: number;
  /** The fine bucket the windows are built from: gcd(windowMs, stepMs). */
  readonly bucketMs: number;
  /** One per step, in time order, empty windows included (`count: 0`). */
  readonly steps: readonly RollingStep[];
}

function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/**
 * Rolling statistics of one patient's metric: for each step k = 1 … ⌊(to − from) / stepMs⌋, the
 * count, mean, min, max and sample standard deviation of the readings in the trailing window
 * `[end − windowMs, end)` with `end = from + k·stepMs`.
 *
 * Exact by construction: readings are read once, in order, in pages of the port's `query` (the
 * port's `aggregate` has no sum of squares, so a standard deviation cannot be built from it), and
 * summarised into fine buckets of g = gcd(windowMs, stepMs) aligned so that every window is a
 * union of whole buckets. A sliding window of the non-empty bucket summaries (count, sum, min,
 * max, Welford M2) is combined for each step with the exact decomposition of the sum of squares
 * (`combineBuckets`); nothing is approximated but floating-point rounding. Values are
 * converted to the metric's canonical unit.
 *
 * Memory: one page of readings, at most min(windowMs / g, readings in a window) bucket summaries,
 * and the result (capped by `maxSteps`). Time: one pass over the readings plus, per step, one pass
 * over the window's non-empty buckets.
 *
 * @throws {ValidationError} (`validation/invalid`, schema `RollingStatsQuery`) naming every bad
 * field: an unknown metric, `from ≥ to`, a non-positive `windowMs` or `stepMs`, a range shorter
 * than one step...
 * @throws {AnalyticsLimitError} when the range holds more than `maxSteps` steps.
 * @example
 * ```ts
 * // Hourly, the mean and spread of the heart rate over the previous 4 hours, for a day.
 * const { steps } = await rollingStats(store, { patientId: 'p-1', metric: 'heart-rate',
 *   from: dayStart, to: dayStart + 24 * HOUR, windowMs: 4 * HOUR, stepMs: HOUR });
 * ```
 */
export async function rollingStats(store: ReadingStore, query: RollingStatsQuery): Promise<RollingStats> {
  const c = new Checks('RollingStatsQuery');
  if (c.object(query)) {
    c.id('patientId', query.patientId);
    c.metric('metric', query.metric);
    const range = c.range(query.from, query.to);
    c.positiveMs('windowMs', query.windowMs);
    if (c.positiveMs('stepMs', query.stepMs) && range && query.to - query.from < query.stepMs) {
      c.fail('stepMs', `the range [from, to) of ${query.to - query.from} ms is shorter than one step`);
    }
    if (query.maxSteps !== undefined) c.positiveInt('maxSteps', query.maxSteps);
    if (query.pageSize !== undefined) c.positiveInt('pageSize', query.pageSize);
  }
  c.throwIfAny();
  const { patientId, metric, from, windowMs, stepMs } = query;
  const maxSteps = query.maxSteps ?? DEFAULT_ROLLING_MAX_STEPS;
  const stepCount = Math.floor((query.to - from) / stepMs);
  if (stepCount > maxSteps) {
    throw new AnalyticsLimitError(
      'rollingStats',
      'maxSteps',
      stepCount,
      maxSteps,
      'use a wider stepMs or a shorter range',
    );
  }
  const bucketMs = gcd(windowMs, stepMs);
  // Window k is [from + k·step − window, from + k·step); buckets start at `base + i·bucketMs`,
  // so every window boundary is a bucket boundary.
  const base = from + stepMs - windowMs;
  const lastEnd = from + stepCount * stepMs;

  const steps: RollingStep[] = [];
  const window: BucketSummary[] = []; // non-empty buckets, oldest first, from index `head`
  let head = 0;
  let k = 1;
  const emitStep = (): void => {
    const end = from + k * stepMs;
    const start = end - windowMs;
    while (head < window.length && (window[head] as BucketSummary).start < start) head += 1;
    if (head > 1024 && head * 2 > window.length) {
      window.splice(0, head);
      head = 0;
    }
    steps.push({ start, end, ...combineBuckets(window, head) });
    k += 1;
  };

  for await (const page of readingPages(
    store,
    { from: Math.max(0, base), to: lastEnd, patientId, metric },
    query.pageSize ?? DEFAULT_PAGE_SIZE,
  )) {
    for (const r of page) {
      while (k <= stepCount && from + k * stepMs <= r.ts) emitStep();
      const value = toCanonicalUnit(metric, r.value, r.unit);
      const start = base + Math.floor((r.ts - base) / bucketMs) * bucketMs;
      const open = window[window.length - 1];
      if (open !== undefined && window.length > head && open.start === start) addToBucket(open, value);
      else window.push(bucketOf(start, value));
    }
  }
  while (k <= stepCount) emitStep();
  return { patientId, metric, unit: METRICS[metric].unit, windowMs, stepMs, bucketMs, steps };
}
