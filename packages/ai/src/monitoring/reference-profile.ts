import {
  type Clock,
  HealthItError,
  isStrictEd25519PublicKey,
  type JsonValue,
  keyIdOf,
  signCanonical,
  systemClock,
  ValidationError,
  verifyCanonical,
} from '@healthit/core';
import { z } from 'zod';
import { digestsEqual } from '../artifacts/digest.js';
import { ModelId, ModelVersion, Sha256Hex, SignatureB64, SignerRef } from '../artifacts/manifest.js';
import { type ArtifactSigner, checkSigner } from '../artifacts/sign.js';
import type { TrustedKey } from '../artifacts/verify.js';
import { MAX_HISTOGRAM_EDGES, quantileHistogram } from './histogram.js';

/** The signing domain of reference profiles. */
export const REFERENCE_PROFILE_DOMAIN = 'healthit-model-profile/v1\n';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** A {@link Histogram} as data: ascending distinct edges, `edges.length + 2` shares summing to 1. */
export const HistogramSchema = z
  .strictObject({
    edges: z.array(finite).max(MAX_HISTOGRAM_EDGES),
    expected: z.array(z.number().min(0).max(1)).max(MAX_HISTOGRAM_EDGES + 2),
  })
  .refine((h) => h.edges.every((e, i) => i === 0 || e > (h.edges[i - 1] as number)), {
    message: 'edges must be ascending and distinct',
    path: ['edges'],
  })
  .refine((h) => h.expected.length === h.edges.length + 2, {
    message: 'expected must have edges.length + 2 shares (value bins, then the missing bin)',
    path: ['expected'],
  })
  .refine((h) => Math.abs(h.expected.reduce((s, p) => s + p, 0) - 1) < 1e-6, {
    message: 'expected shares must sum to 1',
    path: ['expected'],
  });

/**
 * What a model saw in training, for drift monitoring at the edge: for each input column its
 * name, UCUM unit and histogram over the training rows, the histogram of the model's own scores on
 * them, and the held-out figures it was approved with. Bound to one model's bytes by `sha256`.
 */
export const ReferenceProfile = z.strictObject({
  v: z.literal(1),
  modelId: ModelId,
  version: ModelVersion,
  /** SHA-256 of the model bytes this profile describes. */
  sha256: Sha256Hex,
  features: z
    .array(
      z.strictObject({
        name: z.string().min(1).max(128),
        unit: z.string().min(1).max(64),
        histogram: HistogramSchema,
      }),
    )
    .min(1)
    .max(1024),
  /** The histogram of the model's scores on the training rows. */
  prediction: HistogramSchema,
  /** Training rows the histograms were counted from. */
  rows: z.number().int().positive(),
  /** Held-out evaluation of the model (patients it never saw), when known. */
  heldOut: z
    .strictObject({
      auroc: z.number().min(0).max(1),
      brier: z.number().min(0).max(1),
      n: z.number().int().positive(),
      positives: z.number().int().nonnegative(),
    })
    .optional(),
  /** Epoch ms. */
  createdAt: z.number().int().nonnegative(),
});
export type ReferenceProfile = z.infer<typeof ReferenceProfile>;

/** A reference profile signed by a model signer (who may sign model artifacts). */
export const SignedReferenceProfile = z.strictObject({
  profile: ReferenceProfile,
  signer: SignerRef,
  sig: SignatureB64,
});
export type SignedReferenceProfile = z.infer<typeof SignedReferenceProfile>;

/** What {@link buildReferenceProfile} counts. */
export interface ReferenceData {
  /** The input columns: name and UCUM unit each. */
  readonly columns: readonly { readonly name: string; readonly unit: string }[];
  /** Number of training rows in `x` (an integer >= 1); `x` holds `rows × columns.length` values. */
  readonly rows: number;
  /** Row-major `[rows, columns]`; `NaN` = undefined. */
  readonly x: ArrayLike<number>;
}

/** Options of {@link buildReferenceProfile}. */
export interface BuildReferenceProfileOptions {
  /** The model the profile describes: id, version and SHA-256 of its bytes. */
  readonly model: { readonly id: string; readonly version: string; readonly sha256: string };
  /** Quantile bins per column (default 10). */
  readonly bins?: number;
  /** Held-out AUROC, Brier score, rows and positives, when known. */
  readonly heldOut?: ReferenceProfile['heldOut'];
  /** The clock of `createdAt`. Default: the system clock. */
  readonly clock?: Clock;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, name: string, source: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw ValidationError.fromZod(name, parsed.error, source);
  return parsed.data;
}

/**
 * Counts a model's reference profile from its training rows and its scores on them: quantile
 * histograms per column (`quantileHistogram`) and of the scores. Run it where the model is trained
 * (the platform), ship it signed with the model, and the edge compares live inputs and scores with
 * it (population stability index).
 *
 * @throws {RangeError} when the arrays do not hold `rows` rows and scores, or a value is ±Infinity;
 * @throws {ValidationError} when the result is not a valid profile (bad id, version, digest ...).
 * @example
 * ```ts
 * const profile = buildReferenceProfile(
 *   { columns: train.features.columns, rows: train.rows, x: train.x },
 *   predict(model, train),
 *   { model: { id: 'deterioration-risk', version: '1.0.0', sha256 }, heldOut },
 * );
 * ```
 */
