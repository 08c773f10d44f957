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
  /** The code system's canonical URI, e.g. `http://loinc.org` or `http://unitsofmeasure.org` (0..1). */
  system?: string;
  /** The version of the code system, when the code's meaning depends on it (0..1); not set by this module. */
  version?: string;
  /** The code itself, as the code system defines it, e.g. LOINC `8867-4` (0..1). */
  code?: string;
  /** The code system's human-readable display for `code`, e.g. `Heart rate` (0..1). */
  display?: string;
}

/** R4 `CodeableConcept`: codings for one concept, plus text. */
export interface FhirCodeableConcept {
  /**
   * The codings of the concept, each from a code system (0..*); in a vital sign the first is the
   * LOINC code the profile fixes.
   */
  coding?: FhirCoding[];
  /** Plain-text representation of the concept, as a user would see it (0..1). */
  text?: string;
}

/** R4 `Quantity`; for vital signs `system` is UCUM and `code` the UCUM unit. */
export interface FhirQuantity {
  /** The numeric value, in the unit `code` names (0..1). */
  value?: number;
  /**
   * How to read `value` when it is a bound rather than exact (`<`, `<=`, `>=`, `>`); absent means
   * exact. Never set by this module: a device reading is an exact value.
   */
  comparator?: '<' | '<=' | '>=' | '>';
  /** Human-readable unit text, e.g. `mmHg` or `beats/minute` (0..1). */
  unit?: string;
  /** The unit's code system; `http://unitsofmeasure.org` (UCUM) for vital signs (0..1). */
  system?: string;
  /** The unit as a code of `system`: for vital signs a UCUM code such as `mm[Hg]`, `/min` or `Cel` (0..1). */
  code?: string;
}

/** R4 `Identifier`: a business identifier, `system` (a URI) scoping `value`. */
export interface FhirIdentifier {
  /** The purpose of the identifier, from the R4 IdentifierUse value set (0..1). */
  use?: 'usual' | 'official' | 'temp' | 'secondary' | 'old';
  /**
   * The namespace of `value`: an absolute URI such as `urn:oid:1.2.3.4` or
   * `https://hospital.example/fhir/sid/mrn` (0..1).
   */
  system?: string;
  /** The identifier itself, unique within `system` (0..1). */
  value?: string;
}

/**
 * R4 `Reference`: a literal `reference` (`Patient/123`), or a logical reference by `identifier`
 * with the target resource `type`, or both.
 */
export interface FhirReference {
  /** A literal reference to the target: relative (`Patient/123`) or an absolute URL (0..1). */
  reference?: string;
  /**
   * The target's resource type (`Patient`, `Device`), needed with a logical `identifier` reference (0..1).
   */
  type?: string;
  /** A logical reference: the target's business identifier, when no literal `reference` is known (0..1). */
  identifier?: FhirIdentifier;
  /** Plain-text alternative for the target, e.g. a patient's name (0..1). */
  display?: string;
}

/** R4 `Annotation` (a note); `text` is markdown. */
export interface FhirAnnotation {
  /** The note itself, in markdown (1..1). */
  text: string;
  /** When the note was made, as a FHIR `dateTime` (ISO 8601) (0..1). */
  time?: string;
}

/** R4 `Meta`, the parts used here. */
export interface FhirMeta {
  /** Canonical URLs of the StructureDefinitions the resource claims to conform to (0..*). */
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
  /** What the component measures, e.g. LOINC `8480-6` (systolic blood pressure) (1..1). */
  code: FhirCodeableConcept;
  /** The component's value with its UCUM unit; absent when `dataAbsentReason` is given (0..1). */
  valueQuantity?: FhirQuantity;
  /** Why the component has no value, from the data-absent-reason code system (0..1). */
  dataAbsentReason?: FhirCodeableConcept;
}

/** R4 `Observation`, the elements a device vital sign needs, in the order R4 defines them. */
export interface FhirObservation {
  /** The resource type, always `Observation`. */
  resourceType: 'Observation';
  /**
   * The Observation's logical id on the FHIR server: assigned by the server, absent before it is created
   * (0..1).
   */
  id?: string;
  /** Resource metadata; here only the profiles it claims (0..1). */
  meta?: FhirMeta;
  /** Business identifiers of the Observation, e.g. the one derived from its reading ids (0..*). */
  identifier?: FhirIdentifier[];
  /** The status of the result (1..1). */
  status: FhirObservationStatus;
  /** The kind of observation, e.g. `vital-signs` from the observation-category code system (0..*). */
  category?: FhirCodeableConcept[];
  /** What was observed: the LOINC coding(s) and text (1..1). */
  code: FhirCodeableConcept;
  /** Who the observation is about, normally the patient (0..1). */
  subject?: FhirReference;
  /** The encounter (e.g. the ward stay) during which the observation was made (0..1). */
  encounter?: FhirReference;
  /** When the value was measured, as a FHIR `dateTime` (ISO 8601) (0..1). */
  effectiveDateTime?: string;
  /** The measured value with its UCUM unit; absent for a panel whose values are in `component` (0..1). */
  valueQuantity?: FhirQuantity;
  /** Why `valueQuantity` is missing, from the data-absent-reason code system (0..1). */
  dataAbsentReason?: FhirCodeableConcept;
  /** Comments about the observation, e.g. a quality warning (0..*). */
  note?: FhirAnnotation[];
  /** The device that made the measurement (0..1). */
  device?: FhirReference;
  /** The parts of a multi-value observation, e.g. a blood-pressure panel's systolic and diastolic (0..*). */
  component?: FhirObservationComponent[];
}

/**
 * An Observation as {@link toFhirObservations} emits it: conforming to the R4 vital-signs profile,
 * so the elements the profile requires (`meta.profile`, `identifier` for idempotent creates,
 * `category`, `subject`, `effectiveDateTime`) are always present.
 */
export interface VitalSignsObservation extends FhirObservation {
  /** Always present: the base vital-signs profile, then the specific profile when R4 has one. */
  meta: { profile: string[] };
  /**
   * Exactly one identifier, `system` and `value` set: the value derives from the reading ids, so a
   * conditional create on it never duplicates.
   */
  identifier: [FhirIdentifier & { system: string; value: string }];
  /** Always `final`: a device reading is its final result. */
  status: 'final';
  /** Always present, containing the `vital-signs` category the profile requires. */
  category: FhirCodeableConcept[];
  /** Always present: the patient reference the vital-signs profile requires. */
  subject: FhirReference;
  /** Always present: the reading's time (its `ts`) in UTC with millisecond precision (`…Z`). */
  effectiveDateTime: string;
}
