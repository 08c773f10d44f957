import { observationIdentifierValue } from './identifiers.js';
import type { PreparedReading } from './prepared-reading.js';
import type {
  FhirAnnotation,
  FhirCodeableConcept,
  FhirCoding,
  FhirObservationComponent,
  FhirQuantity,
  FhirReference,
  VitalSignsObservation,
} from './types.js';
import { vitalSignsCategory } from './vital-signs.js';

/** What differs between vital-sign Observations; the rest comes from the readings and the context. */
export interface ObservationParts {
  /** The readings the Observation is made from: one, or a blood-pressure panel's systolic and diastolic. */
  readonly from: readonly PreparedReading[];
  readonly profiles: readonly string[];
  readonly coding: readonly Readonly<FhirCoding>[];
  readonly text: string;
  /** Exactly one of `valueQuantity` and `component`. */
  readonly valueQuantity?: FhirQuantity;
  readonly component?: FhirObservationComponent[];
  readonly note?: FhirAnnotation[];
}

function copyReference(r: Readonly<FhirReference>): FhirReference {
  return r.identifier === undefined ? { ...r } : { ...r, identifier: { ...r.identifier } };
}

/** `Observation.code` from codings (copied: every Observation owns its objects). */
export function codeableConcept(coding: readonly Readonly<FhirCoding>[], text?: string): FhirCodeableConcept {
  return text === undefined
    ? { coding: coding.map((c) => ({ ...c })) }
    : { coding: coding.map((c) => ({ ...c })), text };
}

/**
 * A vital-signs Observation with its elements in R4's order: profile, identifier, status `final`,
 * category `vital-signs`, code, subject, encounter, effectiveDateTime, value or components, note,
 * device. `from[0]` supplies subject, device and time (a panel's readings share them).
 */
export function vitalSignObservation(
  parts: ObservationParts,
  identifierSystem: string,
  encounter: Readonly<FhirReference> | undefined,
): VitalSignsObservation {
  const first = parts.from[0];
  if (first === undefined) throw new RangeError('An Observation needs at least one reading');
  const value = observationIdentifierValue(parts.from.map((p) => p.reading.id));
  return {
    resourceType: 'Observation',
    meta: { profile: [...parts.profiles] },
    identifier: [{ system: identifierSystem, value }],
    status: 'final',
    category: [vitalSignsCategory()],
    code: codeableConcept(parts.coding, parts.text),
    subject: copyReference(first.subject),
    ...(encounter === undefined ? {} : { encounter: copyReference(encounter) }),
    effectiveDateTime: first.effectiveDateTime,
    ...(parts.valueQuantity === undefined ? {} : { valueQuantity: parts.valueQuantity }),
    ...(parts.note === undefined ? {} : { note: parts.note }),
    ...(first.device === undefined ? {} : { device: copyReference(first.device) }),
    ...(parts.component === undefined ? {} : { component: parts.component }),
  };
}

/**
 * The note on an Observation made from a reading flagged quality `questionable`. The Observation
 * stays `final` (the value is the device's final result; R4 `preliminary` would promise a later
 * final one); the flag is kept for the clinician as a note. `interpretation` is not used: it
 * qualifies a value against reference ranges, not its trustworthiness.
 */
export function questionableNote(what: string): FhirAnnotation {
  return {
    text: `${what} flagged quality "questionable" at acquisition (e.g. a possible artefact); interpret with care.`,
  };
}
