import { parse } from '@healthit/core';
import {
  type FirmwareAuthorisation,
  type FirmwareAuthorisationVerifier,
  type FirmwareAuthorised,
  type FirmwareImageIdentity,
  type FirmwareNotAuthorised,
  UpdateRejectedError,
} from '@healthit/core/updates';
import { z } from 'zod';
import { text } from '../entries/fields.js';
import { Digest, decodeEntry, type EntryOf, Id, verifyEntrySignatures } from '../entries/index.js';
import {
  type CheckpointTrust,
  checkpointTrust,
  failStep,
  firstIssue,
  runSteps,
  type StepOutcome,
  type StepRunner,
  verifyLoggedEntry,
} from '../log-proof/index.js';
import { decodeBase64 } from '../note/index.js';
import {
  createEndorsementEvaluator,
  type EndorsementEvaluator,
  type EndorsementResult,
  EndorsementRule,
  endorsementRuleFor,
  type MembershipPolicy,
  parseMembershipPolicy,
  policyKeyLookup,
} from '../policy/index.js';
import {
  type FirmwareAuthorisationProof,
  FirmwareAuthorisationProofSchema,
  MAX_FIRMWARE_AUTHORISATION_CHARS,
} from './bundle.js';

/**
 * The checks of {@link verifyFirmwareAuthorisationProof}, in the order they run (cheap checks of
 * what the entry says first, then signatures, then the log):
 *
 * | step                   | checks                                                                                   |
 * | ---------------------- | ---------------------------------------------------------------------------------------- |
 * | `bundle`               | the proof's shape: JSON, format, version, members, sizes, hex proof, canonical base64    |
 * | `image`                | the image asked about is well-formed: lowercase hex SHA-256, version, hardware id         |
 * | `entry`                | the entry bytes are a canonical `firmware.authorize` entry                               |
 * | `image-digest`         | the entry authorises exactly this image digest                                           |
 * | `hardware`             | the entry lists the device's hardware id                                                 |
 * | `version`              | the entry's version equals the image's                                                   |
 * | `entry-signatures`     | every signature by a member key verifies (strict Ed25519, entry domain)                  |
 * | `endorsement`          | distinct member keys, valid at the entry's time, satisfy the firmware endorsement rule   |
 * | `checkpoint-signature` | the checkpoint is a checkpoint note signed by the log key                                |
 * | `checkpoint-origin`    | it names the expected origin, and the entry names the same                               |
 * | `witnesses`            | at least `witnessThreshold` (≥ 1) of the trusted witnesses cosigned it                   |
 * | `log-inclusion`        | the entry's leaf and proof lead to the checkpoint's root                                 |
 */
export const FirmwareProofSteps = [
  'bundle',
  'image',
  'entry',
  'image-digest',
  'hardware',
  'version',
  'entry-signatures',
  'endorsement',
  'checkpoint-signature',
  'checkpoint-origin',
  'witnesses',
  'log-inclusion',
] as const;

/** One of {@link FirmwareProofSteps}. */
export type FirmwareProofStep = (typeof FirmwareProofSteps)[number];

/** The outcome of one step of {@link verifyFirmwareAuthorisationProof}. */
export type FirmwareProofStepOutcome = StepOutcome<FirmwareProofStep>;

/** A proof that verified: the core verdict, plus every step run, the entry and the endorsement. */
export interface FirmwareProofValid extends FirmwareAuthorised {
  /** Every step run, each `ok`. */
  readonly steps: readonly FirmwareProofStepOutcome[];
  /** The `firmware.authorize` entry. */
  readonly entry: EntryOf<'firmware.authorize'>;
  /** The endorsement evaluation that passed (who counted, who did not and why). */
  readonly endorsement: EndorsementResult;
}

/** A proof that did not verify: the core refusal, with the step typed and every step run. */
export interface FirmwareProofInvalid extends FirmwareNotAuthorised {
  readonly step: FirmwareProofStep;
  /** The steps run, the last one failed. */
  readonly steps: readonly FirmwareProofStepOutcome[];
}

