import { ed25519 } from '@noble/curves/ed25519.js';
import { toBase64Url } from '../encoding/bytes.js';
import { cachedPrivateKey, nodeCryptoModule } from './node-crypto.js';

/**
 * Which Ed25519 implementation verifies: `native` is node:crypto (OpenSSL), found at run time through
 * `process.getBuiltinModule` so the package still bundles for browsers; `noble` is `@noble/curves`;
 * `auto` uses native where present, noble elsewhere.
 */
export type Ed25519Backend = 'auto' | 'native' | 'noble';

/** The slice of node:crypto used here (typed locally: no static node:crypto import). */
interface NodeCryptoSubset {
  createPublicKey(options: { key: { kty: 'OKP'; crv: 'Ed25519'; x: string }; format: 'jwk' }): unknown;
  createPrivateKey?(options: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): unknown;
  verify(algorithm: null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean;
  sign?(algorithm: null, data: Uint8Array, key: unknown): Uint8Array;
}

/** Declared bound of each per-public-key cache; when full, the oldest entry is evicted (FIFO). */
export const ED25519_KEY_CACHE_SIZE = 1024;

let nodeCrypto: NodeCryptoSubset | null | undefined;

function loadNodeCrypto(): NodeCryptoSubset | null {
  if (nodeCrypto !== undefined) return nodeCrypto;
  const mod = nodeCryptoModule() as Partial<NodeCryptoSubset> | undefined;
  nodeCrypto =
    mod && typeof mod.verify === 'function' && typeof mod.createPublicKey === 'function'
      ? (mod as NodeCryptoSubset)
      : null;
  return nodeCrypto;
}

/** True when native (node:crypto) Ed25519 is available in this runtime. */
export function nativeEd25519Available(): boolean {
  return loadNodeCrypto() !== null;
}

function boundedSet<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= ED25519_KEY_CACHE_SIZE) {
    const oldest = cache.keys().next();
    if (oldest.done !== true) cache.delete(oldest.value);
  }
  cache.set(key, value);
  return value;
}

/** A cache key for 32 key bytes: one character per byte (cheaper to build than hex). */
function keyOf(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/**
 * The last key verified with, by identity, and a copy of its bytes: a verifier checking many
 * signatures under one key (a log's submitter) skips the cache-key string and map lookups. The copy
 * is compared on every use, so a caller that changes the array's bytes never gets a stale verdict.
 */
interface LastKey {
  array: Uint8Array | undefined;
  readonly bytes: Uint8Array;
  /** The node:crypto KeyObject of a key that passed {@link isStrictEd25519PublicKey}. */
  native: unknown;
}

const lastKey: LastKey = { array: undefined, bytes: new Uint8Array(32), native: undefined };

function isLastKey(publicKey: Uint8Array): boolean {
  if (lastKey.array !== publicKey) return false;
  const { bytes } = lastKey;
  for (let i = 0; i < 32; i++) if (bytes[i] !== publicKey[i]) return false;
  return true;
}

const strictKeys = new Map<string, boolean>();

/**
 * True when `publicKey` is acceptable under this package's Ed25519 rule set: 32 bytes, the canonical
 * encoding of a curve point (y < p, no "negative zero" x), and a point of the prime-order subgroup
 * (neither of small order nor with a torsion component). Every honestly generated key passes; the
 * keys that fail are the crafted ones on which RFC 8032 verifiers disagree. Cached per key
 * ({@link ED25519_KEY_CACHE_SIZE} entries, oldest evicted first).
 */
export function isStrictEd25519PublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false;
  const id = keyOf(publicKey);
  const cached = strictKeys.get(id);
  if (cached !== undefined) return cached;
  let ok = false;
  try {
    const point = ed25519.Point.fromBytes(publicKey, false);
    ok = !point.isSmallOrder() && point.isTorsionFree();
  } catch {
    ok = false;
  }
  return boundedSet(strictKeys, id, ok);
}

function verifyNoble(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    if (!ed25519.verify(signature, message, publicKey, { zip215: false })) return false;
    // noble checks the cofactored equation; with a prime-order A it equals the cofactorless one
    // (what node:crypto checks) exactly when R has no torsion component.
    return ed25519.Point.fromBytes(signature.subarray(0, 32), false).isTorsionFree();
  } catch {
    return false;
  }
}

