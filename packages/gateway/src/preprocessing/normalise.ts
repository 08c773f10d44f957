import { HealthItError, isPlausible, METRICS, type Reading, toCanonicalUnit } from '@healthit/core';

/** A reading in its metric's canonical unit, or why it could not be. */
export type NormaliseResult =
  | {
      /** The reading was accepted. */
      readonly ok: true;
      /**
       * The reading with `value` in the canonical UCUM unit and `unit` set to it (the input object
       * itself when it was already canonical).
       */
      readonly reading: Reading;
    }
  | {
      /** The reading was refused. */
      readonly ok: false;
      /**
       * Why: `units/unsupported` when its unit cannot express the metric, `validation/invalid` when
       * the converted value is outside the metric's plausible range.
       */
      readonly error: HealthItError;
    };

/**
 * Converts a reading to its metric's canonical UCUM unit and checks the value against the
 * metric's plausibility range. An implausible value is refused (`validation/invalid`): it is an
 * artefact, not a patient state.
 */
export function normaliseReading(reading: Reading): NormaliseResult {
  const def = METRICS[reading.metric];
  let value: number;
  try {
    value = toCanonicalUnit(reading.metric, reading.value, reading.unit);
  } catch (e) {
    return { ok: false, error: e as HealthItError };
  }
  if (!isPlausible(reading.metric, value)) {
    return {
      ok: false,
      error: new HealthItError(
        'validation/invalid',
        `Reading ${reading.id}: ${reading.metric} ${value} ${def.unit} is outside the plausible range ` +
          `${def.plausible.min}–${def.plausible.max} ${def.unit}`,
        { detail: { readingId: reading.id, metric: reading.metric, value, unit: def.unit } },
      ),
    };
  }
  if (value === reading.value && reading.unit === def.unit) return { ok: true, reading };
  return { ok: true, reading: { ...reading, value, unit: def.unit } };
}
