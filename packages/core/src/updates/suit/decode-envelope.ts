import { equalBytes } from '@noble/curves/utils.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { asArray, asBytes, asMap, decodeCbor, decodeWrapped, malformed, untag } from './cbor.js';
import {
  COSE_ALG,
  MAX_ENVELOPE_BYTES,
  MAX_SIGNATURES,
  MAX_TRUSTED_KEYS,
  SUIT_ENVELOPE_KEY,
  SUIT_ENVELOPE_TAG,
  SUIT_SEVERABLE_KEYS,
} from './constants.js';
import { coseAlgorithmId, parseSign1, sigStructure, verifySignature } from './cose-sign1.js';
import { parseDigest, sha256OfByteString } from './digest.js';
import { parseManifestTop, readComponents } from './manifest.js';
import type { SuitDigest, SuitManifest, SuitTrustedKey } from './types.js';

/** Options of {@link decodeSuitEnvelope}. */
export interface DecodeSuitEnvelopeOptions {
  /** The keys whose signatures this device trusts (1 to {@link MAX_TRUSTED_KEYS}). */
  readonly trustedKeys: readonly SuitTrustedKey[];
  /** How many distinct trusted keys must have signed (default 1). */
  readonly requiredSignatures?: number;
  /** The largest envelope read, bytes (default {@link MAX_ENVELOPE_BYTES}); larger is `too-large`. */
  readonly maxEnvelopeBytes?: number;
}

const ALLOWED_ENVELOPE_KEYS = new Set<unknown>([
  SUIT_ENVELOPE_KEY.authenticationWrapper,
  SUIT_ENVELOPE_KEY.manifest,
  ...SUIT_SEVERABLE_KEYS,
]);

function refuseSignature(message: string, detail: Record<string, unknown> = {}): UpdateRejectedError {
  return new UpdateRejectedError('signature', `SUIT envelope: ${message}`, {
    subject: 'suit-envelope',
    detail,
  });
}

function checkOptions(options: DecodeSuitEnvelopeOptions): { required: number; maxBytes: number } {
  const { trustedKeys } = options;
  if (!Array.isArray(trustedKeys) || trustedKeys.length > MAX_TRUSTED_KEYS) {
    throw new RangeError(`trustedKeys must be an array of at most ${MAX_TRUSTED_KEYS} keys`);
  }
  const required = options.requiredSignatures ?? 1;
  if (!Number.isSafeInteger(required) || required < 1) {
    throw new RangeError(`requiredSignatures must be a positive integer, got ${required}`);
  }
  const maxBytes = options.maxEnvelopeBytes ?? MAX_ENVELOPE_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError(`maxEnvelopeBytes must be a positive integer, got ${maxBytes}`);
  }
  return { required, maxBytes };
}

/**
 * Verifies every signature block against the trusted keys; returns the names of the distinct
 * trusted keys that signed `digestBytes`.
 */
function verifyAuthentication(
  blocks: readonly unknown[],
  digestBytes: Uint8Array,
  trustedKeys: readonly SuitTrustedKey[],
): string[] {
  const signers = new Set<number>();
  blocks.forEach((block, i) => {
    const where = `authentication-wrapper[${i + 1}]`;
    const sign1 = parseSign1(asBytes(block, where), where);
    if (sign1.payload !== null && !equalBytes(sign1.payload, digestBytes)) return;
    const message = sigStructure(sign1.protectedHeader, digestBytes);
    trustedKeys.forEach((key, k) => {
      if (signers.has(k) || coseAlgorithmId(key.algorithm) !== sign1.algorithm) return;
      if (verifySignature(key, message, sign1.signature)) signers.add(k);
    });
  });
  return [...signers].sort((a, b) => a - b).map((k) => trustedKeys[k]!.name ?? `#${k}`);
}

/**
 * Decodes and verifies a SUIT envelope (draft-ietf-suit-manifest), in this order, and only reads
 * the manifest once it is proven authentic:
 *
 * 1. size: more than `maxEnvelopeBytes` is `too-large`, unread;
 * 2. the envelope's outer map (tag 107) and its authentication wrapper, nothing else;
 * 3. each `COSE_Sign1` (ES256 or EdDSA, detached payload = the digest byte string) against the
 *    trusted keys; fewer than `requiredSignatures` distinct trusted signers is `signature`
 *    (no signature at all, a bad one, or one by an untrusted key);
 * 4. SHA-256 of the manifest byte string (bstr-wrapped, as in the envelope) against the signed
 *    digest, compared in constant time: `digest` when it differs;
 * 5. only then the manifest: version 1, sequence number, components and their parameters;
 * 6. every severed member the envelope carries against the digest in the manifest (`digest`).
 *
 * All CBOR is decoded with a bounded depth, definite lengths, preferred serialization and no
 * duplicate keys; an envelope member other than 2, 3, 16, 20 and 23 is refused.
 *
 * @throws {UpdateRejectedError} `too-large`, `signature`, `digest` or `malformed` (with
 *   `detail.where`); {TypeError} when `envelope` is not a `Uint8Array`; {RangeError} for bad options.
 * @example
 * ```ts
 * const manifest = decodeSuitEnvelope(bytes, {
 *   trustedKeys: [{ algorithm: 'EdDSA', publicKey: releaseKey, name: 'release' }],
 * });
 * checkImage(manifest, image, { vendorId, classId, sequence: device.counter });
 * ```
 */
