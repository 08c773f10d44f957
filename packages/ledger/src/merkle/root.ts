import { assertLeaves } from './bytes.js';
import { emptyRoot, hashChildren, leafHash } from './hash.js';
import { splitPoint } from './rfc9162.js';

/**
 * `MTH(D[start:end])` over leaf hashes, by the RFC 9162 §2.1.1 recursion (`end - start ≥ 1`):
 * `end - start - 1` node hashes, recursion depth log2(n).
 * @internal
 */
export function mthOfHashes(hashes: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const n = end - start;
  if (n === 1) return hashes[start] as Uint8Array;
  const k = splitPoint(n);
  return hashChildren(mthOfHashes(hashes, start, start + k), mthOfHashes(hashes, start + k, end));
}

/** Leaf hashes of raw leaves, checked. @internal */
export function hashLeaves(leaves: readonly Uint8Array[]): Uint8Array[] {
  assertLeaves(leaves);
  return leaves.map((leaf) => leafHash(leaf));
}

/**
 * The Merkle Tree Hash of a list of raw entries, `MTH(D[n])` (RFC 9162 §2.1.1): each entry is
 * hashed with {@link leafHash}, pairs with `nodeHash`, splitting at the largest power of two below
 * n; the empty list gives SHA-256 of nothing. O(n) hashes.
 * @throws {TypeError} when `leaves` is not an array of `Uint8Array`s.
 * @example
 * ```ts
 * const root = merkleRoot([utf8Encode('a'), utf8Encode('b'), utf8Encode('c')]);
 * ```
 */
export function merkleRoot(leaves: readonly Uint8Array[]): Uint8Array {
  const hashes = hashLeaves(leaves);
  return hashes.length === 0 ? emptyRoot() : mthOfHashes(hashes, 0, hashes.length);
}
