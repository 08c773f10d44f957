import { type Candidate, LeafAssignment } from './assignment.js';
import { type KeyStatus, keyStatusAt } from './key-validity.js';
import type { MembershipPolicy, PolicyKey } from './membership.js';
import type { Role } from './role.js';
import { type EndorsementRule, ruleRoles, subRules } from './rule.js';

/** Why a signer did not count: unknown key id, listed twice, or not valid at the entry time. */
export type IgnoredReason = 'unknown-key' | 'duplicate' | Exclude<KeyStatus, 'valid'>;

/** A signer that did not count, and why. */
export interface IgnoredSigner {
  /** The key id the signer gave, as listed in the entry's signatures. */
  readonly keyId: string;
  /** Why it did not count: `unknown-key`, `duplicate`, `not-yet-valid`, `expired` or `revoked`. */
  readonly reason: IgnoredReason;
}

/** A signer that counted: a known key, valid at the entry time. */
export interface CountedSigner {
  /** The key id, as the membership policy lists it. */
  readonly keyId: string;
  /** The organisation the key belongs to. */
  readonly org: string;
  /** The roles the policy gives the key, e.g. `manufacturer.release`. */
  readonly roles: readonly Role[];
}

/** The verdict of {@link evaluateEndorsement}. */
export interface EndorsementResult {
  /** True when the counted signers satisfy the rule. */
  readonly satisfied: boolean;
  /** Signers that counted, in the order given. */
  readonly counted: readonly CountedSigner[];
  /** Signers that did not count, with the reason, in the order given. */
  readonly ignored: readonly IgnoredSigner[];
  /** Key ids the policy does not know (also in `ignored`, reason `unknown-key`). */
  readonly unknownKeyIds: readonly string[];
  /**
   * Roles no counted signer holds that the rule lacks, in rule order (empty when satisfied);
   * alternatives of an unmet `any` / `atLeast` are all listed. Empty but unsatisfied means the
   * roles are there but not held by enough distinct keys / organisations.
   */
  readonly missingRoles: readonly Role[];
  /** Human-readable explanation, one line per finding (empty when satisfied). */
  readonly reasons: readonly string[];
}

/**
 * Most search steps (leaf visits) one evaluation may take. Ordinary rules need a few dozen; a rule
 * that needs more (a wide k-of-n over many distinct roles against an adversarial signer set) is
 * refused with a RangeError rather than evaluated for long: fail closed.
 */
export const MAX_ENDORSEMENT_STEPS = 50_000;

function indexKeys(policy: MembershipPolicy): Map<string, { key: PolicyKey; org: string }> {
  const keys = new Map<string, { key: PolicyKey; org: string }>();
  for (const org of policy.organisations) {
    for (const key of org.keys) keys.set(key.id, { key, org: org.id });
  }
  return keys;
}

/** Local satisfiability (ignoring that signers must differ): a cheap, exact upper bound. */
function locallySatisfiable(rule: EndorsementRule, held: ReadonlySet<string>): boolean {
  if ('role' in rule) return held.has(rule.role);
  if ('all' in rule) return rule.all.every((r) => locallySatisfiable(r, held));
  if ('any' in rule) return rule.any.some((r) => locallySatisfiable(r, held));
  return rule.of.filter((r) => locallySatisfiable(r, held)).length >= rule.atLeast;
}

/**
 * Roles lacking for the rule to hold locally: an `all` lacks what its children lack; an `any` or
 * `atLeast` that is not met lacks what its unmet children lack (alternatives listed together).
 */
function lacking(rule: EndorsementRule, held: ReadonlySet<string>, out: Set<string>): void {
  if ('role' in rule) {
    if (!held.has(rule.role)) out.add(rule.role);
  } else if ('all' in rule || !locallySatisfiable(rule, held)) {
    for (const sub of subRules(rule)) lacking(sub, held, out);
  }
}

