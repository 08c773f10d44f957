/**
 * `@healthit/core/certificates`: X.509 certificates for TLS, issued by the platform's CA through
 * its enrolment server (EST, RFC 7030). The client every device, gateway and service uses to enrol
 * and renew, the shared wire format, and the credential type transports present. Runs wherever WebCrypto does; requests go over node:https unless you pass your own.
 * @packageDocumentation
 */
export {
  type CertificateClient,
  type CertificateClientOptions,
  createCertificateClient,
} from './certificate-client.js';
export { type CertificateRequest, createCertificateRequest, credentialsFor } from './certificate-request.js';
export {
  CRL_PATH,
  decodeCertsOnly,
  ENROLMENT_AUTH_SCHEME,
  type EnrolmentAuthorization,
  EST_CONTENT_TYPES,
  EST_PATHS,
  encodeCertsOnly,
  encodeEnrolmentAuthorization,
  parseEnrolmentAuthorization,
} from './enrolment-protocol.js';
export {
  type HttpsExchange,
  type HttpsExchanger,
  type HttpsResponse,
  nodeHttpsExchange,
} from './https-request.js';
export {
  DEFAULT_RENEWAL_FRACTION,
  parseCertificate,
  renewalDue,
  renewalTime,
  type TlsCredentials,
  tlsCredentials,
} from './tls-credentials.js';
export { ECDSA_P256, pemOf, x509 } from './x509.js';
