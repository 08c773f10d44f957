/**
 * Fuzzing the verifiers of signed statements that arrive as JSON: role claims, ownership vouchers
 * and device attestations, mutated (members deleted, retyped, swapped, grown, signatures and keys
 * changed) and random. Each returns a verdict and never throws; only a genuine statement verifies.
 */
import { describe, expect, it } from 'vitest';
import { jsonInputs } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import { createFakeClock } from '../time/fake-clock.js';
import { issueRoleClaim, verifyRoleClaim } from './access-control.js';
import { signAttestation, verifyAttestation } from './attestation.js';
import { createIdentity } from './identity.js';
import { issueOwnershipVoucher, verifyOwnershipVoucher } from './ownership-voucher.js';

const T0 = Date.UTC(2026, 0, 1);
const idp = createIdentity({
  id: 'hospital-idp',
  kind: 'service',
  signingSecretKey: new Uint8Array(32).fill(1),
});
const maker = createIdentity({ id: 'acme', kind: 'service', signingSecretKey: new Uint8Array(32).fill(2) });
const device = createIdentity({ id: 'po-12', kind: 'device', signingSecretKey: new Uint8Array(32).fill(3) });
const wire = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

const CLAIMS = [
  issueRoleClaim(
    { subject: 'nurse:bo', roles: ['nurse'], wards: ['ward-3'], patients: [], expiresAt: T0 + 3_600_000 },
    { id: 'hospital-idp', secretKey: idp.signing.secretKey },
  ),
  issueRoleClaim(
    {
      subject: 'dr:kim',
      roles: ['clinician', 'biomed'],
      wards: [],
      patients: ['p-1'],
      expiresAt: T0 + 1,
      key: 'A'.repeat(43),
    },
    { id: 'hospital-idp', secretKey: idp.signing.secretKey },
  ),
].map(wire);
const VOUCHERS = [
  issueOwnershipVoucher(
    { deviceId: 'po-12', from: 'acme', to: 'st-mary', issuedAt: T0 - 1_000, expiresAt: T0 + 86_400_000 },
    { keyId: maker.keyId, secretKey: maker.signing.secretKey },
  ),
].map(wire);
const ATTESTATIONS = [
  signAttestation(
    {
      manufacturer: 'acme',
      model: 'po-200',
      serial: 'SN-1',
      publicKey: device.signing.publicKey,
      sealingKey: device.sealing.publicKey,
      issuedAt: T0,
    },
    { keyId: maker.keyId, secretKey: maker.signing.secretKey },
  ),
].map(wire);

const genuine = (set: readonly unknown[], v: unknown) =>
  set.some((g) => canonicalJson(g as never) === canonicalJson(v as never));

const KINDS = [
  {
    name: 'role claim verifyRoleClaim',
    templates: CLAIMS,
    verify: (input: unknown) => {
      const v = verifyRoleClaim(
        input,
        (iss) => (iss === 'hospital-idp' ? idp.signing.publicKey : undefined),
        createFakeClock(T0),
      );
      return v.ok ? { ok: true, value: v.claim as unknown } : { ok: false, reason: v.reason };
    },
  },
  {
    name: 'ownership voucher verifyOwnershipVoucher',
    templates: VOUCHERS,
    verify: (input: unknown) => {
      const v = verifyOwnershipVoucher(
        input,
        (org, kid) => (org === 'acme' && kid === maker.keyId ? maker.signing.publicKey : undefined),
        T0,
      );
      return v.ok ? { ok: true, value: v.voucher as unknown } : { ok: false, reason: v.reason };
    },
  },
  {
    name: 'device attestation verifyAttestation',
    templates: ATTESTATIONS,
    verify: (input: unknown) => {
      const v = verifyAttestation(input, (m, kid) =>
        m === 'acme' && kid === maker.keyId ? maker.signing.publicKey : undefined,
      );
      return v.ok ? { ok: true, value: v.attestation as unknown } : { ok: false, reason: v.reason };
    },
  },
] as const;

describe('signed statement fuzzing', () => {
  it.each(KINDS.map((k) => [k.name, k] as const))(
    '%s: a verdict, never a throw; only a genuine statement verifies',
    (name, kind) => {
      const r = fuzz({
        name: `${name} (JSON)`,
        inputs: jsonInputs(kind.templates),
        typed: () => undefined, // documented to return a verdict
        run: (input) => {
          const v = kind.verify(input);
          if (!v.ok) return `refused: ${v.reason}`;
          if (!genuine(kind.templates, v.value))
            throw new Error(`verified a changed statement: ${JSON.stringify(input)}`);
          return 'verified';
        },
      });
      expect(r.outcomes.verified).toBeGreaterThan(0);
    },
    fuzzTimeout(2_000),
  );
});
