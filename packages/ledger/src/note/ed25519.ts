/** Strict Ed25519 verification lives in `@healthit/core`'s security module; re-exported here. */
export {
  ED25519_KEY_CACHE_SIZE,
  type Ed25519Backend,
  ed25519VerifyStrict,
  isStrictEd25519PublicKey,
  nativeEd25519Available,
} from '@healthit/core';
