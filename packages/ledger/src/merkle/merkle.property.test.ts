import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { consistencyProof, verifyConsistency } from './consistency.js';
import { leafHash } from './hash.js';
import { inclusionProof, verifyInclusion } from './inclusion.js';
import { merkleRoot } from './root.js';
import { createMerkleTree, type MerkleTree } from './tree.js';

const MAX_LEAVES = 2000;

/** Distinct leaves: 8 bytes, `seed` then `i`. */
function leavesOf(seed: number, n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const leaf = new Uint8Array(8);
    const view = new DataView(leaf.buffer);
    view.setUint32(0, seed);
    view.setUint32(4, i);
    return leaf;
  });
}

/** Tree sizes of 1–2 000 leaves, often small (where the edge cases are), sometimes large. */
const treeSize = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: MAX_LEAVES }));
/** A few leaf sets; each tree is built once to 2 000 leaves and proved at past sizes. */
const seed = fc.nat(3);

const trees = new Map<number, { leaves: Uint8Array[]; tree: MerkleTree }>();
function build(seedValue: number) {
  let built = trees.get(seedValue);
  if (built === undefined) {
    const leaves = leavesOf(seedValue, MAX_LEAVES);
    const tree = createMerkleTree();
    for (const leaf of leaves) tree.append(leaf);
    built = { leaves, tree };
    trees.set(seedValue, built);
  }
  return built;
}

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const out = bytes.slice();
  const i = Math.floor(bit / 8) % out.length;
  out[i] = (out[i] as number) ^ (1 << (bit % 8));
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'drop'; at: number }
  | { kind: 'add'; at: number; hash: Uint8Array }
  | { kind: 'swap'; a: number; b: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(255) }),
  fc.record({ kind: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('add' as const),
    at: fc.nat(),
    hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  }),
  fc.record({ kind: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
);

/** The mutated proof, or undefined when the mutation does not apply (e.g. swap in a 1-element proof). */
function mutate(proof: readonly Uint8Array[], m: Mutation): Uint8Array[] | undefined {
  const out = [...proof];
  switch (m.kind) {
    case 'flip':
      if (out.length === 0) return undefined;
      out[m.at % out.length] = flipBit(out[m.at % out.length] as Uint8Array, m.bit);
      return out;
    case 'drop':
      if (out.length === 0) return undefined;
      out.splice(m.at % out.length, 1);
      return out;
    case 'add':
      out.splice(m.at % (out.length + 1), 0, m.hash);
      return out;
    case 'swap': {
      if (out.length < 2) return undefined;
      const a = m.a % out.length;
      const b = (a + 1 + (m.b % (out.length - 1))) % out.length;
      [out[a], out[b]] = [out[b] as Uint8Array, out[a] as Uint8Array];
      return out;
    }
  }
}

describe('Merkle tree properties (fast-check, trees of 1–2 000 leaves)', () => {
  it("the tree's roots and proofs for past sizes equal the from-leaves functions'", () => {
    fc.assert(
      fc.property(seed, treeSize, fc.nat(), fc.nat(), fc.nat(), (s, n, a, b, c) => {
        const { leaves, tree } = build(s);
        const newSize = 1 + (a % n);
        const oldSize = 1 + (b % newSize);
        const index = c % newSize;
        const prefix = leaves.slice(0, newSize);
        expect(tree.root(newSize)).toEqual(merkleRoot(prefix));
        expect(tree.root(oldSize)).toEqual(merkleRoot(leaves.slice(0, oldSize)));
        expect(tree.inclusionProof(index, newSize)).toEqual(inclusionProof(prefix, index));
        expect(tree.consistencyProof(oldSize, newSize)).toEqual(consistencyProof(prefix, oldSize));
      }),
      { numRuns: 150 },
    );
  });

  it('every generated inclusion proof verifies; every mutated one fails', () => {
    fc.assert(
      fc.property(seed, treeSize, fc.nat(), fc.nat(), mutation, fc.nat(), (s, n, a, c, m, other) => {
        const { leaves, tree } = build(s);
        const size = 1 + (a % n);
        const index = c % size;
        const leaf = leafHash(leaves[index] as Uint8Array);
        const root = tree.root(size);
        const proof = tree.inclusionProof(index, size);
        expect(verifyInclusion(leaf, index, size, proof, root)).toBe(true);

        const bad = mutate(proof, m);
        if (bad !== undefined) expect(verifyInclusion(leaf, index, size, bad, root)).toBe(false);
        // wrong leaf, root, index
        expect(verifyInclusion(flipBit(leaf, other), index, size, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, index, size, proof, flipBit(root, other))).toBe(false);
        if (size > 1) {
          const wrongIndex = (index + 1 + (other % (size - 1))) % size;
          expect(verifyInclusion(leaf, wrongIndex, size, proof, root)).toBe(false);
        }
        // wrong size, claimed with the (signed) root of that size
        if (n > 1) {
          const wrongSize = 1 + ((size + (other % (n - 1))) % n);
          expect(verifyInclusion(leaf, index, wrongSize, proof, tree.root(wrongSize))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('every generated consistency proof verifies; every mutated one fails', () => {
    fc.assert(
      fc.property(seed, treeSize, fc.nat(), fc.nat(), mutation, fc.nat(), (s, n, a, b, m, other) => {
        const { tree } = build(s);
        const newSize = 1 + (a % n);
        const oldSize = 1 + (b % newSize);
        const oldRoot = tree.root(oldSize);
        const newRoot = tree.root(newSize);
        const proof = tree.consistencyProof(oldSize, newSize);
        expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, proof)).toBe(true);

        const bad = mutate(proof, m);
        if (bad !== undefined) expect(verifyConsistency(oldSize, newSize, oldRoot, newRoot, bad)).toBe(false);
        expect(verifyConsistency(oldSize, newSize, flipBit(oldRoot, other), newRoot, proof)).toBe(false);
        expect(verifyConsistency(oldSize, newSize, oldRoot, flipBit(newRoot, other), proof)).toBe(false);
        expect(verifyConsistency(0, newSize, oldRoot, newRoot, proof)).toBe(false);
        // wrong sizes, each claimed with the (signed) root of that size
        if (n > 1) {
          const wrongNew = 1 + ((newSize + (other % (n - 1))) % n);
          if (wrongNew >= oldSize) {
            expect(verifyConsistency(oldSize, wrongNew, oldRoot, tree.root(wrongNew), proof)).toBe(false);
          }
        }
        if (newSize > 1) {
          const wrongOld = 1 + ((oldSize + (other % (newSize - 1))) % newSize);
          expect(verifyConsistency(wrongOld, newSize, tree.root(wrongOld), newRoot, proof)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('appending in any chunking gives the same roots as merkleRoot (compact range folds to the root)', () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 300 }), (seed, n) => {
        const leaves = leavesOf(seed, n);
        const tree = createMerkleTree();
        leaves.forEach((leaf, i) => {
          expect(tree.append(leaf)).toBe(i);
        });
        expect(tree.size).toBe(n);
        expect(tree.root()).toEqual(merkleRoot(leaves));
        expect(tree.compactRange()).toHaveLength([...n.toString(2)].filter((bit) => bit === '1').length);
      }),
      { numRuns: 40 },
    );
  });
});
