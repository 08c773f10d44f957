import type { FhirCodeableConcept } from './types.js';

/** The code systems and profiles of FHIR R4 (4.0.1) that vital-sign Observations use. */
export const FHIR_SYSTEMS = {
  loinc: 'http://loinc.org',
  ucum: 'http://unitsofmeasure.org',
  observationCategory: 'http://terminology.hl7.org/CodeSystem/observation-category',
  dataAbsentReason: 'http://terminology.hl7.org/CodeSystem/data-absent-reason',
} as const;

/** The R4 base vital-signs profile every vital-sign Observation conforms to. */
export const VITALSIGNS_PROFILE = 'http://hl7.org/fhir/StructureDefinition/vitalsigns';

/**
 * `Observation.category` of every vital sign: the profile's `VSCat` slice fixes system
 * `observation-category` and code `vital-signs`.
 */
export function vitalSignsCategory(): FhirCodeableConcept {
  return {
    coding: [{ system: FHIR_SYSTEMS.observationCategory, code: 'vital-signs', display: 'Vital Signs' }],
    text: 'Vital Signs',
  };
}

/** A UCUM unit code with the human-readable text put in `Quantity.unit`. */
export interface UcumUnit {
  /** The UCUM code (`Quantity.code`), e.g. `mm[Hg]`. */
  readonly code: string;
  /** Display text (`Quantity.unit`), as the official R4 examples write it, e.g. `mmHg`. */
  readonly display: string;
}

/** One R4 vital-signs profile: its canonical URL, the LOINC code it fixes and the UCUM units it admits. */
export interface VitalSignProfile {
  /** Canonical URL (`meta.profile`). */
  readonly url: string;
  /** The LOINC coding the profile requires in `Observation.code` (its fixed `code.coding` slice). */
  readonly loinc: { readonly code: string; readonly display: string };
  /** `Observation.code.text`. */
  readonly text: string;
  /**
   * The UCUM units the profile admits for `valueQuantity.code` (a fixed code, or a required value
   * set), the preferred (the SDK's canonical unit) first. For the blood-pressure panel, the unit of
   * its systolic and diastolic components.
   */
  readonly units: readonly [UcumUnit, ...UcumUnit[]];
}

const PER_MINUTE_BEATS: UcumUnit = { code: '/min', display: 'beats/minute' };

/**
 * The R4 vital-signs profiles (hl7.org/fhir/R4/observation-vitalsigns), keyed by the profile's id.
 * LOINC codes and displays, fixed UCUM codes and unit value sets are those of the R4 (4.0.1)
 * StructureDefinitions; unit display texts follow the official R4 examples.
 */
export const VITAL_SIGN_PROFILES = {
  heartrate: {
    url: 'http://hl7.org/fhir/StructureDefinition/heartrate',
    loinc: { code: '8867-4', display: 'Heart rate' },
    text: 'Heart rate',
    units: [PER_MINUTE_BEATS],
  },
  resprate: {
    url: 'http://hl7.org/fhir/StructureDefinition/resprate',
    loinc: { code: '9279-1', display: 'Respiratory rate' },
    text: 'Respiratory rate',
    units: [{ code: '/min', display: 'breaths/minute' }],
  },
  oxygensat: {
    url: 'http://hl7.org/fhir/StructureDefinition/oxygensat',
    loinc: { code: '2708-6', display: 'Oxygen saturation in Arterial blood' },
    text: 'Oxygen saturation',
    units: [{ code: '%', display: '%' }],
  },
  bodytemp: {
    url: 'http://hl7.org/fhir/StructureDefinition/bodytemp',
    loinc: { code: '8310-5', display: 'Body temperature' },
    text: 'Body temperature',
    // ValueSet ucum-bodytemp (required binding).
    units: [
      { code: 'Cel', display: 'C' },
      { code: '[degF]', display: 'F' },
    ],
  },
  bodyweight: {
    url: 'http://hl7.org/fhir/StructureDefinition/bodyweight',
    loinc: { code: '29463-7', display: 'Body weight' },
    text: 'Body weight',
    // ValueSet ucum-bodyweight (required binding).
    units: [
      { code: 'kg', display: 'kg' },
      { code: 'g', display: 'g' },
      { code: '[lb_av]', display: 'lbs' },
    ],
  },
  bodyheight: {
    url: 'http://hl7.org/fhir/StructureDefinition/bodyheight',
    loinc: { code: '8302-2', display: 'Body height' },
    text: 'Body height',
    // ValueSet ucum-bodylength (required binding).
    units: [
      { code: 'cm', display: 'cm' },
      { code: '[in_i]', display: 'in' },
    ],
  },
  bmi: {
    url: 'http://hl7.org/fhir/StructureDefinition/bmi',
    loinc: { code: '39156-5', display: 'Body mass index (BMI) [Ratio]' },
    text: 'BMI',
    units: [{ code: 'kg/m2', display: 'kg/m2' }],
  },
  bp: {
    url: 'http://hl7.org/fhir/StructureDefinition/bp',
    loinc: { code: '85354-9', display: 'Blood pressure panel with all children optional' },
    text: 'Blood pressure systolic & diastolic',
    units: [{ code: 'mm[Hg]', display: 'mmHg' }],
  },
} as const satisfies Record<string, VitalSignProfile>;

/** The id of one of the {@link VITAL_SIGN_PROFILES}. */
export type VitalSignProfileId = keyof typeof VITAL_SIGN_PROFILES;

/**
 * The two components the R4 `bp` profile requires (slices `SystolicBP` and `DiastolicBP`, each
 * 1..1), with their fixed LOINC codes; both in `mm[Hg]`.
 */
export const BP_COMPONENTS = {
  systolic: { code: '8480-6', display: 'Systolic blood pressure' },
  diastolic: { code: '8462-4', display: 'Diastolic blood pressure' },
} as const;

/**
 * Mean blood pressure (LOINC 8478-0): in the R4 `observation-vitalsignresult` value set but with no
 * profile of its own, so it conforms to the base {@link VITALSIGNS_PROFILE} only.
 */
export const MEAN_BLOOD_PRESSURE = {
  loinc: { code: '8478-0', display: 'Mean blood pressure' },
  text: 'Mean blood pressure',
  units: [{ code: 'mm[Hg]', display: 'mmHg' }],
} as const;
