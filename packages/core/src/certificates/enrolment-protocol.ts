/**
 * The wire format of certificate enrolment, shared by the platform's enrolment server and every
 * client (device, gateway, service). It follows EST (RFC 7030): the same paths, a PKCS #10 request
 * sent as base64 DER (`application/pkcs10`), certificates returned as a base64 "certs-only" CMS
 * SignedData (`application/pkcs7-mime; smime-type=certs-only`), re-enrolment authenticated by the
 * current certificate over mutual TLS. First enrolment is authenticated by the subject's registered
 * Ed25519 identity key: an `Authorization: HealthIT-Ed25519 …` header carrying a signed
 * {@link CertificateRequestStatement} (RFC 7030 §3.2.3 leaves the HTTP authentication scheme open).
 */
import { z } from 'zod';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import { HealthItError } from '../errors/index.js';
import type { CertificateRequestStatement } from '../security/certificate-request-proof.js';
import { IDENTITY_KINDS } from '../security/identity.js';
import { x509 } from './x509.js';

/** RFC 7030 §3.2.2 operation paths. */
export const EST_PATHS = {
  cacerts: '/.well-known/est/cacerts',
  simpleenroll: '/.well-known/est/simpleenroll',
  simplereenroll: '/.well-known/est/simplereenroll',
} as const;

/** Where the enrolment server publishes its CA's current CRL (DER, `application/pkix-crl`). */
export const CRL_PATH = '/crl';

/** RFC 7030 §4.2.1 / §4.1.3 media types. */
export const EST_CONTENT_TYPES = {
  csr: 'application/pkcs10',
  certsOnly: 'application/pkcs7-mime; smime-type=certs-only',
  crl: 'application/pkix-crl',
} as const;

/** The HTTP authentication scheme of a first enrolment. */
export const ENROLMENT_AUTH_SCHEME = 'HealthIT-Ed25519';

/** What the `Authorization` header of a first enrolment carries: the statement (less the CSR digest) and its proof. */
export interface EnrolmentAuthorization extends Omit<CertificateRequestStatement, 'csrSha256'> {
  /** The identity key's signature of the statement, base64url. */
  readonly proof: string;
}

const authorizationSchema = z.strictObject({
  subjectId: z.string().min(1).max(256),
  kind: z.enum(IDENTITY_KINDS as [string, ...string[]]),
  keyId: z.string().regex(/^[0-9a-f]{64}$/),
  ts: z.number().int().nonnegative(),
  proof: z.string().min(1).max(200),
});

/** The `Authorization` header value of a first enrolment. */
export function encodeEnrolmentAuthorization(auth: EnrolmentAuthorization): string {
  const json = canonicalJson({
    keyId: auth.keyId,
    kind: auth.kind,
    proof: auth.proof,
    subjectId: auth.subjectId,
    ts: auth.ts,
  });
  return `${ENROLMENT_AUTH_SCHEME} ${toBase64Url(utf8Encode(json))}`;
}

/**
 * Reads an `Authorization` header of a first enrolment.
 * @throws {HealthItError} `security/unauthenticated` when it is missing, of another scheme or malformed.
 */
export function parseEnrolmentAuthorization(header: string | undefined): EnrolmentAuthorization {
  const prefix = `${ENROLMENT_AUTH_SCHEME} `;
  if (header === undefined || !header.startsWith(prefix) || header.length > 2048) {
    throw new HealthItError(
      'security/unauthenticated',
      `A first enrolment needs an "Authorization: ${ENROLMENT_AUTH_SCHEME} …" header`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(fromBase64Url(header.slice(prefix.length))));
  } catch (cause) {
    throw new HealthItError('security/unauthenticated', 'The enrolment authorization is not base64url JSON', {
      cause,
    });
  }
  const parsed = authorizationSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HealthItError(
      'security/unauthenticated',
      `The enrolment authorization is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    );
  }
  return parsed.data as EnrolmentAuthorization;
}

/** Base64 of a certs-only CMS SignedData holding `certificates` (PEM or parsed). */
export function encodeCertsOnly(certificates: readonly (string | x509.X509Certificate)[]): string {
  const parsed = certificates.map((c) => (typeof c === 'string' ? new x509.X509Certificate(c) : c));
  return new x509.X509Certificates(parsed).export('base64');
}

/**
 * The certificates of a base64 certs-only CMS SignedData, as PEM.
 * @throws {HealthItError} `validation/invalid` when the body is not one, or holds no certificate.
 */
export function decodeCertsOnly(body: string): string[] {
  let certs: x509.X509Certificates;
  try {
    certs = new x509.X509Certificates(body.replace(/\s+/g, ''));
  } catch (cause) {
    throw new HealthItError('validation/invalid', 'The response is not a base64 certs-only PKCS #7', {
      cause,
    });
  }
  if (certs.length === 0)
    throw new HealthItError('validation/invalid', 'The certs-only PKCS #7 holds no certificate');
  return certs.map((c) => `${c.toString('pem')}\n`);
}
