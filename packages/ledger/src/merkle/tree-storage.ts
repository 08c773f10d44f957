import { assertCount } from './bytes.js';
import { HASH_LENGTH } from './sha256.js';

/**
 * Where a {@link MerkleTree} keeps its node hashes: the perfect subtrees, level by level. Node
 * `index` at `level` is the hash of the `2^level` leaves from leaf `index · 2^level`; level 0 holds
 * the leaf hashes. Nodes are written once and never change, so any past tree size can be proved
 * from them. Synchronous: a durable backend (file, PostgreSQL) keeps what the tree reads in memory
 * or in a read-through cache and persists `append`s in order.
 */
export interface TreeStorage {
  /** How many nodes are stored at `level` (level 0: the tree's size). 0 for a level never written. */
  count(level: number): number;
  /**
   * The hash of node `index` at `level`, or undefined when it is not stored. May be a view into
   * the storage: callers must not modify it.
   */
  get(level: number, index: number): Uint8Array | undefined;
  /**
   * Stores the nodes one leaf append completes: `hashes[0]` is the new leaf hash (at index
   * `count(0)`), `hashes[l]` the new node at level `l` (at index `count(l)`). All or nothing: when
   * it throws, nothing was stored.
   */
  append(hashes: readonly Uint8Array[]): void;
}

/** Options of {@link createMemoryTreeStorage}. */
export interface MemoryTreeStorageOptions {
  /**
   * The most leaves the storage accepts (default 2^25 = 33 554 432, about 2 GiB of node hashes);
   * `append` past it throws a `RangeError` and stores nothing. Memory grows with the leaves (a
   * level's first 2 MiB chunk by doubling from 512 bytes, then in 2 MiB chunks), about 64 bytes
   * per leaf in all.
   */
  readonly maxLeaves?: number;
}

/** Nodes per chunk (2^16 · 32 bytes = 2 MiB). */
const CHUNK_NODES = 1 << 16;
/** Nodes a level's first chunk starts with (it doubles up to {@link CHUNK_NODES}). */
const FIRST_CHUNK_NODES = 16;

/**
 * An in-memory {@link TreeStorage}: one list of fixed-size chunks per level, so appends never copy
 * what is stored and a lookup is two array reads.
 * @throws {RangeError} when `maxLeaves` is not a non-negative safe integer.
 */
export function createMemoryTreeStorage(options: MemoryTreeStorageOptions = {}): TreeStorage {
  const maxLeaves = options.maxLeaves ?? 2 ** 25;
  assertCount(maxLeaves, 'maxLeaves');
  const levels: Uint8Array[][] = [];
  const counts: number[] = [];

  function put(level: number, hash: Uint8Array): void {
    const chunks = levels[level] ?? [];
    levels[level] = chunks;
    const index = counts[level] ?? 0;
    const chunk = Math.floor(index / CHUNK_NODES);
    const at = (index % CHUNK_NODES) * HASH_LENGTH;
    let bytes = chunks[chunk];
    if (bytes === undefined || at >= bytes.length) {
      // A level's first chunk starts small and doubles up to a full chunk (a small log costs
      // kilobytes, not 2 MiB per level); later chunks are allocated whole. Views handed out
      // earlier keep the old copy, whose hashes never change.
      const nodes =
        chunk > 0 ? CHUNK_NODES : Math.min(CHUNK_NODES, Math.max(FIRST_CHUNK_NODES, 2 * (at / HASH_LENGTH)));
      const grown = new Uint8Array(nodes * HASH_LENGTH);
      if (bytes !== undefined) grown.set(bytes);
      bytes = grown;
      chunks[chunk] = bytes;
    }
    bytes.set(hash, at);
    counts[level] = index + 1;
  }

  return {
    count: (level) => counts[level] ?? 0,
    get(level, index) {
      if (!(index >= 0 && index < (counts[level] ?? 0))) return undefined;
      const bytes = levels[level]?.[Math.floor(index / CHUNK_NODES)];
      const at = (index % CHUNK_NODES) * HASH_LENGTH;
      return bytes?.subarray(at, at + HASH_LENGTH);
    },
    append(hashes) {
      const size = counts[0] ?? 0;
      if (size >= maxLeaves) {
        throw new RangeError(
          `The Merkle tree storage is full (maxLeaves ${maxLeaves}): nothing was appended`,
        );
      }
      for (const hash of hashes) {
        if (hash.length !== HASH_LENGTH) throw new RangeError(`Node hashes must be ${HASH_LENGTH} bytes`);
      }
      for (let level = 0; level < hashes.length; level++) put(level, hashes[level] as Uint8Array);
    },
  };
}
