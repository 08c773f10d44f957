import { EpochMs, utf8Encode, ValidationError } from '@healthit/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { canonicalJson } from '../canonical-json.js';
import { Id, text } from '../entries/fields.js';
import { EntryBodies, type EntryKind } from '../entries/kinds.js';
import { fromHex, toHex } from '../hex.js';
import { isStrictEd25519PublicKey } from '../note/ed25519.js';
import { SignatureTypes } from '../note/key-id.js';
import { parseVerifierKey } from '../note/key-strings.js';
import { Role } from './role.js';
import { EndorsementRule } from './rule.js';

/** Why a key was revoked (the reasons of a `key.revoke` entry). */
export const RevocationReason = z.enum(['compromised', 'superseded', 'retired']);
export type RevocationReason = z.infer<typeof RevocationReason>;

/** Most organisations, keys (over all organisations) and witnesses one policy may list. */
export const MAX_ORGANISATIONS = 256;
/** See {@link MAX_ORGANISATIONS}. */
export const MAX_POLICY_KEYS = 1024;
/** See {@link MAX_ORGANISATIONS}. */
export const MAX_WITNESSES = 64;

const PUBLIC_KEY_HEX = /^[0-9a-f]{64}$/;
const PublicKeyHex = z
  .string()
  .regex(PUBLIC_KEY_HEX, 'must be 64 lowercase hex characters (Ed25519 public key)')
  .refine(
    // zod runs a refinement even when the regex failed: decode only what the regex accepted (that
    // failure is already reported), or fromHex would throw a RangeError out of the parse.
    (hex) => !PUBLIC_KEY_HEX.test(hex) || isStrictEd25519PublicKey(fromHex(hex, 32, 'publicKey')),
    'is not a canonical prime-order Ed25519 public key',
  );

/**
 * A member key: its id (as entry signatures name it), its Ed25519 public key, the roles it holds
 * and when it may sign. It counts for an entry produced at time `at` (epoch ms) when
 * `from <= at`, `at < until` (if set) and `at < revokedAt` (if set).
 */
export const PolicyKey = z
  .strictObject({
    id: Id,
    /** Lowercase hex Ed25519 public key. */
    publicKey: PublicKeyHex,
    /** Roles held (1-32, distinct). */
    roles: z
      .array(Role)
      .min(1)
      .max(32)
      .refine((r) => new Set(r).size === r.length, 'roles must be distinct'),
    /** First instant (epoch ms, inclusive) the key may sign. */
    from: EpochMs,
    /** End of the key's validity (epoch ms, exclusive), e.g. its planned rotation. */
    until: EpochMs.optional(),
    /** When the key was revoked (exclusive end of validity); entries before it stay valid. */
    revokedAt: EpochMs.optional(),
    /** Why it was revoked; required with `revokedAt`. */
    revocationReason: RevocationReason.optional(),
  })
  .refine((k) => k.until === undefined || k.until > k.from, {
    message: 'until must be after from',
    path: ['until'],
  })
  .refine((k) => (k.revokedAt === undefined) === (k.revocationReason === undefined), {
    message: 'revokedAt and revocationReason go together',
    path: ['revocationReason'],
  });
export type PolicyKey = z.infer<typeof PolicyKey>;

/** A member organisation and its keys. */
export const Organisation = z.strictObject({
  id: Id,
  name: text(256, 1),
  keys: z.array(PolicyKey).max(MAX_POLICY_KEYS),
});
export type Organisation = z.infer<typeof Organisation>;

/**
 * A witness: its key name and its C2SP cosignature verifier key (`name+keyid+base64`, signature
 * type 0x04, tlog-cosignature/v1: the key its cosignatures verify under; a type 0x01 note key
 * would never verify a cosignature, so it is refused here rather than at the first checkpoint).
 */
