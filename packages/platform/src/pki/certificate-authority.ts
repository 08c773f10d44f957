import { type Clock, HealthItError, type IdentityKind, systemClock } from '@healthit/core';
import { ECDSA_P256, pemOf, x509 } from '@healthit/core/certificates';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { type Observable, Subject } from 'rxjs';
import {
  type CertificateInventory,
  type CertificateRecord,
  createCertificateInventory,
  type RevocationReason,
} from './certificate-inventory.js';

/** Who a certificate can be issued to (people authenticate otherwise). */
export type CertificateSubjectKind = Exclude<IdentityKind, 'person'>;

/** Options of {@link createCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  /** The CA's common name, e.g. `St Elsewhere IoMT CA`. */
  readonly name: string;
  /** The time (default the system clock). */
  readonly clock?: Clock;
  /** An existing CA to load (PEM certificate and its PKCS #8 private key); a new one is made if absent. */
  readonly signer?: { readonly certificatePem: string; readonly privateKeyPem: string };
  /** Lifetime of a new CA certificate (default 10 years). */
  readonly caLifetimeMs?: number;
  /** Default lifetime of an issued certificate (default 30 days): short-lived, renewed at two thirds. */
  readonly certificateLifetimeMs?: number;
  /** How long a CRL is valid (its `nextUpdate`, default 24 h): publish a fresh one before then. */
  readonly crlLifetimeMs?: number;
  /** Clock-skew allowance: `notBefore` is this far in the past (default 5 min). */
  readonly backdateMs?: number;
  /** Bound on the certificates held (default 100 000); expired ones are dropped first. */
  readonly maxCertificates?: number;
  /** Earlier records to restore (from your store of {@link CertificateAuthority.events$}). */
  readonly records?: readonly CertificateRecord[];
}

/** What to issue: a verified PKCS #10 request for an authenticated subject. */
export interface IssueRequest {
  /** The PKCS #10 request (PEM, base64 or DER). Its signature must verify: proof of possession. */
  readonly csr: string | Uint8Array;
  /** The authenticated subject: the certificate's CN and `urn:healthit:<kind>:<id>` SAN. */
  readonly subjectId: string;
  /**
   * What the subject is: `device` (client authentication only), `gateway` or `service` (client and
   * server authentication); also the certificate's OU and the SAN's `<kind>`.
   */
  readonly kind: CertificateSubjectKind;
  /** DNS names and IP addresses a server certificate (gateway, service) is valid for. */
  readonly dnsNames?: readonly string[];
  /** IP addresses (IPv4 or IPv6) the certificate is valid for, as `iPAddress` SAN entries. */
  readonly ipAddresses?: readonly string[];
  /** Overrides the default lifetime. */
  readonly lifetimeMs?: number;
}

/** An audit record of the CA: a certificate issued or revoked. */
export type CertificateAuthorityEvent =
  | {
      /** A certificate was issued. */
      readonly type: 'certificate.issued';
      /** The new certificate's record (store it to restore the CA with `records`). */
      readonly record: CertificateRecord;
      /** When it was issued, epoch ms (the CA's clock). */
      readonly at: number;
    }
  | {
      /** A certificate was revoked (emitted once per certificate: a repeat revocation is not). */
      readonly type: 'certificate.revoked';
      /** The certificate's record, now with `revokedAt` and `revocationReason`. */
      readonly record: CertificateRecord;
      /** The RFC 5280 reason code given. */
      readonly reason: RevocationReason;
      /** When it was revoked, epoch ms (the CA's clock). */
      readonly at: number;
    };