/** The verdict of {@link verifyFirmwareAuthorisationProof}. */
export type FirmwareProofVerdict = FirmwareProofValid | FirmwareProofInvalid;

/** What the device (or gateway) trusts, fixed when the verifier is created. */
export interface FirmwareAuthorisationVerifierOptions {
  /** The log's verifier key string (`name+keyid+base64`, Ed25519 type 0x01). */
  readonly logKey: string;
  /**
   * The witnesses' verifier key strings (cosignature type 0x04): at least one, because a firmware
   * authorisation is only proven against a witnessed checkpoint.
   */
  readonly witnesses: readonly string[];
  /** How many distinct witnesses must have cosigned (1 to `witnesses.length`). Default: all. */
  readonly witnessThreshold?: number;
  /** The log origin the checkpoint must carry. Default: the log key's name. */
  readonly origin?: string;
  /**
   * The membership policy the device trusts (`policy.parseMembershipPolicy` format): which keys
   * belong to which organisation, in which roles, valid when. Validated here. A key counts for an
   * entry produced inside its validity window, so a release endorsed before a key was rotated or
   * revoked still verifies, and one endorsed after does not.
   */
  readonly membership: MembershipPolicy;
  /**
   * The endorsement rule a release must meet. Default: the membership policy's rule for
   * `firmware.authorize` (e.g. manufacturer release AND (QA OR hospital biomedical engineering)).
   * A device may require a stricter rule than the log enforced at append time.
   */
  readonly rule?: EndorsementRule;
}

interface FirmwareTrust extends CheckpointTrust {
  readonly keys: ReadonlyMap<string, string>;
  readonly evaluator: EndorsementEvaluator;
  readonly rule: EndorsementRule;
  readonly policyName: string;
}

function firmwareTrust(options: FirmwareAuthorisationVerifierOptions): FirmwareTrust {
  if (!Array.isArray(options.witnesses) || options.witnesses.length === 0) {
    throw new RangeError(
      'witnesses must list at least one witness key: a firmware authorisation is proven against a witnessed checkpoint',
    );
  }
  if (options.witnessThreshold !== undefined && options.witnessThreshold < 1) {
    throw new RangeError(
      `witnessThreshold must be at least 1 (an unwitnessed checkpoint proves nothing to a device), got ${options.witnessThreshold}`,
    );
  }
  const checkpoint = checkpointTrust(options);
  const membership = parseMembershipPolicy(options.membership, 'membership');
  const rule =
    options.rule === undefined
      ? endorsementRuleFor(membership, 'firmware.authorize')
      : parse(EndorsementRule, 'EndorsementRule', options.rule, 'rule');
  if (rule === undefined) {
    throw new RangeError(
      `membership policy ${membership.policyId} v${membership.version} has no firmware.authorize rule: pass \`rule\``,
    );
  }
  return {
    ...checkpoint,
    keys: policyKeyLookup(membership),
    evaluator: createEndorsementEvaluator(membership),
    rule,
    policyName: `${membership.policyId} v${membership.version}`,
  };
}

const ImageIdentity = z.object({ sha256: Digest, version: text(64, 1), hardwareId: Id });

/** Names the image for messages and `UpdateRejectedError.subject`; never throws. */
function subjectOf(image: unknown): string {
  try {
    const { hardwareId, version } = image as Record<string, unknown>;
    return `image ${String(hardwareId).slice(0, 128)}/${String(version).slice(0, 64)}`;
  } catch {
    return 'image (unreadable identity)';
  }
}

function refusal(
  step: FirmwareProofStep,
  reason: string,
  image: unknown,
  steps: readonly FirmwareProofStepOutcome[],
): FirmwareProofInvalid {
  const subject = subjectOf(image);
  const error = new UpdateRejectedError(
    'not-authorised',
    `Firmware ${subject} is not authorised by the ledger: ${step}: ${reason}`,
    { subject, detail: { step, failure: reason } },
  );
  return { ok: false, step, reason, steps, error };
}

