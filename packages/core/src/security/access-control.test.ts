import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../time/fake-clock.js';
import {
  type AccessDecision,
  createAccessControl,
  issueRoleClaim,
  type Principal,
  verifyRoleClaim,
} from './access-control.js';
import { createIdentity } from './identity.js';

const idp = createIdentity({ id: 'hospital-idp', kind: 'service' });
const rogue = createIdentity({ id: 'hospital-idp', kind: 'service' });
const issuers = (issuer: string) => (issuer === 'hospital-idp' ? idp.signing.publicKey : undefined);
const T0 = Date.UTC(2026, 0, 1);

const nurse: Principal = { id: 'nurse:bo', roles: ['nurse'], wards: ['ward-3'], patients: [] };
const clinician: Principal = { id: 'dr:kim', roles: ['clinician'], wards: ['ward-3'], patients: [] };
const biomed: Principal = { id: 'biomed:ana', roles: ['biomed'], wards: [], patients: [] };
const gateway: Principal = { id: 'gateway-1', roles: ['gateway'], wards: ['ward-3'], patients: [] };

describe('access control (default clinical policy)', () => {
  it('allows by role and ward scope, and explains every decision', () => {
    const access = createAccessControl();
    const onWard3 = { ward: 'ward-3', patientId: 'p-1' };
    expect(access.decide(nurse, 'alert.acknowledge', onWard3)).toMatchObject({
      allowed: true,
      rule: 'nurse-ward',
    });
    expect(access.decide(clinician, 'actuator.command', onWard3)).toMatchObject({
      allowed: true,
      rule: 'clinician-ward',
    });
    expect(access.decide(biomed, 'firmware.approve', {})).toMatchObject({
      allowed: true,
      rule: 'biomed-devices',
    });
    const other = access.decide(clinician, 'patient.read', { ward: 'ward-5', patientId: 'p-9' });
    expect(other).toMatchObject({ allowed: false });
    expect(other.rule).toBeUndefined();
    expect(other.reason).toBe('no rule allows clinician to patient.read on ward-5');
  });

  it('attack: a command from an unauthorised role (nurse, gateway) → denied, and every denial is handed to the audit trail', () => {
    const denials: AccessDecision[] = [];
    const access = createAccessControl({ onDenied: (d) => denials.push(d) });
    expect(access.decide(nurse, 'actuator.command', { ward: 'ward-3' }).allowed).toBe(false);
    const machine = access.decide(gateway, 'actuator.command', { ward: 'ward-3' });
    expect(machine).toMatchObject({
      allowed: false,
      rule: 'no-machine-commands',
      reason: 'denied by rule no-machine-commands',
    });
    // a deny wins even when another role of the same principal would be allowed
    const both = access.decide({ ...clinician, roles: ['clinician', 'gateway'] }, 'actuator.command', {
      ward: 'ward-3',
    });
    expect(both).toMatchObject({ allowed: false, rule: 'no-machine-commands' });
    expect(denials.map((d) => `${d.principal} ${d.action}`)).toEqual([
      'nurse:bo actuator.command',
      'gateway-1 actuator.command',
      'dr:kim actuator.command',
    ]);
  });

  it('a policy that is not valid is refused at creation', () => {
    expect(() =>
      createAccessControl({
        policy: {
          rules: [{ id: 'x', effect: 'maybe', roles: ['nurse'], actions: ['patient.read'] }],
        } as never,
      }),
    ).toThrow();
  });
});

describe('role claims', () => {
  const claim = issueRoleClaim(
    { subject: 'nurse:bo', roles: ['nurse'], wards: ['ward-3'], patients: [], expiresAt: T0 + 3_600_000 },
    { id: 'hospital-idp', secretKey: idp.signing.secretKey },
  );
  const clock = createFakeClock(T0);

  it('a claim signed by the trusted issuer becomes the principal it names', () => {
    expect(verifyRoleClaim(JSON.parse(JSON.stringify(claim)), issuers, clock)).toEqual({
      ok: true,
      principal: nurse,
      claim,
    });
  });

  it('attack: privilege escalation through a forged role claim (roles or wards changed, self-issued, unknown issuer) → refused', () => {
    expect(verifyRoleClaim({ ...claim, roles: ['clinician'] }, issuers, clock)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    expect(verifyRoleClaim({ ...claim, wards: ['ward-3', 'ward-5'] }, issuers, clock)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    const selfIssued = issueRoleClaim(
      {
        subject: 'nurse:bo',
        roles: ['clinician', 'biomed'],
        wards: ['ward-3'],
        patients: [],
        expiresAt: T0 + 3_600_000,
      },
      { id: 'hospital-idp', secretKey: rogue.signing.secretKey },
    );
    expect(verifyRoleClaim(selfIssued, issuers, clock)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyRoleClaim({ ...claim, issuer: 'someone' }, issuers, clock)).toEqual({
      ok: false,
      reason: 'unknown-issuer',
    });
    expect(verifyRoleClaim({ ...claim, roles: ['root'] }, issuers, clock)).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('attack: a claim whose key was swapped for the attacker’s (every member is signed) → refused', () => {
    const withKey = issueRoleClaim(
      {
        subject: 'dr:kim',
        roles: ['clinician'],
        wards: ['ward-3'],
        patients: [],
        expiresAt: T0 + 3_600_000,
        key: 'A'.repeat(43),
      },
      { id: 'hospital-idp', secretKey: idp.signing.secretKey },
    );
    expect(verifyRoleClaim(withKey, issuers, clock).ok).toBe(true);
    expect(verifyRoleClaim({ ...withKey, key: 'B'.repeat(43) }, issuers, clock)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('an expired claim is refused', () => {
    const later = createFakeClock(T0 + 3_600_000);
    expect(verifyRoleClaim(claim, issuers, later)).toEqual({ ok: false, reason: 'expired' });
  });
});