/** The platform's certificate authority (see {@link createCertificateAuthority}). */
export interface CertificateAuthority
  extends Pick<CertificateInventory, 'status' | 'record' | 'certificatesOf' | 'records'> {
  /** The CA certificate (PEM): the trust anchor brokers, gateways and devices install. */
  readonly certificatePem: string;
  /**
   * Issues a certificate for a verified request.
   * @throws {HealthItError} `validation/invalid` for a request that is not PKCS #10 or uses a key
   * other than ECDSA P-256/P-384 or Ed25519; `security/unauthenticated` when its signature does not
   * verify or it names another subject; `buffer/overflow` when the inventory is full of live certificates.
   */
  issue(request: IssueRequest): Promise<CertificateRecord>;
  /** Revokes one certificate (idempotent: the first reason stands). @throws `state/invalid` for an unknown serial. */
  revoke(serialNumber: string, reason: RevocationReason): CertificateRecord;
  /** Revokes every live certificate of a subject (a device suspended, decommissioned or compromised). */
  revokeSubject(subjectId: string, reason: RevocationReason): CertificateRecord[];
  /** Live certificates past their renewal point (`fraction` of their life, default 2/3). */
  renewalsDue(fraction?: number): CertificateRecord[];
  /** A fresh CRL (DER) signed by the CA: every revoked certificate not yet expired. */
  crl(): Promise<Uint8Array<ArrayBuffer>>;
  /** {@link crl} as PEM (`X509 CRL`), the form Mosquitto's `crlfile` and OpenSSL read. */
  crlPem(): Promise<string>;
  /** Audit records: every issue and revocation. */
  readonly events$: Observable<CertificateAuthorityEvent>;
}

const ALLOWED_KEYS = new Set(['P-256', 'P-384', 'Ed25519']);
const DAY = 86_400_000;

function keyName(algorithm: Algorithm & { namedCurve?: string }): string {
  return algorithm.name === 'ECDSA' || algorithm.name === 'EC'
    ? (algorithm.namedCurve ?? '?')
    : algorithm.name;
}

function parseRequest(csr: string | Uint8Array): x509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(typeof csr === 'string' ? csr.trim() : csr.slice().buffer);
  } catch (cause) {
    throw new HealthItError(
      'validation/invalid',
      'The certificate request is not PKCS #10 (PEM, base64 or DER)',
      {
        cause,
      },
    );
  }
}

/** A positive, non-zero 128-bit serial number (RFC 5280 §4.1.2.2: at most 20 octets, unpredictable). */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

async function loadSigner(
  signer: NonNullable<CertificateAuthorityOptions['signer']>,
): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const cert = new x509.X509Certificate(signer.certificatePem);
  const der = x509.PemConverter.decodeFirst(signer.privateKeyPem);
  const key = await crypto.subtle.importKey('pkcs8', der, ECDSA_P256, false, ['sign']);
  return { cert, key };
}

async function newSigner(
  name: string,
  now: number,
  lifetimeMs: number,
): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = (await crypto.subtle.generateKey(ECDSA_P256, false, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: [name] }],
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + lifetimeMs),
    keys,
    signingAlgorithm: ECDSA_P256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, key: keys.privateKey };
}

/**
 * The small CA of the platform: issues short-lived TLS certificates to devices, gateways and services
 * from verified PKCS #10 requests, revokes them (with the device), publishes CRLs, and says which
 * certificates are due for renewal. Built on `@peculiar/x509` over WebCrypto; its signing key is
 * ECDSA P-256 and never extractable when the CA makes it.
 */
