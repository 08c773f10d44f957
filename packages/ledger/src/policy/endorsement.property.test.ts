import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../hex.js';
import { ledgerKeyFromSeed } from '../key.js';
import {
  createEndorsementEvaluator,
  type EndorsementRule,
  evaluateEndorsement,
  keyStatusAt,
  type MembershipPolicy,
} from './index.js';

const ROLES = ['m.release', 'm.qa', 'h.biomed', 'f.driver'] as const;
const ORGS = ['acme', 'mary', 'city'] as const;
const KEY_COUNT = 7;
const PUBS = Array.from({ length: KEY_COUNT }, (_, i) =>
  toHex(ledgerKeyFromSeed(new Uint8Array(32).fill(i + 1)).publicKey),
);
const AT = 1_000;

const keySpec = fc.record({
  org: fc.constantFrom(...ORGS),
  roles: fc.subarray([...ROLES], { minLength: 1 }),
  // validity: valid at AT, expired, revoked before AT, or not yet valid
  window: fc.constantFrom('valid', 'valid', 'valid', 'expired', 'revoked', 'future'),
});

const policyArb = fc.array(keySpec, { minLength: KEY_COUNT, maxLength: KEY_COUNT }).map((specs) => {
  const organisations = ORGS.map((id) => ({
    id,
    name: id,
    keys: specs.flatMap((s, i) =>
      s.org !== id
        ? []
        : [
            {
              id: `k${i}`,
              publicKey: PUBS[i] as string,
              roles: s.roles,
              from: s.window === 'future' ? AT + 1 : 0,
              ...(s.window === 'expired' ? { until: AT } : {}),
              ...(s.window === 'revoked' ? { revokedAt: AT, revocationReason: 'compromised' as const } : {}),
            },
          ],
    ),
  }));
  return {
    policyId: 'p',
    version: 1,
    organisations,
    endorsement: {},
    witnesses: { keys: [], k: 0 },
    admin: { role: 'm.release' },
  } as MembershipPolicy;
});

const ruleArb: fc.Arbitrary<EndorsementRule> = fc
  .letrec<{ rule: EndorsementRule }>((tie) => ({
    rule: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.constantFrom(...ROLES).map((role) => ({ role })),
      fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((all) => ({ all })),
      fc.array(tie('rule'), { minLength: 1, maxLength: 3 }).map((any) => ({ any })),
      fc
        .array(tie('rule'), { minLength: 1, maxLength: 3 })
        .chain((of) => fc.integer({ min: 1, max: of.length }).map((atLeast) => ({ atLeast, of }))),
    ),
  }))
  .rule.filter((r) => leaves(r).length <= 8);

const signerArb = fc.array(
  fc.oneof(
    fc.integer({ min: 0, max: KEY_COUNT - 1 }).map((i) => `k${i}`),
    fc.constant('ghost'),
  ),
  {
    maxLength: 10,
  },
);

function leaves(rule: EndorsementRule): string[] {
  if ('role' in rule) return [rule.role];
  const subs = 'all' in rule ? rule.all : 'any' in rule ? rule.any : rule.of;
  return subs.flatMap(leaves);
}

/** Brute-force oracle: some set of leaves makes the tree true and has a distinct assignment. */
function oracle(rule: EndorsementRule, signers: string[], policy: MembershipPolicy): boolean {
  const keys = policy.organisations.flatMap((o) =>
    o.keys
      .filter((k) => signers.includes(k.id) && keyStatusAt(k, AT) === 'valid')
      .map((k) => ({ org: o.id, k })),
  );
  const ls = leaves(rule);
  const truth = (r: EndorsementRule, mask: number, next: { i: number }): boolean => {
    if ('role' in r) return ((mask >> next.i++) & 1) === 1;
    const subs = 'all' in r ? r.all : 'any' in r ? r.any : r.of;
    const vals = subs.map((s) => truth(s, mask, next));
    const n = vals.filter(Boolean).length;
    return 'all' in r ? n === subs.length : 'any' in r ? n >= 1 : n >= r.atLeast;
  };
  const assignable = (chosen: string[]): boolean => {
    const used: { key: number; org: string; role: string }[] = [];
    const go = (i: number): boolean => {
      if (i === chosen.length) return true;
      const role = chosen[i] as string;
      return keys.some(({ org, k }, key) => {
        if (!k.roles.includes(role)) return false;
        if (used.some((u) => u.key === key || (u.org === org && u.role === role))) return false;
        used.push({ key, org, role });
        const ok = go(i + 1);
        used.pop();
        return ok;
      });
    };
    return go(0);
  };
  for (let mask = 0; mask < 1 << ls.length; mask++) {
    if (truth(rule, mask, { i: 0 }) && assignable(ls.filter((_, i) => ((mask >> i) & 1) === 1))) return true;
  }
  return false;
}

describe('evaluateEndorsement properties', () => {
  it('agrees with a brute-force oracle', () => {
    fc.assert(
      fc.property(ruleArb, signerArb, policyArb, (rule, signers, policy) => {
        expect(evaluateEndorsement(rule, signers, policy, AT).satisfied).toBe(oracle(rule, signers, policy));
      }),
      { numRuns: 400 },
    );
  });

  it('the compiled evaluator of a policy version gives the same verdicts', () => {
    fc.assert(
      fc.property(ruleArb, signerArb, policyArb, (rule, signers, policy) => {
        const plain = evaluateEndorsement(rule, signers, policy, AT);
        expect(createEndorsementEvaluator(policy).evaluate(rule, signers, AT)).toEqual(plain);
      }),
      { numRuns: 200 },
    );
  });

  it('is monotone: adding a signer never turns a satisfied rule unsatisfied', () => {
    fc.assert(
      fc.property(
        ruleArb,
        signerArb,
        policyArb,
        fc.integer({ min: -1, max: KEY_COUNT - 1 }),
        (rule, signers, policy, extra) => {
          const added = [...signers, extra < 0 ? 'ghost-2' : `k${extra}`];
          if (evaluateEndorsement(rule, signers, policy, AT).satisfied) {
            expect(evaluateEndorsement(rule, added, policy, AT).satisfied).toBe(true);
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('never satisfies a rule without signers', () => {
    fc.assert(
      fc.property(ruleArb, policyArb, (rule, policy) => {
        const r = evaluateEndorsement(rule, [], policy, AT);
        expect(r.satisfied).toBe(false);
        expect(r.counted).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('does not depend on the order or repetition of signers', () => {
    fc.assert(
      fc.property(ruleArb, signerArb, policyArb, (rule, signers, policy) => {
        const verdict = evaluateEndorsement(rule, signers, policy, AT).satisfied;
        const shuffled = [...signers, ...signers].reverse();
        expect(evaluateEndorsement(rule, shuffled, policy, AT).satisfied).toBe(verdict);
      }),
      { numRuns: 200 },
    );
  });
});