export function decodeSuitEnvelope(envelope: Uint8Array, options: DecodeSuitEnvelopeOptions): SuitManifest {
  if (!(envelope instanceof Uint8Array)) throw new TypeError('envelope must be a Uint8Array');
  const { required, maxBytes } = checkOptions(options);
  if (envelope.length > maxBytes) {
    throw new UpdateRejectedError(
      'too-large',
      `SUIT envelope is ${envelope.length} bytes, more than ${maxBytes}`,
      {
        subject: 'suit-envelope',
        detail: { size: envelope.length, max: maxBytes },
      },
    );
  }

  // a private copy: everything returned views it, so later changes to the caller's buffer change nothing
  const bytes = envelope.slice();

  // 2. the outer map and the authentication wrapper only
  const outer = asMap(untag(decodeCbor(bytes, 'envelope'), SUIT_ENVELOPE_TAG, 'envelope'), 'envelope');
  for (const key of outer.keys()) {
    if (!ALLOWED_ENVELOPE_KEYS.has(key))
      throw malformed('envelope', `unknown envelope member ${String(key)}`);
  }
  const wrapperBytes = outer.get(SUIT_ENVELOPE_KEY.authenticationWrapper);
  if (wrapperBytes === undefined)
    throw refuseSignature('no authentication wrapper: the envelope is unsigned');
  const wrapper = asArray(decodeWrapped(wrapperBytes, 'authentication-wrapper'), 'authentication-wrapper');
  if (wrapper.length === 0) throw malformed('authentication-wrapper', 'no digest');
  if (wrapper.length - 1 > MAX_SIGNATURES) {
    throw malformed('authentication-wrapper', `more than ${MAX_SIGNATURES} authentication blocks`);
  }
  const digestBytes = asBytes(wrapper[0], 'authentication-wrapper[0]');
  if (wrapper.length === 1) throw refuseSignature('the authentication wrapper holds no signature');

  // 3. signatures, before the digest is even decoded
  const signedBy = verifyAuthentication(wrapper.slice(1), digestBytes, options.trustedKeys);
  if (signedBy.length < required) {
    throw refuseSignature(
      signedBy.length === 0
        ? 'no signature verifies under a trusted key'
        : `signed by ${signedBy.length} trusted key(s), ${required} required`,
      { verified: signedBy.length, required },
    );
  }

  // 4. the manifest's digest
  const digest = parseDigest(
    decodeCbor(digestBytes, 'authentication-wrapper[0]'),
    'authentication-wrapper[0]',
  );
  const manifestBytes = asBytes(outer.get(SUIT_ENVELOPE_KEY.manifest), 'envelope.manifest');
  checkDigest(digest, manifestBytes, 'manifest');

  // 5. the manifest, now known authentic
  const top = parseManifestTop(manifestBytes);

  // 6. severed members the envelope carries
  for (const key of SUIT_SEVERABLE_KEYS) {
    const member = outer.get(key);
    if (member === undefined) continue;
    const where = `envelope.${key}`;
    const declared = top.members.get(key);
    if (!Array.isArray(declared))
      throw malformed(where, `the manifest does not declare member ${key} severed`);
    checkDigest(parseDigest(declared, `manifest.${key}`), asBytes(member, where), `severed member ${key}`);
    top.members.set(key, member);
  }

  return Object.freeze({
    version: 1 as const,
    sequenceNumber: top.sequenceNumber,
    components: readComponents(top.common, top.members),
    ...(top.referenceUri === undefined ? {} : { referenceUri: top.referenceUri }),
    members: top.members,
    digest: { algorithm: digest.algorithm, bytes: digest.bytes },
    signedBy,
  });
}

/** SHA-256 of the bstr-wrapped `content` equals `expected` (constant-time), or `digest`. */
function checkDigest(expected: SuitDigest, content: Uint8Array, what: string): void {
  if (expected.algorithm !== COSE_ALG.SHA256) {
    throw new UpdateRejectedError(
      'digest',
      `SUIT ${what}: digest algorithm ${expected.algorithm} is not SHA-256`,
      {
        subject: 'suit-envelope',
      },
    );
  }
  if (!equalBytes(sha256OfByteString(content), expected.bytes)) {
    throw new UpdateRejectedError('digest', `SUIT ${what}: its SHA-256 differs from the signed digest`, {
      subject: 'suit-envelope',
    });
  }
}
