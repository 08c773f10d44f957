/**
 * Fuzzing SUIT envelopes: mutated signed envelopes (ours and the draft's examples) and random bytes,
 * and — to reach the manifest parser behind the signature check — mutated manifests that a
 * trusted key then signs. `decodeSuitEnvelope` returns a manifest or throws an
 * `UpdateRejectedError`; a manifest it returns goes through `checkImage`, which accepts the image
 * or throws an `UpdateRejectedError` too.
 */
import { createHash } from 'node:crypto';
import { hexToBytes } from '@noble/hashes/utils.js';
import { encode, Tag } from 'cbor2';
import { describe, expect, it } from 'vitest';
import { byteInputs } from '../../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout } from '../../../../../test/fuzz/fuzz.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { checkImage } from './check-image.js';
import { signSign1 } from './cose-sign1.js';
import { decodeSuitEnvelope } from './decode-envelope.js';
import { sha256OfByteString } from './digest.js';
import { encodeSuitEnvelope, encodeSuitManifest } from './encode-envelope.js';
import { CLASS_ID_HEX, DRAFT_EXAMPLES, VENDOR_ID_HEX } from './test-vectors/draft-examples.js';
import { DRAFT_EXAMPLE_KEY, RELEASE_ED25519, RELEASE_P256 } from './test-vectors/test-keys.js';
import type { SuitManifestSpec } from './types.js';

const TRUSTED = [RELEASE_ED25519.trusted, RELEASE_P256.trusted, DRAFT_EXAMPLE_KEY];
const IMAGE = new TextEncoder().encode('po-200 firmware 2.4.1');
const vendorId = hexToBytes(VENDOR_ID_HEX);
const classId = hexToBytes(CLASS_ID_HEX);
const SPECS: SuitManifestSpec[] = [
  {
    sequenceNumber: 7,
    components: [
      {
        id: [new Uint8Array([0])],
        vendorId,
        classId,
        imageDigest: { algorithm: -16, bytes: new Uint8Array(createHash('sha256').update(IMAGE).digest()) },
        imageSize: IMAGE.length,
        uri: 'https://updates.example/po-200/2.4.1.bin',
      },
    ],
    referenceUri: 'https://updates.example/po-200/2.4.1.suit',
  },
  {
    sequenceNumber: 2 ** 40,
    components: [
      {
        id: [new Uint8Array([0]), new Uint8Array([1, 2])],
        vendorId,
        classId,
        imageDigest: { algorithm: -16, bytes: new Uint8Array(32).fill(9) },
        imageSize: 0,
      },
      {
        id: [],
        vendorId: new Uint8Array(16),
        classId: new Uint8Array(16),
        imageDigest: { algorithm: -16, bytes: new Uint8Array(32) },
        imageSize: 2 ** 32,
      },
    ],
  },
];
const ENVELOPES = [
  ...SPECS.map((s) => encodeSuitEnvelope(s, [RELEASE_ED25519.signer])),
  encodeSuitEnvelope(SPECS[0] as SuitManifestSpec, [RELEASE_P256.signer, RELEASE_ED25519.signer]),
  ...DRAFT_EXAMPLES.map((e) => hexToBytes(e.signedHex)),
];
const MANIFESTS = SPECS.map(encodeSuitManifest);

/** A (mutated) manifest signed by a trusted key, in an envelope: reaches the manifest parser. */
function signedByTrusted(manifest: Uint8Array): Uint8Array {
  const digest = encode([-16, sha256OfByteString(manifest)]);
  const wrapper = encode([digest, signSign1(RELEASE_ED25519.signer, digest)]);
  return encode(
    new Tag(
      107,
      new Map<number, unknown>([
        [2, wrapper],
        [3, manifest],
      ]),
    ),
  );
}

const isRejection = (e: unknown): string | undefined =>
  e instanceof UpdateRejectedError && e.code === 'update/rejected' && e.message.length > 0
    ? `UpdateRejectedError ${e.reason}`
    : undefined;

/** Decodes, and checks the image against a manifest that decodes. */
function decodeAndCheck(bytes: Uint8Array): string {
  const manifest = decodeSuitEnvelope(bytes, { trustedKeys: TRUSTED });
  for (let c = 0; c < manifest.components.length; c++)
    checkImage(manifest, IMAGE, { vendorId, classId, sequence: 1 }, { component: c });
  return 'accepted';
}

describe('SUIT envelope fuzzing', () => {
  it(
    'mutated signed envelopes and random bytes: a manifest or an UpdateRejectedError',
    () => {
      const r = fuzz({
        name: 'SUIT decodeSuitEnvelope (bytes)',
        inputs: byteInputs(ENVELOPES, 512),
        runs: fuzzRuns(1_000),
        typed: isRejection,
        run: (bytes) => {
          try {
            return decodeAndCheck(bytes);
          } catch (e) {
            // a changed envelope must never decode; checkImage refusals of the originals are fine
            if (
              e instanceof UpdateRejectedError &&
              ['wrong-hardware', 'digest', 'rollback'].includes(e.reason)
            )
              return `decoded, image refused: ${e.reason}`;
            throw e;
          }
        },
      });
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(4_000),
  );

  it(
    'mutated manifests signed by a trusted key: a manifest that checks, or an UpdateRejectedError',
    () => {
      const r = fuzz({
        name: 'SUIT manifest parser + checkImage (trusted-signed mutated manifests)',
        inputs: byteInputs(MANIFESTS, 256).map(signedByTrusted),
        runs: fuzzRuns(500), // a signature per input
        typed: isRejection,
        run: decodeAndCheck,
      });
      expect(r.returned + r.rejected).toBe(r.runs);
    },
    fuzzTimeout(4_000),
  );
});
