import { LedgerIntegrityError } from '../errors.js';
import { assertCount, isHash } from './bytes.js';
import { emptyRoot, hashChildren, leafHash } from './hash.js';
import { foldPerfect, path, subproof } from './rfc9162.js';
import { createMemoryTreeStorage, type TreeStorage } from './tree-storage.js';

/** Options of {@link createMerkleTree}. */
export interface MerkleTreeOptions {
  /**
   * Where node hashes are kept. A storage that already holds nodes is continued (its level counts
   * are checked against each other). Default: a new {@link createMemoryTreeStorage}.
   */
  readonly storage?: TreeStorage;
}

/**
 * An append-only RFC 9162 Merkle tree that proves any of its past states. It keeps the compact
 * range (the roots of the perfect subtrees along its right border) in memory, so an append costs
 * at most log2(n) + 1 hashes and writes no more nodes than it completes, and it stores every
 * perfect subtree's hash, so the root and the proofs of any past size `m ≤ size` take O(log n)
 * lookups and hashes (the one non-perfect subtree a past size may need is folded from stored
 * perfect ones).
 *
 * All sizes default to the current size. Returned hashes are fresh copies.
 */
export interface MerkleTree {
  /** How many leaves the tree holds. */
  readonly size: number;
  /**
   * Appends a raw entry as the next leaf (hashed with `leafHash`) and returns its index.
   * @throws {TypeError} when `leaf` is not a `Uint8Array`; the storage's error when it refuses
   *   (nothing is appended).
   */
  append(leaf: Uint8Array): number;
  /**
   * Appends a leaf by its 32-byte leaf hash (`leafHash(entry)`, computed elsewhere) and returns its
   * index. Never pass an unprefixed hash of the entry: the 0x00 prefix is what separates leaves
   * from interior nodes.
   * @throws {TypeError} when `hash` is not a 32-byte `Uint8Array`.
   */
  appendLeafHash(hash: Uint8Array): number;
  /**
   * The leaf hash at `index`.
   * @throws {RangeError} when `index` is not an integer in `[0, size)`.
   */
  leafHashAt(index: number): Uint8Array;
  /**
   * The root of the tree as it was at `size` leaves (`MTH(D[0:size])`; SHA-256 of nothing for 0).
   * @throws {RangeError} when `size` is not an integer in `[0, this.size]`.
   */
  root(size?: number): Uint8Array;
  /**
   * The inclusion proof of leaf `index` in the tree of `size` leaves (RFC 9162 §2.1.3.1), as
   * `inclusionProof(leaves.slice(0, size), index)` would compute it.
   * @throws {RangeError} when `size` is not in `[1, this.size]` or `index` not in `[0, size)`.
   */
  inclusionProof(index: number, size?: number): Uint8Array[];
  /**
   * The consistency proof from the tree of `oldSize` leaves to the tree of `newSize` (RFC 9162
   * §2.1.4.1), as `consistencyProof(leaves.slice(0, newSize), oldSize)` would compute it.
   * @throws {RangeError} when `newSize` is not in `[1, this.size]` or `oldSize` not in `[1, newSize]`.
   */
  consistencyProof(oldSize: number, newSize?: number): Uint8Array[];
  /**
   * The compact range of the tree at its current size: the roots of its perfect subtrees, largest
   * (leftmost) first. Their right fold with `nodeHash` is the root.
   */
  compactRange(): Uint8Array[];
}

/**
 * Creates an append-only RFC 9162 Merkle tree over `storage` (default: in memory).
 * @throws {LedgerIntegrityError} `ledger/integrity` (reason `malformed`) when the storage's levels
 *   do not describe one tree (a level holds more or fewer nodes than its leaves complete).
 * @example
 * ```ts
 * const tree = createMerkleTree();
 * for (const entry of entries) tree.append(entry);
 * const proof = tree.inclusionProof(5, 8); // leaf 5 in the tree as it was at 8 leaves
 * verifyInclusion(tree.leafHashAt(5), 5, 8, proof, tree.root(8)); // true
 * ```
 */
