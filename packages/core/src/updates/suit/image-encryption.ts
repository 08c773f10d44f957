import { equalBytes } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, randomBytes } from '@noble/hashes/utils.js';
import { encode } from 'cbor2';
import { utf8Encode } from '../../encoding/bytes.js';
import { openBytes, SealError, sealBytes } from '../../security/seal.js';
import { sealBackend } from '../../security/seal-backend.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { asArray, asBytes, asText, asUint, decodeCbor, malformed } from './cbor.js';
import { COSE_ALG } from './constants.js';
import { parseDigest } from './digest.js';
import type { SuitDigest } from './types.js';

/**
 * The algorithm suite: a fresh 256-bit content-encryption key (CEK) encrypts the image once with
 * ChaCha20-Poly1305; the CEK is sealed to each recipient device with the project's sealed-box
 * primitive (`sealBytes`: ephemeral-static X25519, HKDF-SHA256, ChaCha20-Poly1305), in the manner
 * of draft-ietf-suit-firmware-encryption's ES-DH content-key distribution.
 */
export const IMAGE_ENCRYPTION_ALG = 'X25519-HKDF-SHA256-ChaCha20Poly1305+ChaCha20Poly1305' as const;
/** Domain prefix of every associated data of an encrypted image. */
export const IMAGE_ENCRYPTION_DOMAIN = 'healthit-suit-image/v1\n';
/** The default largest image encrypted or decrypted, bytes (64 MiB). */
export const MAX_ENCRYPTED_IMAGE_BYTES = 64 * 1024 * 1024;
/** Most recipient devices of one encrypted image. */
export const MAX_IMAGE_RECIPIENTS = 4096;

const DOMAIN = utf8Encode(IMAGE_ENCRYPTION_DOMAIN);
const TAG_BYTES = 16;
const NONCE_BYTES = 12;

/** A device an image is encrypted to: its id and X25519 public key (a `PublicIdentity` fits). */
export interface ImageRecipient {
  /** The device's id: its sealed key is found by it, and it is bound into that key's associated data. */
  readonly id: string;
  /** The device's X25519 public key, 32 bytes. */
  readonly sealingKey: Uint8Array;
}

/** The device that decrypts: its id and X25519 secret key (`identity.sealing.secretKey`). */
export interface ImageOpener {
  /** The device's id, as the image was encrypted to it. */
  readonly id: string;
  /** The device's X25519 secret key, 32 bytes. Never leaves the device. */
  readonly secretKey: Uint8Array;
}

/** The CEK sealed to one device. */
export interface WrappedImageKey {
  /** The id of the device this key is sealed to. */
  readonly id: string;
  /** The ephemeral X25519 public key of the seal, 32 bytes, fresh for each device. */
  readonly ephemeralPublicKey: Uint8Array;
  /** The sealed CEK: 32 bytes and a 16-byte tag. */
  readonly wrappedKey: Uint8Array;
}

/** An image encrypted to one or more devices. */
export interface EncryptedImage {
  /**
   * The `SUIT_Digest` of the plaintext: the manifest's `image-digest` is of the plaintext (image
   * match after decryption, in draft-ietf-suit-firmware-encryption's terms). Bound into every
   * associated data, so a ciphertext opens only as the image this digest names.
   */
  readonly imageDigest: SuitDigest;
  /** The 12-byte ChaCha20-Poly1305 nonce of the image's encryption, random. */
  readonly nonce: Uint8Array;
  /** ChaCha20-Poly1305 ciphertext ‖ tag: the plaintext's length plus 16. */
  readonly ciphertext: Uint8Array;
  /** The CEK sealed to each device the image is encrypted to, one entry per device id. */
  readonly recipients: readonly WrappedImageKey[];
}

/** Options of {@link encryptImage} and {@link decryptImage}. */
export interface ImageEncryptionOptions {
  /** The largest image, bytes (default {@link MAX_ENCRYPTED_IMAGE_BYTES}). */
  readonly maxImageBytes?: number;
}

function header(imageDigest: SuitDigest, nonce: Uint8Array): Uint8Array {
  return concatBytes(DOMAIN, encode([1, imageDigest.algorithm, imageDigest.bytes, nonce]));
}