export async function createCertificateAuthority(
  options: CertificateAuthorityOptions,
): Promise<CertificateAuthority> {
  const clock = options.clock ?? systemClock;
  const lifetimeMs = options.certificateLifetimeMs ?? 30 * DAY;
  const crlLifetimeMs = options.crlLifetimeMs ?? DAY;
  const backdateMs = options.backdateMs ?? 5 * 60_000;
  for (const [name, value] of Object.entries({ lifetimeMs, crlLifetimeMs, backdateMs })) {
    if (!Number.isFinite(value) || value < 0 || (name !== 'backdateMs' && value === 0)) {
      throw new HealthItError(
        'config/invalid',
        `createCertificateAuthority: ${name} must be a positive duration`,
      );
    }
  }
  const signer =
    options.signer === undefined
      ? await newSigner(options.name, clock.now(), options.caLifetimeMs ?? 3650 * DAY)
      : await loadSigner(options.signer);
  const caCert = signer.cert;
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey);
  const inventory = createCertificateInventory({
    clock,
    maxCertificates: options.maxCertificates ?? 100_000,
    records: options.records ?? [],
  });
  const events$ = new Subject<CertificateAuthorityEvent>();
  let crlNumber = 0;

  function revoked(record: CertificateRecord, reason: RevocationReason): CertificateRecord {
    events$.next({ type: 'certificate.revoked', record, reason, at: record.revokedAt ?? clock.now() });
    return record;
  }

  async function crl(): Promise<Uint8Array<ArrayBuffer>> {
    const now = clock.now();
    crlNumber += 1;
    const list = await x509.X509CrlGenerator.create({
      issuer: caCert.subjectName,
      thisUpdate: new Date(now),
      nextUpdate: new Date(now + crlLifetimeMs),
      signingKey: signer.key,
      signingAlgorithm: ECDSA_P256,
      extensions: [
        authorityKeyId,
        new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(crlNumber))),
      ],
      entries: inventory.revokedLive().map((r) => ({
        serialNumber: r.serialNumber,
        revocationDate: new Date(r.revokedAt as number),
        reason: x509.X509CrlReason[r.revocationReason as RevocationReason],
      })),
    });
    return new Uint8Array(list.rawData);
  }

  return {
    certificatePem: `${caCert.toString('pem')}\n`,
    events$: events$.asObservable(),
    status: inventory.status,
    record: inventory.record,
    certificatesOf: inventory.certificatesOf,
    records: inventory.records,
    async issue(request) {
      const csr = parseRequest(request.csr);
      const key = keyName(csr.publicKey.algorithm);
      if (!ALLOWED_KEYS.has(key)) {
        throw new HealthItError(
          'validation/invalid',
          `The request's key is ${key}; the CA issues for P-256, P-384 or Ed25519`,
        );
      }
      if (!(await csr.verify())) {
        throw new HealthItError(
          'security/unauthenticated',
          `The request for ${request.subjectId} is not signed by its key (no proof of possession)`,
        );
      }
      const named = csr.subjectName.getField('CN');
      if (named.length > 1 || (named.length === 1 && named[0] !== request.subjectId)) {
        throw new HealthItError(
          'security/unauthenticated',
          `The request names ${csr.subject}, but the authenticated subject is ${request.subjectId}`,
        );
      }
      const now = clock.now();
      const notAfter = Math.min(now + (request.lifetimeMs ?? lifetimeMs), caCert.notAfter.getTime());
      const server = request.kind !== 'device';
      const names: x509.JsonGeneralName[] = [
        { type: 'url', value: `urn:healthit:${request.kind}:${encodeURIComponent(request.subjectId)}` },
        ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
        ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ];
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: inventory.freshSerial(randomSerial),
        subject: [{ CN: [request.subjectId] }, { OU: [request.kind] }],
        issuer: caCert.subjectName,
        notBefore: new Date(now - backdateMs),
        notAfter: new Date(notAfter),
        publicKey: csr.publicKey,
        signingKey: signer.key,
        signingAlgorithm: ECDSA_P256,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension(
            server
              ? [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]
              : [x509.ExtendedKeyUsage.clientAuth],
          ),
          new x509.SubjectAlternativeNameExtension(names),
          await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
          authorityKeyId,
        ],
      });
      const record = inventory.add({
        serialNumber: cert.serialNumber.toLowerCase(),
        subjectId: request.subjectId,
        kind: request.kind,
        notBefore: cert.notBefore.getTime(),
        notAfter: cert.notAfter.getTime(),
        certificatePem: `${cert.toString('pem')}\n`,
        issuedAt: now,
      });
      events$.next({ type: 'certificate.issued', record, at: now });
      return record;
    },
    revoke(serialNumber, reason) {
      const { record, changed } = inventory.revoke(serialNumber, reason);
      return changed ? revoked(record, reason) : record;
    },
    revokeSubject(subjectId, reason) {
      return inventory.revokeSubject(subjectId, reason).map((r) => revoked(r, reason));
    },
    renewalsDue: inventory.renewalsDue,
    crl,
    async crlPem() {
      return pemOf(await crl(), 'X509 CRL');
    },
  };
}
