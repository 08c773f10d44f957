import { equalBytes } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { COSE_ALG } from './constants.js';
import type { SuitManifest, SuitParameters } from './types.js';

/** What a device knows of itself when it checks an image. */
export interface SuitDevice {
  /** Its vendor id (16-byte UUID, see `suitVendorId`). */
  readonly vendorId: Uint8Array;
  /** Its class id (16-byte UUID, see `suitClassId`). */
  readonly classId: Uint8Array;
  /** Its anti-rollback counter: the sequence number of the manifest it runs now. */
  readonly sequence: number;
  /** The slot the image goes to, when the manifest offers one image per slot (`try-each`). */
  readonly slot?: number;
}

/** Options of {@link checkImage}. */
export interface CheckImageOptions {
  /** Which component of the manifest the image is for (default 0). */
  readonly component?: number;
}

/** An image that passed {@link checkImage}. */
export interface CheckedImage {
  /**
   * The manifest's sequence number: the device's new anti-rollback counter once the image is
   * installed and confirmed.
   */
  readonly sequenceNumber: number;
  /** The index of the manifest component the image was checked against. */
  readonly component: number;
  /** Lower-case hex SHA-256 of `image`. */
  readonly sha256: string;
  /** Size of `image`, bytes (equal to the manifest's `image-size`). */
  readonly length: number;
  /** A private copy of exactly the bytes that were hashed: install these and no others. */
  readonly image: Uint8Array;
}

function reject(
  reason: 'wrong-hardware' | 'rollback' | 'digest' | 'malformed',
  message: string,
  detail: Record<string, unknown> = {},
): UpdateRejectedError {
  return new UpdateRejectedError(reason, message, { subject: 'suit-image', detail });
}

/**
 * Checks an image against a verified manifest for one device, in this order:
 *
 * 1. `wrong-hardware`: the manifest's `vendor-id` and `class-id` for the component must equal the
 *    device's (a manifest that declares none fits no device);
 * 2. `rollback`: the manifest's sequence number must be strictly greater than the device's
 *    anti-rollback counter;
 * 3. `digest`: the image's size, then its SHA-256, must equal `image-size` and `image-digest`.
 *
 * When the shared sequence offers alternatives (`directive-try-each`, e.g. one image per slot),
 * the image must match one of them (only those for `device.slot`, when the alternative names a
 * slot and the device gives one). The image is copied first and the copy is hashed and returned.
 *
 * @throws {UpdateRejectedError} `wrong-hardware`, `rollback`, `digest`, or `malformed` for a
 *   component index the manifest does not have; {RangeError} for a device sequence that is not a
 *   non-negative safe integer.
 * @example
 * ```ts
 * const checked = checkImage(manifest, downloaded, { vendorId, classId, sequence: counter });
 * slots.writeInactive(checked.image);
 * ```
 */
export function checkImage(
  manifest: SuitManifest,
  image: Uint8Array,
  device: SuitDevice,
  options: CheckImageOptions = {},
): CheckedImage {
  if (!Number.isSafeInteger(device.sequence) || device.sequence < 0) {
    throw new RangeError(`device.sequence must be a non-negative safe integer, got ${device.sequence}`);
  }
  if (!(image instanceof Uint8Array)) throw new TypeError('image must be a Uint8Array');
  const index = options.component ?? 0;
  const component = manifest.components[index];
  if (component === undefined) {
    throw reject('malformed', `The manifest has no component ${index}`, { component: index });
  }
  const { alternatives, id: _id, ...base } = component;
  const candidates: SuitParameters[] =
    alternatives === undefined
      ? [base]
      : alternatives
          .filter((a) => device.slot === undefined || a.slot === undefined || a.slot === device.slot)
          .map((a) => ({ ...base, ...a }));

  const forHardware = candidates.filter(
    (c) =>
      c.vendorId !== undefined &&
      c.classId !== undefined &&
      equalBytes(c.vendorId, device.vendorId) &&
      equalBytes(c.classId, device.classId),
  );
  if (forHardware.length === 0) {
    throw reject(
      'wrong-hardware',
      `Manifest ${manifest.sequenceNumber} component ${index} is not for this device's vendor and class id`,
      { component: index },
    );
  }
  if (manifest.sequenceNumber <= device.sequence) {
    throw reject(
      'rollback',
      `Manifest sequence number ${manifest.sequenceNumber} is not above the device's counter ${device.sequence}`,
      { sequenceNumber: manifest.sequenceNumber, deviceSequence: device.sequence },
    );
  }

  const copy = image.slice();
  const sized = forHardware.filter((c) => c.imageSize === copy.length);
  if (sized.length === 0) {
    const declared = forHardware.map((c) => c.imageSize);
    throw reject(
      'digest',
      `The image is ${copy.length} bytes, the manifest declares ${declared.join(' or ')}`,
      {
        length: copy.length,
      },
    );
  }
  const hash = sha256(copy);
  const match = sized.some(
    (c) =>
      c.imageDigest !== undefined &&
      c.imageDigest.algorithm === COSE_ALG.SHA256 &&
      equalBytes(c.imageDigest.bytes, hash),
  );
  if (!match) {
    throw reject('digest', `The image's SHA-256 ${bytesToHex(hash)} is not the manifest's image digest`, {
      sha256: bytesToHex(hash),
    });
  }
  return Object.freeze({
    sequenceNumber: manifest.sequenceNumber,
    component: index,
    sha256: bytesToHex(hash),
    length: copy.length,
    image: copy,
  });
}
