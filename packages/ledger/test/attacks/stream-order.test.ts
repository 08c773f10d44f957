/**
 * Replay and reordering within a stream: at append, in the stored log and under the independent
 * verifier.
 */
import { describe, expect, it } from 'vitest';
import {
  createMemoryLogStorage,
  entries,
  LedgerIntegrityError,
  LogVerificationError,
  merkleRoot,
  signCheckpoint,
  verifyLog,
} from '../../src/index.js';
import { consortiumV1, createWriter } from '../../src/tlog/test-fixtures/consortium.js';
import { appendAll, chain, LOG_SIGNER, LOG_VERIFIER, makeLog, ORIGIN, rejection, thrown } from './helpers.js';

function orderError(e: unknown): entries.StreamOrderError {
  expect(e).toBeInstanceOf(entries.StreamOrderError);
  return e as entries.StreamOrderError;
}

describe('replay and reordering within a stream', () => {
  it('attack: replay of the last entry (replay) or of an older one (stale) → StreamOrderError naming stream, expected and got seq; no index used', async () => {
    const log = makeLog({ batch: { maxEntries: 1, maxWaitMs: 0 } });
    const list = chain(4);
    await appendAll(log, list.slice(0, 3));
    const last = orderError(await rejection(log.append(list[2] as entries.Entry)));
    expect(last).toMatchObject({ reason: 'replay', stream: 'device:logger-7', expectedSeq: 3, gotSeq: 2 });
    for (const old of [list[0], list[1]]) {
      expect(orderError(await rejection(log.append(old as entries.Entry))).reason).toBe('stale');
    }
    // The same entry again as canonical bytes: still a replay.
    expect(
      orderError(await rejection(log.append(entries.encodeEntry(list[2] as entries.Entry)))).reason,
    ).toBe('replay');
    expect(log.size).toBe(3);
    expect((await log.append(list[3] as entries.Entry)).index).toBe(3);
    await log.close();
  });

  it('attack: reordering — entries of one stream delivered out of order → gap for the early one, nothing sequenced; in order they go through', async () => {
    const log = makeLog({ batch: { maxEntries: 1, maxWaitMs: 0 } });
    const list = chain(5);
    await appendAll(log, list.slice(0, 2));
    const early = orderError(await rejection(log.append(list[3] as entries.Entry)));
    expect(early).toMatchObject({ reason: 'gap', expectedSeq: 2, gotSeq: 3 });
    const later = orderError(await rejection(log.append(list[4] as entries.Entry)));
    expect(later.reason).toBe('gap');
    expect(log.size).toBe(2);
    await appendAll(log, list.slice(2)); // the retry, in order
    expect(log.size).toBe(5);
    await log.close();
  });

  it('attack: entries swapped in storage → the reopened log refuses (entry-hash, or stream order once the tree is rebuilt to match) and verifyLog refuses (stream-order), at the first moved index', async () => {
    const storage = createMemoryLogStorage();
    const log = makeLog({ storage });
    await appendAll(log, chain(4));
    await log.close();
    const bytes = [0, 1, 2, 3].map((i) => (storage.entry(i) as Uint8Array).slice());
    const swapped = [bytes[0], bytes[2], bytes[1], bytes[3]] as Uint8Array[];
    // (a) the bytes swapped under the stored tree: entry 1 no longer hashes to its leaf.
    const underTree = { ...storage, entry: (i: number) => swapped[i] };
    expect(thrown(() => makeLog({ storage: underTree }))).toMatchObject({ reason: 'entry-hash', index: 1 });
    // (b) a storage rebuilt from the swapped entries (tree re-hashed, no checkpoint): stream order.
    const rebuilt = createMemoryLogStorage();
    await rebuilt.appendEntries(0, swapped);
    const error = thrown(() => makeLog({ storage: rebuilt }));
    expect(error).toBeInstanceOf(LedgerIntegrityError);
    expect(error).toMatchObject({ reason: 'index', index: 1, cause: { reason: 'gap' } });
  });

  it('attack: a replayed or reordered entry in a log handed to verifyLog (checkpoint re-signed over it) → stream-order at its index', () => {
    const w = createWriter();
    const list: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const e = w.make('config.change', ['logger-7']);
      w.commit(e);
      list.push(entries.encodeEntry(e));
    }
    const verify = (log: Uint8Array[]) =>
      verifyLog({
        policy: consortiumV1(),
        entries: log,
        checkpoint: signCheckpoint(
          { origin: ORIGIN, size: log.length, rootHash: merkleRoot(log) },
          LOG_SIGNER,
        ),
        logKey: LOG_VERIFIER,
      });
    expect(verify(list).size).toBe(3);
    const [a, b, c] = list as [Uint8Array, Uint8Array, Uint8Array];
    for (const [what, log, index, reason] of [
      ['replayed', [a, b, b, c], 2, 'replay'],
      ['replayed older', [a, b, c, a], 3, 'stale'],
      ['reordered', [a, c, b], 1, 'gap'],
    ] as const) {
      const error = thrown(() => verify([...log]));
      expect(error).toBeInstanceOf(LogVerificationError);
      expect([what, error]).toMatchObject([what, { reason: 'stream-order', index, cause: { reason } }]);
    }
  });
});
