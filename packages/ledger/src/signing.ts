/** Ed25519 signing and strict verification live in `@healthit/core`'s security module; re-exported here. */
export { ed25519PublicKey, ed25519Sign, ed25519Verify, isEd25519PublicKey, randomSeed } from '@healthit/core';
