import { hash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  createMerkleTree,
  leafHash,
  type MerkleTree,
  merkleRoot,
  sha256Backend,
  verifyConsistency,
  verifyInclusion,
} from '@healthit/ledger';
import { against, type Figure, median, medianRate, printFigures } from './measure.js';

/** Leaves of 100 bytes (about one reading-batch record), distinct. */
function makeLeaves(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const leaf = new Uint8Array(100);
    new DataView(leaf.buffer).setUint32(0, i);
    return leaf;
  });
}

/** Mean microseconds per call of `fn` over `calls` calls (median of 5 rounds after a warm-up). */
function microsPerCall(calls: number, fn: (i: number) => void): number {
  for (let i = 0; i < calls; i++) fn(i);
  const rounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn(i);
    rounds.push(((performance.now() - t0) * 1000) / calls);
  }
  return median(rounds);
}

/** A pseudo-random index sequence (xorshift), so proofs hit all parts of the tree. */
function indices(count: number, below: number): number[] {
  let x = 2463534242;
  return Array.from({ length: count }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % below;
  });
}

/**
 * RFC 9162 Merkle tree (`@healthit/ledger` merkle module): leaf hashing against the raw
 * `crypto.hash` ceiling, tree appends, proof verification, and proof generation at 10 k, 100 k,
 * 1 M and 10 M leaves (past sizes of one 10 M-leaf tree), which stays O(log n).
 */
