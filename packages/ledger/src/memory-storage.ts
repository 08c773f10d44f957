import { HealthItError, parse } from '@healthit/core';
import { z } from 'zod';
import { LedgerEntry } from './entry.js';
import { deepFreeze } from './json-value.js';
import { clampRange, type LedgerStorage } from './storage.js';

/** Options of {@link createMemoryLedgerStorage}. */
export interface MemoryLedgerStorageOptions {
  /**
   * Entries to start with, e.g. a log fetched from elsewhere. They are checked to be well-formed
   * ledger entries, not verified: a ledger opened over this storage verifies them.
   */
  readonly entries?: readonly unknown[];
  /**
   * At most this many entries (default 1 000 000). When full, `append` refuses the whole batch with
   * `buffer/overflow`: an append-only log never evicts.
   */
  readonly maxEntries?: number;
}

const Entries = z.array(LedgerEntry);

/**
 * Ledger storage in memory: the embedded default (tests, browsers, short-lived processes). Entries
 * are copied and frozen on the way in.
 *
 * @throws {ValidationError} when an initial entry is malformed;
 * @throws {RangeError} for a `maxEntries` that is not a positive integer, or fewer than the initial entries.
 * @example
 * ```ts
 * const ledger = createHashChainLedger({ key, storage: createMemoryLedgerStorage() });
 * ```
 */
export function createMemoryLedgerStorage(options: MemoryLedgerStorageOptions = {}): LedgerStorage {
  const maxEntries = options.maxEntries ?? 1_000_000;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
  }
  const entries: LedgerEntry[] = parse(
    Entries,
    'LedgerEntry[]',
    options.entries ?? [],
    'initial entries',
  ).map((e) => deepFreeze(e));
  if (entries.length > maxEntries) {
    throw new RangeError(`maxEntries (${maxEntries}) is less than the ${entries.length} initial entries`);
  }
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new HealthItError('store/closed', 'The in-memory ledger storage has been closed');
  }

  return {
    async length(): Promise<number> {
      assertOpen();
      return entries.length;
    },
    async read(from: number, to: number): Promise<LedgerEntry[]> {
      assertOpen();
      const [start, end] = clampRange(from, to, entries.length);
      return entries.slice(start, end);
    },
    async append(batch: readonly LedgerEntry[]): Promise<void> {
      assertOpen();
      const copies = parse(Entries, 'LedgerEntry[]', batch, 'append');
      copies.forEach((entry, i) => {
        if (entry.index !== entries.length + i) {
          throw new HealthItError(
            'state/invalid',
            `Cannot append entry with index ${entry.index} at position ${entries.length + i}: ` +
              'appended entries must continue the log',
            { detail: { expected: entries.length + i, actual: entry.index } },
          );
        }
      });
      if (entries.length + copies.length > maxEntries) {
        throw new HealthItError(
          'buffer/overflow',
          `The in-memory ledger storage holds ${entries.length} of at most ${maxEntries} entries and cannot take ` +
            `${copies.length} more; use a file or database storage for long-lived logs`,
          { detail: { length: entries.length, maxEntries, batch: copies.length } },
        );
      }
      for (const entry of copies) entries.push(deepFreeze(entry));
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
