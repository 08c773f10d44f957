import {
  canonicalJson,
  HealthItError,
  isStrictEd25519PublicKey,
  type JsonValue,
  keyIdOf,
  type LedgerSink,
  type ModelArtifact,
  verifyCanonical,
} from '@healthit/core';
import { digestsEqual, sha256Hex } from './digest.js';
import {
  MODEL_APPROVAL_DOMAIN,
  MODEL_ARTIFACT_DOMAIN,
  ModelApproval,
  type ModelManifest,
  type ModelMetrics,
  SignedManifest,
  type SignedModelArtifact,
} from './manifest.js';
import { manifestDigest } from './sign.js';
import type { ModelSpec } from './spec.js';

/** Why a model was refused. */
export type ModelRefusal =
  /** The manifest or approval does not have the expected shape (or the bytes are not bytes). */
  | 'malformed'
  /** The manifest's signer is not one of the trusted signers. */
  | 'untrusted-signer'
  /** The manifest's signature does not verify (forged, or the manifest changed after signing). */
  | 'bad-signature'
  /** The bytes are not the ones the manifest's SHA-256 and length describe. */
  | 'digest-mismatch'
  /** Approval is required and none was given. */
  | 'not-approved'
  /** The approval's approver is not one of the trusted approvers. */
  | 'untrusted-approver'
  /** The approval's signature does not verify. */
  | 'bad-approval-signature'
  /** The approval is for another model, version, bytes, manifest or metrics. */
  | 'approval-mismatch'
  /** The approver is the signer and self-approval is not allowed. */
  | 'self-approved'
  /** The ledger does not hold the approval's `model-approve` record at the receipt it claims. */
  | 'not-in-ledger';

/** The refusals of {@link ModelRefusal}. */
export const MODEL_REFUSALS: readonly ModelRefusal[] = [
  'malformed',
  'untrusted-signer',
  'bad-signature',
  'digest-mismatch',
  'not-approved',
  'untrusted-approver',
  'bad-approval-signature',
  'approval-mismatch',
  'self-approved',
  'not-in-ledger',
];

/**
 * A model was refused by a verifier (`security/unauthenticated`, permanent): `reason` says which
 * check failed; the message names the model and what to do.
 */
export class ModelVerificationError extends HealthItError {
  /** The error's class name: always `ModelVerificationError`. */
  override readonly name = 'ModelVerificationError';
  /** Which check failed (see {@link ModelRefusal}). */
  readonly reason: ModelRefusal;
  /** The model's id and version, as claimed (may be absent for a malformed manifest). */
  readonly modelId: string | undefined;
  /** The model's version, as its manifest claims; undefined for a malformed manifest. */
  readonly version: string | undefined;

  /**
   * Creates the error (code `security/unauthenticated`).
   * @param reason - Which check failed.
   * @param message - The human-readable message, naming the model and what to do.
   * @param model - The model's `id` and `version` as claimed, when the manifest could be read.
   */
  constructor(reason: ModelRefusal, message: string, model: { id?: string; version?: string } = {}) {
    super('security/unauthenticated', message, {
      detail: { reason, modelId: model.id, version: model.version },
    });
    this.reason = reason;
    this.modelId = model.id;
    this.version = model.version;
  }
}

/** A trusted public key: who, and their Ed25519 public key (a core `PublicIdentity` is one). */
export interface TrustedKey {
  /** Who holds the key (a person or service id), as named in refusal messages. */
  readonly id: string;
  /** Their Ed25519 public key (32 bytes); its SHA-256 is the key id a manifest or approval names. */
  readonly signingKey: Uint8Array;
}

/** Whom a verifier trusts, and what it requires. */
export interface ModelTrust {
  /** Who may sign model artifacts (e.g. the platform's training service). */
  readonly signers: readonly TrustedKey[];
  /** Who may approve models for use (e.g. the biomedical engineering and QA leads). */
  readonly approvers: readonly TrustedKey[];
  /** Require an approval. Default true. */
  readonly requireApproval?: boolean;
  /** Accept an approval by the artifact's own signer. Default false (two people, two keys). */
  readonly allowSelfApproval?: boolean;
  /**
   * When given, an approval must be held by this ledger: `receipt(index)` must return the same log
   * id and entry hash as the approval's receipt.
   */
  readonly ledger?: Pick<LedgerSink, 'receipt'>;
}

/** A verified model, ready for `ModelRuntime.load` (the runtime checks the graph against `spec`). */
export interface VerifiedModel extends ModelArtifact {
  /** The inputs, outputs and feature columns it declares, from its signed manifest. */
  readonly spec: ModelSpec;
  /** The validation metrics it was signed with, e.g. `{ auroc: 0.87, brier: 0.06 }`. */
  readonly metrics: ModelMetrics;
  /** SHA-256 of its bytes, lowercase hex (checked against the bytes). */
  readonly sha256: string;
  /** The whole signed manifest, as verified. */
  readonly manifest: ModelManifest;
  /** The approval that let it in, when approval is required or given. */
  readonly approval: ModelApproval | undefined;
}

