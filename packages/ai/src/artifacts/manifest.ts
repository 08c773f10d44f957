import { z } from 'zod';
import { ModelSpec } from './spec.js';

/** The signing domain of model artifact manifests. */
export const MODEL_ARTIFACT_DOMAIN = 'healthit-model-artifact/v1\n';
/** The signing domain of model approvals. */
export const MODEL_APPROVAL_DOMAIN = 'healthit-model-approval/v1\n';

/**
 * A model id: 1-128 letters, digits, `.`, `_`, `-`, `:`, `/`, `+`, `@`, starting with a letter or
 * digit (the ledger's `Id`, so every signed model can be approved on the ledger).
 */
export const ModelId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/+@-]{0,127}$/,
    'must be 1-128 letters, digits, ".", "_", "-", ":", "/", "+", "@", starting with a letter or digit',
  );

/** A model version: 1-64 printable characters (e.g. a semantic version). */
export const ModelVersion = z.string().regex(/^[!-~]{1,64}$/, 'must be 1-64 printable ASCII characters');

/** A lowercase hex SHA-256 digest. */
export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (SHA-256)');

/** An Ed25519 signature, base64url without padding (64 bytes). */
export const SignatureB64 = z
  .string()
  .regex(/^[A-Za-z0-9_-]{86}$/, 'must be an Ed25519 signature (base64url)');

/**
 * Validation metrics by name (at most 64, finite numbers), e.g. `{ auroc: 0.87, brier: 0.06 }`:
 * the same bounds as the ledger's `model.approve` body.
 */
export const ModelMetrics = z
  .record(z.string().min(1).max(64), z.number())
  .refine((m) => Object.keys(m).length <= 64, 'at most 64 metrics');
export type ModelMetrics = z.infer<typeof ModelMetrics>;

/** Who signed: their id and the key id (lowercase hex SHA-256 of the Ed25519 public key). */
export const SignerRef = z.strictObject({ id: z.string().min(1).max(128), keyId: Sha256Hex });
export type SignerRef = z.infer<typeof SignerRef>;

/**
 * What a signed model artifact states about its bytes: identity, SHA-256 and length of the bytes,
 * declared spec, validation metrics, when and by whom. The signature covers all of it (RFC 8785
 * canonical JSON under {@link MODEL_ARTIFACT_DOMAIN}), so none can change after signing.
 */
export const ModelManifest = z.strictObject({
  v: z.literal(1),
  modelId: ModelId,
  version: ModelVersion,
  format: z.literal('onnx'),
  /** SHA-256 of the model bytes. */
  sha256: Sha256Hex,
  byteLength: z.number().int().positive(),
  spec: ModelSpec,
  metrics: ModelMetrics,
  /** Epoch ms. */
  createdAt: z.number().int().nonnegative(),
  signer: SignerRef,
});
export type ModelManifest = z.infer<typeof ModelManifest>;

/** Where the ledger holds an approval: the `LedgerReceipt` of its `model-approve` record. */
export const LedgerRef = z.strictObject({
  logId: z.string().min(1).max(128),
  index: z.number().int().nonnegative(),
  entryHash: z.string().min(1).max(128),
});
export type LedgerRef = z.infer<typeof LedgerRef>;

/**
 * An approver's signed statement that a model version may be used: binds the model's bytes
 * (`sha256`) and its whole manifest (`manifestSha256`, so spec and metrics too), carries the metrics
 * approved and the receipt of the `model-approve` record the ledger holds. Signed under
 * {@link MODEL_APPROVAL_DOMAIN}.
 */
export const ModelApproval = z.strictObject({
  v: z.literal(1),
  modelId: ModelId,
  version: ModelVersion,
  sha256: Sha256Hex,
  /** SHA-256 of the manifest's RFC 8785 canonical JSON. */
  manifestSha256: Sha256Hex,
  metrics: ModelMetrics,
  intendedUse: z.string().max(1024).optional(),
  /** Epoch ms. */
  approvedAt: z.number().int().nonnegative(),
  approver: SignerRef,
  ledger: LedgerRef,
  sig: SignatureB64,
});
export type ModelApproval = z.infer<typeof ModelApproval>;

/** A signed manifest as it travels (JSON): the manifest and the signer's signature. */
export const SignedManifest = z.strictObject({ manifest: ModelManifest, sig: SignatureB64 });
export type SignedManifest = z.infer<typeof SignedManifest>;

/** A signed model artifact in memory: manifest, signature, and the bytes it describes. */
export interface SignedModelArtifact {
  /** What the signer states about the bytes: id, version, SHA-256 and length, spec, metrics, time, signer. */
  readonly manifest: ModelManifest;
  /** The signer's Ed25519 signature of the manifest, base64url. */
  readonly sig: string;
  /** The serialised model (ONNX) the manifest describes; a verifier checks them against its SHA-256 and length. */
  readonly bytes: Uint8Array;
}

/** A signed model artifact as JSON text travels: the bytes as base64url. */
export const SignedModelArtifactJson = z.strictObject({
  manifest: ModelManifest,
  sig: SignatureB64,
  bytes: z.string().regex(/^[A-Za-z0-9_-]+$/, 'must be base64url'),
});
export type SignedModelArtifactJson = z.infer<typeof SignedModelArtifactJson>;
