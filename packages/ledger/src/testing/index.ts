/**
 * `@healthit/ledger/testing`: the conformance suite a transparency-log storage must pass (run it
 * with vitest against your own `LogStorage`, as the memory, file and PostgreSQL storages do).
 * @packageDocumentation
 */
export {
  describeLogStorageConformance,
  type LogStorageOpenOptions,
  type LogStorageUnderTest,
  type OpenLogStorage,
  type ReopenLogStorage,
} from '../tlog/storage-conformance.js';
