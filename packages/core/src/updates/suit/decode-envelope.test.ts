import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { decode, encode, Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { MAX_ENVELOPE_BYTES } from './constants.js';
import { decodeSuitEnvelope } from './decode-envelope.js';
import { suitDigestOf } from './digest.js';
import { encodeSuitEnvelope } from './encode-envelope.js';
import { CLASS_ID_HEX, DRAFT_EXAMPLES, VENDOR_ID_HEX } from './test-vectors/draft-examples.js';
import { ATTACKER_P256, DRAFT_EXAMPLE_KEY, RELEASE_ED25519, RELEASE_P256 } from './test-vectors/test-keys.js';
import type { SuitManifestSpec } from './types.js';

const TRUST_DRAFT = { trustedKeys: [DRAFT_EXAMPLE_KEY] };

/** The reason of the UpdateRejectedError `f` throws (fails the test on any other outcome). */
function refusal(f: () => unknown): { reason: string; where: unknown } {
  try {
    f();
  } catch (e) {
    if (e instanceof UpdateRejectedError) return { reason: e.reason, where: e.detail.where };
    throw e;
  }
  throw new Error('expected a refusal, got an acceptance');
}

/** The outer map of an envelope (tests only: parse without verifying). */
function outerMap(envelope: Uint8Array): Map<number, unknown> {
  return (decode(envelope, { preferMap: true, ignoreGlobalTags: true }) as Tag).contents as Map<
    number,
    unknown
  >;
}

function rebuild(map: Map<number, unknown>): Uint8Array {
  return encode(new Tag(107, map));
}

const SPEC: SuitManifestSpec = {
  sequenceNumber: 3,
  components: [
    {
      id: [new Uint8Array([0])],
      vendorId: hexToBytes(VENDOR_ID_HEX),
      classId: hexToBytes(CLASS_ID_HEX),
      imageDigest: suitDigestOf(new Uint8Array([1, 2, 3])),
      imageSize: 3,
    },
  ],
};

describe('draft-ietf-suit-manifest examples', () => {
  for (const example of DRAFT_EXAMPLES) {
    const signed = hexToBytes(example.signedHex);

    it(`${example.name}: the authentication wrapper's digest is SHA-256 of the bstr-wrapped manifest`, () => {
      for (const hex of [example.unsignedHex, example.signedHex, example.signedWithSeveredHex]) {
        if (hex === undefined) continue;
        const outer = outerMap(hexToBytes(hex));
        const wrapper = decode(outer.get(2) as Uint8Array) as Uint8Array[];
        const [alg, digest] = decode(wrapper[0]!) as [number, Uint8Array];
        const manifest = outer.get(3) as Uint8Array;
        expect(alg).toBe(-16);
        expect(bytesToHex(digest)).toBe(example.manifestDigestHex);
        expect(bytesToHex(sha256(encode(manifest)))).toBe(example.manifestDigestHex);
      }
    });

    it(`${example.name}: its ES256 signature verifies with the draft's published key and the fields decode`, () => {
      const manifest = decodeSuitEnvelope(signed, TRUST_DRAFT);
      expect(manifest.signedBy).toEqual([DRAFT_EXAMPLE_KEY.name]);
      expect(manifest.version).toBe(1);
      expect(manifest.sequenceNumber).toBe(example.sequenceNumber);
      expect(bytesToHex(manifest.digest.bytes)).toBe(example.manifestDigestHex);
      expect(manifest.components).toHaveLength(example.componentCount);
      const c0 = manifest.components[0]!;
      expect(c0.id).toEqual([new Uint8Array([0])]);
      expect(bytesToHex(c0.vendorId!)).toBe(VENDOR_ID_HEX);
      expect(bytesToHex(c0.classId!)).toBe(CLASS_ID_HEX);
      const params = c0.alternatives?.[0] ?? c0;
      expect(params.imageDigest?.algorithm).toBe(-16);
      expect(bytesToHex(params.imageDigest!.bytes)).toBe(example.imageDigestHex);
      expect(params.imageSize).toBe(example.imageSize);
    });

    it(`${example.name}: refused as 'signature' under an untrusted key, and unsigned`, () => {
      expect(refusal(() => decodeSuitEnvelope(signed, { trustedKeys: [ATTACKER_P256.trusted] })).reason).toBe(
        'signature',
      );
      expect(refusal(() => decodeSuitEnvelope(signed, { trustedKeys: [] })).reason).toBe('signature');
      expect(refusal(() => decodeSuitEnvelope(hexToBytes(example.unsignedHex), TRUST_DRAFT)).reason).toBe(
        'signature',
      );
    });
  }

  it('example 1: the install sequence gives the uri', () => {
    const m = decodeSuitEnvelope(hexToBytes(DRAFT_EXAMPLES[1]!.signedHex), TRUST_DRAFT);
    expect(m.components[0]!.uri).toBe('http://example.com/file.bin');
    expect([...m.members.keys()]).toEqual([7, 20]);
  });

  it('example 2: reference-uri; severed install and text are checked against their digests', () => {
    const e2 = DRAFT_EXAMPLES[2]!;
    const without = decodeSuitEnvelope(hexToBytes(e2.signedHex), TRUST_DRAFT);
    expect(without.referenceUri).toBe('https://git.io/JJYoj');
    // severed and absent: the manifest holds their SUIT_Digest, no uri is known
    expect(Array.isArray(without.members.get(20))).toBe(true);
    expect(without.components[0]!.uri).toBeUndefined();

    const full = hexToBytes(e2.signedWithSeveredHex!);
    const withSevered = decodeSuitEnvelope(full, TRUST_DRAFT);
    expect(withSevered.members.get(20)).toBeInstanceOf(Uint8Array);
    expect(withSevered.members.get(23)).toBeInstanceOf(Uint8Array);
    expect(withSevered.components[0]!.uri).toBe('http://example.com/very/long/path/to/file/file.bin');

    // a changed severed member is refused even though the signature still verifies
    const outer = outerMap(full);
    const text = (outer.get(23) as Uint8Array).slice();
    text[text.length - 2]! ^= 0x01;
    outer.set(23, text);
    expect(refusal(() => decodeSuitEnvelope(rebuild(outer), TRUST_DRAFT)).reason).toBe('digest');
  });

  it('example 3: the try-each branches become per-slot alternatives', () => {
    const m = decodeSuitEnvelope(hexToBytes(DRAFT_EXAMPLES[3]!.signedHex), TRUST_DRAFT);
    const c0 = m.components[0]!;
    expect(c0.imageDigest).toBeUndefined();
    expect(c0.alternatives?.map((a) => [a.slot, bytesToHex(a.imageDigest!.bytes), a.imageSize])).toEqual([
      [0, '00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210', 34768],
      [1, '0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff', 76834],
    ]);
  });

  it('examples 4 and 5: set-component-index directs parameters to each component', () => {
    const m4 = decodeSuitEnvelope(hexToBytes(DRAFT_EXAMPLES[4]!.signedHex), TRUST_DRAFT);
    expect(m4.components.map((c) => bytesToHex(c.id[0]!))).toEqual(['00', '02', '01']);
    expect(m4.components[1]!.uri).toBe('http://example.com/file.bin'); // from payload-fetch
    expect(m4.components[2]!.imageDigest).toBeUndefined(); // set in load, not in the shared sequence

    const m5 = decodeSuitEnvelope(hexToBytes(DRAFT_EXAMPLES[5]!.signedHex), TRUST_DRAFT);
    expect(m5.components.map((c) => [c.imageSize, c.uri])).toEqual([
      [34768, 'http://example.com/file1.bin'],
      [76834, 'http://example.com/file2.bin'],
    ]);
    expect(bytesToHex(m5.components[1]!.imageDigest!.bytes)).toBe(
      '0123456789abcdeffedcba987654321000112233445566778899aabbccddeeff',
    );
  });
});

describe('decodeSuitEnvelope', () => {
  it('checks the signature before it decodes the manifest', () => {
    // a manifest that is not CBOR at all, under a signature by an untrusted key: 'signature', not 'malformed'
    const outer = outerMap(encodeSuitEnvelope(SPEC, [ATTACKER_P256.signer]));
    outer.set(3, new Uint8Array([0xff, 0xff, 0xff]));
    expect(
      refusal(() => decodeSuitEnvelope(rebuild(outer), { trustedKeys: [RELEASE_P256.trusted] })).reason,
    ).toBe('signature');
    // the same under a trusted signature: the digest is compared next, still before parsing
    const trusted = outerMap(encodeSuitEnvelope(SPEC, [RELEASE_P256.signer]));
    trusted.set(3, new Uint8Array([0xff, 0xff, 0xff]));
    expect(
      refusal(() => decodeSuitEnvelope(rebuild(trusted), { trustedKeys: [RELEASE_P256.trusted] })).reason,
    ).toBe('digest');
  });

  it('accepts one of several trusted keys, and counts distinct trusted signers for requiredSignatures', () => {
    const both = encodeSuitEnvelope(SPEC, [RELEASE_ED25519.signer, RELEASE_P256.signer]);
    const trustedKeys = [RELEASE_P256.trusted, RELEASE_ED25519.trusted];
    expect(decodeSuitEnvelope(both, { trustedKeys, requiredSignatures: 2 }).signedBy).toEqual([
      'release-p256',
      'release-ed25519',
    ]);
    // the same key twice is one signer
    const twice = encodeSuitEnvelope(SPEC, [RELEASE_ED25519.signer, RELEASE_ED25519.signer]);
    const r = refusal(() => decodeSuitEnvelope(twice, { trustedKeys, requiredSignatures: 2 }));
    expect(r.reason).toBe('signature');
  });

  it("refuses an envelope larger than the limit as 'too-large' without reading it", () => {
    const big = new Uint8Array(MAX_ENVELOPE_BYTES + 1).fill(0xff);
    expect(refusal(() => decodeSuitEnvelope(big, TRUST_DRAFT)).reason).toBe('too-large');
    const small = encodeSuitEnvelope(SPEC, [RELEASE_P256.signer]);
    expect(
      refusal(() =>
        decodeSuitEnvelope(small, {
          trustedKeys: [RELEASE_P256.trusted],
          maxEnvelopeBytes: small.length - 1,
        }),
      ).reason,
    ).toBe('too-large');
  });

  it("refuses deep nesting, indefinite lengths, non-preferred heads and duplicate keys as 'malformed'", () => {
    const deep = new Uint8Array([0xd8, 0x6b, ...new Array(40).fill(0x81), 0x00]);
    expect(refusal(() => decodeSuitEnvelope(deep, TRUST_DRAFT))).toEqual({
      reason: 'malformed',
      where: 'envelope',
    });
    const indefinite = new Uint8Array([0xd8, 0x6b, 0xbf, 0x02, 0x40, 0xff]);
    expect(refusal(() => decodeSuitEnvelope(indefinite, TRUST_DRAFT)).reason).toBe('malformed');
    const longHead = new Uint8Array([0xd8, 0x6b, 0xb8, 0x01, 0x02, 0x40]);
    expect(refusal(() => decodeSuitEnvelope(longHead, TRUST_DRAFT)).reason).toBe('malformed');
    const duplicate = new Uint8Array([0xd8, 0x6b, 0xa2, 0x03, 0x40, 0x03, 0x40]);
    expect(refusal(() => decodeSuitEnvelope(duplicate, TRUST_DRAFT)).reason).toBe('malformed');
  });

  it('names where a structure is wrong, e.g. a wrong tag or an unknown envelope member', () => {
    const signed = hexToBytes(DRAFT_EXAMPLES[0]!.signedHex);
    const untagged = encode(outerMap(signed));
    expect(refusal(() => decodeSuitEnvelope(untagged, TRUST_DRAFT))).toEqual({
      reason: 'malformed',
      where: 'envelope',
    });
    const extra = outerMap(signed);
    extra.set(99, new Uint8Array(1));
    expect(refusal(() => decodeSuitEnvelope(rebuild(extra), TRUST_DRAFT))).toEqual({
      reason: 'malformed',
      where: 'envelope',
    });
    const noWrapper = outerMap(signed);
    noWrapper.delete(2);
    expect(refusal(() => decodeSuitEnvelope(rebuild(noWrapper), TRUST_DRAFT)).reason).toBe('signature');
  });

  it('returns values that later changes to the input buffer cannot alter', () => {
    const envelope = encodeSuitEnvelope(SPEC, [RELEASE_ED25519.signer]);
    const manifest = decodeSuitEnvelope(envelope, { trustedKeys: [RELEASE_ED25519.trusted] });
    const before = bytesToHex(manifest.components[0]!.imageDigest!.bytes);
    envelope.fill(0);
    expect(bytesToHex(manifest.components[0]!.imageDigest!.bytes)).toBe(before);
  });

  it('refuses bad options as a programming error', () => {
    const envelope = encodeSuitEnvelope(SPEC, [RELEASE_ED25519.signer]);
    const trustedKeys = [RELEASE_ED25519.trusted];
    expect(() => decodeSuitEnvelope(envelope, { trustedKeys, requiredSignatures: 0 })).toThrow(RangeError);
    expect(() => decodeSuitEnvelope('x' as unknown as Uint8Array, { trustedKeys })).toThrow(TypeError);
  });
});
