import { type JsonValue, utf8Encode } from '@healthit/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { canonicalJson } from '../canonical-json.js';
import { fromHex, isLowerHex, toHex } from '../hex.js';
import { toJsonValue } from '../json-value.js';

/** The domain tag of a salted commitment (UTF-8, ending in a line feed). */
export const COMMITMENT_DOMAIN = 'healthit-ledger-commitment/v1\n';

/** The length of a commitment's salt, in bytes. */
export const SALT_LENGTH = 32;

const DOMAIN_BYTES = utf8Encode(COMMITMENT_DOMAIN);

/**
 * A salted commitment and its opening. Put `commitment` on the ledger; keep `salt` (and the value)
 * off the ledger, e.g. next to the patient record, and reveal both only to whoever must check.
 */
export interface SaltedCommitment {
  /** Lowercase hex SHA-256(domain ‖ salt ‖ canonical value). */
  readonly commitment: string;
  /** Lowercase hex of the 32-byte salt. Secret: with it, a guessable value can be brute-forced. */
  readonly salt: string;
}

function digest(value: unknown, salt: Uint8Array): string {
  const checked = toJsonValue(value);
  if (!checked.ok) {
    throw new TypeError(
      `The committed value is not plain JSON: ${checked.issues.map((i) => i.message).join('; ')}`,
    );
  }
  const json = utf8Encode(canonicalJson(checked.value));
  const bytes = new Uint8Array(DOMAIN_BYTES.length + SALT_LENGTH + json.length);
  bytes.set(DOMAIN_BYTES, 0);
  bytes.set(salt, DOMAIN_BYTES.length);
  bytes.set(json, DOMAIN_BYTES.length + SALT_LENGTH);
  return toHex(sha256(bytes));
}

/**
 * Commits to a value (e.g. a patient id) without revealing it: SHA-256 over
 * `healthit-ledger-commitment/v1\n` ‖ 32-byte salt ‖ UTF-8 RFC 8785 JSON of the value. The random
 * salt hides low-entropy values (a patient id can be guessed; 256 random bits cannot) and makes two
 * commitments to the same value unlinkable.
 *
 * @param salt 32 bytes, or 64 hex characters; a fresh random salt (CSPRNG) when omitted. Pass the
 *   same salt to commit to the same value again, e.g. for every batch of one patient episode.
 * @throws {TypeError} when the value is not plain JSON or the salt not bytes/hex;
 * @throws {RangeError} when the salt is not 32 bytes.
 * @example
 * ```ts
 * const { commitment, salt } = saltedCommitment('patient-42');
 * // commitment -> ledger; salt -> the hospital's record, never the ledger
 * verifyCommitment('patient-42', salt, commitment); // true
 * ```
 */
export function saltedCommitment(value: JsonValue, salt?: Uint8Array | string): SaltedCommitment {
  let saltBytes: Uint8Array;
  if (salt === undefined) saltBytes = randomBytes(SALT_LENGTH);
  else if (typeof salt === 'string') saltBytes = fromHex(salt, SALT_LENGTH, 'salt');
  else if (salt instanceof Uint8Array) {
    if (salt.length !== SALT_LENGTH)
      throw new RangeError(`salt must be ${SALT_LENGTH} bytes, got ${salt.length}`);
    saltBytes = Uint8Array.from(salt);
  } else throw new TypeError(`salt must be a Uint8Array or a hex string, got ${typeof salt}`);
  return Object.freeze({ commitment: digest(value, saltBytes), salt: toHex(saltBytes) });
}

/**
 * True when `commitment` is the salted commitment of `value` under `salt` (see
 * {@link saltedCommitment}). False for any other value or salt and for malformed inputs; never
 * throws.
 */
export function verifyCommitment(value: JsonValue, salt: Uint8Array | string, commitment: string): boolean {
  if (typeof commitment !== 'string' || !isLowerHex(commitment, 32)) return false;
  try {
    return saltedCommitment(value, salt).commitment === commitment;
  } catch {
    return false;
  }
}
