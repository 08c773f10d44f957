import { fromBase64Url, toBase64Url, utf8Encode } from '../encoding/bytes.js';
import { canonicalJson } from '../encoding/canonical-json.js';
import type { JsonValue } from '../schemas/index.js';
import { ed25519Sign, ed25519VerifyStrict } from './ed25519.js';

/** A signing domain: a short ASCII tag ending in a line feed, e.g. `healthit-attestation/v1\n`. */
function domainBytes(domain: string): string {
  if (!/^[a-z0-9.-]+\/v[0-9]+\n$/.test(domain)) {
    throw new RangeError(
      `A signing domain is "<name>/v<n>\\n" (lowercase ASCII), got ${JSON.stringify(domain)}`,
    );
  }
  return domain;
}

/**
 * The bytes a domain-separated signature covers: UTF-8 of `domain` ‖ RFC 8785 JSON of `value`.
 * The domain ties a signature to one purpose (an attestation never verifies as a command, a
 * challenge response never as an envelope).
 * @throws {RangeError} for a malformed domain; what `canonicalJson` throws for a value that is not JSON.
 */
export function canonicalSigningInput(domain: string, value: JsonValue): Uint8Array {
  return utf8Encode(domainBytes(domain) + canonicalJson(value));
}

/** Signs `value` for `domain` with a 32-byte Ed25519 secret key; the signature as base64url. */
export function signCanonical(domain: string, value: JsonValue, secretKey: Uint8Array): string {
  return toBase64Url(ed25519Sign(canonicalSigningInput(domain, value), secretKey));
}

/**
 * True when `signature` (base64url) is a valid strict-Ed25519 signature of `value` for `domain`
 * under `publicKey`. False for anything malformed; never throws on a JSON value and strings.
 */
export function verifyCanonical(
  domain: string,
  value: JsonValue,
  signature: string,
  publicKey: Uint8Array,
): boolean {
  let sig: Uint8Array;
  let input: Uint8Array;
  try {
    sig = fromBase64Url(signature);
    input = canonicalSigningInput(domain, value);
  } catch {
    return false;
  }
  return ed25519VerifyStrict(sig, input, publicKey);
}

/**
 * The signed part of a signed document as plain JSON: every member but `signatureField`, members
 * that are undefined left out. Documents are parsed with strict schemas before they are verified,
 * so this is exactly the members the schema allows: a member added to the schema is signed too.
 */
export function withoutSignature(document: object, signatureField = 'sig'): { [key: string]: JsonValue } {
  const { [signatureField]: _signature, ...rest } = document as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest)) as { [key: string]: JsonValue };
}
