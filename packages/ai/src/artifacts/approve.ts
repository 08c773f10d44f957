import {
  type Clock,
  HealthItError,
  type JsonValue,
  type LedgerRecord,
  type LedgerSink,
  signCanonical,
  systemClock,
  ValidationError,
} from '@healthit/core';
import { MODEL_APPROVAL_DOMAIN, ModelApproval, type SignedModelArtifact } from './manifest.js';
import { type ArtifactSigner, checkSigner, manifestDigest } from './sign.js';
import { createModelVerifier, type TrustedKey } from './verify.js';

/** The `LedgerRecord.type` of a model approval (the ledger's `model.approve` entry kind). */
export const MODEL_APPROVE_RECORD = 'model-approve';

/** Options of {@link approveModel}. */
export interface ApproveModelOptions {
  /** Who approves: a person or service with a signing key, other than the artifact's signer. */
  readonly approver: ArtifactSigner;
  /** Where the approval is recorded (the transparency log's sink, or any `LedgerSink`). */
  readonly ledger: LedgerSink;
  /** Whose artifact signatures the approver accepts: the artifact is verified before it is approved. */
  readonly trustedSigners: readonly TrustedKey[];
  /** What the model may be used for, recorded on the ledger (at most 1024 characters). */
  readonly intendedUse?: string;
  /** The clock of `approvedAt`. Default: the system clock. */
  readonly clock?: Clock;
}

/**
 * The `model-approve` ledger record of a signed artifact: the ledger's `model.approve` body
 * (`modelId`, `version`, `digest` = SHA-256 of the model bytes, `metrics`, optional `intendedUse`).
 */
export function modelApproveRecord(signed: SignedModelArtifact, intendedUse?: string): LedgerRecord {
  const { manifest } = signed;
  return {
    type: MODEL_APPROVE_RECORD,
    body: {
      modelId: manifest.modelId,
      version: manifest.version,
      digest: manifest.sha256,
      metrics: { ...manifest.metrics },
      ...(intendedUse === undefined ? {} : { intendedUse }),
    },
  };
}

/**
 * Approves a signed model for use: verifies the artifact (signature by a trusted signer, bytes
 * against its SHA-256), records a `model-approve` entry through the `LedgerSink` port, and returns
 * the approver's signed {@link ModelApproval}, which binds the bytes, the whole manifest (spec and
 * metrics) and the ledger receipt. Gateways accept the model with it (see `createModelVerifier`).
 *
 * Nothing is appended when the artifact does not verify; nothing is signed when the append fails.
 *
 * @throws {ModelVerificationError} when the artifact does not verify;
 * @throws {ValidationError} when `intendedUse` is too long;
 * @throws what the ledger throws when it refuses the record (e.g. `buffer/overflow`, retryable);
 * @throws {HealthItError} `state/invalid` when the ledger returns no receipt.
 * @example
 * ```ts
 * const approval = await approveModel(signed, { approver: biomedLead, ledger: sink, trustedSigners: [platform] });
 * ```
 */
export async function approveModel(
  signed: SignedModelArtifact,
  options: ApproveModelOptions,
): Promise<ModelApproval> {
  const { approver, ledger } = options;
  checkSigner(approver, 'approveModel: approver');
  if (typeof ledger?.append !== 'function') throw new TypeError('approveModel: ledger must be a LedgerSink');
  if (
    options.intendedUse !== undefined &&
    (typeof options.intendedUse !== 'string' || options.intendedUse.length > 1024)
  ) {
    throw new ValidationError(
      'ModelApproval',
      [{ path: 'intendedUse', message: 'must be a string of at most 1024 characters', code: 'too_big' }],
      { source: 'approveModel' },
    );
  }
  const verified = await createModelVerifier({
    signers: options.trustedSigners,
    approvers: [],
    requireApproval: false,
  }).verify(signed);
  const manifest = verified.manifest;
  const [receipt] = await ledger.append([modelApproveRecord(signed, options.intendedUse)]);
  if (receipt === undefined) {
    throw new HealthItError(
      'state/invalid',
      `approveModel: the ledger returned no receipt for the approval of ${manifest.modelId}@${manifest.version}`,
    );
  }
  const statement = {
    v: 1 as const,
    modelId: manifest.modelId,
    version: manifest.version,
    sha256: manifest.sha256,
    manifestSha256: await manifestDigest(manifest),
    metrics: { ...manifest.metrics },
    ...(options.intendedUse === undefined ? {} : { intendedUse: options.intendedUse }),
    approvedAt: (options.clock ?? systemClock).now(),
    approver: { id: approver.id, keyId: approver.keyId },
    ledger: { logId: receipt.logId, index: receipt.index, entryHash: receipt.entryHash },
  };
  const sig = signCanonical(
    MODEL_APPROVAL_DOMAIN,
    statement as unknown as JsonValue,
    approver.signing.secretKey,
  );
  return ModelApproval.parse({ ...statement, sig });
}
