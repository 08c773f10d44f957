import { ed25519 } from '@noble/curves/ed25519.js';

/** Ed25519 (RFC 8032, pure, no context) signature of `message` under the 32-byte secret key (seed). */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/**
 * Verifies an Ed25519 signature with the strict RFC 8032 / FIPS 186-5 rules (canonical encodings of
 * the public key, R and S; no ZIP-215 leniency), so every conforming verifier reaches the same
 * verdict. False for a malformed signature or key; never throws on well-typed input.
 */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** The public key of a 32-byte Ed25519 secret key (seed). */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

/** True when `publicKey` is the canonical encoding of a point on the Ed25519 curve. */
export function isEd25519PublicKey(publicKey: Uint8Array): boolean {
  return publicKey.length === 32 && ed25519.utils.isValidPublicKey(publicKey, false);
}

/** 32 random bytes suitable as an Ed25519 secret key (from the platform's CSPRNG). */
export function randomSeed(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}
