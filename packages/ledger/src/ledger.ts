import {
  type Clock,
  HealthItError,
  type LedgerReceipt,
  type LedgerRecord,
  type LedgerSink,
  systemClock,
} from '@healthit/core';
import { GENESIS_HASH, type LedgerEntry, signEntry } from './entry.js';
import { LedgerIntegrityError } from './errors.js';
import { deepFreeze } from './json-value.js';
import { assertLedgerKey, type LedgerKey } from './key.js';
import { createMemoryLedgerStorage } from './memory-storage.js';
import { parseRecords } from './record.js';
import { createSerialQueue } from './serial-queue.js';
import { clampRange, type LedgerStorage } from './storage.js';
import { createChainVerifier, verifyEntry } from './verify.js';

/** How many entries the ledger reads from storage at a time while verifying. */
const VERIFY_CHUNK = 1000;

/** Options of {@link createHashChainLedger}. */
export interface HashChainLedgerOptions {
  /** The log's key: entries are signed with it, and the log is named by its `logId`. */
  readonly key: LedgerKey;
  /**
   * Where entries are kept. A storage passed in is the caller's: {@link HashChainLedger.close}
   * leaves it open. Default: a new in-memory storage, owned (and closed) by the ledger.
   */
  readonly storage?: LedgerStorage;
  /** Where entry timestamps (`ts`, epoch ms) come from. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * How much of the stored log to verify when the ledger first touches its storage:
   * - `full` (default): every entry, with the ledger's public key; O(n), streamed in chunks;
   * - `head`: only the last entry (hash, signature, position). For storage that already verified
   *   itself, such as the file storage, which verifies fully when it opens.
   * The ledger never appends to a log that failed verification.
   */
  readonly verifyOnOpen?: 'full' | 'head';
}

/** The current end of a log. */
export interface LedgerHead {
  /** The log's id: lowercase hex SHA-256 of its public key. */
  readonly logId: string;
  /** How many entries the log holds. */
  readonly length: number;
  /** The `entryHash` of the last entry; {@link GENESIS_HASH} when the log is empty. */
  readonly head: string;
}

/**
 * A hash-chained, Ed25519-signed log implementing the {@link LedgerSink} port.
 *
 * Every method runs in call order, one at a time: concurrent appends never interleave, and each
 * call's records are consecutive entries.
 */
export interface HashChainLedger extends LedgerSink {
  /** The log's id: lowercase hex SHA-256 of its public key. */
  readonly logId: string;
  /** The log's 32-byte Ed25519 public key (a copy): all a verifier needs. */
  readonly publicKey: Uint8Array;
  /**
   * Appends records as consecutive entries, atomically per call, and resolves with one receipt per
   * record once the storage has them. An empty list appends nothing.
   * @throws {ValidationError} when a record is malformed (type not a non-empty string, body not
   *   JSON, unknown members, more than 10 000 records); nothing is appended.
   * @throws {LedgerIntegrityError} when the stored log fails verification (nothing is appended).
   * @throws {HealthItError} `state/invalid` after {@link close}; the storage's error when it fails
   *   (nothing the storage reports as failed is acknowledged; the ledger re-reads the storage
   *   before its next operation).
   */
  append(records: readonly LedgerRecord[]): Promise<LedgerReceipt[]>;
  /**
   * The receipt of the entry at `index` (re-checked: hash and signature), or undefined past the end.
   * @throws {RangeError} when `index` is not a non-negative integer.
   * @throws {LedgerIntegrityError} when the stored entry fails verification.
   */
  receipt(index: number): Promise<LedgerReceipt | undefined>;
  /**
   * The stored entries with `from <= index < to` (default: all), as the storage holds them. Verify
   * them with `verifyChain` and the log's public key; don't trust the writer.
   * @throws {RangeError} when `from` or `to` is not a non-negative integer.
   */
  entries(from?: number, to?: number): Promise<LedgerEntry[]>;
  /** The log's current length and head hash. */
  head(): Promise<LedgerHead>;
  /** Waits for pending calls, then closes; closes the storage only when the ledger created it. Idempotent. */
  close(): Promise<void>;
}

