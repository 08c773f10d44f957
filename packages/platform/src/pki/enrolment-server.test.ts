import { X509Certificate } from 'node:crypto';
import {
  certificateRequestDigest,
  createIdentity,
  HealthItError,
  type Identity,
  proveCertificateRequest,
} from '@healthit/core';
import {
  createCertificateClient,
  createCertificateRequest,
  EST_CONTENT_TYPES,
  EST_PATHS,
  encodeEnrolmentAuthorization,
  nodeHttpsExchange,
  type TlsCredentials,
  x509,
} from '@healthit/core/certificates';
import { firstValueFrom, take, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createCertificateAuthority } from './certificate-authority.js';
import { type EnrolmentServer, startEnrolmentServer } from './enrolment-server.js';
import { issueServerCredentials } from './server-credentials.js';

let ca: CertificateAuthority;
let server: EnrolmentServer;
const device = createIdentity({ id: 'pulse-ox-7', kind: 'device' });
const intruder = createIdentity({ id: 'pulse-ox-7', kind: 'device' }); // same name, unregistered key
/** The registry's answer: which identity keys may enrol now. */
const registered = new Map<string, Identity>([[device.keyId, device]]);

beforeAll(async () => {
  ca = await createCertificateAuthority({ name: 'Enrolment Test CA' });
  const tls = await issueServerCredentials(ca, { subjectId: 'enrolment', ipAddresses: ['127.0.0.1'] });
  server = await startEnrolmentServer({
    ca,
    tls,
    identityKey: (subjectId, kind, keyId) => {
      const id = registered.get(keyId);
      return id !== undefined && id.id === subjectId && id.kind === kind ? id.signing.publicKey : undefined;
    },
  });
});

afterAll(async () => {
  await server?.close();
});

const clientFor = (identity: Identity, trust = ca.certificatePem) =>
  createCertificateClient({ url: server.url, trust, identity });

/** A raw first-enrolment POST, for the attacks the client would never send. */
async function post(body: string, authorization?: string, contentType: string = EST_CONTENT_TYPES.csr) {
  const res = await nodeHttpsExchange({
    method: 'POST',
    url: new URL(EST_PATHS.simpleenroll, server.url),
    headers: { 'content-type': contentType, ...(authorization === undefined ? {} : { authorization }) },
    body,
    ca: ca.certificatePem,
    timeoutMs: 5_000,
    maxResponseBytes: 65_536,
  });
  return { status: res.status, text: new TextDecoder().decode(res.body) };
}

async function signedRequest(identity: Identity, overrides: { ts?: number; der?: Uint8Array } = {}) {
  const csr = await createCertificateRequest(identity.id);
  const der = overrides.der ?? csr.der;
  const statement = {
    subjectId: identity.id,
    kind: identity.kind,
    keyId: identity.keyId,
    csrSha256: certificateRequestDigest(csr.der),
    ts: overrides.ts ?? Date.now(),
  };
  const proof = proveCertificateRequest(statement, identity.signing.secretKey);
  const { csrSha256: _d, ...auth } = statement;
  return {
    body: Buffer.from(der).toString('base64'),
    authorization: encodeEnrolmentAuthorization({ ...auth, proof }),
  };
}

