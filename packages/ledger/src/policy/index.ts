/**
 * Membership policy and endorsement rules: which organisations and keys may write which entry
 * kinds, AND / OR / k-of-n over roles, key validity (rotation, revocation), the witnesses and
 * their threshold, and quorum-governed policy updates. Pure and browser-safe.
 * @packageDocumentation
 */
export { assertEndorsement } from './assert-endorsement.js';
export { type PolicyDocuments, type ResolvedPolicyDocument, resolvePolicyDocument } from './documents.js';
export {
  type CountedSigner,
  createEndorsementEvaluator,
  type EndorsementEvaluator,
  type EndorsementResult,
  evaluateEndorsement,
  type IgnoredReason,
  type IgnoredSigner,
  MAX_ENDORSEMENT_STEPS,
  policyKeyLookup,
} from './endorsement.js';
export {
  type EndorsedEntryContext,
  EndorsementError,
  type EndorsementErrorOptions,
  type EndorsementFailure,
  EndorsementFailures,
} from './errors.js';
export { type KeyStatus, keyStatusAt } from './key-validity.js';
export {
  endorsementRuleFor,
  MAX_ORGANISATIONS,
  MAX_POLICY_KEYS,
  MAX_WITNESSES,
  MembershipPolicy,
  Organisation,
  PolicyKey,
  parseMembershipPolicy,
  policyDigest,
  RevocationReason,
  Witness,
  WitnessPolicy,
} from './membership.js';
export { Role } from './role.js';
export { EndorsementRule, MAX_RULE_DEPTH, MAX_RULE_LEAVES, ruleDepth, ruleRoles, subRules } from './rule.js';
export { type PolicyUpdateVerdict, verifyPolicyUpdate } from './update.js';
