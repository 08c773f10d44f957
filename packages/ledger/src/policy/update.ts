import { type EndorsementResult, evaluateEndorsement } from './endorsement.js';
import type { MembershipPolicy } from './membership.js';

/** The verdict of {@link verifyPolicyUpdate}. */
export interface PolicyUpdateVerdict {
  /** True when the new version may replace the old one. */
  readonly valid: boolean;
  /** The old version's admin rule, evaluated against the signers. */
  readonly oldAdmin: EndorsementResult;
  /** The new version's admin rule, evaluated against the signers (with the new keys). */
  readonly newAdmin: EndorsementResult;
  /** Why it is not valid, one line per finding (empty when valid). */
  readonly reasons: readonly string[];
}

/**
 * Checks that `newPolicy` may replace `oldPolicy` (a `policy.update` entry produced at `at`):
 * same `policyId`, `version` exactly one more, and the signers satisfy the admin rule of BOTH
 * versions — the old one (the current admins consent) and the new one (the incoming admins can
 * actually govern, so a policy cannot be handed to keys that never signed). Each version's
 * rule is evaluated with that version's keys and validity windows.
 *
 * Both policies must already be parsed (`parseMembershipPolicy`). Never throws on parsed input.
 * @example
 * ```ts
 * const verdict = verifyPolicyUpdate(current, proposed, report.keyIds, entry.ts);
 * if (!verdict.valid) reject(verdict.reasons);
 * ```
 */
export function verifyPolicyUpdate(
  oldPolicy: MembershipPolicy,
  newPolicy: MembershipPolicy,
  signers: Iterable<string>,
  at: number,
): PolicyUpdateVerdict {
  const keyIds = [...signers];
  const oldAdmin = evaluateEndorsement(oldPolicy.admin, keyIds, oldPolicy, at);
  const newAdmin = evaluateEndorsement(newPolicy.admin, keyIds, newPolicy, at);
  const reasons: string[] = [];
  if (newPolicy.policyId !== oldPolicy.policyId) {
    reasons.push(`policyId changed from "${oldPolicy.policyId}" to "${newPolicy.policyId}"`);
  }
  if (newPolicy.version !== oldPolicy.version + 1) {
    reasons.push(`version must be ${oldPolicy.version + 1}, got ${newPolicy.version}`);
  }
  if (!oldAdmin.satisfied)
    reasons.push(`old admin rule (v${oldPolicy.version}) not met: ${oldAdmin.reasons.join('; ')}`);
  if (!newAdmin.satisfied)
    reasons.push(`new admin rule (v${newPolicy.version}) not met: ${newAdmin.reasons.join('; ')}`);
  return { valid: reasons.length === 0, oldAdmin, newAdmin, reasons };
}
