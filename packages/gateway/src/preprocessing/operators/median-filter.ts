import type { MetricId, Reading } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';
import { artefactSeriesKey, checkWindow, degrade, differsBeyond, type NonFiniteValue } from './artefact.js';
import { ARTEFACT_DEFAULTS } from './artefact-defaults.js';
import { RollingWindow } from './rolling-window.js';
import { checkNonNegative, checkPositiveInt, DEFAULT_MAX_SERIES, SeriesTable } from './series.js';

/** A reading whose value is now the running median of its series. */
export interface MedianFilteredReading {
  /** Discriminant of {@link MedianFilterOutput}: always `reading`. */
  readonly type: 'reading';
  /**
   * The input reading with `value` = the median of the last `window` values of its series
   * (including its own), and `quality: 'questionable'` when that moved it by more than the
   * tolerance (a worse quality already set is kept).
   */
  readonly reading: Reading;
  /** The value as received. */
  readonly rawValue: number;
}

/** What {@link medianFilter} emits. */
export type MedianFilterOutput = MedianFilteredReading | NonFiniteValue;

/** Options of {@link medianFilter}. */
export interface MedianFilterOptions {
  /** Values per series the median is taken over: odd, 3 … 255. */
  readonly window: number;
  /**
   * Largest change the filter may make without flagging the reading `questionable`, in the metric's
   * canonical unit: one number for every metric, or per metric (others keep their default). Default
   * `ARTEFACT_DEFAULTS[metric].tolerance`.
   */
  readonly tolerance?: number | Readonly<Partial<Record<MetricId, number>>>;
  /** Series remembered at most (least recently used forgotten). Default 100 000. */
  readonly maxSeries?: number;
}

/**
 * Running median filter per series (deviceId, metric, unit): each reading comes out at once with
 * its value replaced by the median of the last `window` raw values of its series, its own
 * included; before the window fills, the median of the values seen so far (for an even count the
 * mean of the two middle ones). The output is therefore always within [min, max] of those values.
 * A reading moved by more than the tolerance is marked `quality: 'questionable'`. Expects input
 * ordered per series (use `reorder` first). A non-finite value is not entered into the window and
 * comes out as a `non-finite` event.
 *
 * Memory: at most `maxSeries` series of `window` numbers; the least recently seen series is
 * forgotten when a new one would exceed `maxSeries` (it restarts with an empty window).
 *
 * @throws {RangeError} on an even `window` or one outside [3, 255], a negative tolerance or a
 *   non-positive-integer `maxSeries`.
 * @example
 * ```ts
 * readings$.pipe(medianFilter({ window: 5 }))
 * ```
 */
export function medianFilter(options: MedianFilterOptions): OperatorFunction<Reading, MedianFilterOutput> {
  const { window, tolerance } = options;
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  checkWindow(window, 3, true);
  checkPositiveInt('maxSeries', maxSeries);
  if (typeof tolerance === 'number') checkNonNegative('tolerance', tolerance);
  else if (tolerance !== undefined) {
    for (const [metric, t] of Object.entries(tolerance)) checkNonNegative(`tolerance.${metric}`, t as number);
  }
  const toleranceOf = (metric: MetricId): number =>
    typeof tolerance === 'number' ? tolerance : (tolerance?.[metric] ?? ARTEFACT_DEFAULTS[metric].tolerance);

  return (source) =>
    new Observable<MedianFilterOutput>((subscriber) => {
      const table = new SeriesTable<RollingWindow>(maxSeries, () => {});
      return source.subscribe({
        next(r) {
          if (!Number.isFinite(r.value)) {
            subscriber.next({ type: 'non-finite', reading: r });
            return;
          }
          const w = table.touch(artefactSeriesKey(r), () => new RollingWindow(window));
          w.push(r.value);
          const value = w.median() as number;
          const moved = differsBeyond(value, r.value, toleranceOf(r.metric));
          const reading = moved ? degrade({ ...r, value }, 'questionable') : { ...r, value };
          subscriber.next({ type: 'reading', reading, rawValue: r.value });
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
