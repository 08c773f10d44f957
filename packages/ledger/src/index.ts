/**
 * `@healthit/ledger`: a hash-chained, Ed25519-signed, verifiable log of records, implementing the
 * `LedgerSink` port of `@healthit/core`. Runs in Node and browsers: no Node built-ins here (the
 * file storage is on the `@healthit/ledger/file` subpath).
 * @packageDocumentation
 */
export { canonicalJson } from './canonical-json.js';
/** Typed, canonical, signed, per-stream-ordered entries (`entries.encodeEntry`, `entries.createStreamSequencer` ...). */
export * as entries from './entries/index.js';
export {
  ENTRY_DOMAIN,
  type EntryFields,
  encodeEntry,
  GENESIS_HASH,
  Hash,
  hashEntry,
  LedgerEntry,
  MAX_RECORD_TYPE_LENGTH,
  RecordType,
  signEntry,
} from './entry.js';
export {
  type IntegrityReason,
  IntegrityReasons,
  isLedgerIntegrityError,
  type LedgerIntegrityCode,
  type LedgerIntegrityDetail,
  LedgerIntegrityError,
} from './errors.js';
export * from './firmware/index.js';
export { type JsonCheck, type JsonIssue, MAX_JSON_DEPTH, toJsonValue } from './json-value.js';
export {
  assertLedgerKey,
  generateLedgerKey,
  type LedgerKey,
  ledgerKeyFromSeed,
  logIdOf,
  type PublicKeyInput,
  toPublicKeyBytes,
} from './key.js';
export {
  createHashChainLedger,
  type HashChainLedger,
  type HashChainLedgerOptions,
  type LedgerHead,
} from './ledger.js';
export { createMemoryLedgerStorage, type MemoryLedgerStorageOptions } from './memory-storage.js';
export {
  consistencyProof,
  createMemoryTreeStorage,
  createMerkleTree,
  emptyRoot,
  HASH_LENGTH,
  inclusionProof,
  LEAF_PREFIX,
  leafHash,
  type MemoryTreeStorageOptions,
  type MerkleTree,
  type MerkleTreeOptions,
  merkleRoot,
  NODE_PREFIX,
  nodeHash,
  sha256,
  sha256Backend,
  sha256Native,
  sha256Portable,
  type TreeStorage,
  verifyConsistency,
  verifyInclusion,
} from './merkle/index.js';
export * from './note/index.js';
/** Membership policy and endorsement rules (`policy.evaluateEndorsement`, `policy.verifyPolicyUpdate` ...). */
export * as policy from './policy/index.js';
export * from './provenance/index.js';
export {
  MAX_READINGS_PER_BATCH,
  READING_BATCH,
  ReadingBatchBody,
  type ReadingBatchRecord,
  readingBatchRecord,
  verifyReadingBatch,
} from './reading-batch.js';
export { LedgerRecordSchema, MAX_RECORDS_PER_APPEND, parseRecords } from './record.js';
export * from './sink/index.js';
export type { LedgerStorage } from './storage.js';
/** The transparency log: batched, validated appends, witnessed checkpoints, proofs, storage port. */
export * as tlog from './tlog/index.js';
export {
  type AppendResult,
  createMemoryLogStorage,
  createTransparencyLog,
  type LogStorage,
  LogVerificationError,
  type LogVerificationReport,
  type LogWitness,
  type TransparencyLog,
  type TransparencyLogOptions,
  type VerifyLogOptions,
  verifyLog,
} from './tlog/index.js';
export {
  type ChainVerification,
  type ChainVerifier,
  type ChainVerifierOptions,
  createChainVerifier,
  type KnownHead,
  type VerifyChainOptions,
  verifyChain,
  verifyEntry,
} from './verify.js';
