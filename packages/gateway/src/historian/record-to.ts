import type { Reading } from '@healthit/core';
import { type MonoTypeOperatorFunction, tap } from 'rxjs';
import type { Historian } from './historian.js';
import type { Refusal } from './outcome.js';

/**
 * Appends every reading to `historian` and passes it on unchanged, whether the historian stored it
 * or not. Refusals (duplicates, expired, ...) are counted in `historian.stats().refused`; pass
 * `onRefused` to turn them into events of your own.
 *
 * @example
 * ```ts
 * const historian = createHistorian({ maxAgeMs: 3_600_000 });
 * gateway.readings$.pipe(recordTo(historian), thresholdAlerts(rule)).subscribe(send);
 * ```
 */
export function recordTo(
  historian: Historian,
  onRefused?: (reading: Reading, outcome: Refusal) => void,
): MonoTypeOperatorFunction<Reading> {
  return tap((reading) => {
    const outcome = historian.append(reading);
    if (outcome !== 'stored' && onRefused !== undefined) onRefused(reading, outcome);
  });
}
