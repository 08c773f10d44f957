/*
 * The subset of FHIR R4 (4.0.1) JSON this module writes. No maintained FHIR types package is a
 * dependency of @healthit/platform yet; these follow hl7.org/fhir/R4/observation.html field for field
 * and can be swapped for `@medplum/fhirtypes` (structurally compatible) when it is added.
 */

/** FHIR R4 Coding. */
export interface Coding {
  system?: string;
  code?: string;
  display?: string;
}

/** FHIR R4 CodeableConcept. */
export interface CodeableConcept {
  coding?: Coding[];
  text?: string;
}

/** FHIR R4 Quantity. */
export interface Quantity {
  value?: number;
  unit?: string;
  system?: string;
  code?: string;
}

/** FHIR R4 SampledData. */
export interface SampledData {
  origin: Quantity;
  /** Milliseconds between samples. */
  period: number;
  dimensions: number;
  data?: string;
}

/** FHIR R4 Reference. */
export interface Reference {
  reference?: string;
}

/** FHIR R4 Period. */
export interface Period {
  start?: string;
  end?: string;
}

/** FHIR R4 Identifier. */
export interface Identifier {
  system?: string;
  value?: string;
}

/** The value[x] choices iomt-fhir writes. */
export interface ObservationValue {
  valueQuantity?: Quantity;
  valueSampledData?: SampledData;
  valueString?: string;
  valueCodeableConcept?: CodeableConcept;
}

/** FHIR R4 Observation.component. */
export interface ObservationComponent extends ObservationValue {
  code: CodeableConcept;
}

/** FHIR R4 Observation (the fields iomt-fhir sets). */
export interface Observation extends ObservationValue {
  resourceType: 'Observation';
  id?: string;
  identifier?: Identifier[];
  status: 'registered' | 'preliminary' | 'final' | 'amended';
  category?: CodeableConcept[];
  code: CodeableConcept;
  subject?: Reference;
  encounter?: Reference;
  effectivePeriod?: Period;
  issued?: string;
  device?: Reference;
  component?: ObservationComponent[];
}
