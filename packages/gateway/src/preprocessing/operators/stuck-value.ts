import type { MetricId, Reading } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';
import { artefactSeriesKey, degrade, type NonFiniteValue } from './artefact.js';
import { ARTEFACT_DEFAULTS } from './artefact-defaults.js';
import { checkNonNegative, checkPositiveInt, DEFAULT_MAX_SERIES, SeriesTable } from './series.js';

/** A reading that passed {@link stuckValue}: unchanged, or `quality: 'bad'` during a stuck episode. */
export interface StuckCheckedReading {
  /** Discriminant of {@link StuckValueOutput}: always `reading`. */
  readonly type: 'reading';
  /** The reading: unchanged, or with `quality: 'bad'` while its series is stuck. */
  readonly reading: Reading;
}

/** Fields shared by the stuck-episode events. */
interface StuckEpisode {
  readonly deviceId: Reading['deviceId'];
  readonly metric: Reading['metric'];
  readonly unit: string;
  /** The repeated value. */
  readonly value: number;
  /** Event time of the first reading of the run, epoch ms. */
  readonly sinceMs: number;
}

/**
 * A series has repeated one value for `minRepeats` readings spanning `minDurationMs`: its sensor
 * looks frozen. Emitted just before the first reading marked `bad`.
 */
export interface StuckStart extends StuckEpisode {
  /** Discriminant of {@link StuckValueOutput}: always `stuck-start`. */
  readonly type: 'stuck-start';
  /** Readings in the run so far (the ones before this reading went on unflagged). */
  readonly count: number;
  /** Id of the reading that completed the run, the first marked `bad`. */
  readonly readingId: string;
}

/** A stuck episode is over. */
export interface StuckEnd extends StuckEpisode {
  /** Discriminant of {@link StuckValueOutput}: always `stuck-end`. */
  readonly type: 'stuck-end';
  /** Readings in the whole run, including those before `stuck-start`. */
  readonly count: number;
  /** Latest event time in the run, epoch ms. */
  readonly untilMs: number;
  /**
   * `changed`: a different value arrived (emitted just before it); `evicted`: the series was
   * forgotten to stay within `maxSeries`; `complete`: the input completed.
   */
  readonly ended: 'changed' | 'evicted' | 'complete';
}

/** What {@link stuckValue} emits. */
export type StuckValueOutput = StuckCheckedReading | StuckStart | StuckEnd | NonFiniteValue;

/** When a run of identical values counts as stuck: both must hold. */
export interface StuckCriteria {
  /** Identical consecutive readings, at least 2. */
  readonly minRepeats?: number;
  /** Event time from the first to the latest of them, ms. */
  readonly minDurationMs?: number;
}

/** Options of {@link stuckValue}. */
export interface StuckValueOptions extends StuckCriteria {
  /**
   * Criteria per metric; they win over `minRepeats`/`minDurationMs`, which win over
   * `ARTEFACT_DEFAULTS` (`stuckMinRepeats`, `stuckMinDurationMs`).
   */
  readonly perMetric?: Readonly<Partial<Record<MetricId, StuckCriteria>>>;
  /** Series remembered at most (least recently used ended with `evicted` and forgotten). Default 100 000. */
  readonly maxSeries?: number;
}

interface Run {
  value: number;
  sinceMs: number;
  untilMs: number;
  count: number;
  stuck: boolean;
  /** A reading of the run, for the series' device, metric and unit. */
  reading: Reading;
}

function checkCriteria(prefix: string, c: StuckCriteria | undefined): void {
  if (c?.minRepeats !== undefined) {
    checkPositiveInt(`${prefix}minRepeats`, c.minRepeats);
    if (c.minRepeats < 2) throw new RangeError(`${prefix}minRepeats must be at least 2, got ${c.minRepeats}`);
  }
  if (c?.minDurationMs !== undefined) checkNonNegative(`${prefix}minDurationMs`, c.minDurationMs);
}

