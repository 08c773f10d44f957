import { convertUnit } from '@healthit/core';
import type { FhirQuantity } from './types.js';
import { FHIR_SYSTEMS, type UcumUnit } from './vital-signs.js';

/**
 * Drops binary floating-point noise from a converted value (`0.97 × 100 = 97.00000000000001`):
 * 12 significant digits is far beyond any medical device's resolution.
 */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

/**
 * The UCUM `valueQuantity` of a value measured in `unit`. A unit the profile admits is kept
 * verbatim, value untouched (a thermometer's `[degF]`, a scale's `[lb_av]`); any other unit the
 * metric accepts (`{beats}/min`, `1`, `kPa`, `K`) is converted to the profile's preferred unit.
 *
 * @throws {HealthItError} `units/unsupported` when `unit` cannot be converted to the preferred unit
 *   (a valid Reading's unit always can).
 */
export function vitalSignQuantity(
  value: number,
  unit: string,
  units: readonly [UcumUnit, ...UcumUnit[]],
): FhirQuantity & { value: number; unit: string; system: string; code: string } {
  const admitted = units.find((u) => u.code === unit);
  if (admitted !== undefined) {
    return { value, unit: admitted.display, system: FHIR_SYSTEMS.ucum, code: admitted.code };
  }
  const preferred = units[0];
  return {
    value: clean(convertUnit(value, unit, preferred.code)),
    unit: preferred.display,
    system: FHIR_SYSTEMS.ucum,
    code: preferred.code,
  };
}
