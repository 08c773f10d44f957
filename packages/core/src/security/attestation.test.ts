import { describe, expect, it } from 'vitest';
import { toBase64Url } from '../encoding/bytes.js';
import { signAttestation, verifyAttestation } from './attestation.js';
import { canonicalSigningInput, signCanonical, verifyCanonical } from './canonical-signature.js';
import { proveEnrolment, verifyEnrolmentProof } from './enrolment.js';
import { createIdentity } from './identity.js';

const maker = createIdentity({ id: 'acme', kind: 'service' });
const device = createIdentity({ id: 'monitor-7', kind: 'device' });
const trusted = (m: string, kid: string) =>
  m === 'acme' && kid === maker.keyId ? maker.signing.publicKey : undefined;
const fields = {
  manufacturer: 'acme',
  model: 'PM-100',
  serial: 'SN-1',
  publicKey: device.signing.publicKey,
  issuedAt: 1,
};

describe('attestations and domain-separated signatures', () => {
  it('a manufacturer attestation verifies under the trusted key and yields the device key', () => {
    const a = signAttestation(fields, { keyId: maker.keyId, secretKey: maker.signing.secretKey });
    const verdict = verifyAttestation(JSON.parse(JSON.stringify(a)), trusted);
    expect(verdict.ok).toBe(true);
    expect(verdict.ok && verdict.publicKey).toEqual(device.signing.publicKey);
  });

  it('attack: an attestation for a small-order (weak) device key is refused even when signed', () => {
    const weak = new Uint8Array(32);
    weak[0] = 1; // the identity point
    const a = signAttestation(
      { ...fields, publicKey: weak },
      { keyId: maker.keyId, secretKey: maker.signing.secretKey },
    );
    expect(verifyAttestation(a, trusted)).toMatchObject({ ok: false, reason: 'weak-key' });
  });

  it('attack: a signature made in one domain never verifies in another (attestation vs enrolment proof)', () => {
    const statement = {
      challenge: toBase64Url(new Uint8Array(32)),
      deviceId: 'monitor-7',
      gatewayId: 'gw',
      serial: 'SN-1',
    };
    const proof = proveEnrolment(statement, device.signing.secretKey);
    expect(verifyEnrolmentProof(statement, proof, device.signing.publicKey)).toBe(true);
    expect(verifyCanonical('healthit-attestation/v1\n', statement, proof, device.signing.publicKey)).toBe(
      false,
    );
    expect(verifyEnrolmentProof({ ...statement, gatewayId: 'gw-2' }, proof, device.signing.publicKey)).toBe(
      false,
    );
  });

  it('domains must look like "<name>/v<n>\\n"; verification never throws on junk', () => {
    expect(() => canonicalSigningInput('no-newline/v1', {})).toThrow(RangeError);
    expect(() => signCanonical('Upper/v1\n', {}, device.signing.secretKey)).toThrow(RangeError);
    expect(verifyCanonical('x/v1\n', {}, '!!', device.signing.publicKey)).toBe(false);
    expect(verifyCanonical('bad', {}, 'AA', device.signing.publicKey)).toBe(false);
  });
});
