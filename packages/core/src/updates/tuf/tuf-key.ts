import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { utf8Encode } from '../../encoding/bytes.js';
import { canonicalJson } from '../../encoding/canonical-json.js';
import type { JsonValue } from '../../schemas/index.js';
import { ed25519PublicKey, ed25519Sign, randomSeed } from '../../security/ed25519.js';

/** The JSON form of a public key in TUF metadata (`keys` of root, `delegations.keys` of targets). */
export interface TufKeyJson {
  /** The key type: always `ed25519`. */
  readonly keytype: 'ed25519';
  /** The signature scheme: always `ed25519`. */
  readonly scheme: 'ed25519';
  /** The key value: `public` is the 32-byte Ed25519 public key as 64 lower-case hex digits. */
  readonly keyval: { readonly public: string };
}

/**
 * An Ed25519 signing key of a TUF role. The secret stays inside `sign`; only the public part and
 * its key id are visible.
 */
export interface TufKey {
  /** Lower-case hex SHA-256 of the canonical JSON of {@link TufKey.json} (the TUF key id). */
  readonly keyId: string;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
  /** The key as it is listed in metadata. */
  readonly json: TufKeyJson;
  /** Signs `message` (the canonical JSON of a `signed` object); returns the 64-byte signature. */
  sign(message: Uint8Array): Uint8Array;
}

/**
 * The TUF key id of an Ed25519 public key: hex SHA-256 of the canonical JSON of its key object.
 *
 * @throws {RangeError} when `publicKey` is not 32 bytes.
 */
export function tufKeyId(publicKey: Uint8Array): string {
  return bytesToHex(sha256(utf8Encode(canonicalJson(tufKeyJson(publicKey) as unknown as JsonValue))));
}

/** The metadata form of an Ed25519 public key. @throws {RangeError} when it is not 32 bytes. */
export function tufKeyJson(publicKey: Uint8Array): TufKeyJson {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
    throw new RangeError(`An Ed25519 public key is 32 bytes, got ${publicKey?.length}`);
  return { keytype: 'ed25519', scheme: 'ed25519', keyval: { public: bytesToHex(publicKey) } };
}

/**
 * A {@link TufKey} from a 32-byte Ed25519 seed (deterministic: tests and vectors), or from a fresh
 * random seed when none is given.
 *
 * @throws {RangeError} when `seed` is not 32 bytes.
 * @example
 * ```ts
 * const rootKeys = [createTufKey(), createTufKey()];
 * const repo = new TufRepository({ roles: { root: { keys: rootKeys, threshold: 2 } } });
 * ```
 */
export function createTufKey(seed: Uint8Array = randomSeed()): TufKey {
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new RangeError(`An Ed25519 seed is 32 bytes, got ${seed?.length}`);
  const secret = seed.slice();
  const publicKey = ed25519PublicKey(secret);
  const json = tufKeyJson(publicKey);
  return Object.freeze({
    keyId: tufKeyId(publicKey),
    publicKey,
    json,
    sign: (message: Uint8Array) => ed25519Sign(message, secret),
  });
}