function verifyWith(trust: FirmwareTrust, proof: unknown, image: unknown): FirmwareProofVerdict {
  const outcome = runSteps<FirmwareProofStep, Omit<FirmwareProofValid, 'ok' | 'steps'>>('bundle', (step) =>
    runFirmwareSteps(trust, proof, image, step),
  );
  if (!outcome.ok) return refusal(outcome.step, outcome.reason, image, outcome.steps);
  return { ok: true, steps: outcome.steps, ...outcome.value };
}

function parseProof(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  if (input.length > MAX_FIRMWARE_AUTHORISATION_CHARS) {
    failStep('bundle', `${input.length} characters of JSON, at most ${MAX_FIRMWARE_AUTHORISATION_CHARS}`);
  }
  try {
    return JSON.parse(input) as unknown;
  } catch (error) {
    return failStep('bundle', `not JSON: ${(error as Error).message}`);
  }
}

function list(values: readonly string[]): string {
  const shown = values.slice(0, 8).join(', ');
  return values.length > 8 ? `${shown} … (${values.length})` : shown;
}

function runFirmwareSteps(
  trust: FirmwareTrust,
  input: unknown,
  rawImage: unknown,
  step: StepRunner<FirmwareProofStep>,
): Omit<FirmwareProofValid, 'ok' | 'steps'> {
  const { proof, entryBytes } = step('bundle', () => {
    const parsed = FirmwareAuthorisationProofSchema.safeParse(parseProof(input));
    if (!parsed.success) failStep('bundle', firstIssue(parsed.error));
    const bytes = decodeBase64(parsed.data.entry.bytes);
    if (bytes === undefined) failStep('bundle', 'entry.bytes: not canonical padded base64');
    return { proof: parsed.data as FirmwareAuthorisationProof, entryBytes: bytes };
  });

  const image = step('image', () => {
    const parsed = ImageIdentity.safeParse(rawImage);
    if (!parsed.success) failStep('image', firstIssue(parsed.error));
    return parsed.data;
  });

  const entry = step('entry', () => {
    const decoded = decodeEntry(entryBytes);
    if (decoded.kind !== 'firmware.authorize') {
      failStep('entry', `a ${decoded.kind} entry, not firmware.authorize`);
    }
    return decoded;
  });
  const body = entry.body;

  step('image-digest', () => {
    if (body.imageDigest !== image.sha256) {
      failStep('image-digest', `the entry authorises image ${body.imageDigest}, not ${image.sha256}`);
    }
  });

  step('hardware', () => {
    if (!body.hardwareIds.includes(image.hardwareId)) {
      failStep(
        'hardware',
        `the entry authorises hardware ${list(body.hardwareIds)}, not ${image.hardwareId}`,
      );
    }
  });

  step('version', () => {
    if (body.version !== image.version) {
      failStep('version', `the entry authorises version ${body.version}, not ${image.version}`);
    }
  });

  const signers = step('entry-signatures', () => {
    const report = verifyEntrySignatures(entry, trust.keys);
    const bad = report.failures.find((f) => f.reason === 'bad-signature');
    if (bad !== undefined) {
      failStep('entry-signatures', `signature ${bad.index} by member key "${bad.keyId}" does not verify`);
    }
    // Keys the policy does not know cannot endorse; they are passed on to be reported as ignored.
    const unknown = report.failures.map((f) => f.keyId);
    return [...report.keyIds, ...unknown];
  });

  const endorsement = step('endorsement', () => {
    const result = trust.evaluator.evaluate(trust.rule, signers, entry.ts);
    if (!result.satisfied) {
      failStep(
        'endorsement',
        `not endorsed under policy ${trust.policyName} at ${entry.ts}: ${result.reasons.join('; ')}`,
      );
    }
    return result;
  });

  const proven = verifyLoggedEntry(step, trust, {
    entryOrigin: entry.origin,
    bytes: entryBytes,
    index: proof.entry.index,
    proof: proof.entry.proof,
    checkpoint: proof.checkpoint,
  });

  const authorisation: FirmwareAuthorisation = Object.freeze({
    sha256: body.imageDigest,
    version: body.version,
    hardwareId: image.hardwareId,
    hardwareIds: Object.freeze([...body.hardwareIds]),
    ...(body.minPreviousVersion === undefined ? {} : { minPreviousVersion: body.minPreviousVersion }),
    endorsers: Object.freeze(
      endorsement.counted.map((c) =>
        Object.freeze({ keyId: c.keyId, organisation: c.org, roles: [...c.roles] }),
      ),
    ),
    ...proven,
  });
  return { authorisation, entry, endorsement };
}