/** A rule with its leaves numbered in depth-first order, for the search. */
interface SearchNode {
  readonly rule: EndorsementRule;
  /** Leaf number, for `role` leaves. */
  readonly leaf: number;
  readonly subs: readonly SearchNode[];
  /** Sub-rules that must hold: all of them for `all`, 1 for `any`, `atLeast` for k-of-n. */
  readonly need: number;
  /** The fewest leaves that can make this node hold. */
  readonly minLeaves: number;
  /** Leaf numbers in this subtree. */
  readonly leaves: readonly number[];
}

function buildNode(rule: EndorsementRule, roles: string[]): SearchNode {
  if ('role' in rule) {
    const leaf = roles.push(rule.role) - 1;
    return { rule, leaf, subs: [], need: 0, minLeaves: 1, leaves: [leaf] };
  }
  const subs = subRules(rule).map((r) => buildNode(r, roles));
  const need = 'all' in rule ? subs.length : 'any' in rule ? 1 : rule.atLeast;
  const minLeaves = subs
    .map((s) => s.minLeaves)
    .sort((a, b) => a - b)
    .slice(0, need)
    .reduce((a, b) => a + b, 0);
  return { rule, leaf: -1, subs, need, minLeaves, leaves: subs.flatMap((s) => s.leaves) };
}

/**
 * Exact search for a set of leaves that makes the rule hold and that different signers can fill:
 * depth-first over the choices of `any` / `atLeast`, growing the assignment one leaf at a time and
 * pruning subtrees that cannot hold (a missing role, fewer useful keys or assignable leaves than
 * the subtree needs).
 */
function search(rule: EndorsementRule, candidates: readonly Candidate[], held: ReadonlySet<string>): boolean {
  const roles: string[] = [];
  const root = buildNode(rule, roles);
  const assignment = new LeafAssignment(candidates, roles);
  const maxFit = new Map<SearchNode, number>();
  const fits = (node: SearchNode): number => {
    let n = maxFit.get(node);
    if (n === undefined) {
      const alone = new LeafAssignment(candidates, roles);
      n = node.leaves.filter((l) => alone.tryAdd(l)).length; // greedy is exact: a transversal matroid
      maxFit.set(node, n);
    }
    return n;
  };
  let steps = 0;
  let chosen = 0;
  type Next = () => boolean;
  const solve = (node: SearchNode, next: Next): boolean => {
    if (chosen + node.minLeaves > assignment.usefulKeys || !locallySatisfiable(node.rule, held)) return false;
    if (node.leaf >= 0) {
      if (++steps > MAX_ENDORSEMENT_STEPS) {
        throw new RangeError(
          `The endorsement rule needs more than ${MAX_ENDORSEMENT_STEPS} steps to evaluate; simplify it`,
        );
      }
      const state = assignment.snapshot();
      if (!assignment.tryAdd(node.leaf)) return false;
      chosen++;
      if (next()) return true;
      chosen--;
      assignment.restore(state);
      return false;
    }
    if (node.minLeaves > fits(node)) return false;
    const { subs, need } = node;
    const pick = (i: number, count: number): boolean => {
      if (count === need) return next();
      if (subs.length - i < need - count) return false;
      if (solve(subs[i] as SearchNode, () => pick(i + 1, count + 1))) return true;
      return need < subs.length && pick(i + 1, count);
    };
    return pick(0, 0);
  };
  return solve(root, () => true);
}

/**
 * Decides whether the keys whose signatures the caller verified endorse an entry produced at
 * `at` (epoch ms) under `rule`:
 * - each key counts once (a repeated key id is ignored, reason `duplicate`);
 * - unknown key ids do not count and are reported (`unknownKeyIds`);
 * - a key counts only inside its validity window: not before `from`, not from `until` on, not
 *   from `revokedAt` on — so a key revoked at T still endorses entries produced before T;
 * - different `role` leaves need different keys (one key fills one leaf), and an organisation
 *   fills a given role at most once however many of its keys hold it.
 *
 * The search is exact (a max-flow assignment of leaves to keys) and monotone: adding a signer
 * never turns a satisfied rule unsatisfied. Signatures themselves are not checked here: pass the
 * `keyIds` of `entries.verifyEntrySignatures`, using the policy's keys as the key lookup. To
 * judge many entries under one policy version, {@link createEndorsementEvaluator} indexes the
 * keys once.
 *
 * @throws {RangeError} when the rule needs more than {@link MAX_ENDORSEMENT_STEPS} search steps.
 * @example
 * ```ts
 * const rule = endorsementRuleFor(policy, entry.kind);
 * const report = verifyEntrySignatures(entry, policyKeyLookup(policy));
 * const result = rule && evaluateEndorsement(rule, report.keyIds, policy, entry.ts);
 * if (!result?.satisfied) reject(entry, result?.reasons);
 * ```
 */
