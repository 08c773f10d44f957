/**
 * The transparency log with a `signatureVerifier` (worker threads): the same admissions, errors
 * and tree as checking on the log's thread, in call order, and verdicts never reused for another key.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ORIGIN, signer, unsigned } from '../../test/entries-fixtures.js';
import { type Entry, EntrySignatureError, entryHash, signEntry } from '../entries/index.js';
import { toHex } from '../hex.js';
import { createEd25519NoteSigner } from '../note/index.js';
import { createWorkerSignatureVerifier } from '../workers/index.js';
import { createTransparencyLog, type TransparencyLogOptions } from './log.js';
import type { ParallelSignatureVerifier } from './parallel-verifier.js';
import {
  consortiumV1,
  consortiumV2,
  createWriter,
  documents,
  LOG_SIGNER as POLICY_LOG_SIGNER,
  ORIGIN as POLICY_ORIGIN,
  pub,
} from './test-fixtures/consortium.js';

const ALICE = signer(1, 'acme-pharma.release');
const MALLORY = signer(3, 'mallory');
const KEYS = new Map([[ALICE.keyId, ALICE.publicKey]]);
const LOG_SIGNER = createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) });

const workers = createWorkerSignatureVerifier({ threads: 2, chunkSize: 8 });
afterAll(() => workers.close());

function makeLog(overrides: Partial<TransparencyLogOptions> = {}) {
  return createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    keys: KEYS,
    batch: { maxEntries: 8, maxWaitMs: 0 },
    checkpointEveryMs: 60_000,
    ...overrides,
  });
}

/** What each append came to: its index, or its error's class and reason. */
async function outcomes(log: ReturnType<typeof makeLog>, inputs: readonly Entry[]): Promise<string[]> {
  const settled = await Promise.allSettled(inputs.map((e) => log.append(e)));
  return settled.map((s) =>
    s.status === 'fulfilled'
      ? `#${s.value.index}`
      : `${(s.reason as Error).name}:${(s.reason as { reason?: string }).reason}`,
  );
}

/** A kind of submission in the differential property. */
type Step = 'honest' | 'forged' | 'unknown-key' | 'replay' | 'gap' | 'other-stream';

/** Entries for `steps`, chained as if every honest one before them was admitted. */
function submissions(steps: readonly Step[]): Entry[] {
  const zero = toHex(new Uint8Array(32));
  /** Per stream, the `prev` of each admitted seq, and the hash of the last one. */
  const chains = new Map<string, string[]>();
  return steps.map((step) => {
    const stream = step === 'other-stream' ? 'device:logger-8' : 'device:logger-7';
    const chain = chains.get(stream) ?? [zero];
    const next = chain.length - 1;
    const seq = step === 'replay' && next > 0 ? next - 1 : step === 'gap' ? next + 1 : next;
    const prev = step === 'replay' && next > 0 ? (chain[next - 1] as string) : (chain[next] as string);
    const base = unsigned('config.change', { stream, seq, prev });
    const entry =
      step === 'forged'
        ? signEntry(base, { keyId: ALICE.keyId, secretKey: MALLORY.secretKey })
        : signEntry(base, step === 'unknown-key' ? MALLORY : ALICE);
    if (step === 'honest' || step === 'other-stream') chains.set(stream, [...chain, entryHash(entry)]);
    return entry;
  });
}

