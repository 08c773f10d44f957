import type { Alert, Reading } from '@healthit/core';
import { episodeAlerts, type News2Subscore, news2Spo2Subscore, type ThresholdRule } from '@healthit/gateway';
import type { OperatorFunction } from 'rxjs';

/**
 * Edge rules of the quick start: the NEWS2 single-parameter "red score" bands of the Royal College
 * of Physicians chart (2017). A score of 3 in any one parameter calls for an urgent ward-based
 * response; the RCP classes it as low-medium clinical risk. Bounds are in canonical units and
 * written for the resolution monitors report (integers; temperature to 0.1 °C).
 *
 * The SpO2 rule here is Scale 1's: right for most patients, wrong for a patient with hypercapnic
 * respiratory failure (Scale 2, target 88–92 %). The ward therefore runs
 * {@link WARD_GATEWAY_RULES} in the gateway and {@link spo2RedScoreAlerts} on each patient's scale.
 */
export const NEWS2_RED_SCORE_RULES: readonly ThresholdRule[] = [
  {
    id: 'news2-red-respiratory-rate',
    metric: 'respiratory-rate',
    below: 9,
    above: 24,
    severity: 'low-medium',
  }, // ≤8 or ≥25
  { id: 'news2-red-spo2', metric: 'spo2', below: 92, severity: 'low-medium' }, // ≤91 (scale 1)
  { id: 'news2-red-systolic', metric: 'bp-systolic', below: 91, above: 219, severity: 'low-medium' }, // ≤90 or ≥220
  { id: 'news2-red-pulse', metric: 'heart-rate', below: 41, above: 130, severity: 'low-medium' }, // ≤40 or ≥131
  { id: 'news2-red-temperature', metric: 'body-temperature', below: 35.05, severity: 'low-medium' }, // ≤35.0
];

/** The gateway's threshold rules in the ward: the red scores that do not depend on the patient's SpO2 scale. */
export const WARD_GATEWAY_RULES: readonly ThresholdRule[] = NEWS2_RED_SCORE_RULES.filter(
  (r) => r.metric !== 'spo2',
);

/** What SpO2 scoring needs to know of a patient: their NEWS2 SpO2 scale and oxygen status. */
export interface Spo2Context {
  readonly spo2Scale: 1 | 2;
  readonly onOxygen: boolean;
}

/**
 * The NEWS2 SpO2 subscore of `spo2` (%, rounded to a whole number as charted) on the patient's
 * scale (RCP 2017, Chart 1): on Scale 2, 93 % or more scores only on oxygen. The gateway's chart.
 */
export function spo2Subscore(spo2: number, context: Spo2Context): News2Subscore {
  return news2Spo2Subscore(Math.min(100, Math.max(0, Math.round(spo2))), context);
}

/**
 * The NEWS2 SpO2 red score on each patient's own scale: an alert (low-medium, rule
 * `news2-red-spo2`) when an SpO2 reading scores 3 — Scale 1: ≤ 91 %; Scale 2: ≤ 83 %, or ≥ 97 % on
 * oxygen — once per episode (re-armed by a reading that scores less; the gateway's
 * `episodeAlerts`). `contextOf` gives the patient's scale and oxygen status at the time of the
 * reading (Scale 1 on air when unknown: the conservative default). Bounded: at most `maxSeries`
 * patients in an episode are remembered.
 */
export function spo2RedScoreAlerts(
  contextOf: (patientId: string) => Spo2Context | undefined,
  now: () => number = Date.now,
  maxSeries = 100_000,
): OperatorFunction<Reading, Alert> {
  const contextAt = (r: Reading): Spo2Context =>
    (r.patientId === undefined ? undefined : contextOf(r.patientId)) ?? { spo2Scale: 1, onOxygen: false };
  return episodeAlerts({
    maxSeries,
    breach: (r) =>
      r.metric !== 'spo2' || r.quality === 'bad' ? undefined : spo2Subscore(r.value, contextAt(r)) === 3,
    alert: (r, series) => {
      const context = contextAt(r);
      const scale = `SpO2 scale ${context.spo2Scale}${context.onOxygen ? ', on oxygen' : ''}`;
      return {
        id: `news2-red-spo2:${r.id}`,
        rule: 'news2-red-spo2',
        severity: 'low-medium',
        message: `SpO2 ${Math.round(r.value)} % for ${series} scores 3 on NEWS2 (${scale})`,
        ts: now(),
        ...(r.patientId === undefined ? {} : { patientId: r.patientId }),
        deviceId: r.deviceId,
        metric: r.metric,
        value: r.value,
        readingIds: [r.id],
      };
    },
  });
}
