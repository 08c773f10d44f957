import { type EndorsementResult, evaluateEndorsement } from './endorsement.js';
import { EndorsementError } from './errors.js';
import type { MembershipPolicy } from './membership.js';
import type { EndorsementRule } from './rule.js';

/**
 * {@link evaluateEndorsement}, throwing unless the rule is satisfied: the check a sequencer runs
 * at append time and a verifier re-runs independently.
 * @throws {EndorsementError} when the signers do not satisfy the rule (code `ledger/signature`);
 * @throws {RangeError} as {@link evaluateEndorsement}.
 */
export function assertEndorsement(
  rule: EndorsementRule,
  signers: Iterable<string>,
  policy: MembershipPolicy,
  at: number,
): EndorsementResult {
  const result = evaluateEndorsement(rule, signers, policy, at);
  if (!result.satisfied) {
    throw new EndorsementError(
      `Not endorsed under policy ${policy.policyId} v${policy.version} at ${at}: ${result.reasons.join('; ')}`,
      result,
    );
  }
  return result;
}
