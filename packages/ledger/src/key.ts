import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex } from './hex.js';
import { ed25519PublicKey, isEd25519PublicKey, randomSeed } from './signing.js';

/**
 * A ledger's Ed25519 key pair. The log is named by its {@link LedgerKey.logId}; whoever holds the
 * public key can verify every entry without trusting the writer.
 */
export interface LedgerKey {
  /** The 32-byte Ed25519 secret key (the RFC 8032 seed). Keep it secret; persist it to reopen the log. */
  readonly secretKey: Uint8Array;
  /** The 32-byte Ed25519 public key. Publish it; verifiers need only this. */
  readonly publicKey: Uint8Array;
  /** Lowercase hex SHA-256 of {@link LedgerKey.publicKey}: the log's identity in receipts. */
  readonly logId: string;
}

/** A public key as bytes, or as 64 hex characters. */
export type PublicKeyInput = Uint8Array | string;

/**
 * The log id of a public key: lowercase hex SHA-256 of the 32 raw public-key bytes.
 * @throws {TypeError} / {RangeError} as {@link toPublicKeyBytes}.
 */
export function logIdOf(publicKey: PublicKeyInput): string {
  return toHex(sha256(toPublicKeyBytes(publicKey)));
}

/**
 * Checks and copies a public key given as bytes or hex.
 * @throws {TypeError} when it is neither a Uint8Array nor a string;
 * @throws {RangeError} when it is not 32 bytes encoding a point on the Ed25519 curve.
 */
export function toPublicKeyBytes(publicKey: PublicKeyInput): Uint8Array {
  let bytes: Uint8Array;
  if (typeof publicKey === 'string') bytes = fromHex(publicKey, 32, 'publicKey');
  else if (publicKey instanceof Uint8Array) bytes = Uint8Array.from(publicKey);
  else throw new TypeError(`publicKey must be a Uint8Array or a hex string, got ${typeof publicKey}`);
  if (!isEd25519PublicKey(bytes)) {
    throw new RangeError('publicKey is not a canonical Ed25519 public key (32 bytes encoding a curve point)');
  }
  return bytes;
}

/**
 * The ledger key for a 32-byte Ed25519 secret key (seed), e.g. one loaded from a key store.
 *
 * @throws {TypeError} when `seed` is not a Uint8Array;
 * @throws {RangeError} when it is not 32 bytes long.
 * @example
 * ```ts
 * const key = ledgerKeyFromSeed(seedFromVault);
 * console.log(key.logId);
 * ```
 */
export function ledgerKeyFromSeed(seed: Uint8Array): LedgerKey {
  if (!(seed instanceof Uint8Array)) throw new TypeError(`seed must be a Uint8Array, got ${typeof seed}`);
  if (seed.length !== 32) throw new RangeError(`seed must be 32 bytes, got ${seed.length}`);
  const secretKey = Uint8Array.from(seed);
  const publicKey = ed25519PublicKey(secretKey);
  return Object.freeze({ secretKey, publicKey, logId: toHex(sha256(publicKey)) });
}

/**
 * A new random ledger key, from the platform's CSPRNG (`crypto.getRandomValues`).
 * @example
 * ```ts
 * const key = generateLedgerKey();
 * const ledger = createHashChainLedger({ key });
 * ```
 */
export function generateLedgerKey(): LedgerKey {
  return ledgerKeyFromSeed(randomSeed());
}

/**
 * Checks that `key` is a consistent {@link LedgerKey}: a 32-byte secret key whose public key and
 * log id are the ones it carries (a hand-assembled key whose parts disagree would sign entries
 * that never verify under its public key).
 * @throws {TypeError} when `key` or its parts have the wrong types;
 * @throws {RangeError} when the parts do not belong together.
 */
export function assertLedgerKey(key: LedgerKey): void {
  if (typeof key !== 'object' || key === null || !(key.secretKey instanceof Uint8Array)) {
    throw new TypeError('key must be a LedgerKey (from generateLedgerKey or ledgerKeyFromSeed)');
  }
  const expected = ledgerKeyFromSeed(key.secretKey);
  const samePublicKey =
    key.publicKey instanceof Uint8Array &&
    key.publicKey.length === 32 &&
    expected.publicKey.every((b, i) => b === key.publicKey[i]);
  if (!samePublicKey || key.logId !== expected.logId) {
    throw new RangeError(
      'key.publicKey or key.logId does not belong to key.secretKey; use ledgerKeyFromSeed',
    );
  }
}
