/*
 * The subset of FHIR R4 (4.0.1) JSON this module writes. No maintained FHIR types package is a
 * dependency of @healthit/platform yet; these follow hl7.org/fhir/R4/observation.html field for field
 * and can be swapped for `@medplum/fhirtypes` (structurally compatible) when it is added.
 */

/** FHIR R4 Coding. */
export interface Coding {
  /** The code system's URI, e.g. `http://loinc.org`; absent when the template gives none. */
  system?: string;
  /** The code in that system, e.g. LOINC `8867-4`, or the measurement type for iomt-fhir's own coding. */
  code?: string;
  /** Human-readable display of the code. */
  display?: string;
}

/** FHIR R4 CodeableConcept. */
export interface CodeableConcept {
  /** The codings: the template's codes, then (in `code`) iomt-fhir's own coding of the measurement type. */
  coding?: Coding[];
  /** Plain-text form of the concept: in `code`, the measurement type (or component value name). */
  text?: string;
}

/** FHIR R4 Quantity. */
export interface Quantity {
  /** The numeric value, parsed from the measurement's decimal text. */
  value?: number;
  /** Unit text, as the template's `unit` gives it. */
  unit?: string;
  /** The unit's code system, e.g. `http://unitsofmeasure.org` (UCUM). */
  system?: string;
  /** The unit in that code system, e.g. UCUM `/min`. */
  code?: string;
}

/** FHIR R4 SampledData. */
export interface SampledData {
  /**
   * Zero point and unit of the samples: value 0, the template's unit (with the UCUM system and code
   * in `standard` mode when it is a known UCUM unit).
   */
  origin: Quantity;
  /** Milliseconds between samples. */
  period: number;
  /** Sample points per time step; iomt-fhir always writes 1. */
  dimensions: number;
  /**
   * The samples, space-separated, one per `period` from the start of the Observation's
   * `effectivePeriod`; `E` marks a slot without a (valid) value.
   */
  data?: string;
}

/** FHIR R4 Reference. */
export interface Reference {
  /** A literal reference, e.g. `Patient/{patientId}` or `Device/{deviceId}`. */
  reference?: string;
}

/** FHIR R4 Period. */
export interface Period {
  /** Start of the period, ISO 8601 UTC with up to 7 fraction digits (.NET ticks). */
  start?: string;
  /** End of the period (inclusive), same format as `start`. */
  end?: string;
}

/** FHIR R4 Identifier. */
export interface Identifier {
  /** The identifier's system; iomt-fhir's own service URI for Observation identifiers. */
  system?: string;
  /**
   * The identifier: `{patientId}.{deviceId}.{typeName}.{start}.{end}` (or the correlation id
   * instead of start and end).
   */
  value?: string;
}

/** The value[x] choices iomt-fhir writes. */
export interface ObservationValue {
  /** The value of a `Quantity` template value: exactly one measurement, a decimal number. */
  valueQuantity?: Quantity;
  /** The value of a `SampledData` template value: every measurement of the group, on a time grid. */
  valueSampledData?: SampledData;
  /** The value of a `String` template value: exactly one measurement, verbatim. */
  valueString?: string;
  /**
   * The value of a `CodeableConcept` template value: the template's codes (the measurement only
   * triggers it).
   */
  valueCodeableConcept?: CodeableConcept;
}

/** FHIR R4 Observation.component. */
export interface ObservationComponent extends ObservationValue {
  /**
   * What the component measures: the component template's codes, plus iomt-fhir's coding of its
   * value name.
   */
  code: CodeableConcept;
}

/** FHIR R4 Observation (the fields iomt-fhir sets). */
export interface Observation extends ObservationValue {
  /** The resource type, always `Observation`. */
  resourceType: 'Observation';
  /** Lower-case hex SHA-256 of `<iomt-fhir service URI>_<identifier value>`, as iomt-fhir computes it. */
  id?: string;
  /**
   * One identifier in iomt-fhir's service system, with the value
   * `{patientId}.{deviceId}.{typeName}.{start}.{end}` (start and end `yyyyMMddHHmmssZ`; the
   * correlation id replaces them for `periodInterval` -1).
   */
  identifier?: Identifier[];
  /** The result status; iomt-fhir always writes `final`. */
  status: 'registered' | 'preliminary' | 'final' | 'amended';
  /** The template's categories; absent when the template has none. */
  category?: CodeableConcept[];
  /**
   * The template's codes plus iomt-fhir's own coding (system its service URI, code the measurement
   * type); `text` is the type.
   */
  code: CodeableConcept;
  /** `Patient/{patientId}`; absent when the measurement has no patient id. */
  subject?: Reference;
  /** `Encounter/{encounterId}`; absent when the measurement has no encounter id. */
  encounter?: Reference;
  /**
   * The group's time span: the `periodInterval` boundary (hour, day), the instant itself for 0, or
   * the first and last measurement for -1.
   */
  effectivePeriod?: Period;
  /** When the Observation was made (the conversion time), ISO 8601. */
  issued?: string;
  /** `Device/{deviceId}` of the measurement's device. */
  device?: Reference;
  /** One component per component template whose value name occurs in the group; absent when none does. */
  component?: ObservationComponent[];
}
