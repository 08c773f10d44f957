import { base64 } from '@scure/base';
import type { ErrorCode } from '../errors/index.js';
import { HealthItError } from '../errors/index.js';
import { type Clock, systemClock } from '../ports/clock.js';
import { certificateRequestDigest, proveCertificateRequest } from '../security/certificate-request-proof.js';
import type { Identity } from '../security/identity.js';
import { type CertificateRequest, createCertificateRequest, credentialsFor } from './certificate-request.js';
import {
  CRL_PATH,
  decodeCertsOnly,
  EST_CONTENT_TYPES,
  EST_PATHS,
  encodeEnrolmentAuthorization,
} from './enrolment-protocol.js';
import { type HttpsExchanger, type HttpsResponse, nodeHttpsExchange } from './https-request.js';
import { parseCertificate, type TlsCredentials } from './tls-credentials.js';

/** Options of {@link createCertificateClient}. */
export interface CertificateClientOptions {
  /** The enrolment server's base URL (`https://…`). */
  readonly url: string | URL;
  /** Trust anchors for the enrolment server (PEM): the platform CA's certificate. */
  readonly trust: string | readonly string[];
  /** Who asks: its id and kind name the certificate; its Ed25519 key signs the first enrolment. */
  readonly identity: Pick<Identity, 'id' | 'kind' | 'keyId' | 'signing'>;
  /** The time of the signed request (default the system clock). */
  readonly clock?: Clock;
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
  /** How requests are sent (default node:https; in a browser, your own over `fetch`). */
  readonly exchange?: HttpsExchanger;
}

/** A device's, gateway's or service's side of certificate enrolment (see {@link createCertificateClient}). */
export interface CertificateClient {
  /** The CA certificates the server distributes (EST `cacerts`), PEM. */
  caCertificates(): Promise<string[]>;
  /** The CA's current CRL, DER. */
  crl(): Promise<Uint8Array<ArrayBuffer>>;
  /**
   * First enrolment: a fresh P-256 TLS key, a PKCS #10 request for it signed by it (proof of
   * possession), the request signed by the identity key (who asks). The private key never leaves.
   */
  enrol(): Promise<TlsCredentials>;
  /**
   * Renewal before expiry (EST `simplereenroll`): a fresh key and request, authenticated by the
   * current certificate over mutual TLS. The CA revokes the superseded certificate.
   */
  reenrol(current: TlsCredentials): Promise<TlsCredentials>;
}

const MAX_RESPONSE_BYTES = 64 * 1024;
const MAX_CRL_BYTES = 16 * 1024 * 1024;

function failure(res: HttpsResponse, what: string): HealthItError {
  const code: ErrorCode =
    res.status === 401 || res.status === 403
      ? 'security/unauthenticated'
      : res.status === 400 || res.status === 413
        ? 'validation/invalid'
        : 'transport/disconnected';
  return new HealthItError(
    code,
    `${what} was refused (HTTP ${res.status}): ${new TextDecoder().decode(res.body.subarray(0, 300))}`,
  );
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The client side of the platform's enrolment server (EST, RFC 7030, with an Ed25519 identity proof
 * for first enrolment). Import it from `@healthit/core/certificates`.
 */
export function createCertificateClient(options: CertificateClientOptions): CertificateClient {
  const base = new URL(options.url);
  if (base.protocol !== 'https:') {
    throw new HealthItError('config/invalid', `The enrolment server URL must be https://, got ${base.href}`);
  }
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const send = options.exchange ?? nodeHttpsExchange;
  const { identity } = options;
  const exchange = (
    method: 'GET' | 'POST',
    path: string,
    extra: { headers?: Record<string, string>; body?: string; client?: TlsCredentials } = {},
    maxResponseBytes = MAX_RESPONSE_BYTES,
  ) => send({ method, url: new URL(path, base), ca: options.trust, timeoutMs, maxResponseBytes, ...extra });

  async function credentialsFrom(
    res: HttpsResponse,
    csr: CertificateRequest,
    what: string,
  ): Promise<TlsCredentials> {
    if (res.status !== 200) throw failure(res, what);
    const [certificatePem] = decodeCertsOnly(new TextDecoder().decode(res.body));
    const cert = parseCertificate(certificatePem as string, 'issued certificate');
    const ours = new Uint8Array(await crypto.subtle.exportKey('spki', csr.keys.publicKey));
    if (!sameBytes(ours, new Uint8Array(cert.publicKey.rawData))) {
      throw new HealthItError(
        'security/unauthenticated',
        `${what}: the certificate is not for the requested key`,
      );
    }
    if (cert.subjectName.getField('CN')[0] !== identity.id) {
      throw new HealthItError(
        'security/unauthenticated',
        `${what}: the certificate names ${cert.subject}, not ${identity.id}`,
      );
    }
    return credentialsFor(certificatePem as string, csr);
  }

  return {
    async caCertificates() {
      const res = await exchange('GET', EST_PATHS.cacerts);
      if (res.status !== 200) throw failure(res, 'cacerts');
      return decodeCertsOnly(new TextDecoder().decode(res.body));
    },
    async crl() {
      const res = await exchange('GET', CRL_PATH, {}, MAX_CRL_BYTES);
      if (res.status !== 200) throw failure(res, 'crl');
      return res.body;
    },
    async enrol() {
      const csr = await createCertificateRequest(identity.id);
      const statement = {
        subjectId: identity.id,
        kind: identity.kind,
        keyId: identity.keyId,
        csrSha256: certificateRequestDigest(csr.der),
        ts: clock.now(),
      };
      const proof = proveCertificateRequest(statement, identity.signing.secretKey);
      const { csrSha256: _digest, ...auth } = statement;
      const res = await exchange('POST', EST_PATHS.simpleenroll, {
        headers: {
          'content-type': EST_CONTENT_TYPES.csr,
          authorization: encodeEnrolmentAuthorization({ ...auth, proof }),
        },
        body: base64.encode(csr.der),
      });
      return credentialsFrom(res, csr, 'enrolment');
    },
    async reenrol(current) {
      const csr = await createCertificateRequest(identity.id);
      const res = await exchange('POST', EST_PATHS.simplereenroll, {
        headers: { 'content-type': EST_CONTENT_TYPES.csr },
        body: base64.encode(csr.der),
        client: current,
      });
      return credentialsFrom(res, csr, 're-enrolment');
    },
  };
}