/**
 * Verifies a firmware authorisation proof offline for one image, with nothing but what the device
 * trusts: the entry is a `firmware.authorize` entry for exactly this image digest, lists this
 * hardware id and this version; its signatures by member keys verify and distinct keys valid at
 * the entry's time satisfy the endorsement rule; the checkpoint is signed by the log and cosigned
 * by enough trusted witnesses; and the entry's inclusion proof leads to the checkpoint's root.
 * Runs each step of {@link FirmwareProofSteps} in order and stops at the first failure.
 *
 * `proof` may be the parsed object or its JSON text (at most
 * {@link MAX_FIRMWARE_AUTHORISATION_CHARS} characters). Pure and browser-safe. Never throws on
 * `proof` or `image`, whatever they hold: a refusal carries an `UpdateRejectedError` with reason
 * `not-authorised` and `detail.step` naming the failed step. Strict: the proof must be exactly what
 * `buildFirmwareAuthorisationProof` writes. To verify many proofs under one configuration, create a
 * verifier once with {@link firmwareAuthorisationVerifier}.
 *
 * @throws {RangeError} / {NoteError} `bad-key` / {ValidationError} only for bad `options` (see
 *   {@link firmwareAuthorisationVerifier}).
 * @example
 * ```ts
 * const verdict = verifyFirmwareAuthorisationProof(proofJson, { sha256, version, hardwareId }, trusted);
 * if (!verdict.ok) console.error(`not authorised at ${verdict.step}: ${verdict.reason}`);
 * ```
 */
export function verifyFirmwareAuthorisationProof(
  proof: unknown,
  image: FirmwareImageIdentity,
  options: FirmwareAuthorisationVerifierOptions,
): FirmwareProofVerdict {
  return verifyWith(firmwareTrust(options), proof, image);
}

/** The ledger's {@link FirmwareAuthorisationVerifier}: its `verify` returns the detailed verdict. */
export interface LedgerFirmwareAuthorisationVerifier extends FirmwareAuthorisationVerifier {
  verify(proof: unknown, image: FirmwareImageIdentity): FirmwareProofVerdict;
}

/**
 * Creates the `FirmwareAuthorisationVerifier` of `@healthit/core/updates` over this ledger's
 * `firmware.authorize` entries: the log key, the witnesses and their quorum, the membership policy
 * and the endorsement rule are parsed once, here; each `verify` call is then
 * {@link verifyFirmwareAuthorisationProof}.
 *
 * @throws {NoteError} `bad-key` for a malformed log or witness key;
 * @throws {RangeError} when `witnesses` is empty, `witnessThreshold` is outside
 *   `[1, witnesses.length]`, `logKey` is not an Ed25519 note key or a witness key not a
 *   cosignature/v1 key, or no `rule` is given and the policy has none for `firmware.authorize`;
 * @throws {ValidationError} when `membership` or `rule` is invalid.
 * @example
 * ```ts
 * const authoriser = firmwareAuthorisationVerifier({ logKey, witnesses: [w1, w2], witnessThreshold: 2, membership });
 * const verdict = authoriser.verify(proof, { sha256: update.sha256, version: update.version, hardwareId: 'po-200.rev-a' });
 * if (!verdict.ok) throw verdict.error; // UpdateRejectedError 'not-authorised'
 * ```
 */
export function firmwareAuthorisationVerifier(
  options: FirmwareAuthorisationVerifierOptions,
): LedgerFirmwareAuthorisationVerifier {
  const trust = firmwareTrust(options);
  return Object.freeze({
    verify: (proof: unknown, image: FirmwareImageIdentity) => verifyWith(trust, proof, image),
  });
}
