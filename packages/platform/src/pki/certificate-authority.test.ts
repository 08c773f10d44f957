import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HealthItError } from '@healthit/core';
import { createCertificateRequest, ECDSA_P256, pemOf, x509 } from '@healthit/core/certificates';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createCertificateAuthority } from './certificate-authority.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 25, 12);

function manualClock(start = T0) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

async function requestFor(subjectId: string) {
  return (await createCertificateRequest(subjectId)).der;
}

/** OpenSSL's verdict on a certificate against the CA, optionally with the CRL (an independent implementation). */
function opensslVerify(ca: string, cert: string, crl?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'healthit-ca-'));
  try {
    writeFileSync(join(dir, 'ca.pem'), ca);
    writeFileSync(join(dir, 'cert.pem'), cert);
    const args = ['verify', '-CAfile', join(dir, 'ca.pem')];
    if (crl !== undefined) {
      writeFileSync(join(dir, 'crl.pem'), crl);
      args.push('-crl_check', '-CRLfile', join(dir, 'crl.pem'));
    }
    // The certificates are valid from the test clock's time (2026-11-25), so verify at that time.
    args.push('-attime', String(Math.floor(T0 / 1000) + 3600), join(dir, 'cert.pem'));
    try {
      return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch (e) {
      return (
        String((e as { stdout?: string; stderr?: string }).stdout ?? '') +
        String((e as { stderr?: string }).stderr ?? '')
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let clock: ReturnType<typeof manualClock>;
let ca: CertificateAuthority;

beforeAll(async () => {
  clock = manualClock();
  ca = await createCertificateAuthority({ name: 'Test Ward CA', clock, certificateLifetimeMs: 30 * DAY });
});

describe('createCertificateAuthority', () => {
  it('issues a device certificate that node:crypto and OpenSSL verify against the CA', async () => {
    const record = await ca.issue({
      csr: await requestFor('pulse-ox-1'),
      subjectId: 'pulse-ox-1',
      kind: 'device',
    });
    const cert = new X509Certificate(record.certificatePem);
    const caCert = new X509Certificate(ca.certificatePem);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(caCert.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe('CN=pulse-ox-1\nOU=device');
    expect(cert.subjectAltName).toBe('URI:urn:healthit:device:pulse-ox-1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only: a device is never a server
    expect(record.notAfter - T0).toBe(30 * DAY);
    expect(T0 - record.notBefore).toBe(5 * 60_000);
    expect(record.serialNumber).toMatch(/^[0-9a-f]{32}$/);
    expect(opensslVerify(ca.certificatePem, record.certificatePem)).toMatch(/: OK$/);
    expect(ca.status(record.serialNumber)).toBe('valid');
  });

  it('gives a service certificate serverAuth and its DNS names and addresses', async () => {
    const record = await ca.issue({
      csr: await requestFor('enrolment'),
      subjectId: 'enrolment',
      kind: 'service',
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const cert = new X509Certificate(record.certificatePem);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1']);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('attack: a request not signed by its own key (no proof of possession) → security/unauthenticated', async () => {
    const der = await requestFor('pump-1');
    const forged = der.slice();
    forged[forged.length - 5] = (forged[forged.length - 5] as number) ^ 0x01; // inside the signature
    const e = await ca.issue({ csr: forged, subjectId: 'pump-1', kind: 'device' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HealthItError);
    expect((e as HealthItError).code).toBe('security/unauthenticated');
  });

  it('attack: a request naming another subject than the authenticated one → refused', async () => {
    const e = await ca
      .issue({ csr: await requestFor('pump-2'), subjectId: 'pump-1', kind: 'device' })
      .catch((x: unknown) => x);
    expect((e as HealthItError).code).toBe('security/unauthenticated');
    expect((e as Error).message).toMatch(/names CN=pump-2.*pump-1/);
  });

  it('refuses garbage and keys it does not issue for, with validation/invalid', async () => {
    for (const csr of ['not a request', new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])]) {
      const e = await ca.issue({ csr, subjectId: 'x', kind: 'device' }).catch((x: unknown) => x);
      expect((e as HealthItError).code).toBe('validation/invalid');
    }
    const rsa = {
      name: 'RSASSA-PKCS1-v1_5',
      hash: 'SHA-256',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
    };
    const keys = (await crypto.subtle.generateKey(rsa, true, ['sign', 'verify'])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=x',
      keys,
      signingAlgorithm: rsa,
    });
    const e = await ca
      .issue({ csr: csr.toString('pem'), subjectId: 'x', kind: 'device' })
      .catch((x: unknown) => x);
    expect((e as HealthItError).code).toBe('validation/invalid');
    expect((e as Error).message).toMatch(/RSASSA-PKCS1-v1_5/);
  });

  it('revokes: the CRL lists the certificate with its reason, and OpenSSL then refuses it', async () => {
    const a = await ca.issue({ csr: await requestFor('monitor-1'), subjectId: 'monitor-1', kind: 'device' });
    const b = await ca.issue({ csr: await requestFor('monitor-2'), subjectId: 'monitor-2', kind: 'device' });
    const events: string[] = [];
    const sub = ca.events$.subscribe((e) => events.push(`${e.type}:${e.record.subjectId}`));
    ca.revoke(a.serialNumber, 'keyCompromise');
    expect(ca.revoke(a.serialNumber, 'superseded').revocationReason).toBe('keyCompromise'); // idempotent
    sub.unsubscribe();
    expect(events).toEqual(['certificate.revoked:monitor-1']);
    expect(ca.status(a.serialNumber)).toBe('revoked');

    const crlPem = await ca.crlPem();
    const crl = new x509.X509Crl(crlPem);
    expect(await crl.verify({ publicKey: new x509.X509Certificate(ca.certificatePem).publicKey })).toBe(true);
    const entry = crl.findRevoked(a.serialNumber);
    expect(entry?.reason).toBe(x509.X509CrlReason.keyCompromise);
    expect(crl.findRevoked(b.serialNumber)).toBeNull();
    expect(crl.nextUpdate?.getTime()).toBe(clock.now() + DAY);
    expect(opensslVerify(ca.certificatePem, a.certificatePem, crlPem)).toMatch(/certificate revoked/);
    expect(opensslVerify(ca.certificatePem, b.certificatePem, crlPem)).toMatch(/: OK$/);
    expect(() => ca.revoke('00ff', 'unspecified')).toThrow(/No certificate with serial 00ff/);
  });

  it('revokes every live certificate of a subject (a device decommissioned), and only those', async () => {
    const first = await ca.issue({ csr: await requestFor('scale-1'), subjectId: 'scale-1', kind: 'device' });
    const second = await ca.issue({ csr: await requestFor('scale-1'), subjectId: 'scale-1', kind: 'device' });
    const other = await ca.issue({ csr: await requestFor('scale-2'), subjectId: 'scale-2', kind: 'device' });
    const revoked = ca.revokeSubject('scale-1', 'cessationOfOperation');
    expect(revoked.map((r) => r.serialNumber).sort()).toEqual(
      [first.serialNumber, second.serialNumber].sort(),
    );
    expect(ca.status(other.serialNumber)).toBe('valid');
    expect(ca.revokeSubject('scale-1', 'cessationOfOperation')).toEqual([]);
  });

  it('says which certificates are due for renewal (two thirds of their life) and when they expire', async () => {
    const local = manualClock();
    const small = await createCertificateAuthority({
      name: 'Renewal CA',
      clock: local,
      certificateLifetimeMs: 30 * DAY,
      backdateMs: 0,
    });
    const r = await small.issue({ csr: await requestFor('gw-1'), subjectId: 'gw-1', kind: 'gateway' });
    local.advance(20 * DAY - 1);
    expect(small.renewalsDue()).toEqual([]);
    local.advance(1);
    expect(small.renewalsDue().map((x) => x.serialNumber)).toEqual([r.serialNumber]);
    local.advance(10 * DAY);
    expect(small.status(r.serialNumber)).toBe('expired');
    expect(small.renewalsDue()).toEqual([]);
  });

  it('bounds its inventory: expired records go first; with every record live, issuing fails with buffer/overflow', async () => {
    const local = manualClock();
    const small = await createCertificateAuthority({ name: 'Bounded CA', clock: local, maxCertificates: 2 });
    await small.issue({ csr: await requestFor('a'), subjectId: 'a', kind: 'device', lifetimeMs: DAY });
    await small.issue({ csr: await requestFor('b'), subjectId: 'b', kind: 'device', lifetimeMs: 10 * DAY });
    const full = await small
      .issue({ csr: await requestFor('c'), subjectId: 'c', kind: 'device' })
      .catch((x: unknown) => x);
    expect((full as HealthItError).code).toBe('buffer/overflow');
    local.advance(2 * DAY);
    const c = await small.issue({ csr: await requestFor('c'), subjectId: 'c', kind: 'device' });
    expect(small.records().map((r) => r.subjectId)).toEqual(['b', 'c']);
    expect(small.status(c.serialNumber)).toBe('valid');
  });

  it('loads an existing CA key and certificate, and restores its records', async () => {
    const keys = (await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
    const caCert = await x509.X509CertificateGenerator.createSelfSigned({
      name: 'CN=Loaded CA',
      notBefore: new Date(T0 - DAY),
      notAfter: new Date(T0 + 365 * DAY),
      keys,
      signingAlgorithm: ECDSA_P256,
      extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
    });
    const signer = {
      certificatePem: caCert.toString('pem'),
      privateKeyPem: pemOf(await crypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'),
    };
    const one = await createCertificateAuthority({ name: 'ignored', signer, clock });
    const r = await one.issue({ csr: await requestFor('d-1'), subjectId: 'd-1', kind: 'device' });
    one.revoke(r.serialNumber, 'keyCompromise');
    const again = await createCertificateAuthority({
      name: 'ignored',
      signer,
      clock,
      records: one.records(),
    });
    expect(again.status(r.serialNumber)).toBe('revoked');
    const crl = new x509.X509Crl(await again.crl());
    expect(crl.issuer).toBe('CN=Loaded CA');
    expect(crl.findRevoked(r.serialNumber)).not.toBeNull();
    expect(
      new X509Certificate(r.certificatePem).verify(new X509Certificate(signer.certificatePem).publicKey),
    ).toBe(true);
  });

  it('refuses invalid options with config/invalid', async () => {
    await expect(createCertificateAuthority({ name: 'x', certificateLifetimeMs: 0 })).rejects.toThrow(
      /lifetimeMs/,
    );
    await expect(createCertificateAuthority({ name: 'x', maxCertificates: 0 })).rejects.toThrow(
      /maxCertificates/,
    );
  });

  it('property: a CRL lists exactly the revoked certificates that have not expired', async () => {
    const requests = await Promise.all(
      ['p0', 'p1', 'p2', 'p3'].map(async (id) => ({ id, der: await requestFor(id) })),
    );
    const op = fc.oneof(
      fc.record({ t: fc.constant('issue' as const), i: fc.nat(3), life: fc.integer({ min: 1, max: 5 }) }),
      fc.record({ t: fc.constant('revoke' as const), i: fc.nat(20) }),
      fc.record({ t: fc.constant('advance' as const), days: fc.integer({ min: 1, max: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 8 }), async (ops) => {
        const local = manualClock();
        const pca = await createCertificateAuthority({ name: 'Property CA', clock: local, backdateMs: 0 });
        const issued: { serial: string; notAfter: number; revoked: boolean }[] = [];
        for (const o of ops) {
          if (o.t === 'issue') {
            const req = requests[o.i] as { id: string; der: Uint8Array };
            const r = await pca.issue({
              csr: req.der,
              subjectId: req.id,
              kind: 'device',
              lifetimeMs: o.life * DAY,
            });
            issued.push({ serial: r.serialNumber, notAfter: r.notAfter, revoked: false });
          } else if (o.t === 'revoke' && issued.length > 0) {
            const x = issued[o.i % issued.length] as (typeof issued)[number];
            if (local.now() < x.notAfter) {
              pca.revoke(x.serial, 'unspecified');
              x.revoked = true;
            }
          } else if (o.t === 'advance') local.advance(o.days * DAY);
        }
        const crl = new x509.X509Crl(await pca.crl());
        const listed = crl.entries.map((e) => e.serialNumber.toLowerCase()).sort();
        const expected = issued
          .filter((x) => x.revoked && local.now() < x.notAfter)
          .map((x) => x.serial)
          .sort();
        expect(listed).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });
});

afterAll(() => {
  // nothing to close: the CA holds no resources
});