export function evaluateEndorsement(
  rule: EndorsementRule,
  signers: Iterable<string>,
  policy: MembershipPolicy,
  at: number,
): EndorsementResult {
  return evaluateIndexed(rule, signers, indexKeys(policy), at);
}

/** One policy version, its keys indexed once (see {@link createEndorsementEvaluator}). */
export interface EndorsementEvaluator {
  /** The policy it evaluates against. */
  readonly policy: MembershipPolicy;
  /** {@link evaluateEndorsement} against {@link EndorsementEvaluator.policy}. @throws {RangeError} as it. */
  evaluate(rule: EndorsementRule, signers: Iterable<string>, at: number): EndorsementResult;
}

/**
 * {@link evaluateEndorsement} bound to one policy version, with the key index built once: for a
 * sequencer that judges every entry under the policy in force. Same verdicts.
 * @example
 * ```ts
 * const judge = createEndorsementEvaluator(policy);
 * const result = judge.evaluate(rule, report.keyIds, entry.ts);
 * ```
 */
export function createEndorsementEvaluator(policy: MembershipPolicy): EndorsementEvaluator {
  const keys = indexKeys(policy);
  return Object.freeze({
    policy,
    evaluate: (rule: EndorsementRule, signers: Iterable<string>, at: number) =>
      evaluateIndexed(rule, signers, keys, at),
  });
}

function evaluateIndexed(
  rule: EndorsementRule,
  signers: Iterable<string>,
  keys: ReadonlyMap<string, { key: PolicyKey; org: string }>,
  at: number,
): EndorsementResult {
  const seen = new Set<string>();
  const counted: CountedSigner[] = [];
  const ignored: IgnoredSigner[] = [];
  const unknownKeyIds: string[] = [];
  for (const keyId of signers) {
    if (seen.has(keyId)) {
      ignored.push({ keyId, reason: 'duplicate' });
      continue;
    }
    seen.add(keyId);
    const found = keys.get(keyId);
    if (found === undefined) {
      ignored.push({ keyId, reason: 'unknown-key' });
      unknownKeyIds.push(keyId);
      continue;
    }
    const status = keyStatusAt(found.key, at);
    if (status !== 'valid') ignored.push({ keyId, reason: status });
    else counted.push({ keyId, org: found.org, roles: found.key.roles });
  }
  const candidates: Candidate[] = counted.map((c) => ({
    keyId: c.keyId,
    org: c.org,
    roles: new Set(c.roles),
  }));
  const held = new Set(counted.flatMap((c) => c.roles));
  const satisfied = search(rule, candidates, held);
  const lack = new Set<string>();
  if (!satisfied) lacking(rule, held, lack);
  const missingRoles = ruleRoles(rule).filter((r) => lack.has(r));
  const reasons: string[] = [];
  if (!satisfied) {
    if (missingRoles.length > 0) reasons.push(`no valid signer holds ${missingRoles.join(', ')}`);
    else reasons.push('the roles are present but not held by enough distinct keys / organisations');
    for (const i of ignored) reasons.push(`key "${i.keyId}" did not count: ${i.reason}`);
  }
  return { satisfied, counted, ignored, unknownKeyIds, missingRoles, reasons };
}

/**
 * The policy's keys as a lookup from key id to public key (lowercase hex), for
 * `entries.verifyEntrySignatures`. Every listed key is included, valid or not: validity is
 * judged by {@link evaluateEndorsement} at the entry's time.
 */
export function policyKeyLookup(policy: MembershipPolicy): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const [id, { key }] of indexKeys(policy)) map.set(id, key.publicKey);
  return map;
}
