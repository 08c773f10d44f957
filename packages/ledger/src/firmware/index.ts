/**
 * Firmware release authorisation: a self-contained proof that a release's `firmware.authorize`
 * entry, endorsed as the membership policy requires, sits in a witnessed transparency log, and the
 * offline verifier that implements `FirmwareAuthorisationVerifier` of `@healthit/core/updates`.
 * @packageDocumentation
 */
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