const nativeKeys = new Map<string, unknown>();

function verifyNative(
  crypto: NodeCryptoSubset,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  const id = keyOf(publicKey);
  let key = nativeKeys.get(id);
  try {
    if (key === undefined) {
      const x = toBase64Url(publicKey);
      key = boundedSet(
        nativeKeys,
        id,
        crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x }, format: 'jwk' }),
      );
    }
    return crypto.verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/**
 * Verifies an Ed25519 signature (RFC 8032, pure) with one rule set whichever backend runs, so a
 * browser and a Node verifier always reach the same verdict:
 * - the public key passes {@link isStrictEd25519PublicKey} (canonical, prime-order subgroup);
 * - S is canonical (S < L) and R is the canonical encoding of a point;
 * - the cofactorless equation [S]B = R + [k]A holds (so R has no torsion component).
 *
 * `native` uses node:crypto (OpenSSL checks S < L and the cofactorless equation; the key rule is
 * checked here first); `noble` uses `ed25519.verify(sig, msg, pub, { zip215: false })` plus the
 * torsion check on R. Returns false on any malformed input; never throws on `Uint8Array` input.
 * When `backend` is `native` and node:crypto is absent, falls back to noble.
 *
 * @example
 * ```ts
 * if (!ed25519VerifyStrict(sig, message, publicKey)) throw new Error('bad signature');
 * ```
 */
export function ed25519VerifyStrict(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  backend: Ed25519Backend = 'auto',
): boolean {
  if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array)) return false;
  if (signature.length !== 64) return false;
  const crypto = backend === 'noble' ? null : loadNodeCrypto();
  if (crypto !== null && lastKey.native !== undefined && isLastKey(publicKey)) {
    // the same key as last time, already found strict and parsed into a KeyObject
    try {
      return crypto.verify(null, message, lastKey.native, signature);
    } catch {
      return false;
    }
  }
  if (!isStrictEd25519PublicKey(publicKey)) return false;
  if (crypto === null) return verifyNoble(signature, message, publicKey);
  const verdict = verifyNative(crypto, signature, message, publicKey);
  const native = nativeKeys.get(keyOf(publicKey));
  if (native !== undefined) {
    lastKey.array = publicKey;
    lastKey.bytes.set(publicKey);
    lastKey.native = native;
  }
  return verdict;
}

/** DER prefix of a PKCS #8 Ed25519 private key; the 32-byte seed follows. */
const PKCS8_ED25519 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);

/** node:crypto KeyObjects of secret keys, by array identity (see `cachedPrivateKey`). */
const nativeSecretKeys = new WeakMap<Uint8Array, unknown>();

function signNative(
  crypto: NodeCryptoSubset,
  message: Uint8Array,
  secretKey: Uint8Array,
): Uint8Array | undefined {
  if (typeof crypto.sign !== 'function' || typeof crypto.createPrivateKey !== 'function') return undefined;
  const key = cachedPrivateKey(crypto.createPrivateKey, PKCS8_ED25519, secretKey, nativeSecretKeys);
  const signature = crypto.sign(null, message, key);
  return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength);
}

/**
 * Ed25519 (RFC 8032, pure, no context) signature of `message` under the 32-byte secret key (seed):
 * native node:crypto where present (`backend` `auto`), `@noble/curves` otherwise. Ed25519 signatures are
 * deterministic, so both give the same bytes (tested).
 * @throws {Error} when the secret key is not 32 bytes.
 */
export function ed25519Sign(
  message: Uint8Array,
  secretKey: Uint8Array,
  backend: Ed25519Backend = 'auto',
): Uint8Array {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32)
    throw new Error('Ed25519 secret key must be 32 bytes');
  const crypto = backend === 'noble' ? null : loadNodeCrypto();
  if (crypto !== null) {
    const signature = signNative(crypto, message, secretKey);
    if (signature !== undefined) return signature;
  }
  return ed25519.sign(message, secretKey);
}

/**
 * Verifies an Ed25519 signature with the strict RFC 8032 / FIPS 186-5 rules (canonical encodings of
 * the public key, R and S; prime-order public key; no ZIP-215 leniency), so every conforming
 * verifier reaches the same verdict: native node:crypto where present (~30× faster), `@noble/curves`
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
