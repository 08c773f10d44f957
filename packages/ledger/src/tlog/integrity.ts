import { decodeEntry, type Entry, type StreamSequencer } from '../entries/index.js';
import { LedgerIntegrityError } from '../errors.js';
import { toHex } from '../hex.js';
import { createMemoryTreeStorage, createMerkleTree, leafHash, type MerkleTree } from '../merkle/index.js';
import type { SignedCheckpoint } from '../note/index.js';
import type { LogStorage } from './storage.js';

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * @internal The entry stored at `index`, checked against the tree's leaf hash and decoded.
 * @throws {LedgerIntegrityError} reason `truncated` (missing), `entry-hash` (bytes changed) or
 *   `malformed` (not a canonical entry), naming `index`.
 */
export function checkedEntry(
  storage: LogStorage,
  tree: MerkleTree,
  index: number,
): { bytes: Uint8Array; leafHash: Uint8Array; entry: Entry } {
  const bytes = storage.entry(index);
  if (bytes === undefined) {
    throw new LedgerIntegrityError('ledger/integrity', `The log storage has no entry ${index}`, {
      reason: 'truncated',
      index,
      expected: `entry ${index}`,
      actual: 'missing',
    });
  }
  const actual = leafHash(bytes);
  const expected = tree.leafHashAt(index);
  if (!sameBytes(actual, expected)) {
    throw new LedgerIntegrityError(
      'ledger/integrity',
      `Entry ${index} of the log does not hash to its Merkle leaf: the stored entry was changed`,
      { reason: 'entry-hash', index, expected: toHex(expected), actual: toHex(actual) },
    );
  }
  try {
    return { bytes: bytes.slice(), leafHash: actual, entry: decodeEntry(bytes) };
  } catch (cause) {
    throw new LedgerIntegrityError('ledger/integrity', `Entry ${index} of the log is not a canonical entry`, {
      reason: 'malformed',
      index,
      expected: 'canonical entry',
      actual: (cause as Error).message,
      cause,
    });
  }
}

/**
 * @internal Brings a reopened log up to date: re-hashes entries the tree does not hold yet (a
 * crash after the entries were written), then replays every entry through `sequencer` so stream
 * order continues where it stopped, checking each against its leaf hash.
 * @throws {LedgerIntegrityError} when the tree holds more leaves than there are entries
 *   (`truncated`), or as {@link checkedEntry}; a stream order fault is reported as `index`.
 */
export function replayStorage(storage: LogStorage, tree: MerkleTree, sequencer: StreamSequencer): void {
  const count = storage.entryCount();
  if (tree.size > count) {
    throw new LedgerIntegrityError(
      'ledger/integrity',
      `The log's tree holds ${tree.size} leaves but its storage only ${count} entries: entries were removed`,
      { reason: 'truncated', index: count, expected: String(tree.size), actual: String(count) },
    );
  }
  for (let i = tree.size; i < count; i++) {
    const bytes = storage.entry(i);
    if (bytes !== undefined) tree.appendLeafHash(leafHash(bytes));
  }
  for (let i = 0; i < count; i++) {
    const { entry } = checkedEntry(storage, tree, i);
    try {
      sequencer.accept(entry);
    } catch (cause) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `Entry ${i} of the log breaks its stream's order: ${(cause as Error).message}`,
        { reason: 'index', index: i, expected: 'stream order', actual: (cause as Error).message, cause },
      );
    }
  }
}

/**
 * @internal Re-derives the whole tree from the stored entries and checks every stored leaf hash and
 * the checkpoint's root against it. Returns the number of entries checked.
 * @throws {LedgerIntegrityError} `entry-hash` / `malformed` / `truncated` naming the entry, or
 *   `fork` (index -1) when the stored tree no longer matches the signed checkpoint.
 */
export function auditStorage(
  storage: LogStorage,
  tree: MerkleTree,
  checkpoint: SignedCheckpoint | undefined,
): number {
  const nodes = createMemoryTreeStorage({ maxLeaves: Math.max(1, tree.size) });
  const fresh = createMerkleTree({ storage: nodes });
  for (let i = 0; i < tree.size; i++) fresh.appendLeafHash(checkedEntry(storage, tree, i).leafHash);
  // The stored interior nodes are what roots and proofs are computed from: each must be the node
  // the entries below it produce.
  for (let level = 1; nodes.count(level) > 0; level++) {
    for (let i = 0; i < nodes.count(level); i++) {
      const derived = nodes.get(level, i) as Uint8Array;
      const stored = storage.tree.get(level, i);
      if (stored === undefined || !sameBytes(stored, derived)) {
        throw new LedgerIntegrityError(
          'ledger/integrity',
          `The stored tree node ${i} at level ${level} is not the hash of the entries ${i * 2 ** level}..${(i + 1) * 2 ** level - 1} below it`,
          {
            reason: 'fork',
            index: i * 2 ** level,
            expected: toHex(derived),
            actual: stored === undefined ? 'missing' : toHex(stored),
          },
        );
      }
    }
  }
  if (checkpoint !== undefined) {
    const { size, rootHash } = checkpoint.checkpoint;
    const root = size <= fresh.size ? fresh.root(size) : undefined;
    if (root === undefined || !sameBytes(root, rootHash)) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `The stored entries do not produce the root of the signed checkpoint of size ${size}`,
        {
          reason: 'fork',
          index: -1,
          expected: toHex(rootHash),
          actual: root === undefined ? 'missing' : toHex(root),
        },
      );
    }
  }
  return fresh.size;
}
