/**
 * Attacks on the log head: rollback, freeze, truncation, history rewrite / fork and split view,
 * played against the real log (`createTransparencyLog`), witnesses (`createWitness`) and clients
 * (`createCheckpointClient`).
 */
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import {
  createCheckpointClient,
  createMemoryLogStorage,
  detectEquivocation,
  entries,
  LedgerIntegrityError,
  NoteError,
  parseCheckpoint,
  parseNote,
  requireCosignatures,
  signCheckpoint,
  type TransparencyLog,
  type tlog,
  verifyEquivocationEvidence,
  verifyInclusion,
  type Witness,
} from '../../src/index.js';
import {
  appendAll,
  backupOf,
  chain,
  LOG_SIGNER,
  LOG_VERIFIER,
  makeLog,
  rejection,
  T0,
  thrown,
  witness,
} from './helpers.js';

const sizeOf = (note: string): number => parseCheckpoint(parseNote(note).text).size;
/** The entry hash of the log's entry `index` (the `prev` of the next entry of its stream). */
const headHash = (log: TransparencyLog, index: number): string => entries.entryHash(log.entry(index).entry);
/** A checkpoint of the log's tree at `size`, signed with the log key and nothing else. */
const signedHead = (log: TransparencyLog, size: number): string =>
  signCheckpoint({ origin: log.origin, size, rootHash: log.root(size) }, LOG_SIGNER);
const verifiersOf = (ws: readonly Witness[]) => ws.slice(0, 2).map((w) => w.verifier);

/** A witnessed log of 8 entries, its checkpoints at 4 and 8, and a backup of its storage at 4. */
async function witnessedHistory() {
  const clock = createFakeClock(T0);
  const witnesses = [witness(1, clock), witness(2, clock), witness(3, clock)];
  const storage = createMemoryLogStorage();
  const log = makeLog({ storage, witnesses: witnesses.slice(0, 2) });
  const honest = chain(8);
  await appendAll(log, honest.slice(0, 4));
  const n4 = await log.publishCheckpoint();
  const backup = await backupOf(storage, 4, n4);
  clock.advance(60_000);
  await appendAll(log, honest.slice(4));
  const n8 = await log.publishCheckpoint();
  await log.close();
  const client = () =>
    createCheckpointClient({ log: LOG_VERIFIER, witnesses: witnesses.map((w) => w.verifier), k: 2 });
  return { clock, witnesses, storage, log, honest, n4, n8, backup, client };
}

function noteError(e: unknown): NoteError {
  expect(e).toBeInstanceOf(NoteError);
  return e as NoteError;
}

