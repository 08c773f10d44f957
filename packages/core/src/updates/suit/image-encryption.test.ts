import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createIdentity, publicIdentity } from '../../security/identity.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import {
  decodeEncryptedImage,
  decryptImage,
  encodeEncryptedImage,
  encryptImage,
  MAX_IMAGE_RECIPIENTS,
} from './image-encryption.js';

const deviceA = createIdentity({
  id: 'po-200-0001',
  kind: 'device',
  sealingSecretKey: new Uint8Array(32).fill(0x31),
});
const deviceB = createIdentity({
  id: 'po-200-0002',
  kind: 'device',
  sealingSecretKey: new Uint8Array(32).fill(0x32),
});
const openerA = { id: deviceA.id, secretKey: deviceA.sealing.secretKey };
const openerB = { id: deviceB.id, secretKey: deviceB.sealing.secretKey };

function reasonOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof UpdateRejectedError) return e.reason;
    throw e;
  }
  return 'accepted';
}

describe('image encryption', () => {
  it('round-trips through the wire form, for one device and for several', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (image, both) => {
        const recipients = both
          ? [publicIdentity(deviceA), publicIdentity(deviceB)]
          : [publicIdentity(deviceA)];
        const wire = encodeEncryptedImage(encryptImage(image, recipients));
        const encrypted = decodeEncryptedImage(wire);
        expect(decryptImage(encrypted, openerA)).toEqual(image);
        if (both) expect(decryptImage(encrypted, openerB)).toEqual(image);
        else expect(reasonOf(() => decryptImage(encrypted, openerB))).toBe('decryption');
      }),
      { numRuns: 60 },
    );
  });

  it('any change to any byte of the wire form is refused, never decrypted', () => {
    const image = new TextEncoder().encode('firmware '.repeat(20));
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const wire = encodeEncryptedImage(encryptImage(image, [publicIdentity(deviceA)]));
        wire[at % wire.length]! ^= mask;
        expect(['decryption', 'malformed']).toContain(
          reasonOf(() => decryptImage(decodeEncryptedImage(wire), openerA)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it("bounds sizes: 'too-large' beyond maxImageBytes, and refuses bad recipient lists", () => {
    const image = new Uint8Array(1000);
    expect(reasonOf(() => encryptImage(image, [publicIdentity(deviceA)], { maxImageBytes: 999 }))).toBe(
      'too-large',
    );
    const encrypted = encryptImage(image, [publicIdentity(deviceA)]);
    expect(reasonOf(() => decryptImage(encrypted, openerA, { maxImageBytes: 999 }))).toBe('too-large');
    expect(reasonOf(() => decodeEncryptedImage(encodeEncryptedImage(encrypted), { maxImageBytes: 10 }))).toBe(
      'too-large',
    );
    expect(() => encryptImage(image, [])).toThrow(RangeError);
    expect(() => encryptImage(image, [publicIdentity(deviceA), publicIdentity(deviceA)])).toThrow(RangeError);
    expect(MAX_IMAGE_RECIPIENTS).toBeGreaterThan(1);
  });
});