interface ChainState {
  readonly length: number;
  readonly head: string;
}

function receiptOf(logId: string, entry: LedgerEntry): LedgerReceipt {
  return Object.freeze({ logId, index: entry.index, entryHash: entry.entryHash });
}

/**
 * Creates a hash-chained, signed ledger over `storage` (default: in memory).
 *
 * Each appended record becomes an entry `{ index, prevHash, ts, type, body, entryHash, signature }`
 * (see `encodeEntry` for the exact bytes hashed and signed). Before its first operation the ledger
 * verifies what the storage already holds, so it continues an existing log (e.g. a reopened file)
 * and refuses to extend a tampered one.
 *
 * @throws {TypeError} when `key` is not a {@link LedgerKey}.
 * @throws {RangeError} when the key's parts do not belong together, `storage` is bound to another
 *   log than `key`'s, or `verifyOnOpen` is unknown.
 * @example
 * ```ts
 * const ledger = createHashChainLedger({ key: generateLedgerKey() });
 * const [receipt] = await ledger.append([readingBatchRecord(readings)]);
 * verifyChain(await ledger.entries(), ledger.publicKey); // { ok: true, length: 1, head: receipt.entryHash }
 * ```
 */
export function createHashChainLedger(options: HashChainLedgerOptions): HashChainLedger {
  const { key } = options;
  assertLedgerKey(key);
  const verifyOnOpen = options.verifyOnOpen ?? 'full';
  if (verifyOnOpen !== 'full' && verifyOnOpen !== 'head') {
    throw new RangeError(`verifyOnOpen must be 'full' or 'head', got ${String(verifyOnOpen)}`);
  }
  const ownsStorage = options.storage === undefined;
  const storage = options.storage ?? createMemoryLedgerStorage();
  if (storage.logId !== undefined && storage.logId !== key.logId) {
    throw new RangeError(
      `The storage belongs to log ${storage.logId} but the key is log ${key.logId}: pass the key of that log`,
    );
  }
  const clock = options.clock ?? systemClock;
  const logId = key.logId;
  const queue = createSerialQueue();
  /** The verified end of the stored log; undefined until loaded, and after a failed storage write. */
  let state: ChainState | undefined;
  /** The last state known to be stored (kept when a write failed, to re-check from there). */
  let known: ChainState | undefined;
  let closed = false;

  async function readAll(from: number, to: number, push: (entry: unknown) => void): Promise<void> {
    for (let i = from; i < to; ) {
      const chunk = await storage.read(i, Math.min(i + VERIFY_CHUNK, to));
      if (chunk.length === 0) {
        throw new LedgerIntegrityError(
          'ledger/integrity',
          `The storage reports ${to} entries but ends at ${i}`,
          {
            reason: 'truncated',
            index: i,
            expected: `${to} entries`,
            actual: `${i} entries`,
          },
        );
      }
      for (const entry of chunk) push(entry);
      i += chunk.length;
    }
  }

  async function verifyLastEntry(length: number): Promise<ChainState> {
    if (length === 0) return { length: 0, head: GENESIS_HASH };
    const [last] = await storage.read(length - 1, length);
    const entry = verifyEntry(last, key.publicKey);
    if (entry.index !== length - 1) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `The last stored entry (position ${length - 1}) carries index ${entry.index}`,
        { reason: 'index', index: length - 1, expected: String(length - 1), actual: String(entry.index) },
      );
    }
    return { length, head: entry.entryHash };
  }

  async function load(): Promise<ChainState> {
    if (state !== undefined) return state;
    const length = await storage.length();
    const from = known;
    if (from !== undefined) {
      // A write failed: the storage may or may not hold it. Re-check that what we had is still there,
      // then verify whatever follows it.
      if (length < from.length) {
        throw new LedgerIntegrityError(
          'ledger/integrity',
          `The storage now holds ${length} entries but held ${from.length}: entries were removed`,
          {
            reason: 'truncated',
            index: from.length - 1,
            expected: `${from.length} entries`,
            actual: `${length}`,
          },
        );
      }
      if (from.length > 0) {
        const [entry] = await storage.read(from.length - 1, from.length);
        if (entry?.entryHash !== from.head) {
          throw new LedgerIntegrityError(
            'ledger/integrity',
            `Stored entry ${from.length - 1} was rewritten`,
            {
              reason: 'fork',
              index: from.length - 1,
              expected: from.head,
              actual: entry?.entryHash ?? 'missing',
            },
          );
        }
      }
    }
    let loaded: ChainState;
    if (verifyOnOpen === 'head' && from === undefined) {
      loaded = await verifyLastEntry(length);
    } else {
      const verifier = createChainVerifier(key.publicKey, from === undefined ? {} : { start: from });
      await readAll(from?.length ?? 0, length, (entry) => verifier.push(entry));
      loaded = verifier.result();
    }
    state = loaded;
    known = loaded;
    return loaded;
  }

  function assertOpen(): void {
    if (closed) throw new HealthItError('state/invalid', `The ledger of log ${logId} is closed`);
  }

  function readClock(): number {
    const ts = clock.now();
    if (!Number.isSafeInteger(ts) || ts < 0) {
      throw new RangeError(
        `The clock returned ${ts}; entry timestamps must be non-negative integer epoch ms`,
      );
    }
    return ts;
  }

  return {
    logId,
    get publicKey(): Uint8Array {
      return Uint8Array.from(key.publicKey);
    },

    async append(records: readonly LedgerRecord[]): Promise<LedgerReceipt[]> {
      assertOpen();
      const parsed = parseRecords(records);
      return queue.run(async () => {
        assertOpen();
        const before = await load();
        if (parsed.length === 0) return [];
        const ts = readClock();
        const entries: LedgerEntry[] = [];
        let head = before.head;
        for (const [i, record] of parsed.entries()) {
          const entry = signEntry(
            { index: before.length + i, prevHash: head, ts, type: record.type, body: record.body },
            key,
          );
          entries.push(deepFreeze(entry));
          head = entry.entryHash;
        }
        try {
          await storage.append(entries);
        } catch (error) {
          state = undefined; // re-read (and re-verify from `known`) before the next operation
          throw error;
        }
        state = { length: before.length + entries.length, head };
        known = state;
        return entries.map((e) => receiptOf(logId, e));
      });
    },

    async receipt(index: number): Promise<LedgerReceipt | undefined> {
      if (!Number.isSafeInteger(index) || index < 0) {
        throw new RangeError(`index must be a non-negative integer, got ${index}`);
      }
      assertOpen();
      return queue.run(async () => {
        assertOpen();
        const { length } = await load();
        if (index >= length) return undefined;
        const [stored] = await storage.read(index, index + 1);
        const entry = verifyEntry(stored, key.publicKey);
        if (entry.index !== index) {
          throw new LedgerIntegrityError(
            'ledger/integrity',
            `Stored entry ${index} carries index ${entry.index}`,
            {
              reason: 'index',
              index,
              expected: String(index),
              actual: String(entry.index),
            },
          );
        }
        return receiptOf(logId, entry);
      });
    },

    async entries(from = 0, to = Number.MAX_SAFE_INTEGER): Promise<LedgerEntry[]> {
      clampRange(from, to, 0);
      assertOpen();
      return queue.run(async () => {
        assertOpen();
        const { length } = await load();
        const [start, end] = clampRange(from, to, length);
        return start < end ? storage.read(start, end) : [];
      });
    },

    async head(): Promise<LedgerHead> {
      assertOpen();
      return queue.run(async () => {
        assertOpen();
        const { length, head } = await load();
        return { logId, length, head };
      });
    },

    async close(): Promise<void> {
      await queue.run(async () => {
        if (closed) return;
        closed = true;
        if (ownsStorage) await storage.close();
      });
    },
  };
}
