import { sha256 } from '@noble/hashes/sha2.js';
import { asArray, asBytes, asInt, malformed } from './cbor.js';
import { COSE_ALG } from './constants.js';
import type { SuitDigest } from './types.js';

/**
 * The CBOR head of a byte string of `length` bytes, in preferred (shortest) serialization: what
 * precedes the content of every byte string the SUIT decoder accepts.
 */
export function byteStringHead(length: number): Uint8Array {
  if (length < 24) return Uint8Array.of(0x40 | length);
  if (length < 0x100) return Uint8Array.of(0x58, length);
  if (length < 0x10000) return Uint8Array.of(0x59, length >>> 8, length & 0xff);
  if (length < 0x100000000) {
    return Uint8Array.of(0x5a, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
  }
  const head = new Uint8Array(9);
  head[0] = 0x5b;
  new DataView(head.buffer).setBigUint64(1, BigInt(length));
  return head;
}

/**
 * SHA-256 of `content` wrapped as a CBOR byte string (head ‖ content): SUIT digests the manifest
 * and each severed member "bstr-wrapped", as they sit in the envelope.
 */
export function sha256OfByteString(content: Uint8Array): Uint8Array {
  return sha256.create().update(byteStringHead(content.length)).update(content).digest();
}

/**
 * The `SUIT_Digest` (SHA-256) of an image, as a manifest's `image-digest` declares it.
 * @example
 * ```ts
 * const spec = { ...component, imageDigest: suitDigestOf(image), imageSize: image.length };
 * ```
 */
export function suitDigestOf(image: Uint8Array): SuitDigest {
  return { algorithm: COSE_ALG.SHA256, bytes: sha256(image) };
}

/** Reads a `SUIT_Digest` (`[algorithm-id, digest-bytes, * extensions]`). */
export function parseDigest(value: unknown, where: string): SuitDigest {
  const items = asArray(value, where);
  if (items.length < 2) throw malformed(where, 'a SUIT_Digest is [algorithm-id, digest-bytes]');
  return {
    algorithm: asInt(items[0], `${where}.algorithm-id`),
    bytes: asBytes(items[1], `${where}.bytes`, 64),
  };
}
