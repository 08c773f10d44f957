import { type Alert, type Clock, METRICS, type Reading, systemClock } from '@healthit/core';
import { Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { type Episode, stepEpisode } from './episode.js';
import { indexRules } from './resolve.js';
import type { ThresholdRuleSpec } from './spec.js';

/** A rule's episode was raised: one alert per episode. */
export interface RuleAlertRaised {
  /** Discriminant of {@link RuleEvent}: always `alert-raised`. */
  readonly type: 'alert-raised';
  /**
   * The alert: id `rule:<ruleId>:<readingId>` of the raising reading, rule `rule:<ruleId>`, the
   * rule's severity and message, and the ids of the episode's readings.
   */
  readonly alert: Alert;
}

/** A raised episode cleared: the reading `readingId` reached the clearing level. */
export interface RuleAlertCleared {
  /** Discriminant of {@link RuleEvent}: always `alert-cleared`. */
  readonly type: 'alert-cleared';
  /** The id of the rule whose episode cleared. */
  readonly ruleId: string;
  /** Patient id, or device id for readings without a patient. */
  readonly series: string;
  /** The id of the alert the episode raised (its `alert-raised` event's `alert.id`). */
  readonly alertId: string;
  /** The id of the reading that reached the clearing level. */
  readonly readingId: string;
  /** When it cleared (the injected clock). */
  readonly ts: number;
}

/**
 * A raised episode's state was evicted because more than `maxSeries` episodes were open; its
 * clearing will not be reported and a later breach raises a new alert.
 */
export interface RuleEpisodeEvicted {
  /** Discriminant of {@link RuleEvent}: always `episode-evicted`. */
  readonly type: 'episode-evicted';
  /** The id of the rule whose episode was evicted. */
  readonly ruleId: string;
  /** Patient id, or device id for readings without a patient. */
  readonly series: string;
  /** The id of the alert the evicted episode raised (it will not be reported cleared). */
  readonly alertId: string;
  /** When it was evicted, in ms since the epoch (the injected clock). */
  readonly ts: number;
}

/** What {@link declarativeAlerts} emits. */
export type RuleEvent = RuleAlertRaised | RuleAlertCleared | RuleEpisodeEvicted;

/** Options of {@link declarativeAlerts}. */
export interface DeclarativeAlertsOptions {
  /** Time source for `ts` of events; defaults to `scheduler.now()`, else the system clock. */
  readonly clock?: Clock;
  /** Used as the clock when `clock` is absent (e.g. a `TestScheduler`). */
  readonly scheduler?: SchedulerLike;
  /**
   * Open episodes (pending or raised, per rule and series) kept; past it the least recently updated
   * is evicted (an `episode-evicted` event if it was raised). Default 100 000.
   */
  readonly maxSeries?: number;
  /** The ward of a reading's patient, for ward-scoped rules. Required when any rule has a ward. */
  readonly wardOf?: (reading: Reading) => string | undefined;
}

function describe(rule: ThresholdRuleSpec, r: Reading, series: string): string {
  if (rule.message !== undefined) return rule.message;
  const unit = METRICS[r.metric].unit;
  const lasting = rule.forSeconds ? ` for ${rule.forSeconds} s` : '';
  return `${METRICS[r.metric].display} ${r.value} ${unit} for ${series}: ${rule.comparison} ${rule.value} ${unit}${lasting}`;
}

/**
 * Evaluates validated declarative threshold rules (see `parseRuleSet`) on readings, per series
 * (patient, or device without a patient) and rule: raises one alert per episode once the breach has
 * lasted `forSeconds` of reading timestamps, and reports its clearing (with hysteresis when the rule
 * has `clearValue`). Per-patient rules override ward rules, which override unscoped rules, with the
 * same id. Values are compared in canonical units, so normalise first. Alerts carry `rule:${id}`.
 *
 * @throws {RangeError} when `maxSeries` is not a positive integer.
 * @throws {TypeError} when a rule is scoped to a ward but `wardOf` is missing.
 * @example
 * ```ts
 * readings$.pipe(declarativeAlerts(parseRuleSet(json), { wardOf: (r) => wards.get(r.patientId) }))
 * ```
 */
export function declarativeAlerts(
  rules: readonly ThresholdRuleSpec[],
  options: DeclarativeAlertsOptions = {},
): OperatorFunction<Reading, RuleEvent> {
  const maxSeries = options.maxSeries ?? 100_000;
  if (!Number.isInteger(maxSeries) || maxSeries < 1) {
    throw new RangeError(`declarativeAlerts: maxSeries must be a positive integer, got ${maxSeries}`);
  }
  const index = indexRules(rules);
  const wardOf = options.wardOf;
  if (index.hasWardRules && wardOf === undefined) {
    throw new TypeError('declarativeAlerts: some rules are scoped to a ward; pass the "wardOf" option');
  }
  const { scheduler } = options;
  const clock: Clock = options.clock ?? (scheduler ? { now: () => scheduler.now() } : systemClock);

  return (source) =>
    new Observable<RuleEvent>((subscriber) => {
      /** Open episodes by rule id and series, in least-recently-updated order. */
      const episodes = new Map<string, Episode>();
      return source.subscribe({
        next: (r) => {
          const series = r.patientId ?? r.deviceId;
          const ward = wardOf?.(r);
          for (const rule of index.applicable(r, ward)) {
            const key = `${rule.id}\u0000${series}`;
            const before = episodes.get(key);
            const step = stepEpisode(rule, before, r);
            episodes.delete(key);
            if (step.next !== undefined) {
              episodes.set(key, step.next);
              if (episodes.size > maxSeries) evictOldest(episodes, subscriber, clock);
            }
            if (step.kind === 'raise') {
              const alertId = `rule:${rule.id}:${r.id}`.slice(0, 300);
              step.next.alertId = alertId;
              subscriber.next({
                type: 'alert-raised',
                alert: {
                  id: alertId,
                  rule: `rule:${rule.id}`,
                  severity: rule.severity,
                  message: describe(rule, r, series),
                  ts: clock.now(),
                  ...(r.patientId === undefined ? {} : { patientId: r.patientId }),
                  deviceId: r.deviceId,
                  metric: r.metric,
                  value: r.value,
                  readingIds: [...step.next.readingIds],
                },
              });
            } else if (step.kind === 'clear') {
              subscriber.next({
                type: 'alert-cleared',
                ruleId: rule.id,
                series,
                alertId: step.alertId,
                readingId: r.id,
                ts: clock.now(),
              });
            }
          }
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}

function evictOldest(
  episodes: Map<string, Episode>,
  subscriber: { next(e: RuleEvent): void },
  clock: Clock,
): void {
  const oldest = episodes.entries().next().value;
  if (oldest === undefined) return;
  const [key, episode] = oldest;
  episodes.delete(key);
  if (episode.phase === 'raised' && episode.alertId !== undefined) {
    const [ruleId = '', series = ''] = key.split('\u0000');
    subscriber.next({ type: 'episode-evicted', ruleId, series, alertId: episode.alertId, ts: clock.now() });
  }
}
