import { createCertificateRequest, credentialsFor, type TlsCredentials } from '@healthit/core/certificates';
import type { CertificateAuthority, CertificateSubjectKind } from './certificate-authority.js';

/** What a server certificate is for. */
export interface ServerCredentialsRequest {
  /** The service's (or gateway's) name: the certificate's CN. */
  readonly subjectId: string;
  /** What the server is: `service` (default) or `gateway`; both get client and server authentication. */
  readonly kind?: Exclude<CertificateSubjectKind, 'device'>;
  /** Names clients connect to, e.g. `['localhost', 'platform.ward.example']`. */
  readonly dnsNames?: readonly string[];
  /** Addresses clients connect to, e.g. `['127.0.0.1']`. */
  readonly ipAddresses?: readonly string[];
  /**
   * Lifetime of the certificate, ms (default the CA's `certificateLifetimeMs`, 30 days unless
   * configured); never past the CA certificate's own end.
   */
  readonly lifetimeMs?: number;
}

/**
 * A fresh P-256 key and a certificate for it from the platform's own CA: how the platform's HTTPS
 * endpoints (enrolment, and any other it serves) and a TLS broker get their server credentials.
 * The key is made here and never leaves the process.
 */
export async function issueServerCredentials(
  ca: CertificateAuthority,
  request: ServerCredentialsRequest,
): Promise<TlsCredentials> {
  const csr = await createCertificateRequest(request.subjectId);
  const record = await ca.issue({
    csr: csr.der,
    subjectId: request.subjectId,
    kind: request.kind ?? 'service',
    ...(request.dnsNames === undefined ? {} : { dnsNames: request.dnsNames }),
    ...(request.ipAddresses === undefined ? {} : { ipAddresses: request.ipAddresses }),
    ...(request.lifetimeMs === undefined ? {} : { lifetimeMs: request.lifetimeMs }),
  });
  return credentialsFor(record.certificatePem, csr);
}
