/**
 * The one place that loads `@peculiar/x509` (the maintained X.509 library of PeculiarVentures, on
 * WebCrypto): it needs the `reflect-metadata` polyfill and a crypto provider, the platform's
 * WebCrypto (`globalThis.crypto`, in Node ≥ 20 and browsers). Every certificate, request and CRL in
 * the SDK is built and parsed through it; no ASN.1 by hand.
 */
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

export { x509 };

/** ECDSA over P-256 with SHA-256: the TLS key and signature algorithm every broker and browser accepts. */
export const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** PEM text of DER bytes under a label (`CERTIFICATE`, `PRIVATE KEY`, `X509 CRL`, …). */
export function pemOf(der: ArrayBuffer | Uint8Array, label: string): string {
  const bytes = der instanceof Uint8Array ? der : new Uint8Array(der);
  return `${x509.PemConverter.encode(bytes.slice().buffer, label)}\n`;
}
