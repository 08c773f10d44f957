import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { checkImage, type SuitDevice } from './check-image.js';
import { decodeSuitEnvelope } from './decode-envelope.js';
import { suitDigestOf } from './digest.js';
import { encodeSuitEnvelope } from './encode-envelope.js';
import { CLASS_ID_HEX, DRAFT_EXAMPLES, VENDOR_ID_HEX } from './test-vectors/draft-examples.js';
import { DRAFT_EXAMPLE_KEY, RELEASE_ED25519 } from './test-vectors/test-keys.js';
import type { SuitManifest } from './types.js';
import { parseUuid, suitClassId, suitVendorId, uuidToString } from './uuid.js';

const VENDOR = suitVendorId('healthit.example');
const CLASS = suitClassId(VENDOR, 'po-200.rev-a');
const OTHER_CLASS = suitClassId(VENDOR, 'po-200.rev-b');
const IMAGE = new TextEncoder().encode('pulse oximeter firmware 2.4.1 '.repeat(100));

function manifestFor(image: Uint8Array, sequenceNumber: number, classId = CLASS): SuitManifest {
  const envelope = encodeSuitEnvelope(
    {
      sequenceNumber,
      components: [
        {
          id: [new Uint8Array([0])],
          vendorId: VENDOR,
          classId,
          imageDigest: suitDigestOf(image),
          imageSize: image.length,
        },
      ],
    },
    [RELEASE_ED25519.signer],
  );
  return decodeSuitEnvelope(envelope, { trustedKeys: [RELEASE_ED25519.trusted] });
}

const DEVICE: SuitDevice = { vendorId: VENDOR, classId: CLASS, sequence: 6 };

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UpdateRejectedError) return e.reason;
    throw e;
  }
  return 'accepted';
}

describe('checkImage', () => {
  it('accepts the image the manifest names for this device, and returns a private copy', () => {
    const image = IMAGE.slice();
    const checked = checkImage(manifestFor(image, 7), image, DEVICE);
    expect(checked).toMatchObject({ sequenceNumber: 7, component: 0, length: image.length });
    expect(checked.image).toEqual(image);
    image[0] = 0; // changing the caller's buffer after the check changes nothing that was checked
    expect(checked.image[0]).toBe(IMAGE[0]);
  });

  it("refuses another vendor's or class's image as 'wrong-hardware'", () => {
    const manifest = manifestFor(IMAGE, 7, OTHER_CLASS);
    expect(reasonOf(() => checkImage(manifest, IMAGE, DEVICE))).toBe('wrong-hardware');
    const otherVendor = { ...DEVICE, vendorId: suitVendorId('other.example') };
    expect(reasonOf(() => checkImage(manifestFor(IMAGE, 7), IMAGE, otherVendor))).toBe('wrong-hardware');
  });

  it("refuses a sequence number not above the device's counter as 'rollback'", () => {
    expect(reasonOf(() => checkImage(manifestFor(IMAGE, 6), IMAGE, DEVICE))).toBe('rollback');
    expect(reasonOf(() => checkImage(manifestFor(IMAGE, 2), IMAGE, DEVICE))).toBe('rollback');
    expect(reasonOf(() => checkImage(manifestFor(IMAGE, 7), IMAGE, DEVICE))).toBe('accepted');
  });

  it("refuses a different size or digest as 'digest'", () => {
    const manifest = manifestFor(IMAGE, 7);
    expect(reasonOf(() => checkImage(manifest, IMAGE.subarray(1), DEVICE))).toBe('digest');
    const changed = IMAGE.slice();
    changed[100]! ^= 1;
    expect(reasonOf(() => checkImage(manifest, changed, DEVICE))).toBe('digest');
  });

  it("refuses a component the manifest does not have as 'malformed'", () => {
    expect(reasonOf(() => checkImage(manifestFor(IMAGE, 7), IMAGE, DEVICE, { component: 1 }))).toBe(
      'malformed',
    );
  });

  it('draft example 3: an image matches the try-each alternative of its slot only', () => {
    const manifest = decodeSuitEnvelope(hexToBytes(DRAFT_EXAMPLES[3]!.signedHex), {
      trustedKeys: [DRAFT_EXAMPLE_KEY],
    });
    const device = { vendorId: hexToBytes(VENDOR_ID_HEX), classId: hexToBytes(CLASS_ID_HEX), sequence: 0 };
    // no image hashes to the examples' placeholder digests, so every image is refused as 'digest' ...
    expect(reasonOf(() => checkImage(manifest, new Uint8Array(34768), { ...device, slot: 0 }))).toBe(
      'digest',
    );
    // ... and a slot no alternative offers has no candidate at all
    expect(reasonOf(() => checkImage(manifest, new Uint8Array(34768), { ...device, slot: 2 }))).toBe(
      'wrong-hardware',
    );
    expect(reasonOf(() => checkImage(manifest, new Uint8Array(34768), { ...device, sequence: 3 }))).toBe(
      'rollback',
    );
  });
});

describe('SUIT UUIDs', () => {
  it("derive the draft examples' vendor and class ids as UUIDv5 (RFC 9562)", () => {
    const vendor = suitVendorId('arm.com');
    expect(uuidToString(vendor)).toBe('fa6b4a53-d5ad-5fdf-be9d-e663e4d41ffe');
    expect(uuidToString(suitClassId(vendor, 'suit'))).toBe('1492af14-2569-5e48-bf42-9b2d51f2ab45');
    expect(parseUuid('1492AF14-2569-5E48-BF42-9B2D51F2AB45')).toEqual(hexToBytes(CLASS_ID_HEX));
    expect(() => parseUuid('not-a-uuid')).toThrow(RangeError);
  });
});
