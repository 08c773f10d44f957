import type { TreeStorage } from '../merkle/index.js';

/**
 * Where a transparency log keeps its state: the entries by index, the Merkle tree's node hashes
 * and the latest published checkpoint. Reads are synchronous (a durable backend loads or caches
 * what the log reads); writes are asynchronous and durable once they resolve.
 *
 * The log writes in this order, so a crash between two writes leaves a valid log: entries first
 * ({@link appendEntries}), then their tree nodes (through {@link tree}), the checkpoint last
 * ({@link writeCheckpoint}). Entries are the source of truth: a log reopened over entries the
 * tree does not hold yet re-hashes them into the tree; an index, once written, is never reused.
 */
export interface LogStorage {
  /** The Merkle tree's node hashes (level 0: one leaf hash per entry). */
  readonly tree: TreeStorage;
  /** How many entries are stored (the next entry's index). */
  entryCount(): number;
  /**
   * The canonical bytes of entry `index`, or undefined when there is none. May be a view into the
   * storage: callers must not modify it.
   */
  entry(index: number): Uint8Array | undefined;
  /**
   * Stores `entries` at indexes `first`, `first + 1` ... All or nothing.
   * @throws {RangeError} (or rejects) when `first` is not {@link entryCount}: an index is never
   *   written twice.
   */
  appendEntries(first: number, entries: readonly Uint8Array[]): Promise<void>;
  /** The latest checkpoint note written, if any. */
  latestCheckpoint(): string | undefined;
  /** Replaces the latest checkpoint note (atomically: readers see the old or the new one). */
  writeCheckpoint(note: string): Promise<void>;
}
