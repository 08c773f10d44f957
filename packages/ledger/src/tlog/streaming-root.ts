import { emptyRoot, leafHash, nodeHash } from '../merkle/index.js';

/** The RFC 9162 root of leaves added one at a time, in O(log n) memory (see {@link createStreamingRoot}). */
export interface StreamingRoot {
  /** Adds the next leaf (its raw data, hashed here with `leafHash`). Returns its leaf hash. */
  add(data: Uint8Array): Uint8Array;
  /** How many leaves were added. */
  readonly size: number;
  /** `MTH` of the leaves added so far (the empty-tree hash for none). */
  root(): Uint8Array;
}

/**
 * A Merkle Tree Hash (RFC 9162 §2.1.1) computed while streaming the leaves, keeping only the
 * perfect subtrees of the binary decomposition of the size (at most 53 hashes): two subtrees of
 * equal size merge as they complete, and the root folds them from the right. Written apart from
 * the log's stored tree, so a verifier does not reuse the code it checks.
 * @example
 * ```ts
 * const acc = createStreamingRoot();
 * for (const bytes of entries) acc.add(bytes);
 * sameBytes(acc.root(), checkpoint.rootHash);
 * ```
 */
export function createStreamingRoot(): StreamingRoot {
  const hashes: Uint8Array[] = [];
  const sizes: number[] = [];
  let size = 0;
  return {
    add(data) {
      const leaf = leafHash(data);
      let hash = leaf;
      let width = 1;
      while (sizes.length > 0 && sizes[sizes.length - 1] === width) {
        hash = nodeHash(hashes.pop() as Uint8Array, hash);
        sizes.pop();
        width *= 2;
      }
      hashes.push(hash);
      sizes.push(width);
      size++;
      return leaf;
    },
    get size() {
      return size;
    },
    root() {
      if (hashes.length === 0) return emptyRoot();
      let acc = hashes[hashes.length - 1] as Uint8Array;
      for (let i = hashes.length - 2; i >= 0; i--) acc = nodeHash(hashes[i] as Uint8Array, acc);
      return acc;
    },
  };
}
