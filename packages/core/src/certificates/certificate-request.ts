import { type TlsCredentials, tlsCredentials } from './tls-credentials.js';
import { ECDSA_P256, pemOf, x509 } from './x509.js';

/** A fresh TLS key pair and a PKCS #10 request for it, signed by it (proof of possession). */
export interface CertificateRequest {
  /** The request, DER. */
  readonly der: Uint8Array;
  /** The key pair; the private key stays with its owner. */
  readonly keys: CryptoKeyPair;
}

/** Makes a fresh ECDSA P-256 key pair and a PKCS #10 request naming `subjectId` as its CN. */
export async function createCertificateRequest(subjectId: string): Promise<CertificateRequest> {
  const keys = (await crypto.subtle.generateKey(ECDSA_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [subjectId] }],
    keys,
    signingAlgorithm: ECDSA_P256,
  });
  return { der: new Uint8Array(csr.rawData), keys };
}

/** The credentials of an issued certificate and the request's private key (exported as PKCS #8 PEM). */
export async function credentialsFor(
  certificatePem: string,
  request: CertificateRequest,
): Promise<TlsCredentials> {
  const privateKey = await crypto.subtle.exportKey('pkcs8', request.keys.privateKey);
  return tlsCredentials(certificatePem, pemOf(privateKey, 'PRIVATE KEY'));
}
