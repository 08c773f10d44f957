/**
 * `@healthit/platform/fhir`: readings as FHIR R4 (4.0.1) Observations conforming to the
 * vital-signs profiles. Pure functions: no FHIR client, no Node built-in.
 * @packageDocumentation
 */
export type { ObservationContext, ReferenceBy } from './context.js';
export { assertObservationContext } from './context.js';
export {
  identifierSearchParam,
  observationIdentifierValue,
  readingIdsFromIdentifierValue,
} from './identifiers.js';
export {
  type BloodPressureComponentMapping,
  METRIC_MAPPINGS,
  type MetricMapping,
  type SingleVitalSignMapping,
  type UnmappedMetric,
} from './metric-mapping.js';
export { SKIP_REASONS, type SkippedReading, type SkipReason } from './skipped.js';
export { type FhirObservationsResult, toFhirObservations } from './to-observations.js';
export type {
  FhirAnnotation,
  FhirCodeableConcept,
  FhirCoding,
  FhirIdentifier,
  FhirMeta,
  FhirObservation,
  FhirObservationComponent,
  FhirObservationStatus,
  FhirQuantity,
  FhirReference,
  VitalSignsObservation,
} from './types.js';
export {
  BP_COMPONENTS,
  FHIR_SYSTEMS,
  MEAN_BLOOD_PRESSURE,
  type UcumUnit,
  VITAL_SIGN_PROFILES,
  VITALSIGNS_PROFILE,
  type VitalSignProfile,
  type VitalSignProfileId,
  vitalSignsCategory,
} from './vital-signs.js';
