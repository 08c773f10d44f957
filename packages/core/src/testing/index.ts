/**
 * `@healthit/core/testing`: the in-process fakes and the conformance suites every adapter runs.
 * Needs `vitest` and `fast-check` (peer dependencies).
 * @packageDocumentation
 */

export { createFakeClock, type FakeClock } from '../time/fake-clock.js';
export { createInProcessTransport, type InProcessTransportOptions } from '../transport/in-process.js';
export { describeReadingStoreConformance, sampleReading } from './reading-store-conformance.js';
export { type RecordingLedgerOptions, recordingLedger } from './recording-ledger.js';
export {
  describeTransportConformance,
  type TransportConformanceOptions,
  type TransportPair,
} from './transport-conformance.js';
