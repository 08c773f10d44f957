import { assertLeaves } from './bytes.js';
import { emptyRoot, hashChildren, LEAF_PREFIX } from './hash.js';
import { splitPoint } from './rfc9162.js';
import { sha256Prefixed } from './sha256.js';

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

/**
 * `MTH` of `count ≥ 1` leaves given by their leaf hashes, streamed: each leaf is folded into the
 * compact range (the roots of the perfect subtrees so far, as `MerkleTree.append` keeps them),
 * then the range is folded from the right. n - 1 node hashes and O(log n) live hashes, so a
 * 100 000-reading batch never holds 100 000 hashes.
 * @internal
 */
export function rootOfLeafStream(count: number, leafHashAt: (index: number) => Uint8Array): Uint8Array {
  const range: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    let acc = leafHashAt(i);
    for (let at = i; at % 2 === 1; at = (at - 1) / 2) acc = hashChildren(range.pop() as Uint8Array, acc);
    range.push(acc);
  }
  let root = range.pop() as Uint8Array;
  while (range.length > 0) root = hashChildren(range.pop() as Uint8Array, root);
  return root;
}

/** Leaf hashes of raw leaves, checked. @internal */
export function hashLeaves(leaves: readonly Uint8Array[]): Uint8Array[] {
  assertLeaves(leaves);
  const hashes = new Array<Uint8Array>(leaves.length);
  for (let i = 0; i < leaves.length; i++) hashes[i] = sha256Prefixed(LEAF_PREFIX, leaves[i] as Uint8Array);
  return hashes;
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
  assertLeaves(leaves);
  if (leaves.length === 0) return emptyRoot();
  return rootOfLeafStream(leaves.length, (i) => sha256Prefixed(LEAF_PREFIX, leaves[i] as Uint8Array));
}
