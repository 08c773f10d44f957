import { sha256 } from '@noble/hashes/sha2.js';
import { toBase64Url } from '../encoding/bytes.js';
import { signCanonical, verifyCanonical } from './canonical-signature.js';
import type { IdentityKind } from './identity.js';

/** The signing domain of a certificate request proof. */
export const CERTIFICATE_REQUEST_DOMAIN = 'healthit-certificate-request/v1\n';

/**
 * What a device, gateway or service signs with its Ed25519 identity key when it asks the platform's
 * CA for a TLS certificate: the request's bytes bound to who asks and when. The CSR's own signature
 * proves possession of the new TLS key; this proves the request comes from a registered identity.
 */
export interface CertificateRequestStatement {
  /** The subject the certificate is for (device id, gateway id, service name). */
  readonly subjectId: string;
  /** What the subject is: a device, gateway, service or person. */
  readonly kind: IdentityKind;
  /** The key id of the identity key that signs: `keyIdOf` its Ed25519 public key (lowercase hex SHA-256). */
  readonly keyId: string;
  /** SHA-256 of the PKCS #10 request's DER bytes, base64url. */
  readonly csrSha256: string;
  /** When the request was made (epoch ms): the CA refuses stale requests. */
  readonly ts: number;
}

/** SHA-256 of a PKCS #10 request's DER bytes, base64url: the `csrSha256` of a statement. */
export function certificateRequestDigest(csrDer: Uint8Array): string {
  return toBase64Url(sha256(csrDer));
}

function statementJson(s: CertificateRequestStatement): { [key: string]: string | number } {
  return { csrSha256: s.csrSha256, keyId: s.keyId, kind: s.kind, subjectId: s.subjectId, ts: s.ts };
}

/** The identity key's signature (base64url) of the statement. */
export function proveCertificateRequest(
  statement: CertificateRequestStatement,
  secretKey: Uint8Array,
): string {
  return signCanonical(CERTIFICATE_REQUEST_DOMAIN, statementJson(statement), secretKey);
}

/** True when `proof` is `publicKey`'s signature of exactly this statement. Never throws. */
export function verifyCertificateRequestProof(
  statement: CertificateRequestStatement,
  proof: string,
  publicKey: Uint8Array,
): boolean {
  return verifyCanonical(CERTIFICATE_REQUEST_DOMAIN, statementJson(statement), proof, publicKey);
}
