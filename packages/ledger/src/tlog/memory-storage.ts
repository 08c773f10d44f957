import { createMemoryTreeStorage } from '../merkle/index.js';
import type { LogStorage } from './storage.js';

/** Options of {@link createMemoryLogStorage}. */
export interface MemoryLogStorageOptions {
  /**
   * The most entries the storage accepts (default 1 048 576); `appendEntries` past it rejects with a
   * `RangeError` and stores nothing.
   */
  readonly maxEntries?: number;
}

/**
 * An in-memory {@link LogStorage}: for tests, browsers and short-lived logs. Nothing survives the
 * process. `entry()` returns the stored bytes themselves (callers must not modify them).
 * @throws {RangeError} when `maxEntries` is not a positive safe integer.
 * @example
 * ```ts
 * const log = createTransparencyLog({ ..., storage: createMemoryLogStorage({ maxEntries: 10_000 }) });
 * ```
 */
export function createMemoryLogStorage(options: MemoryLogStorageOptions = {}): LogStorage {
  const maxEntries = options.maxEntries ?? 1_048_576;
  if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
    throw new RangeError(`maxEntries must be a positive safe integer, got ${maxEntries}`);
  }
  const entries: Uint8Array[] = [];
  let checkpoint: string | undefined;
  return {
    tree: createMemoryTreeStorage({ maxLeaves: maxEntries }),
    entryCount: () => entries.length,
    entry: (index) => entries[index],
    async appendEntries(first, batch) {
      if (first !== entries.length) {
        throw new RangeError(
          `appendEntries: first must be ${entries.length} (the entry count), got ${first}`,
        );
      }
      if (entries.length + batch.length > maxEntries) {
        throw new RangeError(`The log storage is full (maxEntries ${maxEntries}): nothing was appended`);
      }
      for (const bytes of batch) entries.push(Uint8Array.from(bytes));
    },
    latestCheckpoint: () => checkpoint,
    async writeCheckpoint(note) {
      checkpoint = note;
    },
  };
}
