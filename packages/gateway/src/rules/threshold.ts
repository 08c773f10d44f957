import {
  type Alert,
  type AlertSeverity,
  type Clock,
  METRICS,
  type MetricId,
  type Reading,
  systemClock,
} from '@healthit/core';
import type { OperatorFunction } from 'rxjs';
import { episodeAlerts } from './episode-alerts.js';

/** A threshold on one metric: breached when the value is below `below` or above `above`. */
export interface ThresholdRule {
  /** Stable rule id; alerts are named `threshold:${id}`. */
  readonly id: string;
  /** The metric the rule watches; readings of other metrics pass by. */
  readonly metric: MetricId;
  /** Breached when value < below (canonical unit). */
  readonly below?: number;
  /** Breached when value > above (canonical unit). */
  readonly above?: number;
  /** The severity of the alerts the rule raises. */
  readonly severity: AlertSeverity;
  /**
   * Series remembered for edge-triggering (default 100 000); past that, the series updated least
   * recently is forgotten (its next breach raises a new alert).
   */
  readonly maxSeries?: number;
}

function validateRule(rule: ThresholdRule): void {
  if (rule.below === undefined && rule.above === undefined) {
    throw new RangeError(`Threshold rule "${rule.id}" needs "below", "above" or both`);
  }
  if (rule.below !== undefined && rule.above !== undefined && rule.below > rule.above) {
    throw new RangeError(
      `Threshold rule "${rule.id}": below (${rule.below}) is greater than above (${rule.above})`,
    );
  }
}

function describeBreach(rule: ThresholdRule, r: Reading): string {
  const unit = METRICS[r.metric].unit;
  const who = r.patientId ?? r.deviceId;
  const bound =
    rule.below !== undefined && r.value < rule.below ? `below ${rule.below}` : `above ${rule.above}`;
  return `${METRICS[r.metric].display} ${r.value} ${unit} for ${who} is ${bound} ${unit}`;
}

/**
 * Raises an alert when a series (patient, or device when there is no patient) crosses a threshold,
 * once per episode: the series re-arms when a reading is back within bounds. Readings of other
 * metrics pass by. Values are compared in the metric's canonical unit, so normalise first.
 *
 * @throws {RangeError} for a rule with no bound or crossed bounds.
 * @example
 * ```ts
 * readings$.pipe(thresholdAlerts({ id: 'spo2-low', metric: 'spo2', below: 92, severity: 'high' }))
 * ```
 */
export function thresholdAlerts(
  rule: ThresholdRule,
  clock: Clock = systemClock,
): OperatorFunction<Reading, Alert> {
  validateRule(rule);
  return episodeAlerts({
    ...(rule.maxSeries === undefined ? {} : { maxSeries: rule.maxSeries }),
    breach: (r) =>
      r.metric !== rule.metric
        ? undefined
        : (rule.below !== undefined && r.value < rule.below) ||
          (rule.above !== undefined && r.value > rule.above),
    alert: (r) => ({
      id: `threshold:${rule.id}:${r.id}`,
      rule: `threshold:${rule.id}`,
      severity: rule.severity,
      message: describeBreach(rule, r),
      ts: clock.now(),
      ...(r.patientId === undefined ? {} : { patientId: r.patientId }),
      deviceId: r.deviceId,
      metric: r.metric,
      value: r.value,
      readingIds: [r.id],
    }),
  });
}