/** The verdict of {@link ModelVerifier.check}. */
export type ModelVerdict =
  | {
      /** `true`: every check passed. */
      readonly ok: true;
      /** The verified model, ready to load. */
      readonly model: VerifiedModel;
    }
  | {
      /** `false`: the model was refused. */
      readonly ok: false;
      /** Which check failed, and why. */
      readonly error: ModelVerificationError;
    };

/** Checks signed models before a gateway (or the platform) loads them. */
export interface ModelVerifier {
  /**
   * Verifies a signed artifact and its approval.
   * @throws {ModelVerificationError} naming the check that failed;
   * @throws the ledger's error when `trust.ledger` cannot be read (retry later).
   */
  verify(signed: SignedModelArtifact, approval?: ModelApproval): Promise<VerifiedModel>;
  /** {@link verify} as a verdict value instead of a rejection (the ledger's own errors still reject). */
  check(signed: SignedModelArtifact, approval?: ModelApproval): Promise<ModelVerdict>;
}

function indexKeys(keys: readonly TrustedKey[], what: string): ReadonlyMap<string, TrustedKey> {
  if (!Array.isArray(keys))
    throw new TypeError(`createModelVerifier: ${what} must be an array of trusted keys`);
  const map = new Map<string, TrustedKey>();
  for (const key of keys) {
    if (typeof key?.id !== 'string' || !(key.signingKey instanceof Uint8Array)) {
      throw new TypeError(
        `createModelVerifier: each of ${what} needs an id and a signingKey (a PublicIdentity)`,
      );
    }
    if (!isStrictEd25519PublicKey(key.signingKey)) {
      throw new RangeError(`createModelVerifier: ${what} ${key.id} has no usable Ed25519 public key`);
    }
    map.set(keyIdOf(key.signingKey), key);
  }
  return map;
}

function sameMetrics(a: ModelMetrics, b: ModelMetrics): boolean {
  return canonicalJson(a as JsonValue) === canonicalJson(b as JsonValue);
}

/**
 * The verifier a gateway runs before it loads a model: it refuses a model whose bytes do not match
 * the signed SHA-256, whose manifest signature does not verify or whose signer is not trusted, and
 * (unless `requireApproval: false`) one without a valid approval by a trusted approver — other than
 * the signer — for exactly these bytes and this manifest, optionally held by the ledger.
 *
 * Keys come only from `trust`, never from the artifact (a key id in a manifest only selects one).
 * Signatures are core's strict Ed25519 over RFC 8785 canonical JSON, each with its own domain, so
 * an approval never verifies as a manifest or the other way round; digests are compared in constant
 * time.
 *
 * @throws {TypeError} / {RangeError} for a malformed trust list.
 * @example
 * ```ts
 * const verifier = createModelVerifier({ signers: [platform], approvers: [biomedLead], ledger });
 * const model = await runtime.load(await verifier.verify(signed, approval)); // refuses tampering
 * ```
 */
