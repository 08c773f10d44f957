import type { HealthItError, Reading } from '@healthit/core';
import { map, type OperatorFunction } from 'rxjs';
import { normaliseReading } from '../normalise.js';

/** A plausible reading in its metric's canonical UCUM unit. */
export interface NormalisedReading {
  /** Discriminant of {@link NormaliseUnitsOutput}: always `reading`. */
  readonly type: 'reading';
  /**
   * The reading with `value` converted to the metric's canonical UCUM unit and `unit` set to it.
   */
  readonly reading: Reading;
}

/** A reading whose unit cannot express its metric, or whose value is outside the plausible range. */
export interface ImplausibleReading {
  /** Discriminant of {@link NormaliseUnitsOutput}: always `rejected`. */
  readonly type: 'rejected';
  /** The refused reading, as received. */
  readonly reading: Reading;
  /**
   * Why: `units/unsupported` when its unit cannot express the metric, `validation/invalid` when
   * the converted value is outside the metric's plausible range.
   */
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
