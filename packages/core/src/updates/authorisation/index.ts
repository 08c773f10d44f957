/**
 * The firmware authorisation port: a proof that a release was authorised (recorded and endorsed as
 * policy requires) that device and gateway code check before installing or serving an image,
 * without depending on the ledger that implements it.
 * @packageDocumentation
 */
export type {
  FirmwareAuthorisation,
  FirmwareAuthorisationVerdict,
  FirmwareAuthorisationVerifier,
  FirmwareAuthorised,
  FirmwareEndorser,
  FirmwareImageIdentity,
  FirmwareNotAuthorised,
} from './firmware-authorisation.js';
export { requireFirmwareAuthorisation } from './require-authorisation.js';
