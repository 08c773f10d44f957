import { encode, Tag } from 'cbor2';
import {
  COSE_ALG,
  MAX_COMPONENTS,
  MAX_SIGNATURES,
  SUIT_COMMAND,
  SUIT_COMMON_KEY,
  SUIT_ENVELOPE_KEY,
  SUIT_ENVELOPE_TAG,
  SUIT_MANIFEST_KEY,
  SUIT_PARAMETER,
  SUIT_REPORT_ALL,
} from './constants.js';
import { signSign1 } from './cose-sign1.js';
import { sha256OfByteString } from './digest.js';
import type { SuitComponentSpec, SuitManifestSpec, SuitSigner } from './types.js';

function checkSpec(spec: SuitManifestSpec): void {
  const { sequenceNumber, components } = spec;
  if (!Number.isSafeInteger(sequenceNumber) || sequenceNumber < 0) {
    throw new RangeError(`sequenceNumber must be a non-negative safe integer, got ${sequenceNumber}`);
  }
  if (!Array.isArray(components) || components.length === 0 || components.length > MAX_COMPONENTS) {
    throw new RangeError(`a manifest has 1 to ${MAX_COMPONENTS} components`);
  }
  components.forEach((c, i) => {
    const bytes = (v: unknown, max: number) => v instanceof Uint8Array && v.length <= max;
    const id: unknown = c.id;
    if (!Array.isArray(id) || !id.every((b: unknown) => bytes(b, Number.MAX_SAFE_INTEGER))) {
      throw new TypeError(`components[${i}].id must be an array of Uint8Array`);
    }
    if (!bytes(c.vendorId, 64) || !bytes(c.classId, 64)) {
      throw new TypeError(`components[${i}]: vendorId and classId must be Uint8Array of at most 64 bytes`);
    }
    if (
      c.imageDigest.algorithm !== COSE_ALG.SHA256 ||
      !bytes(c.imageDigest.bytes, 32) ||
      c.imageDigest.bytes.length !== 32
    ) {
      throw new RangeError(`components[${i}].imageDigest must be a 32-byte SHA-256 digest (algorithm -16)`);
    }
    if (!Number.isSafeInteger(c.imageSize) || c.imageSize < 0) {
      throw new RangeError(`components[${i}].imageSize must be a non-negative safe integer`);
    }
    if (c.uri !== undefined && typeof c.uri !== 'string')
      throw new TypeError(`components[${i}].uri must be a string`);
  });
  if (spec.referenceUri !== undefined && typeof spec.referenceUri !== 'string') {
    throw new TypeError('referenceUri must be a string');
  }
}

/** `[set-component-index i]` when the manifest has more than one component. */
function select(index: number, many: boolean): unknown[] {
  return many ? [SUIT_COMMAND.directiveSetComponentIndex, index] : [];
}

function sharedSequence(components: readonly SuitComponentSpec[]): unknown[] {
  const many = components.length > 1;
  return components.flatMap((c, i) => [
    ...select(i, many),
    SUIT_COMMAND.directiveOverrideParameters,
    new Map<number, unknown>([
      [SUIT_PARAMETER.vendorIdentifier, c.vendorId],
      [SUIT_PARAMETER.classIdentifier, c.classId],
      [SUIT_PARAMETER.imageDigest, encode([c.imageDigest.algorithm, c.imageDigest.bytes])],
      [SUIT_PARAMETER.imageSize, c.imageSize],
    ]),
    SUIT_COMMAND.conditionVendorIdentifier,
    SUIT_REPORT_ALL,
    SUIT_COMMAND.conditionClassIdentifier,
    SUIT_REPORT_ALL,
  ]);
}

function validateSequence(components: readonly SuitComponentSpec[]): unknown[] {
  const many = components.length > 1;
  return components.flatMap((_, i) => [
    ...select(i, many),
    SUIT_COMMAND.conditionImageMatch,
    SUIT_REPORT_ALL,
  ]);
}

function installSequence(components: readonly SuitComponentSpec[]): unknown[] {
  const many = components.length > 1;
  return components.flatMap((c, i) =>
    c.uri === undefined
      ? []
      : [
          ...select(i, many),
          SUIT_COMMAND.directiveOverrideParameters,
          new Map<number, unknown>([[SUIT_PARAMETER.uri, c.uri]]),
          SUIT_COMMAND.directiveFetch,
          SUIT_REPORT_ALL,
          SUIT_COMMAND.conditionImageMatch,
          SUIT_REPORT_ALL,
        ],
  );
}

/** The manifest byte string of `spec` (deterministic: integer keys in ascending order). */
export function encodeSuitManifest(spec: SuitManifestSpec): Uint8Array {
  checkSpec(spec);
  const common = new Map<number, unknown>([
    [SUIT_COMMON_KEY.components, spec.components.map((c) => [...c.id])],
    [SUIT_COMMON_KEY.sharedSequence, encode(sharedSequence(spec.components))],
  ]);
  const manifest = new Map<number, unknown>([
    [SUIT_MANIFEST_KEY.version, 1],
    [SUIT_MANIFEST_KEY.sequenceNumber, spec.sequenceNumber],
    [SUIT_MANIFEST_KEY.common, encode(common)],
  ]);
  if (spec.referenceUri !== undefined) manifest.set(SUIT_MANIFEST_KEY.referenceUri, spec.referenceUri);
  manifest.set(SUIT_MANIFEST_KEY.validate, encode(validateSequence(spec.components)));
  const install = installSequence(spec.components);
  if (install.length > 0) manifest.set(SUIT_MANIFEST_KEY.install, encode(install));
  return encode(manifest);
}

/**
 * Encodes and signs a SUIT envelope (tag 107) for `spec`: the manifest (version 1, the sequence
 * number, one component per spec component with `vendor-id`, `class-id`, `image-digest` and
 * `image-size` set in the shared sequence and checked by conditions, a validate sequence with
 * `condition-image-match`, an install sequence fetching each component's `uri`), its SHA-256
 * digest, and one `COSE_Sign1` per signer (protected `alg` and optional `kid`, detached payload).
 * With no signer, the envelope is unsigned (every device refuses it: for tests).
 * @throws {RangeError | TypeError} for a spec that is not encodable, more than {@link MAX_SIGNATURES}
 *   signers, or a secret key that is not 32 bytes.
 * @example
 * ```ts
 * const envelope = encodeSuitEnvelope(
 *   { sequenceNumber: 7, components: [{ id: [utf8Encode('fw')], vendorId, classId,
 *     imageDigest: suitDigestOf(image), imageSize: image.length, uri: 'https://repo/fw.bin' }] },
 *   [{ algorithm: 'EdDSA', secretKey: releaseSeed }],
 * );
 * ```
 */
export function encodeSuitEnvelope(spec: SuitManifestSpec, signers: readonly SuitSigner[]): Uint8Array {
  if (!Array.isArray(signers) || signers.length > MAX_SIGNATURES) {
    throw new RangeError(`at most ${MAX_SIGNATURES} signers`);
  }
  const manifest = encodeSuitManifest(spec);
  const digest = encode([COSE_ALG.SHA256, sha256OfByteString(manifest)]);
  const wrapper = encode([digest, ...signers.map((signer) => signSign1(signer, digest))]);
  return encode(
    new Tag(
      SUIT_ENVELOPE_TAG,
      new Map<number, unknown>([
        [SUIT_ENVELOPE_KEY.authenticationWrapper, wrapper],
        [SUIT_ENVELOPE_KEY.manifest, manifest],
      ]),
    ),
  );
}
