import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toHex } from '../src/hex.js';
import {
  consistencyProof,
  createMerkleTree,
  emptyRoot,
  inclusionProof,
  leafHash,
  merkleRoot,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/merkle/index.js';

interface InclusionVector {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly root: string;
  readonly proof: string[];
}
interface ConsistencyVector {
  readonly size1: number;
  readonly size2: number;
  readonly root1: string;
  readonly root2: string;
  readonly proof: string[];
}
interface Probe {
  readonly file: string;
  readonly desc: string;
  readonly wantErr: boolean;
}
type HasherVector =
  | { readonly desc: string; readonly op: 'emptyRoot'; readonly want: string }
  | { readonly desc: string; readonly op: 'leaf'; readonly input: string; readonly want: string }
  | {
      readonly desc: string;
      readonly op: 'node';
      readonly left: string;
      readonly right: string;
      readonly want: string;
    };

const file = JSON.parse(readFileSync(new URL('./vectors/merkle-vectors.json', import.meta.url), 'utf8')) as {
  semantics: { inclusion: string; consistency: string };
  hasherVectors: HasherVector[];
  leaves: string[];
  leafHashes: string[];
  nodeHashes: { level: number; hashes: string[] }[];
  roots: { treeSize: number; root: string }[];
  inclusionProofs: InclusionVector[];
  consistencyProofs: ConsistencyVector[];
  inclusionProbes: (InclusionVector & Probe)[];
  consistencyProbes: (ConsistencyVector & Probe)[];
  derived: { inclusionProofs: InclusionVector[]; consistencyProofs: ConsistencyVector[] };
};

/** Hex to bytes, any even length (probes carry empty and short values on purpose). */
function bytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
}

const leaves = file.leaves.map(bytes);
const hexes = (list: readonly Uint8Array[]) => list.map(toHex);

describe('Merkle tree: RFC 6962 / RFC 9162 vectors (transparency-dev/merkle)', () => {
  it('has the vectors and their semantics (leaves are raw entries; verifiers take leaf hashes)', () => {
    expect(leaves).toHaveLength(8);
    expect(file.inclusionProbes).toHaveLength(98);
    expect(file.consistencyProbes).toHaveLength(98);
    expect(file.semantics.consistency).toMatch(/error if size1 == 0/);
  });

  for (const v of file.hasherVectors) {
    it(`hasher: ${v.desc}`, () => {
      const got =
        v.op === 'emptyRoot'
          ? emptyRoot()
          : v.op === 'leaf'
            ? leafHash(bytes(v.input))
            : nodeHash(bytes(v.left), bytes(v.right));
      expect(toHex(got)).toBe(v.want);
    });
  }

  it('leaf hashes of the 8 reference leaves', () => {
    expect(hexes(leaves.map(leafHash))).toEqual(file.leafHashes);
  });

  it('every stored node hash (perfect subtrees, levels 0–3) is the root of its leaves', () => {
    for (const { level, hashes } of file.nodeHashes) {
      hashes.forEach((hash, i) => {
        expect(toHex(merkleRoot(leaves.slice(i * 2 ** level, (i + 1) * 2 ** level)))).toBe(hash);
      });
    }
  });

  it('roots of every prefix, from the leaves and from the tree at past sizes', () => {
    const tree = createMerkleTree();
    for (const leaf of leaves) tree.append(leaf);
    for (const { treeSize, root } of file.roots) {
      expect(toHex(merkleRoot(leaves.slice(0, treeSize)))).toBe(root);
      expect(toHex(tree.root(treeSize))).toBe(root);
    }
  });

  const inclusion = [...file.inclusionProofs, ...file.derived.inclusionProofs];
  it(`inclusion proofs (${inclusion.length}): generated equal, and verify`, () => {
    const tree = createMerkleTree();
    for (const leaf of leaves) tree.append(leaf);
    for (const v of inclusion) {
      const prefix = leaves.slice(0, v.treeSize);
      expect(hexes(inclusionProof(prefix, v.leafIndex))).toEqual(v.proof);
      expect(hexes(tree.inclusionProof(v.leafIndex, v.treeSize))).toEqual(v.proof);
      expect(
        verifyInclusion(bytes(v.leafHash), v.leafIndex, v.treeSize, v.proof.map(bytes), bytes(v.root)),
      ).toBe(true);
    }
  });

  const consistency = [...file.consistencyProofs, ...file.derived.consistencyProofs];
  it(`consistency proofs (${consistency.length}): generated equal, and verify`, () => {
    const tree = createMerkleTree();
    for (const leaf of leaves) tree.append(leaf);
    for (const v of consistency) {
      const prefix = leaves.slice(0, v.size2);
      expect(hexes(consistencyProof(prefix, v.size1))).toEqual(v.proof);
      expect(hexes(tree.consistencyProof(v.size1, v.size2))).toEqual(v.proof);
      expect(verifyConsistency(v.size1, v.size2, bytes(v.root1), bytes(v.root2), v.proof.map(bytes))).toBe(
        true,
      );
    }
  });

  describe('inclusion probes (98)', () => {
    for (const p of file.inclusionProbes) {
      it(`${p.file}: ${p.desc} → ${p.wantErr ? 'rejected' : 'accepted'}`, () => {
        const ok = verifyInclusion(
          bytes(p.leafHash),
          p.leafIndex,
          p.treeSize,
          p.proof.map(bytes),
          bytes(p.root),
        );
        expect(ok).toBe(!p.wantErr);
      });
    }
  });

  describe('consistency probes (98)', () => {
    for (const p of file.consistencyProbes) {
      it(`${p.file}: ${p.desc} → ${p.wantErr ? 'rejected' : 'accepted'}`, () => {
        const ok = verifyConsistency(p.size1, p.size2, bytes(p.root1), bytes(p.root2), p.proof.map(bytes));
        expect(ok).toBe(!p.wantErr);
      });
    }
  });
});
