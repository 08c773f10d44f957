import { z } from 'zod';
import type { Clock } from '../ports/clock.js';
import { systemClock } from '../ports/clock.js';
import { signCanonical, verifyCanonical, withoutSignature } from './canonical-signature.js';

/** The roles of people and systems around a ward. */
export const ROLES = ['clinician', 'nurse', 'biomed', 'device', 'gateway', 'auditor', 'integrator'] as const;
/** A role a {@link Principal} may hold, one of {@link ROLES}. */
export type Role = (typeof ROLES)[number];

/** What can be asked for. */
export const ACTIONS = [
  'patient.read',
  'alert.acknowledge',
  'actuator.command',
  'device.configure',
  'firmware.approve',
  'audit.read',
] as const;
/** An action access is decided for, one of {@link ACTIONS}. */
export type Action = (typeof ACTIONS)[number];

/**
 * One rule of a policy: `effect` for `roles` doing `actions`, optionally only within the
 * principal's own wards (`scope: 'own-ward'`) or for its assigned patients (`'assigned-patient'`).
 */
export const AccessRule = z.strictObject({
  id: z.string().min(1).max(128),
  effect: z.enum(['allow', 'deny']),
  roles: z.array(z.enum(ROLES)).min(1),
  actions: z.array(z.enum(ACTIONS)).min(1),
  scope: z.enum(['any', 'own-ward', 'assigned-patient']).default('any'),
});
export type AccessRule = z.infer<typeof AccessRule>;

/** A policy: rules; a deny that matches wins over any allow; nothing matching is a deny. */
export const AccessPolicy = z.strictObject({ rules: z.array(AccessRule).max(1000) });
export type AccessPolicy = z.infer<typeof AccessPolicy>;

/** Who asks: from a verified role claim (see {@link verifyRoleClaim}). */
export interface Principal {
  /** Who asks: the role claim's `subject`, e.g. a user or service id. */
  readonly id: string;
  /** The principal's roles; a rule applies when it names any of them. */
  readonly roles: readonly Role[];
  /** The wards the principal works on. */
  readonly wards: readonly string[];
  /** Patients assigned to the principal. */
  readonly patients: readonly string[];
}

/** What is acted on. */
export interface AccessResource {
  /** The ward the resource belongs to; rules scoped `own-ward` never allow without it. */
  readonly ward?: string;
  /** The patient concerned; rules scoped `assigned-patient` never allow without it. */
  readonly patientId?: string;
  /** The device concerned, for the audit record (no rule scope uses it). */
  readonly deviceId?: string;
}

/** A decision, with the rule that made it and why: every decision can be explained. */
export interface AccessDecision {
  /** True when the action is allowed; false for a matching deny or when no rule allows it. */
  readonly allowed: boolean;
  /** The id of the principal who asked. */
  readonly principal: string;
  /** The action asked for. */
  readonly action: Action;
  /** The resource the action was asked for, as given. */
  readonly resource: AccessResource;
  /** The deciding rule's id; absent for the default deny. */
  readonly rule?: string;
  /** Why, in words, e.g. `denied by rule no-machine-commands`, for logs and the audit trail. */
  readonly reason: string;
}

/**
 * The clinical default: clinicians read, acknowledge and command for their wards; nurses read and
 * acknowledge for their wards; biomedical engineers configure devices and approve firmware;
 * auditors read the audit trail; integration services read patient data of their wards; devices and
 * gateways may do none of these; no one commands an actuator outside their wards.
 */
export const DEFAULT_ACCESS_POLICY: AccessPolicy = AccessPolicy.parse({
  rules: [
    {
      id: 'clinician-ward',
      effect: 'allow',
      roles: ['clinician'],
      actions: ['patient.read', 'alert.acknowledge', 'actuator.command'],
      scope: 'own-ward',
    },
    {
      id: 'nurse-ward',
      effect: 'allow',
      roles: ['nurse'],
      actions: ['patient.read', 'alert.acknowledge'],
      scope: 'own-ward',
    },
    {
      id: 'biomed-devices',
      effect: 'allow',
      roles: ['biomed'],
      actions: ['device.configure', 'firmware.approve'],
    },
    { id: 'auditor-trail', effect: 'allow', roles: ['auditor'], actions: ['audit.read'] },
    {
      id: 'integrator-read',
      effect: 'allow',
      roles: ['integrator'],
      actions: ['patient.read'],
      scope: 'own-ward',
    },
    {
      id: 'no-machine-commands',
      effect: 'deny',
      roles: ['device', 'gateway'],
      actions: ['actuator.command', 'device.configure', 'firmware.approve'],
    },
  ],
});

function inScope(rule: AccessRule, principal: Principal, resource: AccessResource): boolean {
  if (rule.scope === 'any') return true;
  if (rule.scope === 'own-ward')
    return resource.ward !== undefined && principal.wards.includes(resource.ward);
  return resource.patientId !== undefined && principal.patients.includes(resource.patientId);
}

/** Access decisions over a policy (see {@link createAccessControl}). */
export interface AccessControl {
  /**
   * Decides whether `principal` may do `action` on `resource`: a matching deny wins, then a
   * matching allow, else the default deny. Calls `onDenied` for every denial; never throws.
   */
  decide(principal: Principal, action: Action, resource: AccessResource): AccessDecision;
}