function wrapAad(head: Uint8Array, recipientId: string): Uint8Array {
  return concatBytes(head, encode(recipientId));
}

function refuseDecryption(message: string, cause?: unknown): UpdateRejectedError {
  return new UpdateRejectedError('decryption', message, {
    subject: 'suit-image',
    ...(cause === undefined ? {} : { cause }),
  });
}

function maxBytesOf(options: ImageEncryptionOptions): number {
  const max = options.maxImageBytes ?? MAX_ENCRYPTED_IMAGE_BYTES;
  if (!Number.isSafeInteger(max) || max < 0)
    throw new RangeError(`maxImageBytes must be a non-negative integer`);
  return max;
}

/**
 * Encrypts an image to the given devices: one ciphertext, the CEK sealed to each device. Only a
 * listed device can decrypt it; changing any byte of the ciphertext, nonce, digest, a device id or
 * a sealed key makes decryption fail. The manifest's `image-digest` stays the digest of the
 * plaintext (returned as `imageDigest`).
 * @throws {UpdateRejectedError} `too-large` beyond `maxImageBytes`; {RangeError} for no recipient,
 *   too many, a duplicate id, or a key that is not 32 bytes.
 * @example
 * ```ts
 * const encrypted = encryptImage(image, [publicIdentity(device)]);
 * const bytes = encodeEncryptedImage(encrypted); // what the gateway caches and serves
 * ```
 */
export function encryptImage(
  image: Uint8Array,
  recipients: readonly ImageRecipient[],
  options: ImageEncryptionOptions = {},
): EncryptedImage {
  const max = maxBytesOf(options);
  if (image.length > max) {
    throw new UpdateRejectedError('too-large', `The image is ${image.length} bytes, more than ${max}`, {
      subject: 'suit-image',
    });
  }
  if (recipients.length === 0 || recipients.length > MAX_IMAGE_RECIPIENTS) {
    throw new RangeError(`an image is encrypted to 1 to ${MAX_IMAGE_RECIPIENTS} devices`);
  }
  if (new Set(recipients.map((r) => r.id)).size !== recipients.length)
    throw new RangeError('duplicate recipient id');
  const imageDigest: SuitDigest = { algorithm: COSE_ALG.SHA256, bytes: sha256(image) };
  const nonce = randomBytes(NONCE_BYTES);
  const cek = randomBytes(32);
  try {
    const head = header(imageDigest, nonce);
    const ciphertext = sealBackend.seal(cek, nonce, head, image);
    const wrapped = recipients.map((r) => {
      const sealed = sealBytes(cek, r.sealingKey, wrapAad(head, r.id));
      return { id: r.id, ephemeralPublicKey: sealed.ephemeralPublicKey, wrappedKey: sealed.ciphertext };
    });
    return Object.freeze({ imageDigest, nonce, ciphertext, recipients: wrapped });
  } finally {
    cek.fill(0);
  }
}

/**
 * Decrypts an image on the device it was encrypted to, and checks that the plaintext's SHA-256 is
 * the `imageDigest` it was encrypted under. The caller then runs `checkImage` with the manifest:
 * the manifest's digest (of the plaintext) is what proves the image is the author's.
 * @throws {UpdateRejectedError} `decryption` when the image is not encrypted to `device.id`, was
 *   encrypted to another key, or anything was changed; `too-large`; `malformed`.
 */
