import { ed25519 } from '@noble/curves/ed25519.js';
import { ed25519VerifyStrict } from './note/ed25519.js';

/** Ed25519 (RFC 8032, pure, no context) signature of `message` under the 32-byte secret key (seed). */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/**
 * Verifies an Ed25519 signature with the strict RFC 8032 / FIPS 186-5 rules (canonical encodings of
 * the public key, R and S; prime-order public key; no ZIP-215 leniency), so every conforming
 * verifier reaches the same verdict: native node:crypto where present (~30× faster), @noble
 * otherwise, one rule set on both (see `ed25519VerifyStrict`). False for a malformed signature or
 * key; never throws on well-typed input.
 */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  return ed25519VerifyStrict(signature, message, publicKey);
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
