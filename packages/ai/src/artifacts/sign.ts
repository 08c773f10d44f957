import {
  type Clock,
  canonicalJson,
  ed25519PublicKey,
  fromBase64Url,
  type JsonValue,
  keyIdOf,
  type ModelArtifact,
  signCanonical,
  systemClock,
  toBase64Url,
  utf8Encode,
  ValidationError,
} from '@healthit/core';
import type { z } from 'zod';
import { sha256Hex } from './digest.js';
import {
  MODEL_ARTIFACT_DOMAIN,
  ModelManifest,
  ModelMetrics,
  type SignedModelArtifact,
  SignedModelArtifactJson,
} from './manifest.js';
import { ModelSpec } from './spec.js';

/** A party that signs: its id, key id and Ed25519 secret key (a core `Identity` is one). */
export interface ArtifactSigner {
  /** Who signs (e.g. the platform's training service), as named in the signed manifest's `signer.id`. */
  readonly id: string;
  /** Lowercase hex SHA-256 of the Ed25519 public key of `signing.secretKey` (checked before signing). */
  readonly keyId: string;
  /** The Ed25519 secret key that signs: 32 bytes. */
  readonly signing: { readonly secretKey: Uint8Array };
}

/** What {@link signModelArtifact} signs. */
export interface ModelArtifactInput {
  /** The model: id, version, format and bytes. */
  readonly artifact: ModelArtifact;
  /** Its declared inputs and outputs (checked against the graph when loaded). */
  readonly spec: ModelSpec;
  /** Validation metrics, e.g. `{ auroc: 0.87, brier: 0.06 }`. */
  readonly metrics: ModelMetrics;
}

/** Options of {@link signModelArtifact}. */
export interface SignModelArtifactOptions {
  /** The clock of `createdAt`. Default: the system clock. */
  readonly clock?: Clock;
}

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, name: string, source: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw ValidationError.fromZod(name, parsed.error, source);
  return parsed.data;
}

/** @throws {RangeError} when the signer's key id is not the key id of its secret key. */
export function checkSigner(signer: ArtifactSigner, what: string): void {
  if (typeof signer?.id !== 'string' || !(signer.signing?.secretKey instanceof Uint8Array)) {
    throw new TypeError(`${what} must have an id and signing.secretKey (a core Identity)`);
  }
  if (signer.signing.secretKey.length !== 32)
    throw new RangeError(`${what}: the secret key must be 32 bytes`);
  if (keyIdOf(ed25519PublicKey(signer.signing.secretKey)) !== signer.keyId) {
    throw new RangeError(`${what} ${signer.id}: keyId is not the key id of its secret key`);
  }
}

/**
 * SHA-256 of a manifest's RFC 8785 canonical JSON: what an approval binds, so that an approval
 * covers this spec and these metrics exactly.
 */
export function manifestDigest(manifest: ModelManifest): Promise<string> {
  return sha256Hex(utf8Encode(canonicalJson(manifest as unknown as JsonValue)));
}

/**
 * Signs a model artifact: computes the SHA-256 of its bytes, builds the manifest (id, version,
 * digest, length, spec, metrics, time, signer) and signs it with core's domain-separated canonical
 * Ed25519 signature (`signCanonical`, domain {@link MODEL_ARTIFACT_DOMAIN}).
 *
 * @throws {ValidationError} when the id, version, spec or metrics are not valid (nothing is signed);
 * @throws {TypeError} / {RangeError} for a signer without a usable key.
 * @example
 * ```ts
 * const signed = await signModelArtifact(
 *   { artifact: deteriorationModelV0(), spec, metrics: { auroc: 0.87 } },
 *   platformIdentity,
 * );
 * ```
 */
export async function signModelArtifact(
  input: ModelArtifactInput,
  signer: ArtifactSigner,
  options: SignModelArtifactOptions = {},
): Promise<SignedModelArtifact> {
  checkSigner(signer, 'signModelArtifact: signer');
  const { artifact } = input;
  if (!(artifact?.bytes instanceof Uint8Array) || artifact.bytes.length === 0) {
    throw new TypeError('signModelArtifact: artifact.bytes must be a non-empty Uint8Array');
  }
  const bytes = artifact.bytes.slice();
  const manifest = parseOrThrow(
    ModelManifest,
    {
      v: 1,
      modelId: artifact.id,
      version: artifact.version,
      format: artifact.format,
      sha256: await sha256Hex(bytes),
      byteLength: bytes.length,
      spec: parseOrThrow(ModelSpec, input.spec, 'ModelSpec', 'signModelArtifact'),
      metrics: parseOrThrow(ModelMetrics, input.metrics, 'ModelMetrics', 'signModelArtifact'),
      createdAt: (options.clock ?? systemClock).now(),
      signer: { id: signer.id, keyId: signer.keyId },
    },
    'ModelManifest',
    'signModelArtifact',
  );
  const sig = signCanonical(
    MODEL_ARTIFACT_DOMAIN,
    manifest as unknown as JsonValue,
    signer.signing.secretKey,
  );
  return Object.freeze({ manifest, sig, bytes });
}

/** A signed artifact as JSON-safe data (bytes as base64url), e.g. to store or publish it. */
export function signedArtifactToJson(signed: SignedModelArtifact): SignedModelArtifactJson {
  return { manifest: signed.manifest, sig: signed.sig, bytes: toBase64Url(signed.bytes) };
}

/**
 * Reads a signed artifact from JSON-safe data (e.g. `JSON.parse` of a downloaded file). Checks the
 * shape only; verify it with a {@link createModelVerifier | verifier} before use.
 * @throws {ValidationError} when the data is not a signed artifact (unknown or missing fields ...).
 */
export function signedArtifactFromJson(json: unknown, source = 'signed model artifact'): SignedModelArtifact {
  const parsed = parseOrThrow(SignedModelArtifactJson, json, 'SignedModelArtifact', source);
  let bytes: Uint8Array;
  try {
    bytes = fromBase64Url(parsed.bytes);
  } catch (e) {
    throw new ValidationError(
      'SignedModelArtifact',
      [
        {
          path: 'bytes',
          message: `is not base64url: ${e instanceof Error ? e.message : String(e)}`,
          code: 'custom',
        },
      ],
      { source, cause: e },
    );
  }
  return Object.freeze({ manifest: parsed.manifest, sig: parsed.sig, bytes });
}