export function createMerkleTree(options: MerkleTreeOptions = {}): MerkleTree {
  const storage = options.storage ?? createMemoryTreeStorage();
  let size = storage.count(0);
  /** `border[level]`: the perfect subtree of `2^level` leaves on the right border, when bit `level` of `size` is set. */
  const border: (Uint8Array | undefined)[] = [];
  for (let level = 0, width = 1; width <= Math.max(size, 1) * 2; level++, width *= 2) {
    const expected = Math.floor(size / width);
    const actual = storage.count(level);
    if (actual !== expected) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `The tree storage holds ${actual} nodes at level ${level} but its ${size} leaves make ${expected}: the storage is damaged`,
        { reason: 'malformed', index: -1, expected: String(expected), actual: String(actual) },
      );
    }
    if (expected % 2 === 1) border[level] = stored(level, expected - 1).slice();
  }

  function stored(level: number, index: number): Uint8Array {
    const hash = storage.get(level, index);
    if (hash === undefined) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `The tree storage has no node ${index} at level ${level}: the storage is damaged`,
        { reason: 'malformed', index: -1, expected: `node ${level}/${index}`, actual: 'missing' },
      );
    }
    return hash;
  }

  function rangeHash(start: number, end: number): Uint8Array {
    return foldPerfect(start, end, stored);
  }

  function checkSize(value: number | undefined, min: number, what: string): number {
    if (value === undefined) return size;
    assertCount(value, what);
    if (value < min || value > size) {
      throw new RangeError(`${what} must be in [${min}, ${size}] (the tree's size), got ${value}`);
    }
    return value;
  }

  function push(hash: Uint8Array): number {
    const index = size;
    const nodes: Uint8Array[] = [hash];
    let level = 0;
    let at = index;
    let acc = hash;
    while (at % 2 === 1) {
      acc = hashChildren(border[level] as Uint8Array, acc);
      nodes.push(acc);
      level++;
      at = (at - 1) / 2;
    }
    storage.append(nodes);
    for (let l = 0; l < level; l++) border[l] = undefined;
    border[level] = acc;
    size = index + 1;
    return index;
  }

  function compactRange(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let level = border.length - 1; level >= 0; level--) {
      const hash = border[level];
      if (hash !== undefined) out.push(hash);
    }
    return out;
  }

  return {
    get size() {
      return size;
    },
    append: (leaf) => push(leafHash(leaf)),
    appendLeafHash(hash) {
      if (!isHash(hash)) throw new TypeError('appendLeafHash: hash must be a 32-byte Uint8Array');
      return push(hash.slice());
    },
    leafHashAt(index) {
      assertCount(index, 'index');
      if (index >= size) throw new RangeError(`index ${index} is outside the tree of ${size} leaves`);
      return stored(0, index).slice();
    },
    root(at) {
      const n = checkSize(at, 0, 'size');
      if (n === 0) return emptyRoot();
      if (n === size) {
        const range = compactRange();
        let acc = range[range.length - 1] as Uint8Array;
        for (let i = range.length - 2; i >= 0; i--) acc = hashChildren(range[i] as Uint8Array, acc);
        return acc.slice();
      }
      return rangeHash(0, n).slice();
    },
    inclusionProof(index, at) {
      const n = checkSize(at, 1, 'size');
      assertCount(index, 'index');
      if (index >= n) throw new RangeError(`index ${index} is outside the tree of ${n} leaves`);
      return path(index, n, rangeHash).map((h) => h.slice());
    },
    consistencyProof(oldSize, newSize) {
      const n = checkSize(newSize, 1, 'newSize');
      assertCount(oldSize, 'oldSize');
      if (oldSize < 1 || oldSize > n) {
        throw new RangeError(`oldSize must be in [1, ${n}] (newSize), got ${oldSize}`);
      }
      return subproof(oldSize, n, rangeHash).map((h) => h.slice());
    },
    compactRange: () => compactRange().map((h) => h.slice()),
  };
}
