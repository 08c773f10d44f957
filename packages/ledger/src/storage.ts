import type { LedgerEntry } from './entry.js';

/**
 * Where a ledger keeps its entries: an append-only sequence addressed by index.
 *
 * Storage is not trusted: the ledger verifies what it reads when it opens, and any party can verify
 * the entries with `verifyChain` and the log's public key. Implementations: the in-memory
 * {@link createMemoryLedgerStorage} (root entry) and the append-only JSON-lines file of
 * `@healthit/ledger/file`. A database-backed storage and the RFC 9162 Merkle log's tile storage
 * implement the same interface.
 */
export interface LedgerStorage {
  /**
   * The id of the log this storage is bound to, when it records one (the file storage writes it in
   * its header); a ledger refuses a storage bound to another log.
   */
  readonly logId?: string | undefined;
  /** How many entries are stored. */
  length(): Promise<number>;
  /**
   * The stored entries at positions `from` (inclusive) to `to` (exclusive), clamped to what is
   * stored, in order. The entries are parsed (well-formed) but not verified.
   * @throws {RangeError} when `from` or `to` is not a non-negative integer.
   */
  read(from: number, to: number): Promise<LedgerEntry[]>;
  /**
   * Appends entries, all or none: `entries[0].index` must equal the current length and the
   * indices must be consecutive. Resolves once the entries are durable (as durable as the storage
   * can make them).
   * @throws {HealthItError} `state/invalid` when the indices do not continue the log (nothing is
   *   appended); `store/closed` after {@link close}; a storage-specific error when writing fails.
   */
  append(entries: readonly LedgerEntry[]): Promise<void>;
  /** Releases the storage's resources. Idempotent. */
  close(): Promise<void>;
}

/**
 * Checks a `read` range and clamps it to `length`.
 * @throws {RangeError} when `from` or `to` is not a non-negative integer.
 */
export function clampRange(from: number, to: number, length: number): [number, number] {
  for (const [name, value] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
    }
  }
  const end = Math.min(to, length);
  return [Math.min(from, end), end];
}
