import { describe, expect, it } from 'vitest';
import { LedgerIntegrityError } from '../errors.js';
import { verifyConsistency } from './consistency.js';
import { emptyRoot, leafHash } from './hash.js';
import { verifyInclusion } from './inclusion.js';
import { merkleRoot } from './root.js';
import { createMerkleTree } from './tree.js';
import { createMemoryTreeStorage, type TreeStorage } from './tree-storage.js';

const leaf = (i: number) => Uint8Array.of(i >> 16, (i >> 8) & 255, i & 255);
const leavesUpTo = (n: number) => Array.from({ length: n }, (_, i) => leaf(i));

/** A storage that counts reads, to check the O(log n) claims. */
function countingStorage(): TreeStorage & { reads: number } {
  const inner = createMemoryTreeStorage();
  const s = {
    reads: 0,
    count: (level: number) => inner.count(level),
    get(level: number, index: number) {
      s.reads++;
      return inner.get(level, index);
    },
    append: (hashes: readonly Uint8Array[]) => inner.append(hashes),
  };
  return s;
}

describe('createMerkleTree', () => {
  it('starts empty: size 0, root SHA-256 of nothing, no compact range', () => {
    const tree = createMerkleTree();
    expect(tree.size).toBe(0);
    expect(tree.root()).toEqual(emptyRoot());
    expect(tree.compactRange()).toEqual([]);
  });

  it('append returns consecutive indices; appendLeafHash equals append of the entry', () => {
    const a = createMerkleTree();
    const b = createMerkleTree();
    for (let i = 0; i < 37; i++) {
      expect(a.append(leaf(i))).toBe(i);
      expect(b.appendLeafHash(leafHash(leaf(i)))).toBe(i);
    }
    expect(a.root()).toEqual(b.root());
    expect(a.leafHashAt(36)).toEqual(leafHash(leaf(36)));
  });

  it('continues a storage that already holds a tree (same size, roots, compact range, proofs)', () => {
    const storage = createMemoryTreeStorage();
    const first = createMerkleTree({ storage });
    for (const l of leavesUpTo(77)) first.append(l);
    const reopened = createMerkleTree({ storage });
    expect(reopened.size).toBe(77);
    expect(reopened.root()).toEqual(first.root());
    expect(reopened.compactRange()).toEqual(first.compactRange());
    reopened.append(leaf(77));
    expect(reopened.root()).toEqual(merkleRoot(leavesUpTo(78)));
    expect(verifyConsistency(77, 78, first.root(), reopened.root(), reopened.consistencyProof(77))).toBe(
      true,
    );
  });

  it('refuses a storage whose levels do not describe one tree (ledger/integrity)', () => {
    const storage = createMemoryTreeStorage();
    storage.append([leafHash(leaf(0))]);
    storage.append([leafHash(leaf(1))]); // level 1 node missing: a damaged storage
    expect(() => createMerkleTree({ storage })).toThrow(LedgerIntegrityError);
    expect(() => createMerkleTree({ storage })).toThrow(/level 1/);
  });

  it('a full memory storage refuses the append and keeps the tree unchanged (bounded: maxLeaves)', () => {
    const tree = createMerkleTree({ storage: createMemoryTreeStorage({ maxLeaves: 5 }) });
    for (const l of leavesUpTo(5)) tree.append(l);
    const root = tree.root();
    expect(() => tree.append(leaf(5))).toThrow(RangeError);
    expect(tree.size).toBe(5);
    expect(tree.root()).toEqual(root);
    expect(() => createMemoryTreeStorage({ maxLeaves: -1 })).toThrow(RangeError);
  });

  it('rejects bad arguments with TypeError / RangeError', () => {
    const tree = createMerkleTree();
    for (const l of leavesUpTo(4)) tree.append(l);
    expect(() => tree.append('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => tree.appendLeafHash(new Uint8Array(31))).toThrow(TypeError);
    expect(() => tree.root(5)).toThrow(RangeError);
    expect(() => tree.root(-1)).toThrow(RangeError);
    expect(() => tree.root(Number.NaN)).toThrow(RangeError);
    expect(() => tree.inclusionProof(4)).toThrow(RangeError);
    expect(() => tree.inclusionProof(2, 2)).toThrow(RangeError);
    expect(() => tree.inclusionProof(0, 0)).toThrow(RangeError);
    expect(() => tree.consistencyProof(0)).toThrow(RangeError);
    expect(() => tree.consistencyProof(3, 2)).toThrow(RangeError);
    expect(() => tree.consistencyProof(1, 5)).toThrow(RangeError);
    expect(() => tree.leafHashAt(4)).toThrow(RangeError);
    expect(() => tree.inclusionProof('1' as unknown as number)).toThrow(TypeError);
    expect(tree.size).toBe(4);
  });

  it('returns copies: mutating a returned root or proof does not change the tree', () => {
    const tree = createMerkleTree();
    for (const l of leavesUpTo(6)) tree.append(l);
    const root = tree.root();
    tree.root(3).fill(0);
    tree.inclusionProof(1, 3).forEach((h) => {
      h.fill(0);
    });
    tree.compactRange().forEach((h) => {
      h.fill(0);
    });
    tree.leafHashAt(0).fill(0);
    expect(tree.root()).toEqual(root);
    expect(tree.root(3)).toEqual(merkleRoot(leavesUpTo(3)));
  });

  it('roots and proofs of past sizes take O(log n) storage reads (100 000 leaves)', () => {
    const storage = countingStorage();
    const tree = createMerkleTree({ storage });
    const n = 100_000;
    for (let i = 0; i < n; i++) tree.appendLeafHash(leafHash(leaf(i)));
    const log2 = Math.ceil(Math.log2(n));
    for (const size of [n, n - 1, 65_537, 99_999, 12_345]) {
      storage.reads = 0;
      const root = tree.root(size);
      expect(storage.reads).toBeLessThanOrEqual(log2);
      for (const index of [0, size - 1, Math.floor(size / 3)]) {
        storage.reads = 0;
        const proof = tree.inclusionProof(index, size);
        expect(storage.reads).toBeLessThanOrEqual(2 * log2);
        expect(verifyInclusion(tree.leafHashAt(index), index, size, proof, root)).toBe(true);
      }
      storage.reads = 0;
      const proof = tree.consistencyProof(size - 777, size);
      expect(storage.reads).toBeLessThanOrEqual(2 * log2);
      expect(verifyConsistency(size - 777, size, tree.root(size - 777), root, proof)).toBe(true);
    }
  });
});

describe('createMemoryTreeStorage growth', () => {
  it('keeps every node intact while a level’s first chunk doubles and past the 2 MiB chunk boundary', () => {
    const n = 70_000; // level 0 crosses its first 65 536-node chunk
    const leaves = Array.from({ length: n }, (_, i) => Uint8Array.of(i & 0xff, (i >> 8) & 0xff, i >> 16));
    const storage = createMemoryTreeStorage();
    const tree = createMerkleTree({ storage });
    const early = [0, 1, 15, 16, 17, 1000].map((i) => {
      while (tree.size <= i) tree.append(leaves[tree.size] as Uint8Array);
      return storage.get(0, i);
    });
    while (tree.size < n) tree.append(leaves[tree.size] as Uint8Array);
    expect(storage.count(0)).toBe(n);
    // views taken before the chunk grew still hold their hashes, and reads give the same bytes
    [0, 1, 15, 16, 17, 1000].forEach((i, k) => {
      expect(early[k]).toEqual(leafHash(leaves[i] as Uint8Array));
      expect(storage.get(0, i)).toEqual(leafHash(leaves[i] as Uint8Array));
    });
    expect(storage.get(0, 65_536)).toEqual(leafHash(leaves[65_536] as Uint8Array));
    expect(tree.root()).toEqual(merkleRoot(leaves));
    expect(tree.root(17)).toEqual(merkleRoot(leaves.slice(0, 17)));
  });
});
