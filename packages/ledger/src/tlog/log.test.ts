import { HealthItError } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ORIGIN, signer, unsigned } from '../../test/entries-fixtures.js';
import {
  type Entry,
  EntryError,
  EntrySignatureError,
  encodeEntry,
  entryHash,
  StreamOrderError,
  signEntry,
} from '../entries/index.js';
import { LedgerIntegrityError } from '../errors.js';
import { verifyConsistency, verifyInclusion } from '../merkle/index.js';
import {
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createWitness,
  parseCheckpoint,
  parseNote,
  requireCosignatures,
  verifyCheckpoint,
} from '../note/index.js';
import { createTransparencyLog, type TransparencyLogOptions } from './log.js';
import { createMemoryLogStorage } from './memory-storage.js';
import type { LogStorage } from './storage.js';

const ALICE = signer(1, 'acme-pharma.release');
const MALLORY = signer(3, 'mallory');
const KEYS = new Map([[ALICE.keyId, ALICE.publicKey]]);
const LOG_SIGNER = createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) });
const LOG_VERIFIER = createEd25519NoteVerifier(LOG_SIGNER);

/** `n` signed `config.change` entries forming one stream, from `seq` `from`. */
function chain(n: number, stream = 'device:logger-7', from = 0, prev?: string): Entry[] {
  const out: Entry[] = [];
  let last = prev;
  for (let seq = from; seq < from + n; seq++) {
    const e = signEntry(
      unsigned('config.change', { stream, seq, ...(last === undefined ? {} : { prev: last }) }),
      ALICE,
    );
    out.push(e);
    last = entryHash(e);
  }
  return out;
}

function makeLog(overrides: Partial<TransparencyLogOptions> = {}) {
  return createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    keys: KEYS,
    batch: { maxEntries: 4, maxWaitMs: 10 },
    checkpointEveryMs: 20,
    ...overrides,
  });
}

