/**
 * @internal Shared by the offline bundle verifiers (provenance, firmware authorisation): stepped
 * verdicts, the trusted log and witness keys, the bundle's logged-entry member, and the proof of
 * one entry against a signed, witness-cosigned checkpoint. Not exported from the package root.
 * @packageDocumentation
 */
export { type ProofSource, proveLoggedEntry } from './prove.js';
export {
  firstIssue,
  HashHex,
  LeafIndex,
  type LoggedEntryProof,
  LoggedEntrySchema,
  MAX_PROOF_HASHES,
  ProofHashes,
  proofBytes,
} from './schema.js';
export {
  failStep,
  runSteps,
  type StepOutcome,
  type StepRunner,
  type StepsFailed,
  type StepsPassed,
} from './steps.js';
export { type CheckpointTrust, type CheckpointTrustOptions, checkpointTrust } from './trust.js';
export {
  type LoggedEntryClaim,
  type LoggedEntryProven,
  type LoggedEntryStep,
  LoggedEntrySteps,
  verifyLoggedEntry,
} from './verify.js';