/**
 * Stuck-value (frozen sensor) detector per series (deviceId, metric, unit). Physiological signals
 * always jitter; a run of exactly equal consecutive values (`===`) that reaches `minRepeats`
 * readings **and** spans `minDurationMs` of event time is a stuck episode: a `stuck-start` event
 * comes out, then that reading and every later one of the run get `quality: 'bad'` until the value
 * changes, which emits `stuck-end` before the new reading. Readings of the run before detection go
 * on unflagged (nothing is held back). Defaults per metric in `ARTEFACT_DEFAULTS` reflect each
 * signal's resolution and sampling (a 0.1 °C temperature probe may legitimately repeat for far
 * longer than an SpO2 sensor). Expects input ordered per series; non-finite values come out as
 * `non-finite` events and neither extend nor break a run.
 *
 * Memory: O(1) per series, at most `maxSeries` series; an evicted series' open episode ends with
 * `ended: 'evicted'`, and on completion open episodes end with `ended: 'complete'`.
 *
 * @throws {RangeError} on a `minRepeats` below 2 or not an integer, a negative `minDurationMs` or a
 *   non-positive-integer `maxSeries`.
 * @example
 * ```ts
 * readings$.pipe(stuckValue({ minRepeats: 30, minDurationMs: 60_000 }))
 * ```
 */
export function stuckValue(options: StuckValueOptions = {}): OperatorFunction<Reading, StuckValueOutput> {
  const maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
  checkPositiveInt('maxSeries', maxSeries);
  checkCriteria('', options);
  for (const [metric, c] of Object.entries(options.perMetric ?? {})) checkCriteria(`perMetric.${metric}.`, c);
  const criteriaOf = (metric: MetricId): Required<StuckCriteria> => {
    const own = options.perMetric?.[metric];
    const d = ARTEFACT_DEFAULTS[metric];
    return {
      minRepeats: own?.minRepeats ?? options.minRepeats ?? d.stuckMinRepeats,
      minDurationMs: own?.minDurationMs ?? options.minDurationMs ?? d.stuckMinDurationMs,
    };
  };

  return (source) =>
    new Observable<StuckValueOutput>((subscriber) => {
      const end = (run: Run, ended: StuckEnd['ended']): void => {
        if (!run.stuck) return;
        const { deviceId, metric, unit } = run.reading;
        subscriber.next({
          type: 'stuck-end',
          deviceId,
          metric,
          unit,
          value: run.value,
          sinceMs: run.sinceMs,
          untilMs: run.untilMs,
          count: run.count,
          ended,
        });
      };
      const table = new SeriesTable<Run>(maxSeries, (_key, run) => end(run, 'evicted'));
      return source.subscribe({
        next(r) {
          if (!Number.isFinite(r.value)) {
            subscriber.next({ type: 'non-finite', reading: r });
            return;
          }
          const run = table.touch(artefactSeriesKey(r), () => ({
            value: r.value,
            sinceMs: r.ts,
            untilMs: r.ts,
            count: 0,
            stuck: false,
            reading: r,
          }));
          if (run.value !== r.value) {
            end(run, 'changed');
            Object.assign(run, {
              value: r.value,
              sinceMs: r.ts,
              untilMs: r.ts,
              count: 0,
              stuck: false,
              reading: r,
            } satisfies Run);
          }
          run.count++;
          run.sinceMs = Math.min(run.sinceMs, r.ts);
          run.untilMs = Math.max(run.untilMs, r.ts);
          if (!run.stuck) {
            const { minRepeats, minDurationMs } = criteriaOf(r.metric);
            if (run.count >= minRepeats && run.untilMs - run.sinceMs >= minDurationMs) {
              run.stuck = true;
              subscriber.next({
                type: 'stuck-start',
                deviceId: r.deviceId,
                metric: r.metric,
                unit: r.unit,
                value: run.value,
                sinceMs: run.sinceMs,
                count: run.count,
                readingId: r.id,
              });
            }
          }
          subscriber.next({ type: 'reading', reading: run.stuck ? degrade(r, 'bad') : r });
        },
        error: (err: unknown) => subscriber.error(err),
        complete() {
          for (const [, run] of table.entries()) end(run, 'complete');
          subscriber.complete();
        },
      });
    });
}
