import { assertCount, bytesEqual, isBytes, isCount, isHash } from './bytes.js';
import { checkConsistencyProof, consistencyProofLength, subproof } from './rfc9162.js';
import { hashLeaves, mthOfHashes } from './root.js';

/**
 * The consistency proof that the tree of the first `oldSize` of `leaves` is a prefix of the tree of
 * all of them, `PROOF(oldSize, D[n])` (RFC 9162 §2.1.4.1), leaf level first; empty when
 * `oldSize === leaves.length`. O(n) hashes; a `MerkleTree` gives the same proof in O(log n).
 * @throws {TypeError} when `leaves` is not an array of `Uint8Array`s or `oldSize` not a number.
 * @throws {RangeError} when `oldSize` is not an integer in `[1, leaves.length]` (a proof from the
 *   empty tree is meaningless: every tree extends it).
 * @example
 * ```ts
 * const proof = consistencyProof(leaves, 3);
 * verifyConsistency(3, leaves.length, merkleRoot(leaves.slice(0, 3)), merkleRoot(leaves), proof); // true
 * ```
 */
export function consistencyProof(leaves: readonly Uint8Array[], oldSize: number): Uint8Array[] {
  const hashes = hashLeaves(leaves);
  assertCount(oldSize, 'oldSize');
  if (oldSize < 1 || oldSize > hashes.length) {
    throw new RangeError(`oldSize must be in [1, ${hashes.length}] (the tree's size), got ${oldSize}`);
  }
  return subproof(oldSize, hashes.length, (start, end) => mthOfHashes(hashes, start, end));
}

/**
 * Verifies that the tree of `oldSize` leaves with root `oldRoot` is a prefix of the tree of
 * `newSize` leaves with root `newRoot`, by RFC 9162 §2.1.4.2.
 *
 * - `oldSize === 0` is always rejected (a proof from the empty tree proves nothing);
 * - `oldSize === newSize` holds iff the proof is empty and the roots are byte-equal;
 * - otherwise the proof must have exactly the expected length and reproduce both roots.
 *
 * Never throws: any malformed argument gives `false`.
 */
export function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): boolean {
  try {
    if (!isCount(oldSize) || !isCount(newSize) || oldSize === 0 || oldSize > newSize) return false;
    if (!isBytes(oldRoot) || !isBytes(newRoot) || !Array.isArray(proof)) return false;
    if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
    if (!isHash(oldRoot) || !isHash(newRoot)) return false;
    const length = consistencyProofLength(oldSize, newSize);
    if (proof.length !== length || length === 0) return false;
    const items: Uint8Array[] = [];
    for (let i = 0; i < length; i++) {
      const p: unknown = proof[i];
      if (!isHash(p)) return false;
      items.push(p);
    }
    return checkConsistencyProof(oldSize, newSize, oldRoot, newRoot, items, bytesEqual);
  } catch {
    return false;
  }
}
