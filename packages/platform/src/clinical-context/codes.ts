/** A code in a code system. */
export interface CodeRef {
  /** The code system's canonical URI, one of {@link CODE_SYSTEMS} for the built-in lists. */
  readonly system: string;
  /** The code, exactly as the code system writes it (e.g. ICD-10-CM `J96.12`, SNOMED CT `426896000`). */
  readonly code: string;
  /** The code system's human-readable display of the code. */
  readonly display: string;
}

/** The canonical URIs (FHIR `Coding.system`) of the code systems the built-in code lists use. */
export const CODE_SYSTEMS = {
  /** SNOMED CT. */
  snomed: 'http://snomed.info/sct',
  /** WHO ICD-10 (and national editions using the WHO J96 fifth characters, e.g. ICD-10-GM). */
  icd10: 'http://hl7.org/fhir/sid/icd-10',
  /** ICD-10-CM, the US clinical modification of ICD-10. */
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  /** RxNorm (US medications). */
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
} as const;

/**
 * Conditions that indicate NEWS2 SpO2 Scale 2 (a prescribed target of 88–92 % because of
 * hypercapnic — type II — respiratory failure). Matched exactly, per code system: which J96 codes
 * mean "hypercapnic" differs between ICD-10 editions.
 *
 * - ICD-10-CM: J96.02, J96.12, J96.22, J96.92 ("… with hypercapnia"). J96.x1 means *with hypoxia*
 *   in ICD-10-CM and does **not** indicate Scale 2; J96.x0 (unspecified) does not either.
 * - WHO ICD-10 (2016+, optional fifth character 1 = Type II [hypercapnic]): J96.01, J96.11, J96.91.
 *   J96.x0 is Type I [hypoxic], J96.x9 type unspecified: not Scale 2.
 * - SNOMED CT: 426896000 |Chronic hypercapnic respiratory failure (disorder)|.
 *
 * A bare "chronic respiratory failure" (ICD-10 J96.1, ICD-10-CM J96.10) is not enough: the RCP
 * reserves Scale 2 for hypercapnic respiratory failure confirmed by a clinician. Add local or
 * descendant concepts with the `scale2Conditions` option (exact codes; no terminology server).
 */
export const SCALE2_CONDITIONS: readonly CodeRef[] = [
  { system: CODE_SYSTEMS.icd10cm, code: 'J96.02', display: 'Acute respiratory failure with hypercapnia' },
  { system: CODE_SYSTEMS.icd10cm, code: 'J96.12', display: 'Chronic respiratory failure with hypercapnia' },
  {
    system: CODE_SYSTEMS.icd10cm,
    code: 'J96.22',
    display: 'Acute and chronic respiratory failure with hypercapnia',
  },
  {
    system: CODE_SYSTEMS.icd10cm,
    code: 'J96.92',
    display: 'Respiratory failure, unspecified with hypercapnia',
  },
  { system: CODE_SYSTEMS.icd10, code: 'J96.01', display: 'Acute respiratory failure, Type II [hypercapnic]' },
  {
    system: CODE_SYSTEMS.icd10,
    code: 'J96.11',
    display: 'Chronic respiratory failure, Type II [hypercapnic]',
  },
  {
    system: CODE_SYSTEMS.icd10,
    code: 'J96.91',
    display: 'Respiratory failure, unspecified, Type II [hypercapnic]',
  },
  { system: CODE_SYSTEMS.snomed, code: '426896000', display: 'Chronic hypercapnic respiratory failure' },
];

/** Oxygen as a medication (`MedicationRequest.medicationCodeableConcept` or the referenced Medication's `code`). */
export const OXYGEN_MEDICATIONS: readonly CodeRef[] = [
  { system: CODE_SYSTEMS.rxnorm, code: '7806', display: 'oxygen' },
  { system: CODE_SYSTEMS.snomed, code: '24099007', display: 'Oxygen (substance)' },
];

/** Oxygen therapy as a procedure (`Procedure.code`, status `in-progress`). */
export const OXYGEN_PROCEDURES: readonly CodeRef[] = [
  { system: CODE_SYSTEMS.snomed, code: '57485005', display: 'Oxygen therapy (procedure)' },
];

/** `system|code` keys of a code list, for exact matching. */
export function codeKeys(codes: readonly Pick<CodeRef, 'system' | 'code'>[]): Set<string> {
  return new Set(codes.map((c) => `${c.system}|${c.code}`));
}