describe('createTransparencyLog({ signatureVerifier })', () => {
  it('property: the same outcome for every append (index or error reason) and the same root as checking on the log thread', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.constantFrom<Step>(
            'honest',
            'honest',
            'honest',
            'forged',
            'unknown-key',
            'replay',
            'gap',
            'other-stream',
          ),
          {
            minLength: 1,
            maxLength: 40,
          },
        ),
        async (steps) => {
          const inputs = submissions(steps);
          const plain = makeLog();
          const parallel = makeLog({ signatureVerifier: workers });
          const [a, b] = await Promise.all([outcomes(plain, inputs), outcomes(parallel, inputs)]);
          expect(b).toEqual(a);
          expect(parallel.size).toBe(plain.size);
          expect(toHex(parallel.root())).toBe(toHex(plain.root()));
          await Promise.all([plain.close(), parallel.close()]);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('admits in call order: one stream of 200 entries appended in one tick gets indices 0..199', async () => {
    const log = makeLog({
      signatureVerifier: workers,
      batch: { maxEntries: 32, maxWaitMs: 0, maxQueued: 256 },
    });
    const inputs = submissions(Array.from({ length: 200 }, () => 'honest' as const));
    expect(await outcomes(log, inputs)).toEqual(inputs.map((_, i) => `#${i}`));
    await log.close();
  });

  it('attack: a forged signature gets the same typed error as without workers (bad-signature, nothing sequenced)', async () => {
    const log = makeLog({ signatureVerifier: workers });
    const [forged] = submissions(['forged']) as [Entry];
    const error = await log.append(forged).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EntrySignatureError);
    expect((error as EntrySignatureError).reason).toBe('bad-signature');
    expect(log.size).toBe(0);
    await log.close();
  });

  it('attack: a verdict made under a key that a policy update in the same tick rebinds is not reused', async () => {
    // v2 rebinds key id logger-7 to Mallory's key (e.g. the device was re-keyed by the consortium)
    const v2 = consortiumV2((raw) => {
      const ff = (raw.organisations as { id: string; keys: { id: string; publicKey: string }[] }[]).find(
        (o) => o.id === 'fastfreight',
      );
      const logger = ff?.keys.find((k) => k.id === 'logger-7');
      if (logger !== undefined) logger.publicKey = pub('mallory');
    });
    const log = createTransparencyLog({
      origin: POLICY_ORIGIN,
      signer: POLICY_LOG_SIGNER,
      policy: consortiumV1(),
      policyDocuments: documents(v2),
      signatureVerifier: workers,
      batch: { maxEntries: 4, maxWaitMs: 0 },
      checkpointEveryMs: 60_000,
    });
    const w = createWriter();
    const first = w.make('config.change', ['logger-7']);
    w.commit(first);
    const update = w.update(v2, ['acme-admin', 'mary-admin', 'city-admin', 'ff-board']);
    w.commit(update);
    // both made for seq 1: by the old logger-7 key (verified true under v1's key by the workers) and
    // by Mallory's key under the id logger-7 (verified false under v1's key)
    const byOldKey = w.make('config.change', ['logger-7']);
    const byNewKey = w.make('config.change', [], { as: [{ keyId: 'logger-7', with: 'mallory' }] });
    // all four sent to the workers before the update is admitted
    expect(await outcomes(log as never, [first, update, byOldKey, byNewKey])).toEqual([
      '#0',
      '#1',
      'EntrySignatureError:bad-signature',
      '#2',
    ]);
    expect(log.policy()?.version).toBe(2);
    await log.close();
  });

  it('a verifier that fails (e.g. its worker died) → every signature is checked on the log thread instead', async () => {
    const failing: ParallelSignatureVerifier = { verify: () => Promise.reject(new Error('worker died')) };
    const log = makeLog({ signatureVerifier: failing });
    const inputs = submissions(['honest', 'forged', 'honest', 'unknown-key']);
    expect(await outcomes(log, inputs)).toEqual([
      '#0',
      'EntrySignatureError:bad-signature',
      '#1',
      'EntrySignatureError:unknown-key',
    ]);
    await log.close();
  });

  it('a verifier is trusted for the keys it is asked about: one answering "verifies" to everything admits a forgery (so it must be one of ours)', async () => {
    const lying: ParallelSignatureVerifier = { verify: (jobs) => Promise.resolve(jobs.map(() => true)) };
    const log = makeLog({ signatureVerifier: lying });
    expect(await outcomes(log, submissions(['forged']))).toEqual(['#0']);
    await log.close();
  });

  it('close waits for entries still at the workers: all sequenced, and the final checkpoint covers them', async () => {
    const log = makeLog({ signatureVerifier: workers, batch: { maxEntries: 1000, maxWaitMs: 60_000 } });
    const appends = submissions(Array.from({ length: 50 }, () => 'honest' as const)).map((e) =>
      log.append(e),
    );
    await log.close();
    expect((await Promise.all(appends)).map((r) => r.index)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(log.checkpoint()).toContain('\n50\n');
  });

  it('batch.maxQueued counts entries at the workers: beyond it append rejects at once with buffer/overflow', async () => {
    const log = makeLog({
      signatureVerifier: workers,
      batch: { maxEntries: 100, maxWaitMs: 60_000, maxQueued: 3 },
    });
    const appends = submissions(['honest', 'honest', 'honest', 'honest']).map((e) => log.append(e));
    await expect(appends[3]).rejects.toMatchObject({ code: 'buffer/overflow', retryable: true });
    await log.close();
    expect((await Promise.all(appends.slice(0, 3))).map((r) => r.index)).toEqual([0, 1, 2]);
  });
});
