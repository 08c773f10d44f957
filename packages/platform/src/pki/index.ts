/**
 * `@healthit/platform/pki`: the platform's small certificate authority, and its enrolment server
 * (EST over HTTPS) that issues, renews and revokes the TLS certificates of devices, gateways and
 * services. Node only.
 * @packageDocumentation
 */
export {
  type CertificateAuthority,
  type CertificateAuthorityEvent,
  type CertificateAuthorityOptions,
  type CertificateSubjectKind,
  createCertificateAuthority,
  type IssueRequest,
} from './certificate-authority.js';
export type { CertificateRecord, CertificateStatus, RevocationReason } from './certificate-inventory.js';
export {
  type EnrolmentRefusal,
  type EnrolmentServer,
  type EnrolmentServerOptions,
  startEnrolmentServer,
} from './enrolment-server.js';
export {
  type LifecycleChange,
  type LifecycleRevocation,
  revocationReasonFor,
  revokeWithLifecycle,
} from './lifecycle-revocation.js';
export { issueServerCredentials, type ServerCredentialsRequest } from './server-credentials.js';