export function createModelVerifier(trust: ModelTrust): ModelVerifier {
  const signers = indexKeys(trust?.signers, 'signers');
  const approvers = indexKeys(trust?.approvers, 'approvers');
  const requireApproval = trust.requireApproval ?? true;
  const allowSelfApproval = trust.allowSelfApproval ?? false;
  const ledger = trust.ledger;
  if (ledger !== undefined && typeof ledger.receipt !== 'function') {
    throw new TypeError('createModelVerifier: ledger must have a receipt(index) function (a LedgerSink)');
  }

  async function verify(signed: SignedModelArtifact, approval?: ModelApproval): Promise<VerifiedModel> {
    const parsed = SignedManifest.safeParse({ manifest: signed?.manifest, sig: signed?.sig });
    if (!parsed.success || !(signed.bytes instanceof Uint8Array)) {
      const issues = parsed.success
        ? 'bytes: not a Uint8Array'
        : parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new ModelVerificationError('malformed', `Refused a model artifact: it is malformed (${issues})`, {
        id: String((signed?.manifest as { modelId?: unknown } | undefined)?.modelId ?? ''),
      });
    }
    const { manifest, sig } = parsed.data;
    const model = { id: manifest.modelId, version: manifest.version };
    const name = `${manifest.modelId}@${manifest.version}`;

    const signer = signers.get(manifest.signer.keyId);
    if (signer === undefined) {
      throw new ModelVerificationError(
        'untrusted-signer',
        `Refused ${name}: its signer ${manifest.signer.id} (key ${manifest.signer.keyId.slice(0, 16)}…) is not a trusted model signer`,
        model,
      );
    }
    if (!verifyCanonical(MODEL_ARTIFACT_DOMAIN, manifest as unknown as JsonValue, sig, signer.signingKey)) {
      throw new ModelVerificationError(
        'bad-signature',
        `Refused ${name}: the manifest's signature does not verify under ${signer.id}'s key (forged, or the manifest — spec, metrics, digest — changed after signing)`,
        model,
      );
    }
    const digest = await sha256Hex(signed.bytes);
    if (signed.bytes.length !== manifest.byteLength || !digestsEqual(digest, manifest.sha256)) {
      throw new ModelVerificationError(
        'digest-mismatch',
        `Refused ${name}: its bytes (${signed.bytes.length} bytes, SHA-256 ${digest.slice(0, 16)}…) are not the signed ones (${manifest.byteLength} bytes, SHA-256 ${manifest.sha256.slice(0, 16)}…)`,
        model,
      );
    }

    let approved: ModelApproval | undefined;
    if (approval === undefined) {
      if (requireApproval) {
        throw new ModelVerificationError(
          'not-approved',
          `Refused ${name}: it has no approval; a trusted approver must approve it (approveModel) before it is deployed`,
          model,
        );
      }
    } else {
      approved = await checkApproval(approval, manifest, name, model);
    }
    return Object.freeze({
      id: manifest.modelId,
      version: manifest.version,
      format: manifest.format,
      bytes: signed.bytes.slice(),
      spec: manifest.spec,
      metrics: manifest.metrics,
      sha256: manifest.sha256,
      manifest,
      approval: approved,
    });
  }

  async function checkApproval(
    approval: ModelApproval,
    manifest: ModelManifest,
    name: string,
    model: { id: string; version: string },
  ): Promise<ModelApproval> {
    const parsed = ModelApproval.safeParse(approval);
    if (!parsed.success) {
      throw new ModelVerificationError(
        'malformed',
        `Refused ${name}: its approval is malformed (${parsed.error.issues
          .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
          .join('; ')})`,
        model,
      );
    }
    const a = parsed.data;
    const approver = approvers.get(a.approver.keyId);
    if (approver === undefined) {
      throw new ModelVerificationError(
        'untrusted-approver',
        `Refused ${name}: its approver ${a.approver.id} (key ${a.approver.keyId.slice(0, 16)}…) is not a trusted approver`,
        model,
      );
    }
    const { sig, ...statement } = a;
    if (
      !verifyCanonical(MODEL_APPROVAL_DOMAIN, statement as unknown as JsonValue, sig, approver.signingKey)
    ) {
      throw new ModelVerificationError(
        'bad-approval-signature',
        `Refused ${name}: its approval's signature does not verify under ${approver.id}'s key (forged or altered)`,
        model,
      );
    }
    const sameModel = a.modelId === manifest.modelId && a.version === manifest.version;
    const sameBytes = digestsEqual(a.sha256, manifest.sha256);
    const sameManifest = digestsEqual(a.manifestSha256, await manifestDigest(manifest));
    if (!sameModel || !sameBytes || !sameManifest || !sameMetrics(a.metrics, manifest.metrics)) {
      throw new ModelVerificationError(
        'approval-mismatch',
        `Refused ${name}: the approval is for ${a.modelId}@${a.version}` +
          `${sameBytes ? '' : ', other bytes'}${sameManifest ? '' : ', another manifest'}` +
          `${sameMetrics(a.metrics, manifest.metrics) ? '' : ', other metrics'}, not for this artifact`,
        model,
      );
    }
    if (!allowSelfApproval && a.approver.keyId === manifest.signer.keyId) {
      throw new ModelVerificationError(
        'self-approved',
        `Refused ${name}: it was approved by its own signer (${a.approver.id}); approval needs a second key`,
        model,
      );
    }
    if (ledger !== undefined) {
      const held = await ledger.receipt(a.ledger.index);
      if (
        held === undefined ||
        held.logId !== a.ledger.logId ||
        held.entryHash.length !== a.ledger.entryHash.length ||
        !digestsEqual(held.entryHash, a.ledger.entryHash)
      ) {
        throw new ModelVerificationError(
          'not-in-ledger',
          `Refused ${name}: the ledger does not hold its approval at index ${a.ledger.index} of log ${a.ledger.logId.slice(0, 16)}…` +
            (held === undefined ? ' (no such entry)' : ' (another entry is there)'),
          model,
        );
      }
    }
    return a;
  }

  return Object.freeze({
    verify,
    async check(signed: SignedModelArtifact, approval?: ModelApproval): Promise<ModelVerdict> {
      try {
        return { ok: true, model: await verify(signed, approval) };
      } catch (e) {
        if (e instanceof ModelVerificationError) return { ok: false, error: e };
        throw e;
      }
    },
  });
}
