import { describe, expect, it } from 'vitest';
import { HealthItError } from '../errors/index.js';
import {
  certificateRequestDigest,
  proveCertificateRequest,
  verifyCertificateRequestProof,
} from '../security/certificate-request-proof.js';
import { createIdentity } from '../security/identity.js';
import { createCertificateRequest } from './certificate-request.js';
import {
  decodeCertsOnly,
  encodeCertsOnly,
  encodeEnrolmentAuthorization,
  parseEnrolmentAuthorization,
} from './enrolment-protocol.js';
import { renewalDue, renewalTime } from './tls-credentials.js';
import { ECDSA_P256, x509 } from './x509.js';

const device = createIdentity({ id: 'pump-3', kind: 'device' });

describe('certificate request proof', () => {
  it('binds the request bytes, the subject, its kind and time to the identity key', async () => {
    const { der } = await createCertificateRequest('pump-3');
    const statement = {
      subjectId: 'pump-3',
      kind: 'device' as const,
      keyId: device.keyId,
      csrSha256: certificateRequestDigest(der),
      ts: 1,
    };
    const proof = proveCertificateRequest(statement, device.signing.secretKey);
    expect(verifyCertificateRequestProof(statement, proof, device.signing.publicKey)).toBe(true);
    for (const changed of [
      { ...statement, subjectId: 'pump-4' },
      { ...statement, kind: 'gateway' as const },
      { ...statement, ts: 2 },
      { ...statement, csrSha256: certificateRequestDigest(der.subarray(1)) },
    ]) {
      expect(verifyCertificateRequestProof(changed, proof, device.signing.publicKey)).toBe(false);
    }
    const other = createIdentity({ id: 'pump-3', kind: 'device' });
    expect(verifyCertificateRequestProof(statement, proof, other.signing.publicKey)).toBe(false);
    expect(verifyCertificateRequestProof(statement, 'not-a-signature', device.signing.publicKey)).toBe(false);
  });
});

describe('enrolment wire format', () => {
  it('round-trips the Authorization header', () => {
    const auth = {
      subjectId: 'pump-3',
      kind: 'device' as const,
      keyId: device.keyId,
      ts: 1_764_000_000_000,
      proof: 'abc',
    };
    expect(parseEnrolmentAuthorization(encodeEnrolmentAuthorization(auth))).toEqual(auth);
  });

  it.each([
    [undefined, /needs an "Authorization/],
    ['Bearer x', /needs an "Authorization/],
    ['HealthIT-Ed25519 %%%', /not base64url JSON/],
    [`HealthIT-Ed25519 ${Buffer.from('{"subjectId":"x"}').toString('base64url')}`, /malformed at kind/],
    [`HealthIT-Ed25519 ${'A'.repeat(3000)}`, /needs an "Authorization/],
  ])('refuses the header %s with security/unauthenticated', (header, message) => {
    const e = (() => {
      try {
        parseEnrolmentAuthorization(header);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(HealthItError);
    expect((e as HealthItError).code).toBe('security/unauthenticated');
    expect((e as Error).message).toMatch(message);
  });

  it('encodes and decodes certs-only PKCS #7, and refuses what is not one', async () => {
    const keys = (await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=t',
      keys,
      signingAlgorithm: ECDSA_P256,
    });
    const [pem] = decodeCertsOnly(encodeCertsOnly([cert.toString('pem')]));
    expect(new x509.X509Certificate(pem as string).equal(cert)).toBe(true);
    expect(() => decodeCertsOnly('bm90IGNtcw==')).toThrow(/not a base64 certs-only PKCS #7/);
  });
});

describe('renewal', () => {
  it('is due from two thirds of the validity by default, and refuses a fraction outside (0, 1)', () => {
    const c = { notBefore: 0, notAfter: 3_000 };
    expect(renewalTime(c)).toBe(2_000);
    expect(renewalDue(c, 1_999)).toBe(false);
    expect(renewalDue(c, 2_000)).toBe(true);
    expect(renewalDue(c, 1_500, 0.5)).toBe(true);
    expect(() => renewalTime(c, 1)).toThrow(/renewal fraction/);
  });
});
