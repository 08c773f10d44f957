import { HealthItError } from '../errors/index.js';
import { x509 } from './x509.js';

/** A TLS client or server credential issued by the platform CA: what a transport presents. */
export interface TlsCredentials {
  /** The certificate, PEM. */
  readonly certificatePem: string;
  /** Its PKCS #8 private key, PEM. Never leaves its owner. */
  readonly privateKeyPem: string;
  /** The certificate's serial number, lowercase hex. */
  readonly serialNumber: string;
  /** Start of the certificate's validity, ms since the Unix epoch. */
  readonly notBefore: number;
  /** End of the certificate's validity, ms since the Unix epoch: it is expired after this instant. */
  readonly notAfter: number;
}

/** The default point in a certificate's life at which it is renewed: two thirds of the way. */
export const DEFAULT_RENEWAL_FRACTION = 2 / 3;

/** The epoch ms from which `credentials` should be renewed (`fraction` of its validity elapsed). */
export function renewalTime(
  credentials: Pick<TlsCredentials, 'notBefore' | 'notAfter'>,
  fraction = DEFAULT_RENEWAL_FRACTION,
): number {
  if (!(fraction > 0 && fraction < 1)) {
    throw new HealthItError('config/invalid', `A renewal fraction is in (0, 1), got ${fraction}`);
  }
  return credentials.notBefore + Math.floor((credentials.notAfter - credentials.notBefore) * fraction);
}

/** True when `credentials` should be renewed at `now`: past the renewal point, expired or not. */
export function renewalDue(
  credentials: Pick<TlsCredentials, 'notBefore' | 'notAfter'>,
  now: number,
  fraction = DEFAULT_RENEWAL_FRACTION,
): boolean {
  return now >= renewalTime(credentials, fraction);
}

/** Reads a certificate (PEM or DER); a typed error naming `what` when it is not one. */
export function parseCertificate(data: string | Uint8Array, what = 'certificate'): x509.X509Certificate {
  try {
    return new x509.X509Certificate(typeof data === 'string' ? data : data.slice().buffer);
  } catch (cause) {
    throw new HealthItError('validation/invalid', `The ${what} is not an X.509 certificate`, { cause });
  }
}

/** The credentials of an issued certificate and its private key. */
export function tlsCredentials(certificatePem: string, privateKeyPem: string): TlsCredentials {
  const cert = parseCertificate(certificatePem);
  return {
    certificatePem,
    privateKeyPem,
    serialNumber: cert.serialNumber.toLowerCase(),
    notBefore: cert.notBefore.getTime(),
    notAfter: cert.notAfter.getTime(),
  };
}