export function buildReferenceProfile(
  data: ReferenceData,
  scores: ArrayLike<number>,
  options: BuildReferenceProfileOptions,
): ReferenceProfile {
  const width = data.columns.length;
  if (!Number.isSafeInteger(data.rows) || data.rows < 1 || data.x.length !== data.rows * width) {
    throw new RangeError(
      `buildReferenceProfile: x must hold ${data.rows} rows of ${width} columns (${data.rows * width} values), got ${data.x.length}`,
    );
  }
  if (scores.length !== data.rows) {
    throw new RangeError(`buildReferenceProfile: ${scores.length} scores for ${data.rows} rows`);
  }
  const bins = options.bins ?? 10;
  const column = new Float64Array(data.rows);
  const features = data.columns.map((c, f) => {
    for (let r = 0; r < data.rows; r++) column[r] = data.x[r * width + f] as number;
    return { name: c.name, unit: c.unit, histogram: quantileHistogram(column, bins) };
  });
  return parse(
    ReferenceProfile,
    {
      v: 1,
      modelId: options.model.id,
      version: options.model.version,
      sha256: options.model.sha256,
      features,
      prediction: quantileHistogram(scores, bins),
      rows: data.rows,
      ...(options.heldOut === undefined ? {} : { heldOut: options.heldOut }),
      createdAt: (options.clock ?? systemClock).now(),
    },
    'ReferenceProfile',
    'buildReferenceProfile',
  );
}

/**
 * Signs a reference profile (RFC 8785 canonical JSON, Ed25519, domain
 * {@link REFERENCE_PROFILE_DOMAIN}), as the platform signs the model itself.
 *
 * @throws {ValidationError} for a profile that is not valid; `TypeError` / `RangeError`
 *   for a signer without a usable key.
 */
export function signReferenceProfile(
  profile: ReferenceProfile,
  signer: ArtifactSigner,
): SignedReferenceProfile {
  checkSigner(signer, 'signReferenceProfile: signer');
  const checked = parse(ReferenceProfile, profile, 'ReferenceProfile', 'signReferenceProfile');
  const sig = signCanonical(
    REFERENCE_PROFILE_DOMAIN,
    checked as unknown as JsonValue,
    signer.signing.secretKey,
  );
  return { profile: checked, signer: { id: signer.id, keyId: signer.keyId }, sig };
}

/** Why a reference profile was refused. */
export type ProfileRefusal =
  /** Not a signed profile (shape, fields, bounds). */
  | 'malformed'
  /** Its signer is not a trusted model signer. */
  | 'untrusted-signer'
  /** Its signature does not verify (forged, or altered after signing). */
  | 'bad-signature'
  /** It describes other bytes, or another model id or version. */
  | 'model-mismatch';

/** A reference profile was refused (`security/unauthenticated`, permanent). */
export class ProfileVerificationError extends HealthItError {
  /** The error's class name: always `ProfileVerificationError`. */
  override readonly name = 'ProfileVerificationError';
  /** Which check failed (see {@link ProfileRefusal}). */
  readonly reason: ProfileRefusal;

  /**
   * Creates the error (code `security/unauthenticated`).
   * @param reason - Which check failed.
   * @param message - The human-readable message, naming the profile's model version and the check.
   */
  constructor(reason: ProfileRefusal, message: string) {
    super('security/unauthenticated', message, { detail: { reason } });
    this.reason = reason;
  }
}

/**
 * Verifies a signed reference profile before the edge uses it: signed by one of `signers` (the
 * trusted model signers) and describing exactly `model` (id, version and SHA-256 of its bytes — the
 * verified model's).
 *
 * @throws {ProfileVerificationError} naming the check that failed.
 */
export function verifyReferenceProfile(
  signed: unknown,
  trust: {
    readonly signers: readonly TrustedKey[];
    readonly model: { readonly id: string; readonly version: string; readonly sha256: string };
  },
): ReferenceProfile {
  const parsed = SignedReferenceProfile.safeParse(signed);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ProfileVerificationError(
      'malformed',
      `Refused a reference profile: it is malformed (${issues})`,
    );
  }
  const { profile, signer, sig } = parsed.data;
  const name = `the reference profile of ${profile.modelId}@${profile.version}`;
  const key = trust.signers.find(
    (k) =>
      k.signingKey instanceof Uint8Array &&
      isStrictEd25519PublicKey(k.signingKey) &&
      keyIdOf(k.signingKey) === signer.keyId,
  );
  if (key === undefined) {
    throw new ProfileVerificationError(
      'untrusted-signer',
      `Refused ${name}: its signer ${signer.id} (key ${signer.keyId.slice(0, 16)}…) is not a trusted model signer`,
    );
  }
  if (!verifyCanonical(REFERENCE_PROFILE_DOMAIN, profile as unknown as JsonValue, sig, key.signingKey)) {
    throw new ProfileVerificationError(
      'bad-signature',
      `Refused ${name}: its signature does not verify under ${key.id}'s key (forged or altered)`,
    );
  }
  const { model } = trust;
  if (
    profile.modelId !== model.id ||
    profile.version !== model.version ||
    !digestsEqual(profile.sha256, model.sha256)
  ) {
    throw new ProfileVerificationError(
      'model-mismatch',
      `Refused ${name}: it describes ${profile.modelId}@${profile.version} (SHA-256 ${profile.sha256.slice(0, 16)}…), not the model deployed, ${model.id}@${model.version} (SHA-256 ${model.sha256.slice(0, 16)}…)`,
    );
  }
  return profile;
}