describe('enrolment server (EST over HTTPS)', () => {
  let first: TlsCredentials;

  it('distributes the CA certificate (cacerts, certs-only PKCS #7)', async () => {
    const [pem] = await clientFor(device).caCertificates();
    expect(new X509Certificate(pem as string).fingerprint256).toBe(
      new X509Certificate(ca.certificatePem).fingerprint256,
    );
  });

  it('enrols a registered device: its identity key signs the request, it gets a certificate for its new TLS key', async () => {
    first = await clientFor(device).enrol();
    const cert = new X509Certificate(first.certificatePem);
    expect(cert.subject).toContain('CN=pulse-ox-7');
    expect(cert.verify(new X509Certificate(ca.certificatePem).publicKey)).toBe(true);
    expect(ca.status(first.serialNumber)).toBe('valid');
    expect(first.privateKeyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('renews over mutual TLS with the current certificate; the superseded one is revoked', async () => {
    const renewed = await clientFor(device).reenrol(first);
    expect(renewed.serialNumber).not.toBe(first.serialNumber);
    expect(ca.status(renewed.serialNumber)).toBe('valid');
    expect(ca.status(first.serialNumber)).toBe('revoked');
    expect(ca.records().find((r) => r.serialNumber === first.serialNumber)?.revocationReason).toBe(
      'superseded',
    );
    const crl = new x509.X509Crl(await clientFor(device).crl());
    expect(crl.findRevoked(first.serialNumber)).not.toBeNull();
    first = renewed;
  });

  it('attack: renewing with a revoked certificate → 403, nothing issued', async () => {
    const before = ca.records().length;
    const stolen = await clientFor(device).enrol();
    ca.revoke(stolen.serialNumber, 'keyCompromise');
    const e = await clientFor(device)
      .reenrol(stolen)
      .catch((x: unknown) => x);
    expect((e as HealthItError).code).toBe('security/unauthenticated');
    expect((e as Error).message).toMatch(/HTTP 403.*revoked/);
    expect(ca.records().length).toBe(before + 1);
  });

  it('attack: renewing without a client certificate, or with one from another CA → 401', async () => {
    const noCert = await nodeHttpsExchange({
      method: 'POST',
      url: new URL(EST_PATHS.simplereenroll, server.url),
      headers: { 'content-type': EST_CONTENT_TYPES.csr },
      body: Buffer.from((await createCertificateRequest('pulse-ox-7')).der).toString('base64'),
      ca: ca.certificatePem,
      timeoutMs: 5_000,
      maxResponseBytes: 65_536,
    });
    expect(noCert.status).toBe(401);
    const rogue = await createCertificateAuthority({ name: 'Rogue CA' });
    const csr = await createCertificateRequest('pulse-ox-7');
    const forged = await rogue.issue({ csr: csr.der, subjectId: 'pulse-ox-7', kind: 'device' });
    const { credentialsFor } = await import('@healthit/core/certificates');
    const e = await clientFor(device)
      .reenrol(await credentialsFor(forged.certificatePem, csr))
      .catch((x: unknown) => x);
    expect((e as Error).message).toMatch(/HTTP 401.*not valid/);
  });

  it('attack: an unregistered key claiming a registered device’s name → 403', async () => {
    const e = await clientFor(intruder)
      .enrol()
      .catch((x: unknown) => x);
    expect((e as HealthItError).code).toBe('security/unauthenticated');
    expect((e as Error).message).toMatch(/HTTP 403.*may not enrol/);
  });

  it('attack: a valid proof moved onto another request (the body swapped) → 401', async () => {
    const other = await createCertificateRequest('pulse-ox-7');
    const { body, authorization } = await signedRequest(device, { der: other.der });
    expect(await post(body, authorization)).toMatchObject({
      status: 401,
      text: expect.stringMatching(/does not verify/),
    });
  });

  it('attack: a replayed or stale first enrolment → 401', async () => {
    const { body, authorization } = await signedRequest(device);
    expect((await post(body, authorization)).status).toBe(200);
    expect(await post(body, authorization)).toMatchObject({
      status: 401,
      text: expect.stringMatching(/replay/),
    });
    const stale = await signedRequest(device, { ts: Date.now() - 10 * 60_000 });
    expect(await post(stale.body, stale.authorization)).toMatchObject({
      status: 401,
      text: expect.stringMatching(/expired/),
    });
  });

  it('refuses malformed, oversized and misaddressed requests with a clear status, and audits each', async () => {
    const audited = firstValueFrom(server.refusals$.pipe(take(5), toArray()));
    const ok = await signedRequest(device);
    expect((await post(ok.body)).status).toBe(403); // no Authorization header
    expect((await post(ok.body, 'HealthIT-Ed25519 !!!')).status).toBe(403);
    expect((await post('not base64 ###', ok.authorization)).status).toBe(400);
    expect((await post('A'.repeat(20_000), ok.authorization)).status).toBe(413);
    expect((await post(ok.body, ok.authorization, 'application/json')).status).toBe(415);
    const refusals = await audited;
    expect(refusals.map((r) => r.status)).toEqual([403, 403, 400, 413, 415]);
    expect(refusals[0]?.reason).toMatch(/Authorization: HealthIT-Ed25519/);
    const unknown = await nodeHttpsExchange({
      method: 'GET',
      url: new URL('/admin', server.url),
      ca: ca.certificatePem,
      timeoutMs: 5_000,
      maxResponseBytes: 1024,
    });
    expect(unknown.status).toBe(404);
  });

  it('attack: a server the client’s CA did not certify (man in the middle) → the client refuses it', async () => {
    const rogue = await createCertificateAuthority({ name: 'MITM CA' });
    const e = await clientFor(device, rogue.certificatePem)
      .enrol()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HealthItError);
    expect((e as HealthItError).code).toBe('transport/disconnected');
  });
});
