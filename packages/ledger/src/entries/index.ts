/**
 * Typed, canonical, signed ledger entries ordered per stream: the entry kinds and their body
 * schemas, the RFC 8785 codec that rejects non-canonical bytes, domain-separated Ed25519
 * signatures, the per-stream sequencer, and salted commitments for patient data.
 * @packageDocumentation
 */
export { decodeEntry, encodeEntry, entryHash, parseEntry } from './codec.js';
export {
  COMMITMENT_DOMAIN,
  SALT_LENGTH,
  type SaltedCommitment,
  saltedCommitment,
  verifyCommitment,
} from './commitment.js';
export {
  Entry,
  type EntryOf,
  EntrySignature,
  MAX_ENTRY_BYTES,
  MAX_SIGNATURES,
  sortSignatures,
  type UnsignedEntry,
  ZERO_HASH,
} from './entry.js';
export {
  EntryError,
  type EntryErrorReason,
  EntryErrorReasons,
  EntrySignatureError,
  type EntrySignatureReason,
  type SignatureFailure,
  type SignatureFailureReason,
  type StreamOrderDetail,
  StreamOrderError,
  type StreamOrderReason,
  StreamOrderReasons,
} from './errors.js';
export { Digest, Id, Origin, SignatureHex, StreamId, type StreamType, StreamTypes } from './fields.js';
export {
  ConfigChangeBody,
  CustodyTransferBody,
  DeviceDecommissionedBody,
  DeviceOnboardedBody,
  EntryBodies,
  type EntryBody,
  type EntryKind,
  EntryKinds,
  FirmwareAuthorizeBody,
  KeyRevokeBody,
  ModelApproveBody,
  PolicyUpdateBody,
  SecurityEventBody,
} from './kinds.js';
export {
  MAX_BATCH_READINGS,
  ReadingBatchBody,
  readingBatchBody,
  readingLeaf,
  saltedReadingLeaf,
  verifyReadingBatchBody,
} from './reading-batch.js';
export {
  generateLeafKey,
  LEAF_KEY_LENGTH,
  READING_SALT_DOMAIN,
  readingSalt,
  readingSalter,
} from './reading-salt.js';
export {
  checkStreamOrder,
  createStreamSequencer,
  type StreamHead,
  type StreamSequencer,
  type StreamSequencerOptions,
} from './sequencer.js';
export {
  assertEntrySignatures,
  ENTRY_SIGNING_DOMAIN,
  type EntrySigner,
  entrySigningMessage,
  type KeyLookup,
  keyIdOf,
  type SignatureCheck,
  type SignatureReport,
  type SignatureRequirements,
  signEntry,
  verifyEntrySignatures,
} from './signatures.js';
