/**
 * `@healthit/platform/fhir-export`: Observations to any FHIR R4 server through fhir-kit-client —
 * transaction Bundles of conditional creates (re-sending never duplicates), batching, retries with
 * backoff and jitter, typed errors naming the rejected entry, Patient/Device resolution by
 * identifier, and an RxJS operator. Needs the optional peer `fhir-kit-client`.
 * @packageDocumentation
 */
export { BatchedSearchClient, type BatchedSearchOptions } from './batched-search.js';
export { createFhirClient, type FhirClientOptions } from './client.js';
export { FhirExportError, type FhirExportErrorDetail } from './errors.js';
export {
  type ExportObservationsOptions,
  entryIndexFromOutcome,
  exportObservations,
  type FhirExportFailure,
  type FhirExportResult,
} from './export.js';
export {
  type ExportOperatorOptions,
  exportObservationBatches,
  type FhirExportBatchOutcome,
} from './operator.js';
export {
  type BusinessIdentifier,
  createIdentifierResolver,
  type IdentifierResolver,
  type IdentifierResolverOptions,
  type ResolveMode,
} from './resolver.js';
export {
  backoffDelayMs,
  classifyFailure,
  isRetryableStatus,
  parseRetryAfter,
  type RequestFailure,
  type RetryEvent,
  type RetryOptions,
} from './retry.js';
export type {
  FhirBundle,
  FhirBundleEntry,
  FhirOperationOutcome,
  FhirOperationOutcomeIssue,
  FhirResource,
} from './types.js';