describe('attacks on the log head', () => {
  it('attack: rollback of the log head (storage restored from an old backup) → witnesses refuse to cosign (rollback), no checkpoint is published, clients refuse the old head', async () => {
    const { witnesses, n4, n8, backup, client } = await witnessedHistory();
    // The operator restores the backup taken at size 4. The log alone cannot tell: the backup is a
    // valid log of 4 entries with a checkpoint signed by its own key.
    const rolledBack = makeLog({ storage: backup, witnesses: witnesses.slice(0, 2) });
    expect(rolledBack.size).toBe(4);
    expect(rolledBack.checkpoint()).toBe(n4);
    // It grows again, with other entries, to 6 < 8: the witnesses, who cosigned 8, refuse.
    const failed: tlog.TransparencyLogEvent[] = [];
    rolledBack.events$.subscribe((e) => {
      if (e.type === 'checkpoint-failed') failed.push(e);
    });
    await appendAll(rolledBack, chain(2, 4, headHash(rolledBack, 3), 'rewritten'));
    const error = noteError(await rejection(rolledBack.publishCheckpoint()));
    expect(error.reason).toBe('rollback');
    expect(error.code).toBe('ledger/integrity');
    expect(failed).toEqual([expect.objectContaining({ type: 'checkpoint-failed', size: 6 })]);
    expect(rolledBack.checkpoint()).toBe(n4); // nothing newer was published
    expect(witnesses.map((w) => w.latest()?.checkpoint.size)).toEqual([8, 8, undefined]);
    // A client that saw 8 refuses the old head, however well it is cosigned; its state stays at 8.
    const c = client();
    c.update(n8);
    expect(requireCosignatures(n4, verifiersOf(witnesses), 2)).toHaveLength(2);
    expect(noteError(thrown(() => c.update(n4))).reason).toBe('rollback');
    expect(c.latest()?.checkpoint.size).toBe(8);
    // The same from a client restarted from its persisted state.
    const restarted = createCheckpointClient({
      log: LOG_VERIFIER,
      witnesses: witnesses.map((w) => w.verifier),
      k: 2,
      latest: n8,
    });
    expect(noteError(thrown(() => restarted.update(n4))).reason).toBe('rollback');
  });

  it('attack: history rewrite / fork (the log re-signs other entries at an old size) → witnesses and clients refuse: equivocation with verifiable evidence at the same size, inconsistent beyond it', async () => {
    const { witnesses, n8, backup, client } = await witnessedHistory();
    const forked = makeLog({ storage: backup, witnesses: witnesses.slice(0, 2) });
    // Entries 4..9 rewritten: same stream, continuing the backup's head, other content.
    const fork = chain(6, 4, headHash(forked, 3), 'rewritten');
    await appendAll(forked, fork.slice(0, 4));
    expect(forked.size).toBe(8);
    // Same size, other root: the first witness reports the split, with evidence anyone can check.
    const equivocation = noteError(await rejection(forked.publishCheckpoint()));
    expect(equivocation.reason).toBe('equivocation');
    expect(equivocation.evidence?.size).toBe(8);
    expect(
      verifyEquivocationEvidence(equivocation.evidence as NonNullable<NoteError['evidence']>, LOG_VERIFIER),
    ).toBe(true);
    // Beyond the old size, the consistency proof the log can make starts from its own (forked) tree.
    await appendAll(forked, fork.slice(4));
    expect(noteError(await rejection(forked.publishCheckpoint())).reason).toBe('inconsistent');
    expect(forked.checkpoint()).not.toContain('\n10\n');
    // A client that saw the honest 8 refuses the forked heads even when the log signs them itself
    // (no cosignature needed to be refused: the fork is detected before the quorum matters).
    const c = createCheckpointClient({ log: LOG_VERIFIER });
    c.update(n8);
    const forged8 = signedHead(forked, 8);
    const evidence = noteError(thrown(() => c.update(forged8))).evidence;
    expect(evidence !== undefined && verifyEquivocationEvidence(evidence, LOG_VERIFIER)).toBe(true);
    const forged10 = signedHead(forked, 10);
    expect(noteError(thrown(() => c.update(forged10, forked.consistencyProof(8, 10)))).reason).toBe(
      'inconsistent',
    );
    // The witnessed client refuses them for want of cosignatures too.
    expect(noteError(thrown(() => client().update(forged10))).reason).toBe('quorum');
  });

  it('attack: split view (equivocation) — two clients shown two trees of one size → with k > n/2 witnesses the second view cannot reach quorum, and the clients comparing notes get verifiable evidence', async () => {
    const clock = createFakeClock(T0);
    const [w1, w2, w3] = [witness(1, clock), witness(2, clock), witness(3, clock)];
    if (w1 === undefined || w2 === undefined || w3 === undefined) throw new Error('witnesses');
    const verifiers = [w1.verifier, w2.verifier, w3.verifier];
    // View A: the honest log, cosigned by w1 and w2.
    const honest = makeLog({ witnesses: [w1, w2] });
    await appendAll(honest, chain(5));
    const viewA = await honest.publishCheckpoint();
    // View B: the same log key over other entries of the same size, shown to another client.
    const other = makeLog({ witnesses: [w3, w2, w1] });
    await appendAll(other, chain(5, 0, undefined, 'other'));
    const error = noteError(await rejection(other.publishCheckpoint()));
    expect(error.reason).toBe('equivocation'); // w3 cosigned, w2 refused
    expect(other.checkpoint()).toBeUndefined();
    // Even with the one cosignature it could get (w3), view B is short of a 2-of-3 quorum.
    const signedB = signedHead(other, 5);
    const viewB = w3.cosign(signedB);
    const clientA = createCheckpointClient({ log: LOG_VERIFIER, witnesses: verifiers, k: 2 });
    const clientB = createCheckpointClient({ log: LOG_VERIFIER, witnesses: verifiers, k: 2 });
    clientA.update(viewA);
    expect(noteError(thrown(() => clientB.update(viewB))).reason).toBe('quorum');
    // Gossip: two notes of one size with different roots are proof of the split, for anyone.
    const evidence = detectEquivocation(viewA, viewB, LOG_VERIFIER);
    expect(evidence).toMatchObject({ type: 'equivocation', size: 5 });
    expect(evidence !== undefined && verifyEquivocationEvidence(evidence, LOG_VERIFIER)).toBe(true);
    expect(detectEquivocation(viewA, viewA, LOG_VERIFIER)).toBeUndefined();
    // A client that already holds view A and is shown view B reports the same evidence.
    expect(noteError(thrown(() => clientA.update(w1.cosign(signedB)))).reason).toBe('equivocation');
    await honest.close();
  });

  it('attack: freeze of the log head — a client shown a stale head cannot tell on its own; the witnesses’ latest cosigned size exposes it, and the log must then prove consistency', async () => {
    const { clock, witnesses, log, n4, n8, client } = await witnessedHistory();
    const c = client();
    c.update(n4);
    // The log (or a man in the middle) keeps serving the size-4 head while the witnesses cosign 8.
    clock.advance(3_600_000);
    expect(c.update(n4).checkpoint.size).toBe(4); // accepted again: no growth is not an error
    expect(c.latest()?.checkpoint.size).toBe(4);
    // What the design gives the client to detect it: ask the witnesses what they cosigned last.
    const seen = witnesses.map((w) => w.latest()?.checkpoint.size ?? 0);
    expect(Math.max(...seen)).toBe(8);
    expect(Math.max(...seen)).toBeGreaterThan(c.latest()?.checkpoint.size ?? 0); // frozen: the log grew
    // To move on, the client needs the cosigned head and a consistency proof from the log.
    expect(noteError(thrown(() => c.update(n8))).reason).toBe('inconsistent');
    expect(c.update(n8, log.consistencyProof(4, 8)).checkpoint.size).toBe(8);
    // Cosignature timestamps date a head, but a log that does not grow is not re-cosigned: an
    // idle honest log and a frozen one look the same to a client without the witnesses' view.
    const stamps = requireCosignatures(
      n4,
      witnesses.map((w) => w.verifier),
      2,
    ).map((s) => s.timestamp);
    expect(stamps).toEqual([BigInt(T0 / 1000), BigInt(T0 / 1000)]);
    const idle = makeLog({ witnesses: [witness(7, clock)] });
    await appendAll(idle, chain(1));
    const first = await idle.publishCheckpoint();
    clock.advance(86_400_000);
    expect(await idle.publishCheckpoint()).toBe(first); // same note, same (old) cosignature time
    await idle.close();
  });

  it('attack: truncation — entries removed from the end of the storage under a signed checkpoint → the reopened log refuses (truncated), naming the first missing index', async () => {
    const { storage, n8, witnesses } = await witnessedHistory();
    // Entries 6 and 7 removed; the tree nodes and the signed checkpoint of size 8 kept.
    const cut = await backupOf(storage, 6, n8);
    const error = thrown(() => makeLog({ storage: cut }));
    expect(error).toBeInstanceOf(LedgerIntegrityError);
    expect(error).toMatchObject({ reason: 'truncated', index: 6 });
    // The tree too: a storage whose tree holds more leaves than it has entries.
    const withTree = createMemoryLogStorage();
    await withTree.appendEntries(
      0,
      [0, 1, 2, 3, 4, 5, 6, 7].map((i) => storage.entry(i) as Uint8Array),
    );
    makeLog({ storage: withTree }).audit(); // build the tree for 8 (replayed at open)
    const fewer = {
      ...withTree,
      entryCount: () => 5,
      entry: (i: number) => (i < 5 ? withTree.entry(i) : undefined),
    };
    expect(thrown(() => makeLog({ storage: fewer }))).toMatchObject({ reason: 'truncated', index: 5 });
    // Truncating the checkpoint with the entries is a rollback: the witnesses catch that (above).
    expect(witnesses[0]?.latest()?.checkpoint.size).toBe(8);
  });

  it('attack: proofs from a rewritten history do not verify against the honest checkpoint (not even for the entries the fork kept)', async () => {
    const { log, n8, backup } = await witnessedHistory();
    const { size, rootHash } = parseCheckpoint(parseNote(n8).text);
    expect(size).toBe(8);
    const forked = makeLog({ storage: backup });
    await appendAll(forked, chain(4, 4, headHash(forked, 3), 'rewritten'));
    for (let i = 0; i < 8; i++) {
      const honestOk = verifyInclusion(log.entry(i).leafHash, i, size, log.inclusionProof(i, size), rootHash);
      const forkOk = verifyInclusion(
        forked.entry(i).leafHash,
        i,
        size,
        forked.inclusionProof(i, size),
        rootHash,
      );
      expect([honestOk, forkOk]).toEqual([true, false]);
    }
    expect(sizeOf(n8)).toBe(8);
  });
});