export const Witness = z.strictObject({ name: text(256, 1), vkey: text(1024, 1) }).superRefine((w, ctx) => {
  try {
    const key = parseVerifierKey(w.vkey);
    if (key.name !== w.name) {
      ctx.addIssue({ code: 'custom', message: `vkey names "${key.name}", not "${w.name}"`, path: ['vkey'] });
    }
    if (key.type !== SignatureTypes.cosignatureV1) {
      ctx.addIssue({
        code: 'custom',
        message: `vkey is of signature type 0x${key.type.toString(16).padStart(2, '0')}; a witness key is a cosignature/v1 key (type 0x04)`,
        path: ['vkey'],
      });
    }
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `not a verifier key: ${(e as Error).message}`, path: ['vkey'] });
  }
});
export type Witness = z.infer<typeof Witness>;

/** The witnesses and how many of their cosignatures a checkpoint needs (`0 <= k <= keys.length`). */
export const WitnessPolicy = z
  .strictObject({
    keys: z.array(Witness).max(MAX_WITNESSES),
    k: z.number().int().nonnegative(),
  })
  .refine((w) => w.k <= w.keys.length, { message: 'k exceeds the number of witnesses', path: ['k'] })
  .refine((w) => new Set(w.keys.map((x) => x.name)).size === w.keys.length, {
    message: 'witness names must be distinct',
    path: ['keys'],
  });
export type WitnessPolicy = z.infer<typeof WitnessPolicy>;

const EndorsementMap = z.record(z.string(), EndorsementRule).superRefine((map, ctx) => {
  for (const kind of Object.keys(map)) {
    if (!Object.hasOwn(EntryBodies, kind)) {
      ctx.addIssue({ code: 'custom', message: `unknown entry kind "${kind}"`, path: [kind] });
    } else if (kind === 'policy.update') {
      ctx.addIssue({
        code: 'custom',
        message: '"policy.update" is governed by the policy\'s admin rule, not listed here',
        path: [kind],
      });
    }
  }
});

/**
 * A membership policy (versioned): who the members are, which keys sign for them in which roles,
 * which roles must endorse each entry kind, the witnesses and their threshold, and the admin rule
 * that must endorse the next version (`policy.update`).
 *
 * Rejected: two keys with the same id (a key-id collision, even across organisations), one public
 * key under two ids (it would count twice), duplicated organisation ids, rules naming a role no
 * key holds or an unknown entry kind.
 */
export const MembershipPolicy = z
  .strictObject({
    policyId: Id,
    version: z.number().int().positive(),
    organisations: z.array(Organisation).min(1).max(MAX_ORGANISATIONS),
    /** Endorsement rule per entry kind. Kinds not listed cannot be appended. */
    endorsement: EndorsementMap,
    witnesses: WitnessPolicy,
    /** The rule that must endorse the next version of this policy. */
    admin: EndorsementRule,
  })
  .superRefine((p, ctx) => {
    const orgIds = new Set<string>();
    const keyIds = new Map<string, string>();
    const publicKeys = new Map<string, string>();
    const roles = new Set<string>();
    let keyCount = 0;
    p.organisations.forEach((org, o) => {
      if (orgIds.has(org.id)) {
        ctx.addIssue({
          code: 'custom',
          message: `duplicate organisation id "${org.id}"`,
          path: ['organisations', o, 'id'],
        });
      }
      orgIds.add(org.id);
      org.keys.forEach((key, k) => {
        keyCount++;
        const path = ['organisations', o, 'keys', k];
        const owner = keyIds.get(key.id);
        if (owner !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `key id collision: "${key.id}" is also a key of "${owner}"`,
            path: [...path, 'id'],
          });
        }
        keyIds.set(key.id, org.id);
        const other = publicKeys.get(key.publicKey);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `public key already listed as key "${other}"`,
            path: [...path, 'publicKey'],
          });
        }
        publicKeys.set(key.publicKey, key.id);
        for (const r of key.roles) roles.add(r);
      });
    });
    if (keyCount > MAX_POLICY_KEYS) {
      ctx.addIssue({
        code: 'custom',
        message: `${keyCount} keys, at most ${MAX_POLICY_KEYS}`,
        path: ['organisations'],
      });
    }
    const rules: [string, EndorsementRule][] = [['admin', p.admin], ...Object.entries(p.endorsement)];
    for (const [where, rule] of rules) {
      for (const role of rolesOf(rule)) {
        if (!roles.has(role)) {
          const path = where === 'admin' ? ['admin'] : ['endorsement', where];
          ctx.addIssue({ code: 'custom', message: `no key holds role "${role}"`, path });
        }
      }
    }
  });
