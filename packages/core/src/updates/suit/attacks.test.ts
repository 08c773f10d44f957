import { sha256 } from '@noble/hashes/sha2.js';
import { decode, encode, Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { createIdentity, publicIdentity } from '../../security/identity.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { checkImage, type SuitDevice } from './check-image.js';
import { decodeSuitEnvelope } from './decode-envelope.js';
import { sha256OfByteString, suitDigestOf } from './digest.js';
import { encodeSuitEnvelope } from './encode-envelope.js';
import {
  decodeEncryptedImage,
  decryptImage,
  encodeEncryptedImage,
  encryptImage,
} from './image-encryption.js';
import { ATTACKER_ED25519, ATTACKER_P256, RELEASE_ED25519, RELEASE_P256 } from './test-vectors/test-keys.js';
import type { SuitManifestSpec, SuitSigner } from './types.js';
import { suitClassId, suitVendorId } from './uuid.js';

const VENDOR = suitVendorId('healthit.example');
const CLASS = suitClassId(VENDOR, 'po-200.rev-a');
const TRUSTED = { trustedKeys: [RELEASE_ED25519.trusted, RELEASE_P256.trusted] };
const IMAGE_V7 = new TextEncoder().encode('PO-200 firmware 2.4.1 | calibration table A | '.repeat(400));
const IMAGE_EVIL = new TextEncoder().encode('PO-200 firmware 2.4.1 | calibration table X | '.repeat(400));

function spec(image: Uint8Array, sequenceNumber: number): SuitManifestSpec {
  return {
    sequenceNumber,
    components: [
      {
        id: [new TextEncoder().encode('firmware')],
        vendorId: VENDOR,
        classId: CLASS,
        imageDigest: suitDigestOf(image),
        imageSize: image.length,
        uri: `https://updates.healthit.example/po-200/${sequenceNumber}.bin`,
      },
    ],
  };
}

/** A device's update step: verify the envelope, check the image, write the inactive slot. */
function simulatedDevice(sequence = 6) {
  const self: SuitDevice = { vendorId: VENDOR, classId: CLASS, sequence };
  const state: { inactiveSlot: Uint8Array | undefined } = { inactiveSlot: undefined };
  return {
    state,
    update(envelope: Uint8Array, image: Uint8Array): void {
      const manifest = decodeSuitEnvelope(envelope, TRUSTED);
      state.inactiveSlot = checkImage(manifest, image, self).image;
    },
  };
}

/** The reason of the refusal, after checking that nothing was installed. */
function refusedWithNothingInstalled(envelope: Uint8Array, image: Uint8Array): string {
  const device = simulatedDevice();
  try {
    device.update(envelope, image);
  } catch (e) {
    expect(device.state.inactiveSlot).toBeUndefined();
    if (e instanceof UpdateRejectedError) return e.reason;
    throw e;
  }
  throw new Error('the update was accepted');
}

function outer(envelope: Uint8Array): Map<number, unknown> {
  return (decode(envelope, { preferMap: true, ignoreGlobalTags: true }) as Tag).contents as Map<
    number,
    unknown
  >;
}

function envelopeOf(map: Map<number, unknown>): Uint8Array {
  return encode(new Tag(107, map));
}

function chiSquare(bytes: Uint8Array): number {
  const counts = new Array<number>(256).fill(0);
  for (const b of bytes) counts[b]! += 1;
  const expected = bytes.length / 256;
  return counts.reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
}

function signedBy(signer: SuitSigner, image = IMAGE_V7, sequenceNumber = 7): Uint8Array {
  return encodeSuitEnvelope(spec(image, sequenceNumber), [signer]);
}

describe('SUIT named attack tests', () => {
  it('the genuine update is installed (baseline of the attack tests)', () => {
    for (const signer of [RELEASE_ED25519.signer, RELEASE_P256.signer]) {
      const device = simulatedDevice();
      device.update(signedBy(signer), IMAGE_V7);
      expect(device.state.inactiveSlot).toEqual(IMAGE_V7);
    }
  });

  it("U1 unsigned or substituted image: an envelope without signature is refused as 'signature'", () => {
    expect(refusedWithNothingInstalled(encodeSuitEnvelope(spec(IMAGE_V7, 7), []), IMAGE_V7)).toBe(
      'signature',
    );
    // and with no authentication wrapper at all
    const noWrapper = outer(signedBy(RELEASE_ED25519.signer));
    noWrapper.delete(2);
    expect(refusedWithNothingInstalled(envelopeOf(noWrapper), IMAGE_V7)).toBe('signature');
  });

  it("U1 unsigned or substituted image: a signature by an untrusted key is refused as 'signature'", () => {
    for (const attacker of [ATTACKER_ED25519.signer, ATTACKER_P256.signer]) {
      expect(refusedWithNothingInstalled(signedBy(attacker, IMAGE_EVIL), IMAGE_EVIL)).toBe('signature');
    }
    // an attacker's key named with the release key's kid is still the attacker's key
    const spoofed = { ...ATTACKER_P256.signer, keyId: new TextEncoder().encode('release-p256') };
    expect(refusedWithNothingInstalled(signedBy(spoofed, IMAGE_EVIL), IMAGE_EVIL)).toBe('signature');
  });

  it("U1 unsigned or substituted image: a substituted manifest under the old signature is refused ('digest' / 'signature')", () => {
    const genuine = outer(signedBy(RELEASE_ED25519.signer));
    const evilManifest = outer(signedBy(ATTACKER_ED25519.signer, IMAGE_EVIL, 8)).get(3) as Uint8Array;

    // the manifest swapped, the signed digest left as it was: the digest no longer matches
    const swapped = new Map(genuine);
    swapped.set(3, evilManifest);
    expect(refusedWithNothingInstalled(envelopeOf(swapped), IMAGE_EVIL)).toBe('digest');

    // the manifest swapped and the digest recomputed under the old COSE_Sign1: the signature fails
    const [, oldSignature] = decode(genuine.get(2) as Uint8Array) as [Uint8Array, Uint8Array];
    const digest = encode([-16, sha256OfByteString(evilManifest)]);
    const rewrapped = new Map(genuine);
    rewrapped.set(2, encode([digest, oldSignature]));
    rewrapped.set(3, evilManifest);
    expect(refusedWithNothingInstalled(envelopeOf(rewrapped), IMAGE_EVIL)).toBe('signature');

    // an older genuine manifest (and its image) replayed: authentic, but a rollback
    expect(refusedWithNothingInstalled(signedBy(RELEASE_ED25519.signer, IMAGE_EVIL, 5), IMAGE_EVIL)).toBe(
      'rollback',
    );
  });

  it("U1 unsigned or substituted image: an image substituted after signing is refused as 'digest'", () => {
    const envelope = signedBy(RELEASE_P256.signer);
    expect(IMAGE_EVIL.length).toBe(IMAGE_V7.length);
    expect(refusedWithNothingInstalled(envelope, IMAGE_EVIL)).toBe('digest'); // same size, other bytes
    expect(refusedWithNothingInstalled(envelope, IMAGE_V7.subarray(0, IMAGE_V7.length - 1))).toBe('digest');
    const appended = new Uint8Array(IMAGE_V7.length + 4);
    appended.set(IMAGE_V7);
    expect(refusedWithNothingInstalled(envelope, appended)).toBe('digest');
  });

  it('U15 eavesdropping on the image: the ciphertext reveals nothing usable, only the addressed device decrypts, tampering fails', () => {
    const deviceA = createIdentity({
      id: 'po-200-0001',
      kind: 'device',
      sealingSecretKey: new Uint8Array(32).fill(0x41),
    });
    const deviceB = createIdentity({
      id: 'po-200-0002',
      kind: 'device',
      sealingSecretKey: new Uint8Array(32).fill(0x42),
    });
    const envelope = signedBy(RELEASE_ED25519.signer);
    const manifest = decodeSuitEnvelope(envelope, TRUSTED);

    // what travels through the gateway and what an eavesdropper records
    const encrypted = encryptImage(IMAGE_V7, [publicIdentity(deviceA)]);
    const wire = encodeEncryptedImage(encrypted);

    // 1. nothing usable: no 16-byte run of the plaintext appears, the bytes look uniform, and
    //    encrypting the same image again gives unrelated bytes
    const plaintextRuns = new Set<string>();
    for (let i = 0; i + 16 <= IMAGE_V7.length; i += 1)
      plaintextRuns.add(IMAGE_V7.subarray(i, i + 16).join(','));
    for (let i = 0; i + 16 <= wire.length; i += 1)
      expect(plaintextRuns.has(wire.subarray(i, i + 16).join(','))).toBe(false);
    // byte-frequency chi-square, 255 degrees of freedom: mean 255, sd 22.6
    expect(chiSquare(encrypted.ciphertext)).toBeLessThan(400);
    expect(chiSquare(IMAGE_V7)).toBeGreaterThan(100_000);
    const again = encryptImage(IMAGE_V7, [publicIdentity(deviceA)]);
    expect(again.ciphertext).not.toEqual(encrypted.ciphertext);
    expect(encrypted.ciphertext.length).toBe(IMAGE_V7.length + 16);

    // 2. the manifest's image digest is of the plaintext: the ciphertext is not an installable image
    expect(manifest.components[0]!.imageDigest!.bytes).toEqual(sha256(IMAGE_V7));
    expect(encrypted.imageDigest.bytes).toEqual(manifest.components[0]!.imageDigest!.bytes);
    const self = { vendorId: VENDOR, classId: CLASS, sequence: 6 };
    expect(() => checkImage(manifest, encrypted.ciphertext, self)).toThrowError(
      expect.objectContaining({ reason: 'digest' }),
    );

    // 3. another device cannot decrypt: not addressed to it, nor with its key under A's name
    const slotB: { image?: Uint8Array } = {};
    const tryB = (id: string) => () => {
      slotB.image = decryptImage(decodeEncryptedImage(wire), { id, secretKey: deviceB.sealing.secretKey });
    };
    expect(tryB(deviceB.id)).toThrowError(expect.objectContaining({ reason: 'decryption' }));
    expect(tryB(deviceA.id)).toThrowError(expect.objectContaining({ reason: 'decryption' }));
    expect(slotB.image).toBeUndefined();

    // 4. tampering with the ciphertext, the nonce, the digest or the sealed key fails decryption
    const openerA = { id: deviceA.id, secretKey: deviceA.sealing.secretKey };
    const flipped = (bytes: Uint8Array, at: number) => {
      const copy = bytes.slice();
      copy[at]! ^= 0x01;
      return copy;
    };
    const recipient = encrypted.recipients[0]!;
    const tampered = [
      { ...encrypted, ciphertext: flipped(encrypted.ciphertext, 1234) },
      { ...encrypted, nonce: flipped(encrypted.nonce, 0) },
      { ...encrypted, imageDigest: { algorithm: -16, bytes: sha256(IMAGE_EVIL) } },
      { ...encrypted, recipients: [{ ...recipient, wrappedKey: flipped(recipient.wrappedKey, 3) }] },
      {
        ...encrypted,
        recipients: [{ ...recipient, ephemeralPublicKey: flipped(recipient.ephemeralPublicKey, 3) }],
      },
    ];
    for (const t of tampered) {
      expect(() => decryptImage(t, openerA)).toThrowError(expect.objectContaining({ reason: 'decryption' }));
    }

    // 5. the addressed device decrypts, checks the plaintext against the signed manifest, installs
    const plaintext = decryptImage(decodeEncryptedImage(wire), openerA);
    expect(checkImage(manifest, plaintext, self).image).toEqual(IMAGE_V7);
  });
});
