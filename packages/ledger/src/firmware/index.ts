/**
 * Firmware release authorisation: a self-contained proof that a release's `firmware.authorize`
 * entry, endorsed as the membership policy requires, sits in a witnessed transparency log, and the
 * offline verifier that implements `FirmwareAuthorisationVerifier` of `@healthit/core/updates`.
 * @packageDocumentation
 */

// The shared shapes the firmware proof is made of. `StepOutcome` is renamed: the provenance
// verifier exports its own `StepOutcome` (the shared one with its step names).
export type { LoggedEntryProof, StepOutcome as ProofStepOutcome } from '../log-proof/index.js';
export { type BuildFirmwareAuthorisationOptions, buildFirmwareAuthorisationProof } from './build.js';
export {
  FIRMWARE_AUTHORISATION_FORMAT,
  FIRMWARE_AUTHORISATION_VERSION,
  type FirmwareAuthorisationProof,
  FirmwareAuthorisationProofSchema,
  MAX_FIRMWARE_AUTHORISATION_CHARS,
  MAX_FIRMWARE_CHECKPOINT_CHARS,
} from './bundle.js';
export {
  type FirmwareAuthorisationVerifierOptions,
  type FirmwareProofInvalid,
  type FirmwareProofStep,
  type FirmwareProofStepOutcome,
  FirmwareProofSteps,
  type FirmwareProofValid,
  type FirmwareProofVerdict,
  firmwareAuthorisationVerifier,
  type LedgerFirmwareAuthorisationVerifier,
  verifyFirmwareAuthorisationProof,
} from './verify.js';
