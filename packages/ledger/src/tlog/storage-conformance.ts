import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type Entry,
  encodeEntry,
  entryHash,
  signEntry,
  type UnsignedEntry,
  ZERO_HASH,
} from '../entries/index.js';
import { LedgerIntegrityError } from '../errors.js';
import { ledgerKeyFromSeed } from '../key.js';
import { leafHash, nodeHash, verifyConsistency, verifyInclusion } from '../merkle/index.js';
import { createEd25519NoteSigner, createEd25519NoteVerifier, verifyCheckpoint } from '../note/index.js';
import { createTransparencyLog, type TransparencyLog } from './log.js';
import type { LogStorage } from './storage.js';

/** A storage opened for the conformance suite, with what the suite needs to reach behind it. */
export interface LogStorageUnderTest {
  /** The storage. */
  readonly storage: LogStorage;
  /**
   * Changes one byte of stored entry `index` in the backing store itself (a file, a table row),
   * behind the storage's back. Called after {@link close} for a durable storage (the change must
   * show after a reopen), on the open storage for one without reopen.
   */
  corruptEntry(index: number): Promise<void>;
  /** Releases the storage (files, pool). Idempotent. */
  close(): Promise<void>;
}

/** Options the suite opens a fresh storage with. */
export interface LogStorageOpenOptions {
  /** The most entries the storage accepts (every storage has this limit). */
  readonly maxEntries?: number;
}

/** Opens a fresh, empty storage for one test. */
export type OpenLogStorage = (options: LogStorageOpenOptions) => Promise<LogStorageUnderTest>;

/**
 * Opens the same durable log again after `closed` was closed: what a restarted process sees. Omit
 * it for a storage that does not outlive its object (the in-memory one); the suite then reuses the
 * open storage where it would reopen, and leaves out the tests that only durability makes sense for.
 */
export type ReopenLogStorage = (closed: LogStorageUnderTest) => Promise<LogStorageUnderTest>;

const ORIGIN = 'ledger.example.org/conformance';
const T0 = Date.UTC(2026, 0, 1);
const ALICE = { keyId: 'acme-pharma.release', ...ledgerKeyFromSeed(new Uint8Array(32).fill(1)) };
const KEYS = new Map([[ALICE.keyId, ALICE.publicKey]]);
const LOG_SIGNER = createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) });
const LOG_VERIFIER = createEd25519NoteVerifier(LOG_SIGNER);

/** `n` signed `config.change` entries of one stream, from `seq` `from`. */
function chain(n: number, from = 0, prev?: string): Entry[] {
  const out: Entry[] = [];
  let last = prev ?? ZERO_HASH;
  for (let seq = from; seq < from + n; seq++) {
    const unsigned = {
      origin: ORIGIN,
      kind: 'config.change',
      stream: 'device:logger-7',
      seq,
      prev: last,
      ts: T0 + seq * 1_000,
      body: { target: 'logger-7', version: seq + 1, digest: 'c'.repeat(64), reason: `change ${seq}` },
    } as UnsignedEntry;
    const entry = signEntry(unsigned, ALICE);
    out.push(entry);
    last = entryHash(entry);
  }
  return out;
}

/** `n` distinct non-empty byte strings (the storage does not parse entries). */
function blobs(n: number, from = 0): Uint8Array[] {
  return Array.from({ length: n }, (_, i) =>
    new TextEncoder().encode(`entry-${from + i}-${'x'.repeat((from + i) % 7)}`),
  );
}

function logOver(storage: LogStorage): TransparencyLog {
  return createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    keys: KEYS,
    storage,
    batch: { maxEntries: 4, maxWaitMs: 1 },
    checkpointEveryMs: 5,
  });
}

function checkpointOf(note: string) {
  return verifyCheckpoint(note, LOG_VERIFIER, { origin: ORIGIN }).checkpoint;
}

/** What `fn` throws (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function storedEntries(storage: LogStorage): Uint8Array[] {
  return Array.from({ length: storage.entryCount() }, (_, i) => Uint8Array.from(storage.entry(i) ?? []));
}

/**
 * The conformance suite every {@link LogStorage} implementation must pass: an empty start,
 * appends read back byte for byte, all-or-nothing batches, no index written twice, the checkpoint
 * replaced, tree nodes kept, durability across a reopen, a whole transparency log run (append,
 * checkpoint, reopen, audit, proofs) and tampering reported by the log naming the entry.
 *
 * @param name - shown in the test names.
 * @param open - opens a fresh, empty storage (each test calls it at least once).
 * @param reopen - reopens a closed storage's durable log; omit for a storage that keeps nothing.
 * @example
 * ```ts
 * describeLogStorageConformance('memory', async (o) => {
 *   const storage = createMemoryLogStorage(o);
 *   return { storage, corruptEntry: async (i) => { storage.entry(i)![0] ^= 1 }, close: async () => {} };
 * });
 * ```
 */
