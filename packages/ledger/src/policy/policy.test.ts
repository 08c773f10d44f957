import { ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { signEntry, verifyEntrySignatures } from '../entries/index.js';
import { toHex } from '../hex.js';
import { ledgerKeyFromSeed } from '../key.js';
import { SignatureTypes } from '../note/key-id.js';
import { formatVerifierKey, generateNoteKey, parseVerifierKey } from '../note/key-strings.js';
import {
  assertEndorsement,
  EndorsementError,
  EndorsementRule,
  endorsementRuleFor,
  evaluateEndorsement,
  keyStatusAt,
  MAX_ENDORSEMENT_STEPS,
  MAX_RULE_DEPTH,
  type MembershipPolicy,
  parseMembershipPolicy,
  policyDigest,
  policyKeyLookup,
  verifyPolicyUpdate,
} from './index.js';

const T0 = 1_700_000_000_000;
const DAY = 86_400_000;

function pub(n: number): string {
  return toHex(ledgerKeyFromSeed(new Uint8Array(32).fill(n)).publicKey);
}

const firmwareRule: EndorsementRule = {
  all: [
    { role: 'manufacturer.release' },
    { any: [{ role: 'manufacturer.qa' }, { role: 'hospital.biomed' }] },
  ],
};

const noteKey = generateNoteKey('witness.example.org');
/** The witness's cosignature/v1 (type 0x04) verifier key. */
const witness = {
  vkey: formatVerifierKey(
    'witness.example.org',
    parseVerifierKey(noteKey.vkey).publicKey,
    SignatureTypes.cosignatureV1,
  ),
};

/** Acme (manufacturer), St Mary (hospital), FastFreight, City Hospital; admins: 2 of 3 orgs. */
function basePolicy(): MembershipPolicy {
  return parseMembershipPolicy({
    policyId: 'consortium',
    version: 1,
    organisations: [
      {
        id: 'acme',
        name: 'Acme Devices',
        keys: [
          { id: 'acme-release', publicKey: pub(1), roles: ['manufacturer.release'], from: T0 },
          { id: 'acme-qa', publicKey: pub(2), roles: ['manufacturer.qa'], from: T0 },
          {
            id: 'acme-both',
            publicKey: pub(3),
            roles: ['manufacturer.release', 'manufacturer.qa'],
            from: T0,
          },
          { id: 'acme-admin', publicKey: pub(4), roles: ['consortium.admin'], from: T0 },
          {
            id: 'acme-release-2024',
            publicKey: pub(5),
            roles: ['manufacturer.release'],
            from: T0 - 400 * DAY,
            until: T0 + 10 * DAY,
          },
          {
            id: 'acme-qa-leaked',
            publicKey: pub(6),
            roles: ['manufacturer.qa'],
            from: T0,
            revokedAt: T0 + 5 * DAY,
            revocationReason: 'compromised',
          },
        ],
      },
      {
        id: 'st-mary',
        name: 'St Mary Hospital',
        keys: [
          { id: 'mary-biomed', publicKey: pub(10), roles: ['hospital.biomed'], from: T0 },
          { id: 'mary-biomed-2', publicKey: pub(11), roles: ['hospital.biomed'], from: T0 },
          { id: 'mary-admin', publicKey: pub(12), roles: ['consortium.admin'], from: T0 },
        ],
      },
      {
        id: 'city',
        name: 'City Hospital',
        keys: [{ id: 'city-biomed', publicKey: pub(20), roles: ['hospital.biomed'], from: T0 }],
      },
      {
        id: 'fastfreight',
        name: 'FastFreight',
        keys: [
          { id: 'ff-driver', publicKey: pub(30), roles: ['freight.driver'], from: T0 },
          { id: 'ff-admin', publicKey: pub(31), roles: ['consortium.admin'], from: T0 },
        ],
      },
    ],
    endorsement: {
      'firmware.authorize': firmwareRule,
      'custody.transfer': { all: [{ role: 'freight.driver' }, { role: 'hospital.biomed' }] },
      'model.approve': {
        atLeast: 2,
        of: [{ role: 'hospital.biomed' }, { role: 'hospital.biomed' }, { role: 'manufacturer.qa' }],
      },
    },
    witnesses: { keys: [{ name: 'witness.example.org', vkey: witness.vkey }], k: 1 },
    admin: {
      atLeast: 2,
      of: [{ role: 'consortium.admin' }, { role: 'consortium.admin' }, { role: 'consortium.admin' }],
    },
  });
}

const AT = T0 + DAY;

function check(rule: EndorsementRule, signers: string[], at = AT) {
  return evaluateEndorsement(rule, signers, basePolicy(), at);
}

describe('firmware rule all[manufacturer.release, any[manufacturer.qa, hospital.biomed]]', () => {
  it('is satisfied by release + QA of the manufacturer', () => {
    expect(check(firmwareRule, ['acme-release', 'acme-qa']).satisfied).toBe(true);
  });

  it('is satisfied by the manufacturer release + the hospital biomed', () => {
    const r = check(firmwareRule, ['mary-biomed', 'acme-release']);
    expect(r.satisfied).toBe(true);
    expect(r.reasons).toEqual([]);
  });

  it('is not satisfied by release alone and names the missing roles', () => {
    const r = check(firmwareRule, ['acme-release']);
    expect(r.satisfied).toBe(false);
    expect(r.missingRoles).toEqual(['manufacturer.qa', 'hospital.biomed']);
  });

  it('is not satisfied by QA + biomed without release (unauthorised writer)', () => {
    const r = check(firmwareRule, ['acme-qa', 'mary-biomed', 'city-biomed']);
    expect(r.satisfied).toBe(false);
    expect(r.missingRoles).toEqual(['manufacturer.release']);
  });

  it('is not satisfied by the empty signer set', () => {
    expect(check(firmwareRule, []).satisfied).toBe(false);
  });
});

describe('each key counts once, each organisation role once', () => {
  it('a key used twice counts once (duplicate reported)', () => {
    const r = check({ atLeast: 2, of: [{ role: 'consortium.admin' }, { role: 'consortium.admin' }] }, [
      'ff-admin',
      'ff-admin',
    ]);
    expect(r.satisfied).toBe(false);
    expect(r.ignored).toEqual([{ keyId: 'ff-admin', reason: 'duplicate' }]);
    expect(r.counted.map((c) => c.keyId)).toEqual(['ff-admin']);
  });

  it('one key holding two roles fills only one leaf (separation of duties)', () => {
    expect(check(firmwareRule, ['acme-both']).satisfied).toBe(false);
    expect(check(firmwareRule, ['acme-both', 'acme-qa']).satisfied).toBe(true);
    expect(check(firmwareRule, ['acme-both', 'acme-release']).satisfied).toBe(true);
  });

  it('one organisation holding two roles (two keys) fills both', () => {
    const r = check(firmwareRule, ['acme-qa', 'acme-release']);
    expect(r.satisfied).toBe(true);
    expect(new Set(r.counted.map((c) => c.org))).toEqual(new Set(['acme']));
  });

  it("two keys of one organisation count once for the organisation's role", () => {
    const twoHospitals = { atLeast: 2, of: [{ role: 'hospital.biomed' }, { role: 'hospital.biomed' }] };
    expect(check(twoHospitals, ['mary-biomed', 'mary-biomed-2']).satisfied).toBe(false);
    expect(check(twoHospitals, ['mary-biomed', 'city-biomed']).satisfied).toBe(true);
  });

  it('finds the assignment a greedy choice would miss', () => {
    // acme-both must take QA (the only other release key is acme-release) — order must not matter
    const rule = { all: [{ role: 'manufacturer.qa' }, { role: 'manufacturer.release' }] };
    expect(check(rule, ['acme-both', 'acme-release']).satisfied).toBe(true);
    expect(check(rule, ['acme-release', 'acme-both']).satisfied).toBe(true);
  });
});

describe('k-of-n', () => {
  const model = basePolicy().endorsement['model.approve'] as EndorsementRule;

  it('2 of [biomed, biomed, qa]: two hospitals, or one hospital and QA', () => {
    expect(check(model, ['mary-biomed', 'city-biomed']).satisfied).toBe(true);
    expect(check(model, ['city-biomed', 'acme-qa']).satisfied).toBe(true);
  });

  it('fails with one distinct endorser, and with unknown keys padding the count', () => {
    const r = check(model, ['city-biomed', 'ghost-1', 'ghost-2']);
    expect(r.satisfied).toBe(false);
    expect(r.unknownKeyIds).toEqual(['ghost-1', 'ghost-2']);
    expect(r.ignored.map((i) => i.reason)).toEqual(['unknown-key', 'unknown-key']);
    expect(r.reasons.join('\n')).toContain('ghost-1');
  });

  it('admin 2-of-3 organisations', () => {
    expect(check(basePolicy().admin, ['acme-admin', 'mary-admin']).satisfied).toBe(true);
    expect(check(basePolicy().admin, ['acme-admin']).satisfied).toBe(false);
  });
});

describe('rotated and revoked keys', () => {
  const rotate = { all: [{ role: 'manufacturer.release' }, { role: 'hospital.biomed' }] };

  it('a key revoked at T counts before T, not at or after T', () => {
    const rule = { all: [{ role: 'manufacturer.qa' }, { role: 'manufacturer.release' }] };
    const revokedAt = T0 + 5 * DAY;
    expect(check(rule, ['acme-qa-leaked', 'acme-release'], revokedAt - 1).satisfied).toBe(true);
    const after = check(rule, ['acme-qa-leaked', 'acme-release'], revokedAt);
    expect(after.satisfied).toBe(false);
    expect(after.ignored).toEqual([{ keyId: 'acme-qa-leaked', reason: 'revoked' }]);
  });

  it('an expired (rotated-out) key counts inside its window only', () => {
    expect(check(rotate, ['acme-release-2024', 'city-biomed'], T0 + 10 * DAY - 1).satisfied).toBe(true);
    const after = check(rotate, ['acme-release-2024', 'city-biomed'], T0 + 10 * DAY);
    expect(after.satisfied).toBe(false);
    expect(after.ignored).toEqual([{ keyId: 'acme-release-2024', reason: 'expired' }]);
    expect(after.missingRoles).toEqual(['manufacturer.release']);
  });

  it('a key does not count before its from', () => {
    const r = check(rotate, ['acme-release', 'city-biomed'], T0 - 1);
    expect(r.satisfied).toBe(false);
    expect(r.ignored.map((i) => i.reason)).toEqual(['not-yet-valid', 'not-yet-valid']);
  });

  it('keyStatusAt: revocation wins over the window', () => {
    const key = basePolicy().organisations[0]?.keys[5];
    if (key === undefined) throw new Error('fixture');
    expect([T0 - 1, T0, T0 + 5 * DAY - 1, T0 + 5 * DAY].map((t) => keyStatusAt(key, t))).toEqual([
      'not-yet-valid',
      'valid',
      'valid',
      'revoked',
    ]);
  });
});

describe('signatures → endorsement, end to end', () => {
  it('a firmware entry signed by release + biomed is endorsed; a bad signature does not count', () => {
    const policy = basePolicy();
    const unsigned = {
      origin: 'ledger.example.org/fw',
      kind: 'firmware.authorize' as const,
      stream: 'device:pump-1',
      seq: 0,
      prev: '0'.repeat(64),
      ts: AT,
      body: { imageDigest: 'a'.repeat(64), version: '2.1.0', hardwareIds: ['pump-v3'] },
    };
    const sk = (n: number) => ledgerKeyFromSeed(new Uint8Array(32).fill(n)).secretKey;
    const entry = signEntry(signEntry(unsigned, { keyId: 'acme-release', secretKey: sk(1) }), {
      keyId: 'mary-biomed',
      secretKey: sk(10),
    });
    const report = verifyEntrySignatures(entry, policyKeyLookup(policy));
    const rule = endorsementRuleFor(policy, entry.kind);
    if (rule === undefined) throw new Error('no rule');
    expect(assertEndorsement(rule, report.keyIds, policy, entry.ts).satisfied).toBe(true);

    // mary-biomed's id with someone else's key: the signature fails, so the key id is not passed on
    const forged = signEntry(signEntry(unsigned, { keyId: 'acme-release', secretKey: sk(1) }), {
      keyId: 'mary-biomed',
      secretKey: sk(99),
    });
    const bad = verifyEntrySignatures(forged, policyKeyLookup(policy));
    expect(bad.failures.map((f) => f.reason)).toEqual(['bad-signature']);
    expect(() => assertEndorsement(rule, bad.keyIds, policy, forged.ts)).toThrow(EndorsementError);
  });

  it('assertEndorsement throws with the missing roles', () => {
    const policy = basePolicy();
    try {
      assertEndorsement(firmwareRule, ['acme-qa'], policy, AT);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(EndorsementError);
      expect((e as EndorsementError).code).toBe('ledger/signature');
      expect((e as EndorsementError).result.missingRoles).toEqual(['manufacturer.release']);
    }
  });

  it('endorsementRuleFor: admin for policy.update, undefined for unlisted kinds', () => {
    const policy = basePolicy();
    expect(endorsementRuleFor(policy, 'policy.update')).toEqual(policy.admin);
    expect(endorsementRuleFor(policy, 'security.event')).toBeUndefined();
  });
});

describe('policy update', () => {
  function next(mutate: (p: MembershipPolicy) => void = () => {}): MembershipPolicy {
    const p = structuredClone(basePolicy()) as MembershipPolicy & { version: number };
    p.version = 2;
    mutate(p);
    return parseMembershipPolicy(p);
  }

  /** v2 hands administration to new keys held by City and FastFreight. */
  const handover = () =>
    next((p) => {
      const orgs = p.organisations as { id: string; keys: unknown[] }[];
      orgs
        .find((o) => o.id === 'city')
        ?.keys.push({
          id: 'city-admin',
          publicKey: pub(21),
          roles: ['board.admin'],
          from: T0,
        });
      orgs
        .find((o) => o.id === 'fastfreight')
        ?.keys.push({
          id: 'ff-board',
          publicKey: pub(32),
          roles: ['board.admin'],
          from: T0,
        });
      (p as { admin: EndorsementRule }).admin = {
        all: [{ role: 'board.admin' }, { role: 'board.admin' }],
      };
    });

  it('is valid when signed by the admin threshold of both versions', () => {
    const v = verifyPolicyUpdate(
      basePolicy(),
      handover(),
      ['acme-admin', 'mary-admin', 'city-admin', 'ff-board'],
      AT,
    );
    expect(v.reasons).toEqual([]);
    expect(v.valid).toBe(true);
  });

  it('is refused when signed only by the old admins', () => {
    const v = verifyPolicyUpdate(basePolicy(), handover(), ['acme-admin', 'mary-admin'], AT);
    expect(v.valid).toBe(false);
    expect(v.oldAdmin.satisfied).toBe(true);
    expect(v.newAdmin.satisfied).toBe(false);
  });

  it('is refused when signed only by the new admins', () => {
    const v = verifyPolicyUpdate(basePolicy(), handover(), ['city-admin', 'ff-board'], AT);
    expect(v.valid).toBe(false);
    expect(v.oldAdmin.satisfied).toBe(false);
    expect(v.oldAdmin.unknownKeyIds).toEqual(['city-admin', 'ff-board']);
    expect(v.newAdmin.satisfied).toBe(true);
  });

  it('is refused unless the version increases by exactly 1, or when the policy id changes', () => {
    const signers = ['acme-admin', 'mary-admin'];
    const same = basePolicy();
    expect(verifyPolicyUpdate(basePolicy(), same, signers, AT).reasons).toEqual(['version must be 2, got 1']);
    const skip = next((p) => Object.assign(p, { version: 3 }));
    expect(verifyPolicyUpdate(basePolicy(), skip, signers, AT).valid).toBe(false);
    const renamed = next((p) => Object.assign(p, { policyId: 'other' }));
    expect(verifyPolicyUpdate(basePolicy(), renamed, signers, AT).valid).toBe(false);
    expect(verifyPolicyUpdate(basePolicy(), next(), signers, AT).valid).toBe(true);
  });

  it('a revoked admin key cannot sign an update after its revocation', () => {
    const revoked = next((p) => {
      const key = p.organisations[1]?.keys[2] as Record<string, unknown>;
      Object.assign(key, { revokedAt: T0 + 2 * DAY, revocationReason: 'retired' });
    });
    const third = next((p) => {
      const key = p.organisations[1]?.keys[2] as Record<string, unknown>;
      Object.assign(key, { revokedAt: T0 + 2 * DAY, revocationReason: 'retired' });
      Object.assign(p, { version: 3 });
    });
    expect(verifyPolicyUpdate(revoked, third, ['acme-admin', 'mary-admin'], T0 + DAY).valid).toBe(true);
    expect(verifyPolicyUpdate(revoked, third, ['acme-admin', 'mary-admin'], T0 + 2 * DAY).valid).toBe(false);
  });

  it('policyDigest is stable and changes with the content', () => {
    expect(policyDigest(basePolicy())).toBe(policyDigest(basePolicy()));
    expect(policyDigest(basePolicy())).toMatch(/^[0-9a-f]{64}$/);
    expect(policyDigest(next())).not.toBe(policyDigest(basePolicy()));
  });
});

// biome-ignore lint/suspicious/noExplicitAny: tests mutate raw JSON into invalid shapes
type Fixture = Record<string, any>;

describe('MembershipPolicy schema', () => {
  const raw = () => structuredClone(basePolicy()) as unknown as Fixture;

  function issues(input: unknown): string {
    try {
      parseMembershipPolicy(input);
      return '';
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      return (e as ValidationError).message;
    }
  }

  it('accepts the fixture', () => {
    expect(issues(raw())).toBe('');
  });

  it('rejects two keys with the same id (key-id collision), also across organisations', () => {
    const p = raw();
    p.organisations[2].keys.push({
      id: 'acme-release',
      publicKey: pub(40),
      roles: ['hospital.biomed'],
      from: T0,
    });
    expect(issues(p)).toContain('key id collision: "acme-release"');
  });

  it('rejects one public key listed under two ids', () => {
    const p = raw();
    p.organisations[2].keys.push({ id: 'city-2', publicKey: pub(1), roles: ['hospital.biomed'], from: T0 });
    expect(issues(p)).toContain('public key already listed as key "acme-release"');
  });

  it('rejects a non-canonical or small-order public key', () => {
    const p = raw();
    p.organisations[2].keys[0].publicKey = `01${'0'.repeat(62)}`; // the identity point
    expect(issues(p)).toContain('prime-order');
  });

  it('rejects duplicate organisations, rules naming unheld roles, unknown kinds, policy.update rules', () => {
    const p = raw();
    p.organisations.push({ ...p.organisations[2], keys: [] });
    p.endorsement['security.event'] = { role: 'regulator.audit' };
    p.endorsement['no.such'] = { role: 'hospital.biomed' };
    p.endorsement['policy.update'] = { role: 'hospital.biomed' };
    const text = issues(p);
    expect(text).toContain('duplicate organisation id "city"');
    expect(text).toContain('no key holds role "regulator.audit"');
    expect(text).toContain('unknown entry kind "no.such"');
    expect(text).toContain('admin rule');
  });

  it('rejects revokedAt without a reason, until before from, k above the witnesses', () => {
    const p = raw();
    p.organisations[0].keys[0].revokedAt = T0;
    p.organisations[0].keys[1].until = T0;
    p.witnesses.k = 2;
    const text = issues(p);
    expect(text).toContain('revokedAt and revocationReason go together');
    expect(text).toContain('until must be after from');
    expect(text).toContain('k exceeds');
  });

  it('rejects a witness whose vkey is not a verifier key or names another witness', () => {
    const p = raw();
    p.witnesses.keys[0].name = 'other.example.org';
    expect(issues(p)).toContain('vkey names "witness.example.org"');
    p.witnesses.keys[0].vkey = 'garbage';
    expect(issues(p)).toContain('not a verifier key');
  });

  it('rejects a witness key that is a note key (type 0x01): cosignatures verify only under type 0x04', () => {
    const p = raw();
    p.witnesses.keys[0].vkey = noteKey.vkey;
    expect(issues(p)).toContain('a witness key is a cosignature/v1 key (type 0x04)');
  });

  it('rules: atLeast within bounds, no empty lists, bounded depth, strict members', () => {
    const bad = [
      { atLeast: 3, of: [{ role: 'a.b' }, { role: 'a.c' }] },
      { atLeast: 0, of: [{ role: 'a.b' }] },
      { all: [] },
      { any: [{ role: 'a.b' }], all: [{ role: 'a.b' }] },
      { role: 'nodot' },
      { role: 'a.b', extra: 1 },
    ];
    for (const rule of bad) expect(EndorsementRule.safeParse(rule).success, JSON.stringify(rule)).toBe(false);
    let deep: EndorsementRule = { role: 'a.b' };
    for (let i = 1; i < MAX_RULE_DEPTH; i++) deep = { any: [deep] };
    expect(EndorsementRule.safeParse(deep).success).toBe(true);
    expect(EndorsementRule.safeParse({ any: [deep] }).success).toBe(false);
    const wide = { any: Array.from({ length: 33 }, () => ({ role: 'a.b' })) };
    expect(EndorsementRule.safeParse(wide).success).toBe(false);
  });
});

describe('evaluation cost is bounded', () => {
  const roles = Array.from({ length: 32 }, (_, i) => `r.r${i}`);
  const wide = { atLeast: 16, of: roles.map((role) => ({ role })) };

  /** 16 single-key organisations; `rolesOf(i)` picks the roles of key i. */
  function manyOrgs(rolesOf: (i: number) => string[]): MembershipPolicy {
    return {
      policyId: 'wide',
      version: 1,
      organisations: Array.from({ length: 16 }, (_, i) => ({
        id: `org${i}`,
        name: `org ${i}`,
        keys: [{ id: `key${i}`, publicKey: pub(100 + i), roles: rolesOf(i), from: 0 }],
      })),
      endorsement: {},
      witnesses: { keys: [], k: 0 },
      admin: { role: 'r.r0' },
    };
  }
  const signers = Array.from({ length: 16 }, (_, i) => `key${i}`);

  it('16 of 32 distinct roles: satisfied and unsatisfied (too few keys) decide fast', () => {
    const policy = manyOrgs(() => roles);
    const t = performance.now();
    expect(evaluateEndorsement(wide, signers, policy, 1).satisfied).toBe(true);
    expect(evaluateEndorsement(wide, signers.slice(1), policy, 1).satisfied).toBe(false);
    expect(performance.now() - t).toBeLessThan(1_000);
  });

  it('an adversarial Hall violation is decided or refused with a RangeError, fast', () => {
    // roles 0-19 held only by keys 0-12, roles 20-31 only by keys 13-14: at most 15 distinct fills
    const policy = manyOrgs((i) => (i < 13 ? roles.slice(0, 20) : i < 15 ? roles.slice(20) : ['x.unused']));
    const t = performance.now();
    let verdict: boolean | 'refused';
    try {
      verdict = evaluateEndorsement(wide, signers, policy, 1).satisfied;
    } catch (e) {
      expect(e).toBeInstanceOf(RangeError);
      verdict = 'refused';
    }
    expect(verdict).not.toBe(true);
    expect(performance.now() - t).toBeLessThan(3_000);
    console.info(`adversarial 16-of-32: ${verdict} in ${(performance.now() - t).toFixed(0)} ms`);
  });

  it('a rule whose branches compete for the same keys is refused at the step budget, fast', () => {
    // 2 of [6 of G1, 6 of G2, 6 of G3]: keys 0-9 hold G1 and G2 (12 needed), G3 has 5 roles held
    const group = (g: number) => Array.from({ length: 12 }, (_, i) => `g${g}.r${i}`);
    const rule = {
      atLeast: 2,
      of: [1, 2, 3].map((g) => ({ atLeast: 6, of: group(g).map((role) => ({ role })) })),
    };
    const policy = manyOrgs((i) => (i < 10 ? [...group(1), ...group(2)] : group(3).slice(0, 5)));
    const t = performance.now();
    expect(() => evaluateEndorsement(rule, signers, policy, 1)).toThrow(
      new RangeError(
        `The endorsement rule needs more than ${MAX_ENDORSEMENT_STEPS} steps to evaluate; simplify it`,
      ),
    );
    // the smaller instance of the same shape is decided exactly
    const small = { atLeast: 2, of: rule.of.map((r) => ({ atLeast: 2, of: r.of.slice(0, 4) })) };
    expect(evaluateEndorsement(small, signers, policy, 1).satisfied).toBe(true);
    expect(performance.now() - t).toBeLessThan(5_000);
  });
});
