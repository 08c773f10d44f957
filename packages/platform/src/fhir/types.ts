/**
 * The FHIR R4 (4.0.1) data types this module emits: a structural subset of the R4 JSON
 * representation, with R4's element names and cardinalities. `@types/fhir` is not a dependency of
 * the SDK, so these are declared here; they are assignable to `fhir4.Observation` (and Medplum's
 * `Observation`) field by field, so an integrator can pass the result to either client unchanged.
 *
 * @see https://hl7.org/fhir/R4/observation.html
 * @see https://hl7.org/fhir/R4/datatypes.html
 */

/** R4 `Coding`: a code in a code system. */
export interface FhirCoding {
  system?: string;
  version?: string;
  code?: string;
  display?: string;
}

/** R4 `CodeableConcept`: codings for one concept, plus text. */
export interface FhirCodeableConcept {
  coding?: FhirCoding[];
  text?: string;
}

/** R4 `Quantity`; for vital signs `system` is UCUM and `code` the UCUM unit. */
export interface FhirQuantity {
  value?: number;
  comparator?: '<' | '<=' | '>=' | '>';
  unit?: string;
  system?: string;
  code?: string;
}

/** R4 `Identifier`: a business identifier, `system` (a URI) scoping `value`. */
export interface FhirIdentifier {
  use?: 'usual' | 'official' | 'temp' | 'secondary' | 'old';
  system?: string;
  value?: string;
}

/**
 * R4 `Reference`: a literal `reference` (`Patient/123`), or a logical reference by `identifier`
 * with the target resource `type`, or both.
 */
export interface FhirReference {
  reference?: string;
  type?: string;
  identifier?: FhirIdentifier;
  display?: string;
}

/** R4 `Annotation` (a note); `text` is markdown. */
export interface FhirAnnotation {
  text: string;
  time?: string;
}

/** R4 `Meta`, the parts used here. */
export interface FhirMeta {
  profile?: string[];
}

/** R4 `Observation.status` (required binding to ObservationStatus). */
export type FhirObservationStatus =
  | 'registered'
  | 'preliminary'
  | 'final'
  | 'amended'
  | 'corrected'
  | 'cancelled'
  | 'entered-in-error'
  | 'unknown';

/** R4 `Observation.component`: a value, or a reason it is absent (vital-signs invariant vs-3). */
export interface FhirObservationComponent {
  code: FhirCodeableConcept;
  valueQuantity?: FhirQuantity;
  dataAbsentReason?: FhirCodeableConcept;
}

/** R4 `Observation`, the elements a device vital sign needs, in the order R4 defines them. */
export interface FhirObservation {
  resourceType: 'Observation';
  id?: string;
  meta?: FhirMeta;
  identifier?: FhirIdentifier[];
  status: FhirObservationStatus;
  category?: FhirCodeableConcept[];
  code: FhirCodeableConcept;
  subject?: FhirReference;
  encounter?: FhirReference;
  effectiveDateTime?: string;
  valueQuantity?: FhirQuantity;
  dataAbsentReason?: FhirCodeableConcept;
  note?: FhirAnnotation[];
  device?: FhirReference;
  component?: FhirObservationComponent[];
}

/**
 * An Observation as {@link toFhirObservations} emits it: conforming to the R4 vital-signs profile,
 * so the elements the profile requires (`meta.profile`, `identifier` for idempotent creates,
 * `category`, `subject`, `effectiveDateTime`) are always present.
 */
export interface VitalSignsObservation extends FhirObservation {
  meta: { profile: string[] };
  identifier: [FhirIdentifier & { system: string; value: string }];
  status: 'final';
  category: FhirCodeableConcept[];
  subject: FhirReference;
  effectiveDateTime: string;
}
