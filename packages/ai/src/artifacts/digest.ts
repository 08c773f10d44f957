import { equalBytes } from '@noble/curves/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

interface SubtleDigest {
  digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer>;
}

/** WebCrypto's `crypto.subtle` where the platform has it (Node ≥ 19, browsers, Deno, Bun). */
function nativeSubtle(): SubtleDigest | undefined {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleDigest } }).crypto?.subtle;
  return typeof subtle?.digest === 'function' ? subtle : undefined;
}

/** The @noble/hashes SHA-256 (portable fallback, and the reference in tests). */
export function sha256HexPortable(bytes: Uint8Array): string {
  return bytesToHex(sha256(bytes));
}

/**
 * Lowercase hex SHA-256 of `bytes`: the platform's WebCrypto where present (native speed on large
 * models), @noble/hashes elsewhere (React Native, old runtimes). Both give the same digest (tested).
 */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = nativeSubtle();
  if (subtle === undefined) return sha256HexPortable(bytes);
  return bytesToHex(new Uint8Array(await subtle.digest('SHA-256', bytes)));
}

/** True for 64 lowercase hex characters. */
export function isSha256Hex(text: unknown): text is string {
  return typeof text === 'string' && /^[0-9a-f]{64}$/.test(text);
}

/**
 * Constant-time equality of two lowercase hex digests of the same length (the comparison does not
 * stop at the first difference; only the length, which is public, can end it early). False for
 * anything that is not lowercase hex.
 */
export function digestsEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length !== b.length) return false;
  if (!/^(?:[0-9a-f]{2})*$/.test(a) || !/^(?:[0-9a-f]{2})*$/.test(b)) return false;
  return equalBytes(hexToBytes(a), hexToBytes(b)); // @noble/curves: XOR-accumulate, no early exit
}