function checkpointOf(note: string) {
  return verifyCheckpoint(note, LOG_VERIFIER).checkpoint;
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

describe('createTransparencyLog: proofs against checkpoints', () => {
  it('append → the inclusion proof verifies against the checkpoint root', async () => {
    const log = makeLog();
    const entries = chain(7);
    const results = await Promise.all(entries.map((e) => log.append(e)));
    expect(results.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    const note = await log.awaitCheckpoint(6);
    const { size, rootHash } = checkpointOf(note);
    expect(size).toBe(7);
    for (const { index, leafHash } of results) {
      expect(verifyInclusion(leafHash, index, size, log.inclusionProof(index, size), rootHash)).toBe(true);
      expect(log.entry(index).entry).toEqual(entries[index]);
    }
    // a proof for another leaf position fails
    const r2 = results[2] as { leafHash: Uint8Array };
    expect(verifyInclusion(r2.leafHash, 3, size, log.inclusionProof(2, size), rootHash)).toBe(false);
    await log.close();
  });

  it('a later checkpoint is consistent with an earlier one', async () => {
    const log = makeLog();
    const entries = chain(9);
    for (const e of entries.slice(0, 3)) await log.append(e);
    const first = checkpointOf(await log.publishCheckpoint());
    for (const e of entries.slice(3)) await log.append(e);
    const second = checkpointOf(await log.publishCheckpoint());
    expect([first.size, second.size]).toEqual([3, 9]);
    const proof = log.consistencyProof(first.size, second.size);
    expect(verifyConsistency(first.size, second.size, first.rootHash, second.rootHash, proof)).toBe(true);
    expect(verifyConsistency(first.size, second.size, second.rootHash, first.rootHash, proof)).toBe(false);
    expect(log.checkpoint()).toContain(`\n9\n`);
    await log.close();
  });

  it('property: every index of randomly batched appends proves against every later checkpoint', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 5 }),
        async (rounds, maxEntries) => {
          const log = makeLog({ batch: { maxEntries, maxWaitMs: 0, maxQueued: 64 } });
          const entries = chain(rounds.reduce((a, b) => a + b, 0));
          const notes: string[] = [];
          let at = 0;
          for (const n of rounds) {
            await Promise.all(entries.slice(at, at + n).map((e) => log.append(e)));
            at += n;
            notes.push(await log.publishCheckpoint());
          }
          const last = checkpointOf(notes[notes.length - 1] as string);
          for (let i = 0; i < last.size; i++) {
            const proof = log.inclusionProof(i, last.size);
            expect(verifyInclusion(log.entry(i).leafHash, i, last.size, proof, last.rootHash)).toBe(true);
          }
          for (const note of notes) {
            const old = checkpointOf(note);
            const proof = old.size === last.size ? [] : log.consistencyProof(old.size, last.size);
            expect(verifyConsistency(old.size, last.size, old.rootHash, last.rootHash, proof)).toBe(true);
          }
          await log.close();
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe('createTransparencyLog: validation', () => {
  it('rejects stream order violations (gap, replay, wrong prev, other origin) without using an index', async () => {
    const log = makeLog({ batch: { maxEntries: 1, maxWaitMs: 0 } });
    const [e0, e1, e2] = chain(3) as [Entry, Entry, Entry];
    await log.append(e0);
    const gap = await rejection(log.append(e2));
    expect(gap).toBeInstanceOf(StreamOrderError);
    expect((gap as StreamOrderError).reason).toBe('gap');
    const replay = await rejection(log.append(e0));
    expect((replay as StreamOrderError).reason).toBe('replay');
    const forked = signEntry(unsigned('config.change', { seq: 1, prev: 'ab'.repeat(32) }), ALICE);
    expect(((await rejection(log.append(forked))) as StreamOrderError).reason).toBe('prev');
    const elsewhere = signEntry({ ...unsigned('config.change'), origin: 'other.example/log' }, ALICE);
    expect(((await rejection(log.append(elsewhere))) as StreamOrderError).reason).toBe('origin');
    expect(log.size).toBe(1);
    expect((await log.append(e1)).index).toBe(1);
    await log.close();
  });

  it('rejects bad, unknown and missing signatures and non-canonical bytes', async () => {
    const log = makeLog({ batch: { maxEntries: 1, maxWaitMs: 0 } });
    const good = chain(1)[0] as Entry;
    const sig = good.signatures[0] as { keyId: string; sig: string };
    const flipped = `${sig.sig.slice(0, -1)}${sig.sig.endsWith('0') ? '1' : '0'}`;
    const bad = { ...good, signatures: [{ keyId: sig.keyId, sig: flipped }] } as Entry;
    const badError = await rejection(log.append(bad));
    expect(badError).toBeInstanceOf(EntrySignatureError);
    expect((badError as EntrySignatureError).reason).toBe('bad-signature');
    const unknown = signEntry(unsigned('config.change'), MALLORY);
    expect(((await rejection(log.append(unknown))) as EntrySignatureError).reason).toBe('unknown-key');
    const unsignedEntry = { ...unsigned('config.change'), signatures: [] } as Entry;
    expect(((await rejection(log.append(unsignedEntry))) as EntrySignatureError).reason).toBe('insufficient');
    const spaced = new TextEncoder().encode(`${new TextDecoder().decode(encodeEntry(good))} `);
    const nonCanonical = await rejection(log.append(spaced));
    expect(nonCanonical).toBeInstanceOf(EntryError);
    expect((nonCanonical as EntryError).reason).toBe('non-canonical');
    expect(log.size).toBe(0);
    expect((await log.append(encodeEntry(good))).index).toBe(0); // canonical bytes are accepted
    await log.close();
  });
});

describe('createTransparencyLog: batching (fake timers)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes a batch as soon as it holds maxEntries', async () => {
    const log = makeLog({ batch: { maxEntries: 3, maxWaitMs: 1000 }, checkpointEveryMs: 60_000 });
    const sizes: number[] = [];
    log.events$.subscribe((e) => {
      if (e.type === 'batch-sequenced') sizes.push(e.count);
    });
    const done: number[] = [];
    const entries = chain(3);
    const a = log.append(entries[0] as Entry).then((r) => done.push(r.index));
    const b = log.append(entries[1] as Entry).then((r) => done.push(r.index));
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toEqual([]);
    expect(log.size).toBe(0);
    const c = log.append(entries[2] as Entry).then((r) => done.push(r.index));
    await Promise.all([a, b, c]); // no time advanced
    expect(done).toEqual([0, 1, 2]);
    expect(sizes).toEqual([3]);
    await log.close();
  });

  it('writes a partial batch maxWaitMs after its first entry, and checkpoints every checkpointEveryMs', async () => {
    const log = makeLog({ batch: { maxEntries: 100, maxWaitMs: 50 }, checkpointEveryMs: 200 });
    const done: number[] = [];
    const entries = chain(2);
    void log.append(entries[0] as Entry).then((r) => done.push(r.index));
    await vi.advanceTimersByTimeAsync(30);
    void log.append(entries[1] as Entry).then((r) => done.push(r.index));
    await vi.advanceTimersByTimeAsync(19);
    expect(done).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toEqual([0, 1]);
    let note: string | undefined;
    void log.awaitCheckpoint(1).then((n) => {
      note = n;
    });
    await vi.advanceTimersByTimeAsync(199);
    expect(note).toBeUndefined();
    expect(log.checkpoint()).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(checkpointOf(note as string).size).toBe(2);
    expect(vi.getTimerCount()).toBe(0); // idle: no timer left running
    await log.close();
  });

  it('rejects with a retryable buffer/overflow when the queue is full, consuming no seq', async () => {
    const log = makeLog({ batch: { maxEntries: 10, maxWaitMs: 100, maxQueued: 2 } });
    const entries = chain(3);
    const first = [log.append(entries[0] as Entry), log.append(entries[1] as Entry)];
    const overflow = await rejection(log.append(entries[2] as Entry));
    expect(overflow).toBeInstanceOf(HealthItError);
    expect((overflow as HealthItError).code).toBe('buffer/overflow');
    expect((overflow as HealthItError).retryable).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    await Promise.all(first);
    const retry = log.append(entries[2] as Entry); // the retry succeeds
    await vi.advanceTimersByTimeAsync(100);
    expect((await retry).index).toBe(2);
    const closing = log.close();
    await vi.runAllTimersAsync();
    await closing;
    expect(checkpointOf(log.checkpoint() as string).size).toBe(3);
  });
});

describe('createTransparencyLog: witnesses', () => {
  it('publishes checkpoints cosigned by every witness, consistent across checkpoints', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1));
    const witnesses = [1, 2].map((n) =>
      createWitness({
        key: { name: `w${n}.example/witness`, secretKey: new Uint8Array(32).fill(20 + n) },
        log: LOG_VERIFIER,
        clock,
      }),
    );
    const log = makeLog({ witnesses, checkpointEveryMs: 5 });
    const entries = chain(10);
    const r1 = await Promise.all(entries.slice(0, 4).map((e) => log.append(e)));
    const n1 = await log.awaitCheckpoint((r1[3] as { index: number }).index);
    const verifiers = witnesses.map((w) => w.verifier);
    expect(requireCosignatures(n1, verifiers, 2)).toHaveLength(2);
    const r2 = await Promise.all(entries.slice(4).map((e) => log.append(e)));
    const n2 = await log.awaitCheckpoint((r2[5] as { index: number }).index);
    expect(checkpointOf(n2).size).toBe(10);
    expect(requireCosignatures(n2, verifiers, 2)).toHaveLength(2);
    expect(witnesses.map((w) => w.latest()?.checkpoint.size)).toEqual([10, 10]);
    expect(parseNote(n2).signatures).toHaveLength(3);
    await log.close();
  });

  it('does not publish when a witness refuses; reports it on events$', async () => {
    const refusing = {
      name: 'w.example/down',
      cosign: (): string => {
        throw new HealthItError('transport/disconnected', 'witness unreachable');
      },
    };
    const log = makeLog({ witnesses: [refusing] });
    const failures: number[] = [];
    log.events$.subscribe((e) => {
      if (e.type === 'checkpoint-failed') failures.push(e.size);
    });
    await Promise.all(chain(2).map((e) => log.append(e)));
    await expect(log.publishCheckpoint()).rejects.toThrow('witness unreachable');
    expect(log.checkpoint()).toBeUndefined();
    expect(failures).toEqual([2]);
  });
});