export function decryptImage(
  encrypted: EncryptedImage,
  device: ImageOpener,
  options: ImageEncryptionOptions = {},
): Uint8Array {
  const max = maxBytesOf(options);
  const { imageDigest, nonce, ciphertext } = encrypted;
  if (ciphertext.length < TAG_BYTES || nonce.length !== NONCE_BYTES) {
    throw malformed(
      'encrypted-image',
      'the ciphertext is shorter than its tag, or the nonce is not 12 bytes',
    );
  }
  if (ciphertext.length - TAG_BYTES > max) {
    throw new UpdateRejectedError(
      'too-large',
      `The encrypted image is ${ciphertext.length} bytes, more than allowed`,
      {
        subject: 'suit-image',
      },
    );
  }
  if (imageDigest.algorithm !== COSE_ALG.SHA256) {
    throw refuseDecryption(`The image digest algorithm ${imageDigest.algorithm} is not SHA-256`);
  }
  const entry = encrypted.recipients.find((r) => r.id === device.id);
  if (entry === undefined) throw refuseDecryption(`The image is not encrypted to device ${device.id}`);
  const head = header(imageDigest, nonce);
  let cek: Uint8Array;
  try {
    cek = openBytes(
      { ephemeralPublicKey: entry.ephemeralPublicKey, ciphertext: entry.wrappedKey },
      device.secretKey,
      wrapAad(head, device.id),
    );
  } catch (e) {
    if (e instanceof SealError) {
      throw refuseDecryption(`The image key sealed to ${device.id} does not open with this device's key`, e);
    }
    throw e;
  }
  let plaintext: Uint8Array;
  try {
    if (cek.length !== 32) throw new Error('the content key is not 32 bytes');
    plaintext = sealBackend.open(cek, nonce, head, ciphertext);
  } catch (e) {
    throw refuseDecryption('The encrypted image failed authentication: it was changed', e);
  } finally {
    cek.fill(0);
  }
  if (!equalBytes(sha256(plaintext), imageDigest.bytes)) {
    throw refuseDecryption('The decrypted image is not the one its digest names');
  }
  return plaintext;
}

/**
 * The wire form of an encrypted image (CBOR): `[1, SUIT_Digest, nonce, ciphertext, [[id,
 * ephemeral public key, sealed CEK], ...]]`.
 */
export function encodeEncryptedImage(encrypted: EncryptedImage): Uint8Array {
  return encode([
    1,
    [encrypted.imageDigest.algorithm, encrypted.imageDigest.bytes],
    encrypted.nonce,
    encrypted.ciphertext,
    encrypted.recipients.map((r) => [r.id, r.ephemeralPublicKey, r.wrappedKey]),
  ]);
}

/**
 * Reads the wire form of an encrypted image, bounded: at most `maxImageBytes` of ciphertext and
 * {@link MAX_IMAGE_RECIPIENTS} recipients.
 * @throws {UpdateRejectedError} `too-large`, or `malformed` (with `detail.where`).
 */
export function decodeEncryptedImage(
  bytes: Uint8Array,
  options: ImageEncryptionOptions = {},
): EncryptedImage {
  const max = maxBytesOf(options);
  const overhead = 64 + MAX_IMAGE_RECIPIENTS * 256;
  if (bytes.length > max + TAG_BYTES + overhead) {
    throw new UpdateRejectedError(
      'too-large',
      `The encrypted image is ${bytes.length} bytes, more than allowed`,
      {
        subject: 'suit-image',
      },
    );
  }
  const where = 'encrypted-image';
  const items = asArray(decodeCbor(bytes.slice(), where), where);
  if (items.length !== 5 || asUint(items[0], `${where}.version`) !== 1) {
    throw malformed(where, 'expected [1, digest, nonce, ciphertext, recipients]');
  }
  const list = asArray(items[4], `${where}.recipients`);
  if (list.length === 0 || list.length > MAX_IMAGE_RECIPIENTS) {
    throw malformed(`${where}.recipients`, `1 to ${MAX_IMAGE_RECIPIENTS} recipients`);
  }
  const recipients = list.map((r, i) => {
    const at = `${where}.recipients[${i}]`;
    const [id, epk, wrapped, ...rest] = asArray(r, at);
    if (rest.length > 0) throw malformed(at, 'expected [id, ephemeral key, sealed key]');
    return {
      id: asText(id, `${at}.id`),
      ephemeralPublicKey: asBytes(epk, `${at}.ephemeral`, 32),
      wrappedKey: asBytes(wrapped, `${at}.sealed-key`, 48),
    };
  });
  const ciphertext = asBytes(items[3], `${where}.ciphertext`);
  if (ciphertext.length > max + TAG_BYTES) {
    throw new UpdateRejectedError(
      'too-large',
      `The encrypted image is ${ciphertext.length} bytes, more than allowed`,
      {
        subject: 'suit-image',
      },
    );
  }
  return Object.freeze({
    imageDigest: parseDigest(items[1], `${where}.digest`),
    nonce: asBytes(items[2], `${where}.nonce`, NONCE_BYTES),
    ciphertext,
    recipients,
  });
}
