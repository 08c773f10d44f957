import type { Alert, Reading } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';

/** Options of {@link episodeAlerts}. */
export interface EpisodeAlertOptions {
  /** Whether a reading is in breach (readings this rule does not judge should return `undefined`). */
  readonly breach: (reading: Reading) => boolean | undefined;
  /** The alert for the first breaching reading of an episode of `series`. */
  readonly alert: (reading: Reading, series: string) => Alert;
  /**
   * Series remembered in an episode (default 100 000); past that, the series that entered an episode
   * first is forgotten (its next breach raises a new alert).
   */
  readonly maxSeries?: number;
}

/**
 * One alert per episode of a series (the patient, or the device when there is no patient): the
 * first reading in breach raises it, later ones in breach do not, and a reading back out of breach
 * re-arms the series. Readings the rule does not judge (`breach` gives `undefined`) pass by. The
 * shared mechanism of the threshold rules and of rules with their own test of a breach.
 */
export function episodeAlerts(options: EpisodeAlertOptions): OperatorFunction<Reading, Alert> {
  const maxSeries = options.maxSeries ?? 100_000;
  return (source) =>
    new Observable<Alert>((subscriber) => {
      const breached = new Set<string>();
      return source.subscribe({
        next: (r) => {
          const isBreach = options.breach(r);
          if (isBreach === undefined) return;
          const series = r.patientId ?? r.deviceId;
          if (!isBreach) {
            breached.delete(series);
            return;
          }
          if (breached.has(series)) return;
          if (breached.size >= maxSeries) {
            const oldest = breached.values().next().value;
            if (oldest !== undefined) breached.delete(oldest);
          }
          breached.add(series);
          subscriber.next(options.alert(r, series));
        },
        error: (e) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
    });
}