describe('createTransparencyLog: checkpoint publication order', () => {
  it('publishCheckpoint called while a smaller checkpoint is in flight covers everything sequenced (no stale head)', async () => {
    let release: (() => void) | undefined;
    const slow = {
      name: 'w.example/slow',
      cosign: (note: string): Promise<string> =>
        new Promise((resolve) => {
          release = () => resolve(note);
        }),
    };
    const log = makeLog({ witnesses: [slow], checkpointEveryMs: 60_000 });
    const entries = chain(6);
    await Promise.all(entries.slice(0, 2).map((e) => log.append(e)));
    const first = log.publishCheckpoint(); // size 2, held by the slow witness
    await Promise.all(entries.slice(2).map((e) => log.append(e)));
    const second = log.publishCheckpoint(); // must cover all 6
    await new Promise((r) => setTimeout(r, 5));
    release?.();
    expect(checkpointOf(await first).size).toBe(2);
    await new Promise((r) => setTimeout(r, 5));
    release?.();
    expect(checkpointOf(await second).size).toBe(6);
    expect(checkpointOf(log.checkpoint() as string).size).toBe(6);
    await log.close();
  });
});

describe('createTransparencyLog: storage', () => {
  it('detects a tampered stored entry, pointing at its index (read, audit, reopen)', async () => {
    const storage = createMemoryLogStorage();
    const log = makeLog({ storage });
    await Promise.all(chain(6).map((e) => log.append(e)));
    await log.close();
    expect(log.audit()).toBe(6);
    const stored = storage.entry(4) as Uint8Array;
    stored[20] = (stored[20] as number) ^ 0x01; // flip one bit "on disk"
    const read = (() => {
      try {
        log.entry(4);
      } catch (e) {
        return e;
      }
    })();
    expect(read).toBeInstanceOf(LedgerIntegrityError);
    expect(read).toMatchObject({ reason: 'entry-hash', index: 4 });
    expect(() => log.audit()).toThrow(expect.objectContaining({ index: 4 }) as unknown as Error);
    expect(() => makeLog({ storage })).toThrow(LedgerIntegrityError);
    expect(log.entry(3).index).toBe(3); // other entries still read
  });

  it('detects a stored tree rewritten along with the entry (checkpoint root mismatch)', async () => {
    const storage = createMemoryLogStorage();
    const log = makeLog({ storage });
    await Promise.all(chain(4).map((e) => log.append(e)));
    await log.close();
    // Rewrite leaf 0's stored hash to match forged bytes: only the signed checkpoint catches it.
    const forged = storage.entry(0) as Uint8Array;
    forged[20] = (forged[20] as number) ^ 0x01;
    const { leafHash } = await import('../merkle/index.js');
    (storage.tree.get(0, 0) as Uint8Array).set(leafHash(forged));
    expect(() => log.audit()).toThrow(expect.objectContaining({ reason: 'fork' }) as unknown as Error);
  });

  it('a reopened log continues indexes and stream order and keeps its checkpoint', async () => {
    const storage = createMemoryLogStorage();
    const entries = chain(5);
    const first = makeLog({ storage });
    await Promise.all(entries.slice(0, 3).map((e) => first.append(e)));
    await first.close();
    const note = first.checkpoint() as string;
    const again = makeLog({ storage });
    expect(again.size).toBe(3);
    expect(again.checkpoint()).toBe(note);
    expect(((await rejection(again.append(entries[2] as Entry))) as StreamOrderError).reason).toBe('replay');
    expect((await again.append(entries[3] as Entry)).index).toBe(3);
    await again.close();
    const later = checkpointOf(again.checkpoint() as string);
    const earlier = checkpointOf(note);
    expect(verifyConsistency(3, 4, earlier.rootHash, later.rootHash, again.consistencyProof(3, 4))).toBe(
      true,
    );
  });

  it('re-hashes entries written before a crash left the tree behind', async () => {
    const storage = createMemoryLogStorage();
    const log = makeLog({ storage });
    await Promise.all(chain(2).map((e) => log.append(e)));
    await log.close();
    // simulate a crash after the entry write, before its tree nodes: write an entry only
    const next = chain(3)[2] as Entry;
    await storage.appendEntries(2, [encodeEntry(next)]);
    const reopened = makeLog({ storage });
    expect(reopened.size).toBe(3);
    expect(reopened.entry(2).entry).toEqual(next);
    expect(reopened.audit()).toBe(3);
  });

  it('a failed storage write rejects the batch and stops the log', async () => {
    const inner = createMemoryLogStorage();
    const failing: LogStorage = {
      ...inner,
      tree: inner.tree,
      appendEntries: async () => {
        throw new Error('disk full');
      },
    };
    const log = makeLog({ storage: failing, batch: { maxEntries: 1, maxWaitMs: 0 } });
    const [e0, e1] = chain(2) as [Entry, Entry];
    const error = await rejection(log.append(e0));
    expect(error).toMatchObject({ code: 'state/invalid' });
    expect((error as Error).cause).toMatchObject({ message: 'disk full' });
    expect(((await rejection(log.append(e1))) as HealthItError).code).toBe('state/invalid');
    expect(log.size).toBe(0);
    expect(inner.entryCount()).toBe(0);
  });

  it('refuses to rewrite an index', async () => {
    const storage = createMemoryLogStorage();
    await storage.appendEntries(0, [new Uint8Array([1])]);
    await expect(storage.appendEntries(0, [new Uint8Array([2])])).rejects.toThrow(RangeError);
  });

  it('checkpoint text carries the origin and tree size', async () => {
    const log = makeLog();
    await Promise.all(chain(2).map((e) => log.append(e)));
    const cp = parseCheckpoint(parseNote(await log.publishCheckpoint()).text);
    expect(cp.origin).toBe(ORIGIN);
    expect(cp.size).toBe(2);
    expect(cp.rootHash).toEqual(log.root(2));
  });
});
