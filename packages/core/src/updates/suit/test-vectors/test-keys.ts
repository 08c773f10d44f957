/**
 * Fixed keys for the SUIT tests (never for production): a release key of each algorithm, an
 * attacker's key of each, and the draft examples' key.
 * @internal
 */
import { p256 } from '@noble/curves/nist.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { ed25519PublicKey } from '../../../security/ed25519.js';
import type { SuitSigner, SuitTrustedKey } from '../types.js';
import { DRAFT_EXAMPLE_PUBLIC_KEY_HEX } from './draft-examples.js';

function pair(
  algorithm: 'EdDSA' | 'ES256',
  fill: number,
  name: string,
): { signer: SuitSigner; trusted: SuitTrustedKey } {
  const secretKey = new Uint8Array(32).fill(fill);
  const publicKey = algorithm === 'EdDSA' ? ed25519PublicKey(secretKey) : p256.getPublicKey(secretKey);
  return { signer: { algorithm, secretKey }, trusted: { algorithm, publicKey, name } };
}

export const RELEASE_ED25519 = pair('EdDSA', 0x21, 'release-ed25519');
export const RELEASE_P256 = pair('ES256', 0x22, 'release-p256');
export const ATTACKER_ED25519 = pair('EdDSA', 0x66, 'attacker-ed25519');
export const ATTACKER_P256 = pair('ES256', 0x67, 'attacker-p256');

/** The key that signed draft-ietf-suit-manifest's examples. */
export const DRAFT_EXAMPLE_KEY: SuitTrustedKey = {
  algorithm: 'ES256',
  publicKey: hexToBytes(DRAFT_EXAMPLE_PUBLIC_KEY_HEX),
  name: 'draft-ietf-suit-manifest examples',
};