/**
 * Creates the decision point: deny rules first (a matching deny wins), then allow rules, else the
 * default deny. Every decision names its rule and reason; `onDenied` sees every denial (write it
 * to the audit trail, e.g. as a `security-event` through a `LedgerSink`).
 * @throws {ValidationError}-like zod error for an invalid policy.
 * @example
 * ```ts
 * const access = createAccessControl({ policy: DEFAULT_ACCESS_POLICY, onDenied: audit });
 * access.decide(principal, 'actuator.command', { ward: 'ward-3', patientId: 'p-1' });
 * ```
 */
export function createAccessControl(
  options: { readonly policy?: AccessPolicy; readonly onDenied?: (decision: AccessDecision) => void } = {},
): AccessControl {
  const policy = AccessPolicy.parse(options.policy ?? DEFAULT_ACCESS_POLICY);
  const denies = policy.rules.filter((r) => r.effect === 'deny');
  const allows = policy.rules.filter((r) => r.effect === 'allow');
  const matches = (
    rule: AccessRule,
    principal: Principal,
    action: Action,
    resource: AccessResource,
  ): boolean =>
    rule.actions.includes(action) &&
    rule.roles.some((role) => principal.roles.includes(role)) &&
    inScope(rule, principal, resource);

  return {
    decide(principal, action, resource) {
      const base = { principal: principal.id, action, resource };
      let decision: AccessDecision | undefined;
      const deny = denies.find((r) => matches(r, principal, action, resource));
      if (deny !== undefined) {
        decision = { ...base, allowed: false, rule: deny.id, reason: `denied by rule ${deny.id}` };
      } else {
        const allow = allows.find((r) => matches(r, principal, action, resource));
        decision =
          allow !== undefined
            ? {
                ...base,
                allowed: true,
                rule: allow.id,
                reason: `allowed by rule ${allow.id} (${allow.scope})`,
              }
            : {
                ...base,
                allowed: false,
                reason: `no rule allows ${principal.roles.join('/') || 'no role'} to ${action}${resource.ward === undefined ? '' : ` on ${resource.ward}`}`,
              };
      }
      if (!decision.allowed) options.onDenied?.(decision);
      return decision;
    },
  };
}

/** The signing domain of role claims. */
export const ROLE_CLAIM_DOMAIN = 'healthit-role-claim/v1\n';

/** A principal's roles and scope, signed by an authority the platform trusts (e.g. the hospital IdP bridge). */
export const RoleClaim = z.strictObject({
  v: z.literal(1),
  subject: z.string().min(1).max(128),
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
  wards: z.array(z.string().min(1).max(64)).max(256),
  patients: z.array(z.string().min(1).max(128)).max(10_000),
  expiresAt: z.number().int().nonnegative(),
  issuer: z.string().min(1).max(128),
  /** The subject's Ed25519 public key (base64url), when it signs requests such as commands. */
  key: z
    .string()
    .regex(/^[A-Za-z0-9_-]{43}$/)
    .optional(),
  sig: z.string().regex(/^[A-Za-z0-9_-]{86}$/),
});
export type RoleClaim = z.infer<typeof RoleClaim>;

const claimBody = (c: Omit<RoleClaim, 'sig'>) => withoutSignature(c);

/** Issues a role claim signed by `authority` (its id is the claim's `issuer`). */
export function issueRoleClaim(
  claim: Omit<RoleClaim, 'sig' | 'v' | 'issuer'>,
  authority: { readonly id: string; readonly secretKey: Uint8Array },
): RoleClaim {
  const body = { v: 1 as const, ...claim, issuer: authority.id };
  return RoleClaim.parse({
    ...body,
    sig: signCanonical(ROLE_CLAIM_DOMAIN, claimBody(body), authority.secretKey),
  });
}

/** Why {@link verifyRoleClaim} refused a claim. */
export type RoleClaimFailure = 'malformed' | 'unknown-issuer' | 'bad-signature' | 'expired';

/**
 * Turns a role claim (any input) into a {@link Principal}, only if it is well-formed, issued by a
 * trusted authority, signed by it (strict Ed25519) and not expired. A claim whose roles, wards or
 * patients were changed — privilege escalation — fails its signature. Never throws.
 */
export function verifyRoleClaim(
  input: unknown,
  issuers: (issuer: string) => Uint8Array | undefined,
  clock: Clock = systemClock,
):
  | { readonly ok: true; readonly principal: Principal; readonly claim: RoleClaim }
  | { readonly ok: false; readonly reason: RoleClaimFailure } {
  const parsed = RoleClaim.safeParse(input);
  if (!parsed.success) return { ok: false, reason: 'malformed' };
  const c = parsed.data;
  const key = issuers(c.issuer);
  if (key === undefined) return { ok: false, reason: 'unknown-issuer' };
  if (!verifyCanonical(ROLE_CLAIM_DOMAIN, claimBody(c), c.sig, key))
    return { ok: false, reason: 'bad-signature' };
  if (c.expiresAt <= clock.now()) return { ok: false, reason: 'expired' };
  return {
    ok: true,
    principal: { id: c.subject, roles: c.roles, wards: c.wards, patients: c.patients },
    claim: c,
  };
}
