import type { Reading } from '@healthit/core';
import { bloodPressurePanelParts, firstIndex, pairBloodPressure } from './blood-pressure.js';
import { assertObservationContext, type ObservationContext } from './context.js';
import { type ObservationParts, questionableNote, vitalSignObservation } from './observation.js';
import { isSkipped, type PreparedReading, prepareReading } from './prepared-reading.js';
import { vitalSignQuantity } from './quantity.js';
import type { SkippedReading } from './skipped.js';
import type { VitalSignsObservation } from './types.js';

/** What {@link toFhirObservations} made of a batch of readings. */
export interface FhirObservationsResult {
  /** The Observations, in the order of their (first) reading in the input. */
  readonly observations: VitalSignsObservation[];
  /** The readings that made no Observation, each with its reason, in input order. */
  readonly skipped: SkippedReading[];
}

function singleParts(p: PreparedReading): ObservationParts {
  if (p.mapping.type !== 'single') throw new Error(`${p.reading.metric} is not a single vital sign`);
  const { reading, mapping } = p;
  return {
    from: [p],
    profiles: mapping.profiles,
    coding: mapping.coding,
    text: mapping.text,
    valueQuantity: vitalSignQuantity(reading.value, reading.unit, mapping.units),
    ...(reading.quality === 'questionable' ? { note: [questionableNote('The reading was')] } : {}),
  };
}

/**
 * Maps readings to FHIR R4 (4.0.1) Observations conforming to the vital-signs profile and the
 * per-vital profile (heartrate, resprate, oxygensat, bodytemp, bodyweight, bp).
 *
 * - One Observation per reading, `status: 'final'`, with `valueQuantity` in UCUM.
 * - A systolic and a diastolic reading of the same device, patient and `ts` become one
 *   blood-pressure panel (85354-9) with components 8480-6 and 8462-4 and no top-level value; a lone
 *   one becomes a panel whose other component has `dataAbsentReason` `unknown`.
 * - `identifier` is `{ system: context.identifierSystem, value }` with the value derived from the
 *   reading id(s) (see `observationIdentifierValue`): re-sending a reading yields the same
 *   identifier, so a conditional create on it never duplicates.
 * - A reading that cannot be mapped (metric not a vital sign, quality `bad`, no patient, invalid)
 *   is returned in `skipped` with its reason: one bad reading never blocks a batch, and none is
 *   dropped silently.
 *
 * Pairing happens within one call: pass a measurement's systolic and diastolic in the same batch.
 *
 * @throws {ValidationError} `validation/invalid` when `context` is malformed.
 * @example
 * ```ts
 * const { observations, skipped } = toFhirObservations(readings, {
 *   identifierSystem: 'https://hospital.example/fhir/sid/iomt-reading',
 *   patient: { type: 'id' },
 *   device: { type: 'identifier', system: 'urn:oid:1.2.3.4.5' },
 * });
 * ```
 */
export function toFhirObservations(
  readings: readonly Reading[],
  context: ObservationContext,
): FhirObservationsResult {
  assertObservationContext(context);
  const skipped: SkippedReading[] = [];
  const made: { index: number; parts: ObservationParts }[] = [];
  const bpComponents: PreparedReading[] = [];
  readings.forEach((reading, index) => {
    const prepared = prepareReading(reading, index, context);
    if (isSkipped(prepared)) skipped.push(prepared);
    else if (prepared.mapping.type === 'bp-component') bpComponents.push(prepared);
    else made.push({ index, parts: singleParts(prepared) });
  });
  for (const pair of pairBloodPressure(bpComponents)) {
    made.push({ index: firstIndex(pair), parts: bloodPressurePanelParts(pair) });
  }
  made.sort((a, b) => a.index - b.index);
  return {
    observations: made.map((m) => vitalSignObservation(m.parts, context.identifierSystem, context.encounter)),
    skipped,
  };
}
