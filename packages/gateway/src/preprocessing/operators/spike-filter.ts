import type { MetricId, Reading } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';
import {
  artefactSeriesKey,
  checkPositive,
  checkWindow,
  degrade,
  differsBeyond,
  type NonFiniteValue,
} from './artefact.js';
import { ARTEFACT_DEFAULTS } from './artefact-defaults.js';
import { medianAbsoluteDeviation, RollingWindow } from './rolling-window.js';
import { checkNonNegative, checkPositiveInt, DEFAULT_MAX_SERIES, SeriesTable } from './series.js';

/** Scale that makes the MAD a consistent estimator of the standard deviation of normal data. */
export const MAD_TO_SIGMA = 1.4826;

/** What {@link spikeFilter} does with a spike. */
export type SpikeAction = 'flag' | 'replace' | 'drop';

/** A reading that passed {@link spikeFilter}: unchanged, or (after a `spike` event) flagged or replaced. */
export interface SpikeCheckedReading {
  /** Discriminant of {@link SpikeFilterOutput}: always `reading`. */
  readonly type: 'reading';
  /**
   * The reading: unchanged, or after a spike `quality: 'questionable'` (`flag`) and also `value` =
   * the window median (`replace`).
   */
  readonly reading: Reading;
}

/**
 * A spike was detected. Emitted just before the flagged or replaced reading; with `action: 'drop'`
 * it is all that comes out for the reading, which it carries.
 */
export interface SpikeDetected {
  /** Discriminant of {@link SpikeFilterOutput}: always `spike`. */
  readonly type: 'spike';
  /** The reading as received. */
  readonly reading: Reading;
  /** Median of the preceding window of its series. */
  readonly medianValue: number;
  /** `|value − medianValue|`. */
  readonly deviation: number;
  /** The limit `deviation` exceeded. */
  readonly limit: number;
  /**
   * `absolute`: beyond the metric's `maxDeviation`; `mad`: beyond
   * `max(threshold × 1.4826 × MAD, tolerance)`.
   */
  readonly rule: 'absolute' | 'mad';
  /** What was done with the reading: the filter's `action` option (default `flag`). */
  readonly action: SpikeAction;
}

/** What {@link spikeFilter} emits. */
export type SpikeFilterOutput = SpikeCheckedReading | SpikeDetected | NonFiniteValue;

/** Per-metric limits of {@link spikeFilter}; see `ArtefactDefaults`. */
export interface SpikeLimits {
  /** Deviations up to this are never spikes (floor under the MAD test). */
  readonly tolerance?: number;
  /** Deviations beyond this are always spikes. */
  readonly maxDeviation?: number;
}

/** Options of {@link spikeFilter}. */
export interface SpikeFilterOptions {
  /** Preceding values per series the median and MAD are taken over: 3 … 255. */
  readonly window: number;
  /** Hampel threshold in robust standard deviations. Default 3. */
  readonly threshold?: number;
  /**
   * `flag` (default): the reading goes on with `quality: 'questionable'`; `replace`: also with
   * `value` = the window median; `drop`: only the `spike` event (carrying it) comes out.
   */
  readonly action?: SpikeAction;
  /** Overrides of `ARTEFACT_DEFAULTS` per metric, in the canonical unit. */
  readonly limits?: Readonly<Partial<Record<MetricId, SpikeLimits>>>;
  /** Series remembered at most (least recently used forgotten). Default 100 000. */
  readonly maxSeries?: number;
}

/**
 * Hampel-style spike detector per series (deviceId, metric, unit). A reading is compared with the
 * last `window` raw values of its series before it: it is a spike when its distance from their
 * median exceeds the metric's absolute `maxDeviation`, or — once `window` values are known — exceeds
 * `max(threshold × 1.4826 × MAD, tolerance)` (MAD = median absolute deviation of the window; the
 * `tolerance` floor keeps flat, quantised signals, whose MAD is 0, from flagging every wiggle). The
 * first reading of a series is never a spike. Every raw value, spikes included, enters the window,
 * so a genuine level shift stops being flagged once it fills half the window. Expects input ordered
 * per series; non-finite values come out as `non-finite` events and stay out of the window.
 *
 * Memory: at most `maxSeries` series of `window` numbers (least recently seen forgotten).
 *
 * @throws {RangeError} on a `window` outside [3, 255], a non-positive `threshold`, an unknown
 *   `action`, a negative limit or a non-positive-integer `maxSeries`.
 * @example
 * ```ts
 * readings$.pipe(spikeFilter({ window: 7, threshold: 3, action: 'flag' }))
 * ```
 */
export function spikeFilter(options: SpikeFilterOptions): OperatorFunction<Reading, SpikeFilterOutput> {
  const { window, limits } = options;
  const threshold = options.threshold ?? 3;
  const action = options.action ?? 'flag';
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  checkWindow(window, 3, false);
  checkPositive('threshold', threshold);
  checkPositiveInt('maxSeries', maxSeries);
  if (action !== 'flag' && action !== 'replace' && action !== 'drop') {
    throw new RangeError(`action must be 'flag', 'replace' or 'drop', got ${String(action)}`);
  }
  for (const [metric, l] of Object.entries(limits ?? {})) {
    if (l?.tolerance !== undefined) checkNonNegative(`limits.${metric}.tolerance`, l.tolerance);
    if (l?.maxDeviation !== undefined) checkNonNegative(`limits.${metric}.maxDeviation`, l.maxDeviation);
  }
  const limitsOf = (metric: MetricId): Required<SpikeLimits> => ({
    tolerance: limits?.[metric]?.tolerance ?? ARTEFACT_DEFAULTS[metric].tolerance,
    maxDeviation: limits?.[metric]?.maxDeviation ?? ARTEFACT_DEFAULTS[metric].maxDeviation,
  });

  return (source) =>
    new Observable<SpikeFilterOutput>((subscriber) => {
      const table = new SeriesTable<RollingWindow>(maxSeries, () => {});
      return source.subscribe({
        next(r) {
          if (!Number.isFinite(r.value)) {
            subscriber.next({ type: 'non-finite', reading: r });
            return;
          }
          const w = table.touch(artefactSeriesKey(r), () => new RollingWindow(window));
          const medianValue = w.median();
          let spike: SpikeDetected | undefined;
          if (medianValue !== undefined) {
            const { tolerance, maxDeviation } = limitsOf(r.metric);
            const deviation = Math.abs(r.value - medianValue);
            const base = { type: 'spike', reading: r, medianValue, deviation, action } as const;
            if (differsBeyond(r.value, medianValue, maxDeviation)) {
              spike = { ...base, limit: maxDeviation, rule: 'absolute' };
            } else if (w.size === window) {
              const mad = medianAbsoluteDeviation(w.sorted, medianValue) as number;
              const limit = Math.max(threshold * MAD_TO_SIGMA * mad, tolerance);
              if (differsBeyond(r.value, medianValue, limit)) spike = { ...base, limit, rule: 'mad' };
            }
          }
          w.push(r.value);
          if (spike === undefined) {
            subscriber.next({ type: 'reading', reading: r });
            return;
          }
          subscriber.next(spike);
          if (action === 'flag') subscriber.next({ type: 'reading', reading: degrade(r, 'questionable') });
          else if (action === 'replace') {
            subscriber.next({
              type: 'reading',
              reading: degrade({ ...r, value: spike.medianValue }, 'questionable'),
            });
          }
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
