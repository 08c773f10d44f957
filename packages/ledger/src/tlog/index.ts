/**
 * The transparency log: validated, batched appends of signed entries into an RFC 9162 Merkle
 * tree, signed and witness-cosigned C2SP checkpoints, proofs, and the storage port it runs on.
 * @packageDocumentation
 */
export {
  type AppendResult,
  type BatchOptions,
  createTransparencyLog,
  type LoggedEntry,
  type LogWitness,
  type TransparencyLog,
  type TransparencyLogEvent,
  type TransparencyLogOptions,
} from './log.js';
export {
  type LogVerificationDetail,
  LogVerificationError,
  type LogVerificationReason,
  LogVerificationReasons,
} from './log-verification-error.js';
export { createMemoryLogStorage, type MemoryLogStorageOptions } from './memory-storage.js';
export type { ParallelSignatureVerifier, SignatureJob } from './parallel-verifier.js';
export type { EntryTimeWindow } from './policy-gate.js';
export type { LogStorage } from './storage.js';
export { createStreamingRoot, type StreamingRoot } from './streaming-root.js';
export {
  type LogVerificationReport,
  type VerifiedPolicyUpdate,
  type VerifyLogOptions,
  verifyLog,
  type WitnessVerifiers,
} from './verify-log.js';
