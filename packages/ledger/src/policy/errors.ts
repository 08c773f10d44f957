import { HealthItError } from '@healthit/core';
import type { EndorsementResult } from './endorsement.js';
import type { PolicyUpdateVerdict } from './update.js';

/**
 * Why an {@link EndorsementError} refused an entry:
 * - `unendorsed`: the counted signers do not satisfy the kind's endorsement rule (an unmet
 *   threshold, a missing role, keys revoked, expired or not yet valid at the entry's time, one key
 *   or one organisation counted once);
 * - `kind-not-allowed`: the policy in force lists no endorsement rule for the entry's kind;
 * - `policy-update`: a `policy.update` entry whose new version is not signed by the admin rule of
 *   both the old and the new version, or does not follow the old version (`update` says why);
 * - `policy-document`: a `policy.update` entry whose policy document is unknown, invalid, or does
 *   not match the entry (`digest`, `policyId`, `version`);
 * - `entry-time`: the entry's producer time is outside the window the log accepts around its own
 *   clock, so key validity at that time would rest on an unchecked claim (a holder of a revoked
 *   key backdating an entry).
 */
export const EndorsementFailures = [
  'unendorsed',
  'kind-not-allowed',
  'policy-update',
  'policy-document',
  'entry-time',
] as const;

/** One of {@link EndorsementFailures}. */
export type EndorsementFailure = (typeof EndorsementFailures)[number];

/** Which entry was refused, and under which policy version. */
export interface EndorsedEntryContext {
  /** The entry's kind, e.g. `firmware.authorize`. */
  readonly kind: string;
  /** The entry's stream, e.g. `device:monitor-1`. */
  readonly stream: string;
  /** The entry's position in its stream. */
  readonly seq: number;
  /** The entry's producer time (epoch ms): key validity is judged at it. */
  readonly ts: number;
  /** The id of the membership policy that judged the entry. */
  readonly policyId: string;
  /** The version of that policy: the one in force when the entry was checked. */
  readonly policyVersion: number;
}

/** Options of {@link EndorsementError}. */
export interface EndorsementErrorOptions {
  /** Default `unendorsed`. */
  readonly reason?: EndorsementFailure;
  /** The refused entry, when the check ran on one. */
  readonly entry?: EndorsedEntryContext;
  /** The update verdict, for reason `policy-update`. */
  readonly update?: PolicyUpdateVerdict;
  /** The underlying error, when the refusal wraps one. */
  readonly cause?: unknown;
}

/**
 * An entry (or a policy update) is not endorsed as the membership policy requires: an
 * unauthorised writer, an unmet threshold, unknown, revoked or expired keys, a kind the policy
 * does not allow, an unauthorised policy update. Code `ledger/signature`; permanent. `result`
 * says which roles were missing and which signers did not count; `reason` which check failed;
 * `entry` which entry (kind, stream, seq) and which policy version judged it.
 *
 * @example
 * ```ts
 * try { assertEndorsement(rule, keyIds, policy, entry.ts) } catch (e) {
 *   if (e instanceof EndorsementError) console.warn(e.reason, e.result.missingRoles);
 * }
 * ```
 */
export class EndorsementError extends HealthItError {
  /** Always `EndorsementError`. */
  override readonly name = 'EndorsementError';
  /** The evaluation that failed (for `policy-update`: the admin rule that was not met, if any). */
  readonly result: EndorsementResult;
  /** Which check failed. */
  readonly reason: EndorsementFailure;
  /** The refused entry, when known. */
  readonly entry: EndorsedEntryContext | undefined;
  /** The policy update verdict, for reason `policy-update`. */
  readonly update: PolicyUpdateVerdict | undefined;

  /**
   * Makes a `ledger/signature` error; the reason, entry, missing roles, unknown keys, ignored
   * signers and update reasons are also put in `detail`.
   * @param message - The human-readable message.
   * @param result - The evaluation that failed (an empty one for a check that refused before any
   *   rule was evaluated).
   * @param options - Which check failed (default `unendorsed`), the refused entry, the policy
   *   update verdict and the underlying `cause`.
   */
  constructor(message: string, result: EndorsementResult, options: EndorsementErrorOptions = {}) {
    const reason = options.reason ?? 'unendorsed';
    super('ledger/signature', message, {
      cause: options.cause,
      detail: {
        reason,
        ...(options.entry === undefined ? {} : { entry: { ...options.entry } }),
        missingRoles: [...result.missingRoles],
        unknownKeyIds: [...result.unknownKeyIds],
        ignored: result.ignored.map((i) => ({ ...i })),
        ...(options.update === undefined ? {} : { updateReasons: [...options.update.reasons] }),
      },
    });
    this.result = result;
    this.reason = reason;
    this.entry = options.entry;
    this.update = options.update;
  }
}

/** An {@link EndorsementResult} for a check that refused before evaluating any rule. */
export function refusedResult(reason: string): EndorsementResult {
  return {
    satisfied: false,
    counted: [],
    ignored: [],
    unknownKeyIds: [],
    missingRoles: [],
    reasons: [reason],
  };
}
