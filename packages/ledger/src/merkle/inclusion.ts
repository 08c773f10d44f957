import { assertCount, isCount, isHash } from './bytes.js';
import { inclusionProofLength, inclusionProofMatches, path } from './rfc9162.js';
import { hashLeaves, mthOfHashes } from './root.js';

/**
 * The inclusion proof (audit path) of the leaf at `index` in the tree of `leaves`,
 * `PATH(index, D[n])` (RFC 9162 §2.1.3.1): sibling subtree hashes from the leaf level up, each 32
 * bytes. O(n) hashes; a `MerkleTree` gives the same proof in O(log n).
 * @throws {TypeError} when `leaves` is not an array of `Uint8Array`s or `index` not a number.
 * @throws {RangeError} when `index` is not an integer in `[0, leaves.length)`.
 * @example
 * ```ts
 * const proof = inclusionProof(leaves, 2);
 * verifyInclusion(leafHash(leaves[2]), 2, leaves.length, proof, merkleRoot(leaves)); // true
 * ```
 */
export function inclusionProof(leaves: readonly Uint8Array[], index: number): Uint8Array[] {
  const hashes = hashLeaves(leaves);
  assertCount(index, 'index');
  if (index >= hashes.length) {
    throw new RangeError(`index ${index} is outside the tree of ${hashes.length} leaves`);
  }
  return path(index, hashes.length, (start, end) => mthOfHashes(hashes, start, end));
}

/**
 * Verifies that the leaf whose hash is `leafHash` sits at `index` in the tree of `treeSize` leaves
 * with root `root`, by RFC 9162 §2.1.3.2. `leafHash` is the 32-byte leaf hash (`leafHash(entry)`),
 * not the raw entry. The proof must have exactly the length the shape of the tree demands.
 *
 * Never throws: any malformed argument (not bytes, wrong lengths, a non-array proof, an index or
 * size that is not a non-negative safe integer, `index ≥ treeSize`) gives `false`.
 */
export function verifyInclusion(
  leafHash: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  try {
    if (!isHash(leafHash) || !isHash(root) || !isCount(index) || !isCount(treeSize)) return false;
    if (index >= treeSize || !Array.isArray(proof)) return false;
    const length = inclusionProofLength(index, treeSize);
    if (proof.length !== length) return false;
    // each element is read once: what is checked is what is hashed
    const items = new Array<Uint8Array>(length);
    for (let i = 0; i < length; i++) {
      const p: unknown = proof[i];
      if (!isHash(p)) return false;
      items[i] = p;
    }
    return inclusionProofMatches(leafHash, index, treeSize, items, root);
  } catch {
    return false;
  }
}
