import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyConsistency } from './consistency.js';
import { leafHash, nodeHash } from './hash.js';
import { verifyInclusion } from './inclusion.js';
import { merkleRoot } from './root.js';
import { sha256 } from './sha256.js';
import { createMerkleTree } from './tree.js';

const enc = (text: string) => new TextEncoder().encode(text);
const leaves = [
  'custody: manufacturer → freight',
  'custody: freight → pharmacy',
  'reading batch 1',
  'reading batch 2',
].map(enc);
const tree = createMerkleTree();
for (const leaf of leaves) tree.append(leaf);
const root = tree.root();
const concat = (a: Uint8Array, b: Uint8Array) => Uint8Array.from([...a, ...b]);

describe('Merkle attacks', () => {
  describe('leaf/node confusion (second preimage: an internal node presented as a leaf)', () => {
    const l0 = leafHash(leaves[0] as Uint8Array);
    const l1 = leafHash(leaves[1] as Uint8Array);
    const n23 = nodeHash(leafHash(leaves[2] as Uint8Array), leafHash(leaves[3] as Uint8Array));
    // The attacker's "entry" is the preimage of the internal node over leaves 0 and 1.
    const forgedEntry = concat(l0, l1);

    it('control: without domain separation the forgery would verify as leaf 0 of a 2-leaf tree', () => {
      const naiveNode = (a: Uint8Array, b: Uint8Array) => sha256(a, b);
      const naiveRoot = naiveNode(naiveNode(l0, l1), n23);
      const naiveLeaf = sha256(forgedEntry);
      expect(naiveNode(naiveLeaf, n23)).toEqual(naiveRoot);
    });

    it('the forged entry is not in the tree: its leaf hash differs from the node it mimics', () => {
      expect(leafHash(forgedEntry)).not.toEqual(nodeHash(l0, l1));
      expect(verifyInclusion(leafHash(forgedEntry), 0, 2, [n23], root)).toBe(false);
      expect(
        merkleRoot([
          forgedEntry,
          concat(leafHash(leaves[2] as Uint8Array), leafHash(leaves[3] as Uint8Array)),
        ]),
      ).not.toEqual(root);
    });

    it('a leaf is never taken for a node: an entry whose bytes are two hashes roots differently from the pair', () => {
      expect(merkleRoot([forgedEntry])).not.toEqual(merkleRoot(leaves.slice(0, 2)));
    });
  });

  describe('truncated proofs', () => {
    const proof = tree.inclusionProof(1);
    const leaf = leafHash(leaves[1] as Uint8Array);
    it('the intact proof verifies (control)', () => {
      expect(verifyInclusion(leaf, 1, 4, proof, root)).toBe(true);
    });
    it('dropping the last, the first, or every element is rejected', () => {
      expect(verifyInclusion(leaf, 1, 4, proof.slice(0, -1), root)).toBe(false);
      expect(verifyInclusion(leaf, 1, 4, proof.slice(1), root)).toBe(false);
      expect(verifyInclusion(leaf, 1, 4, [], root)).toBe(false);
    });
    it('a truncated consistency proof is rejected', () => {
      const c = tree.consistencyProof(3);
      expect(verifyConsistency(3, 4, tree.root(3), root, c)).toBe(true);
      expect(verifyConsistency(3, 4, tree.root(3), root, c.slice(0, -1))).toBe(false);
      expect(verifyConsistency(3, 4, tree.root(3), root, c.slice(1))).toBe(false);
      expect(verifyConsistency(3, 4, tree.root(3), root, [])).toBe(false);
    });
  });

  describe('forged proofs', () => {
    it('an entry that was never appended cannot be proved at any index with any proof of the right length', () => {
      const fake = leafHash(enc('custody: freight → black market'));
      fc.assert(
        fc.property(
          fc.nat(3),
          fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { minLength: 2, maxLength: 2 }),
          (index, proof) => {
            expect(verifyInclusion(fake, index, 4, proof, root)).toBe(false);
          },
        ),
        { numRuns: 200 },
      );
    });

    it("a proof from another tree (another leaf at the same position) fails against this tree's root", () => {
      const other = createMerkleTree();
      for (const leaf of [leaves[0], enc('custody: freight → black market'), leaves[2], leaves[3]]) {
        other.append(leaf as Uint8Array);
      }
      const forged = leafHash(enc('custody: freight → black market'));
      expect(verifyInclusion(forged, 1, 4, other.inclusionProof(1), other.root())).toBe(true);
      expect(verifyInclusion(forged, 1, 4, other.inclusionProof(1), root)).toBe(false);
    });

    it('history rewrite: a fork of the old tree has no consistency proof to the new root', () => {
      const fork = createMerkleTree();
      fork.append(leaves[0] as Uint8Array);
      fork.append(enc('rewritten'));
      fork.append(leaves[2] as Uint8Array);
      for (let old = 1; old <= 3; old++) {
        const honest = tree.consistencyProof(old);
        expect(verifyConsistency(old, 4, tree.root(old), root, honest)).toBe(true);
        if (old >= 2) {
          expect(verifyConsistency(old, 4, fork.root(old), root, honest)).toBe(false);
          expect(verifyConsistency(old, 3, fork.root(old), fork.root(), fork.consistencyProof(old))).toBe(
            true,
          );
          expect(verifyConsistency(old, 4, fork.root(old), root, fork.consistencyProof(old))).toBe(false);
        }
      }
    });

    it('a consistency proof from the empty tree is rejected, whatever it holds', () => {
      expect(verifyConsistency(0, 4, sha256(), root, [])).toBe(false);
      expect(verifyConsistency(0, 4, sha256(), root, [root])).toBe(false);
      expect(verifyConsistency(0, 0, sha256(), sha256(), [])).toBe(false);
    });
  });

  describe('hostile inputs never throw', () => {
    const leaf = leafHash(leaves[1] as Uint8Array);
    const proof = tree.inclusionProof(1);
    const cproof = tree.consistencyProof(3);
    const old = tree.root(3);
    const throwingArray = new Proxy([] as Uint8Array[], {
      get(target, key, receiver) {
        if (key === 'length') return 2;
        if (key === '0' || key === '1') throw new Error('hostile getter');
        return Reflect.get(target, key, receiver);
      },
    });
    const sizes: unknown[] = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -1,
      1.5,
      2 ** 53,
      2 ** 64,
      '4',
      4n,
      null,
      undefined,
      {},
    ];
    const notHashes: unknown[] = [
      null,
      undefined,
      'ab'.repeat(32),
      new Uint8Array(31),
      new Uint8Array(33),
      new Uint16Array(16),
      [...leaf],
      {},
      7,
    ];
    const notProofs: unknown[] = [
      null,
      undefined,
      'proof',
      {},
      { length: 2 },
      new Uint8Array(64),
      [null, null],
      [new Uint8Array(0), new Uint8Array(0)],
      throwingArray,
      Object.assign(new Array(2 ** 32 - 1), { 0: leaf }),
    ];

    it('bad sizes and indices give false', () => {
      for (const s of sizes) {
        expect(verifyInclusion(leaf, s as number, 4, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, 1, s as number, proof, root)).toBe(false);
        expect(verifyConsistency(s as number, 4, old, root, cproof)).toBe(false);
        expect(verifyConsistency(3, s as number, old, root, cproof)).toBe(false);
      }
      expect(verifyInclusion(leaf, 4, 4, proof, root)).toBe(false);
      expect(verifyConsistency(4, 3, root, old, cproof)).toBe(false);
    });

    it('bad hashes and roots give false', () => {
      for (const h of notHashes) {
        expect(verifyInclusion(h as Uint8Array, 1, 4, proof, root)).toBe(false);
        expect(verifyInclusion(leaf, 1, 4, proof, h as Uint8Array)).toBe(false);
        expect(verifyConsistency(3, 4, h as Uint8Array, root, cproof)).toBe(false);
        expect(verifyConsistency(3, 4, old, h as Uint8Array, cproof)).toBe(false);
      }
    });

    it('bad proofs give false (non-arrays, wrong element types and lengths, throwing getters, huge lengths)', () => {
      for (const p of notProofs) {
        expect(verifyInclusion(leaf, 1, 4, p as Uint8Array[], root)).toBe(false);
        expect(verifyConsistency(3, 4, old, root, p as Uint8Array[])).toBe(false);
      }
      const wrongLength = proof.map((h) => h.subarray(0, 31));
      expect(verifyInclusion(leaf, 1, 4, wrongLength, root)).toBe(false);
    });

    it('anything at all, in any argument, gives false and never throws (fast-check)', () => {
      const any = fc.oneof(
        fc.anything(),
        fc.uint8Array({ maxLength: 40 }),
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 4 }),
      );
      fc.assert(
        fc.property(any, any, any, any, any, (a, b, c, d, e) => {
          expect(
            verifyInclusion(a as Uint8Array, b as number, c as number, d as Uint8Array[], e as Uint8Array),
          ).toBe(false);
          const consistent = verifyConsistency(
            a as number,
            b as number,
            c as Uint8Array,
            d as Uint8Array,
            e as Uint8Array[],
          );
          // The one way random values can be consistent: equal sizes ≥ 1, equal roots, empty proof.
          expect(consistent).toBe(
            a === b && typeof a === 'number' && a >= 1 && Array.isArray(e) && e.length === 0 && consistent,
          );
        }),
        { numRuns: 500 },
      );
    });
  });
});