export function describeLogStorageConformance(
  name: string,
  open: OpenLogStorage,
  reopen?: ReopenLogStorage,
): void {
  describe(`LogStorage conformance: ${name}`, () => {
    const opened: LogStorageUnderTest[] = [];
    afterEach(async () => {
      for (const handle of opened.splice(0).reverse()) await handle.close();
    });
    async function fresh(options: LogStorageOpenOptions = {}): Promise<LogStorageUnderTest> {
      const handle = await open(options);
      opened.push(handle);
      return handle;
    }
    /** Closes `handle` and opens its log again; without `reopen`, the same open storage. */
    async function again(handle: LogStorageUnderTest): Promise<LogStorageUnderTest> {
      if (reopen === undefined) return handle;
      await handle.close();
      const next = await reopen(handle);
      opened.push(next);
      return next;
    }

    it('opens empty: no entries, no tree nodes, no checkpoint', async () => {
      const { storage } = await fresh();
      expect(storage.entryCount()).toBe(0);
      expect(storage.entry(0)).toBeUndefined();
      expect(storage.entry(-1)).toBeUndefined();
      expect(storage.latestCheckpoint()).toBeUndefined();
      expect(storage.tree.count(0)).toBe(0);
      expect(storage.tree.get(0, 0)).toBeUndefined();
    });

    it('appends batches at the entry count and reads them back byte for byte (copies of the input)', async () => {
      const { storage } = await fresh();
      const [a, b, c] = blobs(3) as [Uint8Array, Uint8Array, Uint8Array];
      await storage.appendEntries(0, [a, b]);
      await storage.appendEntries(2, [c]);
      await storage.appendEntries(3, []);
      const expected = blobs(3);
      a.fill(0); // the caller's buffer is not the stored entry
      expect(storage.entryCount()).toBe(3);
      expect(storedEntries(storage)).toEqual(expected);
      expect(storage.entry(3)).toBeUndefined();
    });

    it('property: any batching of appends reads back the same entries, in order', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 5 }),
            {
              minLength: 1,
              maxLength: 5,
            },
          ),
          async (batches) => {
            let handle = await fresh();
            for (const batch of batches)
              await handle.storage.appendEntries(handle.storage.entryCount(), batch);
            const all = batches.flat().map((bytes) => Uint8Array.from(bytes));
            expect(storedEntries(handle.storage)).toEqual(all);
            handle = await again(handle);
            expect(storedEntries(handle.storage)).toEqual(all);
            await handle.close();
          },
        ),
        { numRuns: 8 },
      );
    });

    it('never writes an index twice: a batch not at the entry count rejects with a RangeError and stores nothing', async () => {
      let handle = await fresh();
      await handle.storage.appendEntries(0, blobs(2));
      for (const first of [0, 1, 3]) {
        await expect(handle.storage.appendEntries(first, blobs(1, 100))).rejects.toThrow(RangeError);
      }
      expect(storedEntries(handle.storage)).toEqual(blobs(2));
      handle = await again(handle);
      await expect(handle.storage.appendEntries(0, blobs(1, 100))).rejects.toThrow(RangeError);
      await handle.storage.appendEntries(2, blobs(1, 2));
      expect(storedEntries(handle.storage)).toEqual(blobs(3));
    });

    it('stores a batch all or nothing: one past maxEntries stores none of it', async () => {
      let handle = await fresh({ maxEntries: 4 });
      await handle.storage.appendEntries(0, blobs(3));
      await expect(handle.storage.appendEntries(3, blobs(2, 3))).rejects.toThrow(RangeError);
      expect(handle.storage.entryCount()).toBe(3);
      expect(handle.storage.entry(3)).toBeUndefined();
      handle = await again(handle);
      expect(storedEntries(handle.storage)).toEqual(blobs(3));
      await handle.storage.appendEntries(3, blobs(1, 3));
      expect(handle.storage.entryCount()).toBe(4);
    });

    it('replaces the checkpoint: the latest written is read back, also after a reopen', async () => {
      let handle = await fresh();
      await handle.storage.writeCheckpoint('first note\n');
      expect(handle.storage.latestCheckpoint()).toBe('first note\n');
      await handle.storage.writeCheckpoint('second note\n');
      expect(handle.storage.latestCheckpoint()).toBe('second note\n');
      handle = await again(handle);
      expect(handle.storage.latestCheckpoint()).toBe('second note\n');
    });

    it('keeps tree nodes written after their entries', async () => {
      let handle = await fresh();
      const entries = blobs(3);
      await handle.storage.appendEntries(0, entries);
      const leaves = entries.map((e) => leafHash(e)) as [Uint8Array, Uint8Array, Uint8Array];
      handle.storage.tree.append([leaves[0]]);
      handle.storage.tree.append([leaves[1], nodeHash(leaves[0], leaves[1])]);
      handle.storage.tree.append([leaves[2]]);
      await handle.storage.writeCheckpoint('note\n');
      const check = (storage: LogStorage) => {
        expect([storage.tree.count(0), storage.tree.count(1), storage.tree.count(2)]).toEqual([3, 1, 0]);
        expect(storage.tree.get(0, 2)).toEqual(leaves[2]);
        expect(storage.tree.get(1, 0)).toEqual(nodeHash(leaves[0], leaves[1]));
        expect(storage.tree.get(1, 1)).toBeUndefined();
      };
      check(handle.storage);
      handle = await again(handle);
      check(handle.storage);
    });

    if (reopen !== undefined) {
      it('is durable: a reopened storage holds every acknowledged write and continues at the count', async () => {
        let handle = await fresh();
        await handle.storage.appendEntries(0, blobs(2));
        handle.storage.tree.append([leafHash(blobs(1)[0] as Uint8Array)]);
        await handle.storage.appendEntries(2, blobs(2, 2));
        await handle.storage.writeCheckpoint('a note\n');
        handle = await again(handle);
        expect(storedEntries(handle.storage)).toEqual([...blobs(2), ...blobs(2, 2)]);
        expect(handle.storage.tree.count(0)).toBe(1);
        expect(handle.storage.latestCheckpoint()).toBe('a note\n');
        await handle.storage.appendEntries(4, blobs(1, 4));
        handle = await again(handle);
        expect(handle.storage.entryCount()).toBe(5);
        expect(handle.storage.entry(4)).toEqual(blobs(1, 4)[0]);
      });

      it('reopens cleanly after close without any write', async () => {
        let handle = await fresh();
        handle = await again(handle);
        handle = await again(handle);
        expect(handle.storage.entryCount()).toBe(0);
        expect(handle.storage.latestCheckpoint()).toBeUndefined();
      });
    }

    it('runs a transparency log: append, checkpoint, reopen, audit, inclusion and consistency proofs', async () => {
      let handle = await fresh();
      const entries = chain(14);
      const first = logOver(handle.storage);
      const results = await Promise.all(entries.slice(0, 9).map((e) => first.append(e)));
      expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      const note = await first.awaitCheckpoint(8);
      await first.close();
      const old = checkpointOf(note);
      expect(old.size).toBe(9);

      handle = await again(handle);
      const second = logOver(handle.storage);
      expect(second.size).toBe(9);
      expect(second.checkpoint()).toBe(note);
      expect(second.audit()).toBe(9);
      for (const { index, leafHash: hash } of results) {
        expect(second.entry(index).entry).toEqual(entries[index]);
        expect(verifyInclusion(hash, index, 9, second.inclusionProof(index, 9), old.rootHash)).toBe(true);
      }
      const later = await Promise.all(entries.slice(9).map((e) => second.append(e)));
      expect(later.map((r) => r.index)).toEqual([9, 10, 11, 12, 13]);
      const now = checkpointOf(await second.publishCheckpoint());
      expect(now.size).toBe(14);
      expect(verifyConsistency(9, 14, old.rootHash, now.rootHash, second.consistencyProof(9, 14))).toBe(true);
      await second.close();

      handle = await again(handle);
      const third = logOver(handle.storage);
      expect(third.size).toBe(14);
      expect(third.audit()).toBe(14);
      expect(third.root(14)).toEqual(now.rootHash);
      await third.close();
    });

    it('recovers entries its tree does not cover yet (a crash between the two writes)', async () => {
      let handle = await fresh();
      const entries = chain(5);
      await handle.storage.appendEntries(0, entries.map(encodeEntry));
      handle = await again(handle);
      const log = logOver(handle.storage);
      expect(log.size).toBe(5);
      expect(log.audit()).toBe(5);
      const next = chain(1, 5, entryHash(entries[4] as Entry))[0] as Entry;
      expect((await log.append(next)).index).toBe(5);
      await log.close();
    });

    it('reports a changed stored entry as a LedgerIntegrityError (entry-hash) naming its index', async () => {
      let handle = await fresh();
      const log = logOver(handle.storage);
      await Promise.all(chain(6).map((e) => log.append(e)));
      await log.publishCheckpoint();
      await log.close();
      const tampered = (e: unknown) =>
        e instanceof LedgerIntegrityError && e.reason === 'entry-hash' && e.index === 3;
      if (reopen === undefined) {
        await handle.corruptEntry(3);
        const audited = thrown(() => log.audit());
        expect(tampered(audited), String(audited)).toBe(true);
      } else {
        await handle.close();
        await handle.corruptEntry(3);
        handle = await reopen(handle);
        opened.push(handle);
      }
      expect(handle.storage.entry(3)).not.toEqual(encodeEntry(chain(4)[3] as Entry));
      const storage = handle.storage;
      const error = thrown(() => logOver(storage));
      expect(tampered(error), String(error)).toBe(true);
    });
  });
}
