/**
 * `@healthit/platform/clinical-context`: a patient's clinical context read from a FHIR R4 server —
 * NEWS2 SpO2 scale (hypercapnic respiratory failure), active oxygen therapy, ward and care team —
 * cached with a TTL. Needs the optional peer `fhir-kit-client`.
 * @packageDocumentation
 */
export {
  CODE_SYSTEMS,
  type CodeRef,
  OXYGEN_MEDICATIONS,
  OXYGEN_PROCEDURES,
  SCALE2_CONDITIONS,
} from './codes.js';
export {
  type CareTeamMember,
  type ClinicalContext,
  type ClinicalContextProvider,
  type ClinicalContextProviderOptions,
  type ContextCareTeam,
  type ContextReference,
  createClinicalContextProvider,
} from './provider.js';