export type MembershipPolicy = z.infer<typeof MembershipPolicy>;

function rolesOf(rule: EndorsementRule): string[] {
  if ('role' in rule) return [rule.role];
  const subs = 'all' in rule ? rule.all : 'any' in rule ? rule.any : rule.of;
  return subs.flatMap(rolesOf);
}

/**
 * Validates a membership policy.
 * @throws {ValidationError} naming every offending field (key-id collisions included).
 * @example
 * ```ts
 * const policy = parseMembershipPolicy(JSON.parse(text));
 * ```
 */
export function parseMembershipPolicy(input: unknown, source?: string): MembershipPolicy {
  const deep = deepRule(input);
  if (deep !== undefined) {
    const issue = {
      path: deep,
      message: `rule nested deeper than ${MAX_RULE_NESTING} levels`,
      code: 'too_big',
    };
    throw new ValidationError('MembershipPolicy', [issue], source === undefined ? {} : { source });
  }
  const result = MembershipPolicy.safeParse(input);
  if (!result.success) throw ValidationError.fromZod('MembershipPolicy', result.error, source);
  return result.data;
}

/** Levels of objects and arrays a rule may span before zod sees it (a valid rule needs at most 16). */
const MAX_RULE_NESTING = 64;

/**
 * The path of the first endorsement or admin rule of a raw policy nested deeper than
 * {@link MAX_RULE_NESTING} levels, or undefined. The rule schema is recursive (`z.lazy`), so a
 * hostile document nested 100 000 levels deep would overflow the stack inside zod.
 */
function deepRule(input: unknown): string | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const raw = input as { endorsement?: unknown; admin?: unknown };
  const rules: [unknown, string][] = [['admin' in raw ? raw.admin : undefined, 'admin']];
  if (typeof raw.endorsement === 'object' && raw.endorsement !== null) {
    for (const [kind, rule] of Object.entries(raw.endorsement)) rules.push([rule, `endorsement.${kind}`]);
  }
  for (const [rule, path] of rules) {
    const deep = nestingBeyond(rule, MAX_RULE_NESTING);
    if (deep !== undefined) return deep === '' ? path : `${path}.${deep}`;
  }
  return undefined;
}

/**
 * The path (as text) of the first value nested deeper than `limit` levels of objects and arrays,
 * or undefined. Iterative, so hostile input cannot overflow the stack; visits each value once.
 */
function nestingBeyond(input: unknown, limit: number): string | undefined {
  const stack: [unknown, number, string][] = [[input, 0, '']];
  while (stack.length > 0) {
    const [value, depth, path] = stack.pop() as [unknown, number, string];
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= limit) return path;
    for (const [k, v] of Object.entries(value)) stack.push([v, depth + 1, path === '' ? k : `${path}.${k}`]);
  }
  return undefined;
}

/**
 * SHA-256 (lowercase hex) of the RFC 8785 JSON of a policy: the `digest` of the `policy.update`
 * entry that publishes it.
 */
export function policyDigest(policy: MembershipPolicy): string {
  return toHex(sha256(utf8Encode(canonicalJson(policy as never))));
}

/**
 * The rule that must endorse entries of `kind`: the policy's `admin` rule for `policy.update`,
 * else its `endorsement[kind]`; `undefined` when the policy lists none (such entries are refused).
 */
export function endorsementRuleFor(policy: MembershipPolicy, kind: EntryKind): EndorsementRule | undefined {
  if (kind === 'policy.update') return policy.admin;
  return Object.hasOwn(policy.endorsement, kind) ? policy.endorsement[kind] : undefined;
}
