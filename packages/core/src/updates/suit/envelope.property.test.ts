import { hexToBytes } from '@noble/hashes/utils.js';
import { encode, Tag } from 'cbor2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { signSign1 } from './cose-sign1.js';
import { decodeSuitEnvelope } from './decode-envelope.js';
import { sha256OfByteString } from './digest.js';
import { encodeSuitEnvelope } from './encode-envelope.js';
import { DRAFT_EXAMPLES } from './test-vectors/draft-examples.js';
import { DRAFT_EXAMPLE_KEY, RELEASE_ED25519, RELEASE_P256 } from './test-vectors/test-keys.js';
import type { SuitComponentSpec, SuitManifestSpec } from './types.js';

const TRUSTED = [RELEASE_ED25519.trusted, RELEASE_P256.trusted, DRAFT_EXAMPLE_KEY];

const component: fc.Arbitrary<SuitComponentSpec> = fc.record(
  {
    id: fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 3 }),
    vendorId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    classId: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    imageDigest: fc.record({
      algorithm: fc.constant(-16),
      bytes: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    }),
    imageSize: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    uri: fc.webUrl(),
  },
  { requiredKeys: ['id', 'vendorId', 'classId', 'imageDigest', 'imageSize'] },
);

const spec: fc.Arbitrary<SuitManifestSpec> = fc.record(
  {
    sequenceNumber: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
    components: fc.array(component, { minLength: 1, maxLength: 4 }),
    referenceUri: fc.string({ maxLength: 40 }),
  },
  { requiredKeys: ['sequenceNumber', 'components'] },
);

const signer = fc.constantFrom(RELEASE_ED25519.signer, RELEASE_P256.signer);

/** Decodes; returns the refusal reason, or 'accepted'. Any other throw fails the property. */
function outcome(bytes: Uint8Array, requiredSignatures = 1): string {
  try {
    decodeSuitEnvelope(bytes, { trustedKeys: TRUSTED, requiredSignatures });
    return 'accepted';
  } catch (e) {
    if (e instanceof UpdateRejectedError) return e.reason;
    throw e;
  }
}

describe('SUIT envelope properties', () => {
  it('decode(encode(x)) gives back x: sequence number, components, reference uri', () => {
    fc.assert(
      fc.property(spec, signer, (x, s) => {
        const manifest = decodeSuitEnvelope(encodeSuitEnvelope(x, [s]), { trustedKeys: TRUSTED });
        expect(manifest.sequenceNumber).toBe(x.sequenceNumber);
        expect(manifest.components).toEqual(x.components);
        expect(manifest.referenceUri).toBe(x.referenceUri);
        expect(manifest.signedBy).toHaveLength(1);
      }),
      { numRuns: 150 },
    );
  });

  it('flipping any bits of any byte of a signed envelope is refused, never accepted, never a crash', () => {
    fc.assert(
      fc.property(spec, signer, fc.nat(), fc.integer({ min: 1, max: 255 }), (x, s, at, mask) => {
        const envelope = encodeSuitEnvelope(x, [s]);
        const i = at % envelope.length;
        envelope[i]! ^= mask;
        expect(outcome(envelope)).not.toBe('accepted');
      }),
      { numRuns: 300 },
    );
  });

  it('every single-byte change at every position of our envelopes and of the draft examples is refused', () => {
    // the envelope with two signatures is checked requiring both: with one required, a change inside
    // one signature block leaves the other, valid, trusted signature, and the envelope is (rightly) accepted
    const envelopes: [Uint8Array, number][] = [
      [
        encodeSuitEnvelope(
          {
            sequenceNumber: 9,
            referenceUri: 'https://updates.example/po-200',
            components: [
              {
                id: [new Uint8Array([0])],
                vendorId: new Uint8Array(16).fill(1),
                classId: new Uint8Array(16).fill(2),
                imageDigest: { algorithm: -16, bytes: new Uint8Array(32).fill(3) },
                imageSize: 40_000,
                uri: 'https://updates.example/po-200.bin',
              },
            ],
          },
          [RELEASE_ED25519.signer, RELEASE_P256.signer],
        ),
        2,
      ],
      ...DRAFT_EXAMPLES.flatMap((e) =>
        [e.signedHex, e.signedWithSeveredHex ?? []]
          .flat()
          .map((h): [Uint8Array, number] => [hexToBytes(h), 1]),
      ),
    ];
    for (const [envelope, required] of envelopes) {
      expect(outcome(envelope, required)).toBe('accepted');
      for (let i = 0; i < envelope.length; i++) {
        for (const mask of [0x01, 0xff]) {
          const changed = envelope.slice();
          changed[i]! ^= mask;
          const result = outcome(changed, required);
          if (result === 'accepted') throw new Error(`accepted with byte ${i} ^ ${mask}`);
        }
      }
    }
  }, 60_000);

  it('random bytes and random CBOR under tag 107 are refused with a typed reason', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(outcome(bytes)).not.toBe('accepted');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.anything({ maxDepth: 4 }), (value) => {
        let bytes: Uint8Array;
        try {
          bytes = encode(new Tag(107, value));
        } catch {
          return; // a value cbor2 does not encode
        }
        expect(outcome(bytes)).not.toBe('accepted');
      }),
      { numRuns: 300 },
    );
  });

  it('whatever a trusted signer puts in the manifest, the parser refuses or accepts, never crashes', () => {
    const manifestValue = fc.oneof(
      fc.anything({ maxDepth: 4 }),
      fc.tuple(fc.nat(), fc.anything({ maxDepth: 3 }), fc.anything({ maxDepth: 3 })).map(
        ([seq, common, other]) =>
          new Map<number, unknown>([
            [1, 1],
            [2, seq],
            [3, safeEncode(common)],
            [7, other],
          ]),
      ),
    );
    fc.assert(
      fc.property(manifestValue, (value) => {
        const manifest = safeEncode(value);
        if (manifest === undefined) return;
        const digest = encode([-16, sha256OfByteString(manifest)]);
        const wrapper = encode([digest, signSign1(RELEASE_ED25519.signer, digest)]);
        const envelope = encode(
          new Tag(
            107,
            new Map<number, unknown>([
              [2, wrapper],
              [3, manifest],
            ]),
          ),
        );
        expect(['accepted', 'malformed']).toContain(outcome(envelope));
      }),
      { numRuns: 300 },
    );
  });
});

function safeEncode(value: unknown): Uint8Array | undefined {
  try {
    return encode(value);
  } catch {
    return undefined;
  }
}
