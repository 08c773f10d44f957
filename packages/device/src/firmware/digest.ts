import { HealthItError } from '@healthit/core';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * Lowercase hex SHA-256 of `bytes`, with the platform's WebCrypto (`crypto.subtle`: Node ≥ 20 and
 * browsers), as the bootloader and the update agent hash images. Hashes a private copy, so the
 * caller's buffer is read exactly once.
 * @throws {HealthItError} `config/invalid` where WebCrypto is missing.
 * @example
 * ```ts
 * const sha256 = await firmwareDigest(image); // '9f86d081…'
 * ```
 */
export async function firmwareDigest(bytes: Uint8Array): Promise<string> {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (subtle === undefined) {
    throw new HealthItError(
      'config/invalid',
      'WebCrypto (crypto.subtle) is not available: firmware images cannot be hashed',
    );
  }
  const digest = new Uint8Array(await subtle.digest('SHA-256', new Uint8Array(bytes)));
  let hex = '';
  for (const b of digest) hex += HEX[b];
  return hex;
}
