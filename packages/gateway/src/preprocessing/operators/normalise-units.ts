import type { HealthItError, Reading } from '@healthit/core';
import { map, type OperatorFunction } from 'rxjs';
import { normaliseReading } from '../normalise.js';

/** A plausible reading in its metric's canonical UCUM unit. */
export interface NormalisedReading {
  readonly type: 'reading';
  readonly reading: Reading;
}

/** A reading whose unit cannot express its metric, or whose value is outside the plausible range. */
export interface ImplausibleReading {
  readonly type: 'rejected';
  readonly reading: Reading;
  readonly error: HealthItError;
}

/** What {@link normaliseUnits} emits. */
export type NormaliseUnitsOutput = NormalisedReading | ImplausibleReading;

/**
 * Unit normalisation and plausibility as an operator: converts each reading to its metric's
 * canonical UCUM unit (°F → Cel, kPa → mm[Hg], ...) and checks the value against the metric
 * catalogue's plausible range. Refusals are `rejected` outputs with the reason; the stream goes on.
 * Stateless; the same step `createGateway` runs on every reading.
 *
 * @example
 * ```ts
 * readings$.pipe(normaliseUnits())
 * ```
 */
export function normaliseUnits(): OperatorFunction<Reading, NormaliseUnitsOutput> {
  return map((reading): NormaliseUnitsOutput => {
    const result = normaliseReading(reading);
    return result.ok
      ? { type: 'reading', reading: result.reading }
      : { type: 'rejected', reading, error: result.error };
  });
}
