import { type Reading, utf8Encode } from '@healthit/core';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { fromHex, toHex } from '../hex.js';
import { sha256 } from '../merkle/sha256.js';

/** The domain tag of a device's salt key (UTF-8, ending in a line feed). */
export const READING_SALT_DOMAIN = 'healthit-reading-salt/v1\n';

/** The length of a leaf key, in bytes. */
export const LEAF_KEY_LENGTH = 32;

const DOMAIN_BYTES = utf8Encode(READING_SALT_DOMAIN);

/**
 * A fresh random leaf key (32 bytes from the CSPRNG) for salting reading leaves. Whoever anchors
 * readings keeps it secret, off the ledger: it derives the salt of every reading it anchored, so
 * it can later build any reading's provenance bundle.
 */
export function generateLeafKey(): Uint8Array {
  return randomBytes(LEAF_KEY_LENGTH);
}

function keyBytes(leafKey: Uint8Array | string): Uint8Array {
  if (typeof leafKey === 'string') return fromHex(leafKey, LEAF_KEY_LENGTH, 'leafKey');
  if (!(leafKey instanceof Uint8Array) || leafKey.length !== LEAF_KEY_LENGTH) {
    throw new RangeError(`leafKey must be ${LEAF_KEY_LENGTH} bytes`);
  }
  return leafKey;
}

/**
 * Returns the salt function of one device's readings: `seq` → lowercase hex
 * SHA-256(deviceKey ‖ u64 big-endian seq), where deviceKey = HMAC-SHA256(leafKey,
 * `healthit-reading-salt/v1\n` ‖ UTF-8 device id). One HMAC per device, one SHA-256 of a
 * fixed-length 40-byte input per reading: a salt reveals neither the leaf key, nor the device key,
 * nor any other reading's salt.
 * @throws {RangeError} / {TypeError} when `leafKey` is not 32 bytes (or 64 hex characters).
 */
export function readingSalter(leafKey: Uint8Array | string, deviceId: string): (seq: number) => string {
  const deviceKey = hmac(nobleSha256, keyBytes(leafKey), concat(DOMAIN_BYTES, utf8Encode(deviceId)));
  const input = new Uint8Array(LEAF_KEY_LENGTH + 8);
  input.set(deviceKey, 0);
  const view = new DataView(input.buffer);
  return (seq) => {
    view.setUint32(LEAF_KEY_LENGTH, Math.floor(seq / 2 ** 32));
    view.setUint32(LEAF_KEY_LENGTH + 4, seq >>> 0);
    return toHex(sha256(input));
  };
}

/**
 * The salt of one reading's Merkle leaf under `leafKey` (see {@link readingSalter}), as 64 lowercase
 * hex characters: what a provenance bundle carries for the reading it proves.
 * @example
 * ```ts
 * const leafKey = generateLeafKey(); // kept by the anchoring party
 * const salt = readingSalt(leafKey, reading);
 * ```
 */
export function readingSalt(
  leafKey: Uint8Array | string,
  reading: Pick<Reading, 'deviceId' | 'seq'>,
): string {
  return readingSalter(leafKey, reading.deviceId)(reading.seq);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
