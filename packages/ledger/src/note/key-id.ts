import { sha256 } from '@noble/hashes/sha2.js';
import { hasLoneSurrogate } from './text.js';

/**
 * Signature type bytes assigned by C2SP signed-note: `ed25519` (0x01) for note signatures,
 * `cosignatureV1` (0x04) for timestamped Ed25519 witness cosignatures (C2SP tlog-cosignature).
 */
export const SignatureTypes = { ed25519: 0x01, cosignatureV1: 0x04 } as const;

/** One of {@link SignatureTypes}. */
export type SignatureType = (typeof SignatureTypes)[keyof typeof SignatureTypes];

const UNICODE_SPACE = /[\t\n\v\f\r \u0085\p{Z}]/u;

/**
 * True when `name` is a valid key name: non-empty, well-formed Unicode, no Unicode space (Go's
 * `unicode.IsSpace`: ASCII spaces, U+0085 and category Z) and no `+`.
 */
export function isValidKeyName(name: string): boolean {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    !UNICODE_SPACE.test(name) &&
    !name.includes('+') &&
    !hasLoneSurrogate(name)
  );
}

const utf8 = new TextEncoder();

/**
 * The 32-bit key ID of a key: the first four bytes, big-endian, of
 * SHA-256(key name ‖ 0x0A ‖ signature type ‖ public key), as C2SP signed-note defines.
 * @throws {RangeError} when `name` is not a valid key name.
 */
export function noteKeyId(name: string, type: number, publicKey: Uint8Array): number {
  if (!isValidKeyName(name)) throw new RangeError(`invalid key name ${JSON.stringify(name)}`);
  const nameBytes = utf8.encode(name);
  const input = new Uint8Array(nameBytes.length + 2 + publicKey.length);
  input.set(nameBytes, 0);
  input[nameBytes.length] = 0x0a;
  input[nameBytes.length + 1] = type;
  input.set(publicKey, nameBytes.length + 2);
  const h = sha256(input);
  return (
    (((h[0] as number) << 24) | ((h[1] as number) << 16) | ((h[2] as number) << 8) | (h[3] as number)) >>> 0
  );
}

/** A key ID as the 8 lowercase hex digits used in key strings. */
export function formatKeyId(keyId: number): string {
  return keyId.toString(16).padStart(8, '0');
}
