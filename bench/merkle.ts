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
import { bestRate, type Figure, printFigures } from './measure.js';

/** Leaves of 100 bytes (about one reading-batch record), distinct. */
function makeLeaves(n: number): Uint8Array[] {
  return Array.from({ length: n }, (_, i) => {
    const leaf = new Uint8Array(100);
    new DataView(leaf.buffer).setUint32(0, i);
    return leaf;
  });
}

/** Mean microseconds per call of `fn` over `calls` calls (best of 3 rounds after a warm-up). */
function microsPerCall(calls: number, fn: (i: number) => void): number {
  for (let i = 0; i < calls; i++) fn(i);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) fn(i);
    best = Math.min(best, ((performance.now() - t0) * 1000) / calls);
  }
  return best;
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

  const rawLeaf = await bestRate(3, N, () => {
    for (const leaf of leaves) {
      const buf = new Uint8Array(leaf.length + 1);
      buf.set(leaf, 1);
      hash('sha256', buf, 'buffer');
    }
  });
  const ours = await bestRate(3, N, () => {
    for (const leaf of leaves) leafHash(leaf);
  });
  figures.push(
    { name: 'raw crypto.hash(0x00 ‖ leaf), 100-byte leaves (ceiling)', value: rawLeaf, unit: 'leaves/s' },
    { name: `leafHash (${sha256Backend})`, value: ours, unit: 'leaves/s' },
  );

  const rawTree = await bestRate(3, N, () => {
    // the ceiling of a whole tree: one leaf hash and (about) one node hash per leaf, nothing else
    const node = new Uint8Array(65);
    for (const leaf of leaves) {
      const buf = new Uint8Array(leaf.length + 1);
      buf.set(leaf, 1);
      node.set(hash('sha256', buf, 'buffer'), 1);
      hash('sha256', node, 'buffer');
    }
  });
  const root = await bestRate(3, N, () => {
    merkleRoot(leaves);
  });
  figures.push(
    { name: 'raw leaf + node crypto.hash per leaf (tree ceiling)', value: rawTree, unit: 'leaves/s' },
    { name: `merkleRoot (batch of ${N.toLocaleString('en-US')})`, value: root, unit: 'leaves/s' },
  );

  const appends = await bestRate(3, N, () => {
    const tree = createMerkleTree();
    for (const leaf of leaves) tree.append(leaf);
  });
  figures.push({
    name: 'tree.append (leaf hash, compact range, node store)',
    value: appends,
    unit: 'appends/s',
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
  figures.push({
    name: 'build a 10 M-leaf tree (appendLeafHash)',
    value: (performance.now() - t0) / 1000,
    unit: 's',
    note: `${Math.round(process.memoryUsage().arrayBuffers / 2 ** 20)} MiB of array buffers`,
  });

  const nodeInput = new Uint8Array(65);
  const rawNode = await bestRate(3, 200_000, () => {
    for (let i = 0; i < 200_000; i++) {
      nodeInput[1] = i;
      hash('sha256', nodeInput, 'buffer');
    }
  });
  const rawNodeLatin1 = await bestRate(3, 200_000, () => {
    for (let i = 0; i < 200_000; i++) {
      nodeInput[1] = i;
      hash('sha256', nodeInput, 'binary');
    }
  });
  figures.push(
    { name: 'raw crypto.hash of a 65-byte node input (ceiling)', value: rawNode, unit: 'hashes/s' },
    {
      name: 'raw crypto.hash, 65 bytes, latin1 ("binary") string digest',
      value: rawNodeLatin1,
      unit: 'hashes/s',
      note: 'no Buffer per digest: what the native path uses',
    },
  );

  for (const size of [1_000, 1_000_000, BIG]) {
    const picks = indices(1000, size);
    const root = big.root(size);
    const cases = picks.map((index) => ({
      index,
      leaf: big.leafHashAt(index),
      proof: big.inclusionProof(index, size),
    }));
    const rate = await bestRate(3, 20_000, () => {
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
      note: `raw ceiling = node hashes/s ÷ proof length = ${Math.round(rawNode / hashes).toLocaleString('en-US')}/s`,
    });
  }

  for (const size of [10_000, 100_000, 1_000_000, BIG]) {
    const picks = indices(2000, size);
    const us = microsPerCall(picks.length, (i) => {
      big.inclusionProof(picks[i] as number, size);
    });
    figures.push({
      name: `inclusionProof, size ${size.toLocaleString('en-US')} of the 10 M tree`,
      value: us,
      unit: 'µs/proof',
      note: `${(us / Math.log2(size)).toFixed(2)} µs per level`,
    });
  }
  for (const size of [10_000, 100_000, 1_000_000, BIG]) {
    const picks = indices(2000, size - 1);
    const us = microsPerCall(picks.length, (i) => {
      big.consistencyProof(1 + (picks[i] as number), size);
    });
    figures.push({
      name: `consistencyProof, to size ${size.toLocaleString('en-US')} of the 10 M tree`,
      value: us,
      unit: 'µs/proof',
      note: `${(us / Math.log2(size)).toFixed(2)} µs per level`,
    });
  }
  const oldRoot = big.root(654_321);
  const newRoot = big.root(1_000_000);
  const proof = big.consistencyProof(654_321, 1_000_000);
  const consistency = await bestRate(3, 20_000, () => {
    for (let i = 0; i < 20_000; i++) verifyConsistency(654_321, 1_000_000, oldRoot, newRoot, proof);
  });
  figures.push({
    name: `verifyConsistency 654 321 → 1 M (${proof.length} hashes)`,
    value: consistency,
    unit: 'proofs/s',
  });
  const rootUs = microsPerCall(2000, (i) => {
    big.root(5_000_000 + i * 1717);
  });
  figures.push({ name: 'root of a past size of the 10 M tree', value: rootUs, unit: 'µs' });
  return figures;
}

// `node --conditions=@healthit/source --import tsx bench/merkle.ts` runs this file alone
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Ledger Merkle tree', await benchMerkle());
}
