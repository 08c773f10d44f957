import type { Alert, Reading } from '@healthit/core';
import { NEWS2_BANDS, type News2Subscore, type ThresholdRule } from '@healthit/gateway';
import { Observable, type OperatorFunction } from 'rxjs';

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
 * scale (RCP 2017, Chart 1): on Scale 2, 93 % or more scores only on oxygen.
 */
export function spo2Subscore(spo2: number, context: Spo2Context): News2Subscore {
  const value = Math.round(spo2);
  const bands = context.spo2Scale === 2 ? NEWS2_BANDS.spo2Scale2 : NEWS2_BANDS.spo2Scale1;
  const on = context.onOxygen ? 'oxygen' : 'air';
  for (const band of bands as readonly { min?: number; max?: number; on?: string; score: News2Subscore }[]) {
    if ((band.min ?? -Infinity) <= value && value <= (band.max ?? Infinity) && (band.on ?? on) === on) {
      return band.score;
    }
  }
  return 0;
}

/**
 * The NEWS2 SpO2 red score on each patient's own scale: an alert (low-medium, rule
 * `news2-red-spo2`) when an SpO2 reading scores 3 — Scale 1: ≤ 91 %; Scale 2: ≤ 83 %, or ≥ 97 % on
 * oxygen — once per episode (re-armed by a reading that scores less). `contextOf` gives the
 * patient's scale and oxygen status at the time of the reading (Scale 1 on air when unknown: the
 * conservative default). Bounded: at most `maxSeries` patients in an episode are remembered.
 */
export function spo2RedScoreAlerts(
  contextOf: (patientId: string) => Spo2Context | undefined,
  now: () => number = Date.now,
  maxSeries = 100_000,
): OperatorFunction<Reading, Alert> {
  return (source) =>
    new Observable<Alert>((subscriber) => {
      const breached = new Set<string>();
      return source.subscribe({
        next: (r) => {
          if (r.metric !== 'spo2' || r.quality === 'bad') return;
          const series = r.patientId ?? r.deviceId;
          const context = (r.patientId === undefined ? undefined : contextOf(r.patientId)) ?? {
            spo2Scale: 1,
            onOxygen: false,
          };
          if (spo2Subscore(r.value, context) < 3) {
            breached.delete(series);
            return;
          }
          if (breached.has(series)) return;
          if (breached.size >= maxSeries) {
            const oldest = breached.values().next().value;
            if (oldest !== undefined) breached.delete(oldest);
          }
          breached.add(series);
          const scale = `SpO2 scale ${context.spo2Scale}${context.onOxygen ? ', on oxygen' : ''}`;
          subscriber.next({
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
          });
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