export async function benchMerkle(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const N = 100_000;
  const leaves = makeLeaves(N);

  const rawLeaf = await medianRate(3, N, () => {
    for (const leaf of leaves) {
      const buf = new Uint8Array(leaf.length + 1);
      buf.set(leaf, 1);
      hash('sha256', buf, 'buffer');
    }
  });
  const ours = await medianRate(3, N, () => {
    for (const leaf of leaves) leafHash(leaf);
  });
  figures.push({
    name: `leafHash (${sha256Backend}), 100-byte leaves`,
    value: ours,
    unit: 'leaves/s',
    ...against(ours, 'leaves/s', 'raw crypto.hash(0x00 ‖ leaf)', rawLeaf),
  });

  const rawTree = await medianRate(3, N, () => {
    // the ceiling of a whole tree: one leaf hash and (about) one node hash per leaf, nothing else
    const node = new Uint8Array(65);
    for (const leaf of leaves) {
      const buf = new Uint8Array(leaf.length + 1);
      buf.set(leaf, 1);
      node.set(hash('sha256', buf, 'buffer'), 1);
      hash('sha256', node, 'buffer');
    }
  });
  const root = await medianRate(3, N, () => {
    merkleRoot(leaves);
  });
  const treeCeiling = 'raw crypto.hash of one leaf and one node per leaf';
  figures.push({
    name: `merkleRoot (batch of ${N.toLocaleString('en-US')})`,
    value: root,
    unit: 'leaves/s',
    ...against(root, 'leaves/s', treeCeiling, rawTree),
  });

  const appends = await medianRate(3, N, () => {
    const tree = createMerkleTree();
    for (const leaf of leaves) tree.append(leaf);
  });
  figures.push({
    name: 'tree.append (leaf hash, compact range, node store)',
    value: appends,
    unit: 'appends/s',
    ...against(appends, 'appends/s', treeCeiling, rawTree),
  });

  // One tree of 10 M leaves (leaf hashes only: the tree stores node hashes, about 64 bytes per
  // leaf); proofs for its past sizes 10 k, 100 k and 1 M come from the same nodes.
  const BIG = 10_000_000;
  const big: MerkleTree = createMerkleTree();
  const t0 = performance.now();
  const leafHashBytes = new Uint8Array(32);
  const view = new DataView(leafHashBytes.buffer);
  for (let i = 0; i < BIG; i++) {
    view.setUint32(0, i);
    big.appendLeafHash(leafHashBytes);
  }
  const buildSeconds = (performance.now() - t0) / 1000;
  const arrayMiB = Math.round(process.memoryUsage().arrayBuffers / 2 ** 20);

  const nodeInput = new Uint8Array(65);
  const rawNode = await medianRate(3, 200_000, () => {
    for (let i = 0; i < 200_000; i++) {
      nodeInput[1] = i;
      hash('sha256', nodeInput, 'buffer');
    }
  });
  const rawNodeLatin1 = await medianRate(3, 200_000, () => {
    for (let i = 0; i < 200_000; i++) {
      nodeInput[1] = i;
      hash('sha256', nodeInput, 'binary');
    }
  });
  figures.push({
    name: 'build a 10 M-leaf tree (appendLeafHash)',
    value: buildSeconds,
    unit: 's',
    note: `${arrayMiB} MiB of array buffers; ${Math.round(rawNodeLatin1).toLocaleString('en-US')} latin1-digest hashes/s`,
    // About one node hash per appended leaf hash.
    ...against(buildSeconds, 's', '10 M raw crypto.hash calls of a 65-byte node input', BIG / rawNode),
  });

  for (const size of [1_000, 1_000_000, BIG]) {
    const picks = indices(1000, size);
    const root = big.root(size);
    const cases = picks.map((index) => ({
      index,
      leaf: big.leafHashAt(index),
      proof: big.inclusionProof(index, size),
    }));
    const rate = await medianRate(3, 20_000, () => {
      for (let i = 0; i < 20_000; i++) {
        const c = cases[i % cases.length] as (typeof cases)[number];
        if (!verifyInclusion(c.leaf, c.index, size, c.proof, root)) throw new Error('bench: proof failed');
      }
    });
    const hashes = cases.reduce((sum, c) => sum + c.proof.length, 0) / cases.length;
    figures.push({
      name: `verifyInclusion, ${size.toLocaleString('en-US')} leaves (${hashes.toFixed(1)} hashes/proof)`,
      value: rate,
      unit: 'proofs/s',
      ...against(rate, 'proofs/s', 'raw crypto.hash node rate ÷ hashes per proof', rawNode / hashes),
    });
  }

  // The ceiling of proof generation: copying as many 32-byte hashes as a proof holds out of one
  // large array at pseudo-random places (the tree reads that many stored nodes).
  const store = new Uint8Array(64 * 2 ** 20);
  const copyUs = (count: number): number => {
    const at = indices(4096, store.length / 32 - 1);
    return microsPerCall(2000, (i) => {
      const out: Uint8Array[] = [];
      for (let k = 0; k < count; k++) {
        const o = (at[(i + k) % at.length] as number) * 32;
        out.push(store.slice(o, o + 32));
      }
    });
  };
  for (const size of [10_000, 100_000, 1_000_000, BIG]) {
    const picks = indices(2000, size);
    const us = microsPerCall(picks.length, (i) => {
      big.inclusionProof(picks[i] as number, size);
    });
    const levels = Math.ceil(Math.log2(size));
    figures.push({
      name: `inclusionProof, size ${size.toLocaleString('en-US')} of the 10 M tree`,
      value: us,
      unit: 'µs/proof',
      note: `${(us / Math.log2(size)).toFixed(2)} µs per level`,
      ...against(us, 'µs/proof', `copying ${levels} stored 32-byte hashes`, copyUs(levels)),
    });
  }
  for (const size of [10_000, 100_000, 1_000_000, BIG]) {
    const picks = indices(2000, size - 1);
    const us = microsPerCall(picks.length, (i) => {
      big.consistencyProof(1 + (picks[i] as number), size);
    });
    const levels = Math.ceil(Math.log2(size));
    figures.push({
      name: `consistencyProof, to size ${size.toLocaleString('en-US')} of the 10 M tree`,
      value: us,
      unit: 'µs/proof',
      note: `${(us / Math.log2(size)).toFixed(2)} µs per level`,
      ...against(us, 'µs/proof', `copying ${levels} stored 32-byte hashes`, copyUs(levels)),
    });
  }
  const oldRoot = big.root(654_321);
  const newRoot = big.root(1_000_000);
  const proof = big.consistencyProof(654_321, 1_000_000);
  const consistency = await medianRate(3, 20_000, () => {
    for (let i = 0; i < 20_000; i++) verifyConsistency(654_321, 1_000_000, oldRoot, newRoot, proof);
  });
  figures.push({
    name: `verifyConsistency 654 321 → 1 M (${proof.length} hashes)`,
    value: consistency,
    unit: 'proofs/s',
    // RFC 9162 §2.1.4.2 recomputes both roots: up to two node hashes per proof hash.
    ...against(
      consistency,
      'proofs/s',
      'raw node hash rate ÷ (2 × proof hashes)',
      rawNode / (2 * proof.length),
    ),
  });
  const rootUs = microsPerCall(2000, (i) => {
    big.root(5_000_000 + i * 1717);
  });
  const rootLevels = Math.ceil(Math.log2(5_000_000));
  figures.push({
    name: 'root of a past size of the 10 M tree',
    value: rootUs,
    unit: 'µs',
    ...against(rootUs, 'µs', `${rootLevels} raw node hashes`, (rootLevels * 1e6) / rawNode),
  });
  return figures;
}

// `node --conditions=@healthit/source --import tsx bench/merkle.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Ledger Merkle tree', await benchMerkle());
}
