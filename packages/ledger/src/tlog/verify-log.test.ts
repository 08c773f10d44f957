import { createFakeClock } from '@healthit/core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Entry, encodeEntry } from '../entries/index.js';
import { merkleRoot } from '../merkle/index.js';
import {
  createEd25519NoteSigner,
  createWitness,
  formatVerifierKey,
  SignatureTypes,
  signCheckpoint,
} from '../note/index.js';
import { EndorsementError, type MembershipPolicy } from '../policy/index.js';
import { createTransparencyLog, type TransparencyLogOptions } from './log.js';
import { LogVerificationError } from './log-verification-error.js';
import { createMemoryLogStorage } from './memory-storage.js';
import type { LogStorage } from './storage.js';
import { createStreamingRoot } from './streaming-root.js';
import {
  consortiumV1,
  consortiumV2,
  createWriter,
  DAY,
  documents,
  type KeyName,
  LOG_SIGNER,
  LOG_VERIFIER,
  ORIGIN,
  T0,
  type Writer,
} from './test-fixtures/consortium.js';
import { type VerifyLogOptions, verifyLog } from './verify-log.js';

const LOG_VKEY = formatVerifierKey(ORIGIN, LOG_SIGNER.publicKey);
const ALL_ADMINS: KeyName[] = ['acme-admin', 'mary-admin', 'city-admin', 'ff-board'];

function policyLog(storage: LogStorage, overrides: Partial<TransparencyLogOptions> = {}) {
  return createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    policy: consortiumV1(),
    policyDocuments: documents(consortiumV2()),
    storage,
    batch: { maxEntries: 8, maxWaitMs: 0 },
    checkpointEveryMs: 60_000,
    ...overrides,
  });
}

function* stored(storage: LogStorage): Generator<Uint8Array> {
  for (let i = 0; i < storage.entryCount(); i++) yield storage.entry(i) as Uint8Array;
}

/** A closed log over memory storage: config changes, an update to v2, firmware under v2. */
async function sampleLog(overrides: Partial<TransparencyLogOptions> = {}) {
  const storage = createMemoryLogStorage();
  const log = policyLog(storage, overrides);
  const w = createWriter();
  const appendAll = async (entries: Entry[]) => {
    for (const e of entries) {
      await log.append(e);
      w.commit(e);
    }
  };
  await appendAll([w.make('config.change', ['logger-7'])]);
  await appendAll([w.make('config.change', ['logger-7'])]);
  await appendAll([w.make('firmware.authorize', ['acme-release', 'acme-qa'], { stream: 'device:pump-1' })]);
  await appendAll([w.update(consortiumV2(), ALL_ADMINS)]);
  await appendAll([
    w.make('firmware.authorize', ['acme-release', 'acme-qa', 'mary-biomed'], { stream: 'device:pump-1' }),
  ]);
  await appendAll([w.make('custody.transfer', ['ff-driver', 'city-biomed'], { stream: 'shipment:SHP-1' })]);
  await log.close();
  return { storage, log, writer: w, checkpoint: log.checkpoint() as string };
}

function baseOptions(storage: LogStorage, checkpoint: string): VerifyLogOptions {
  return {
    policy: consortiumV1(),
    policyDocuments: documents(consortiumV2()),
    entries: stored(storage),
    checkpoint,
    logKey: LOG_VKEY,
  };
}

function failure(options: VerifyLogOptions): LogVerificationError {
  try {
    verifyLog(options);
  } catch (e) {
    expect(e).toBeInstanceOf(LogVerificationError);
    return e as LogVerificationError;
  }
  throw new Error('expected verifyLog to fail');
}

/** Appends `extra` straight to the storage and re-signs a checkpoint over everything with the log key. */
async function forge(storage: LogStorage, extra: Entry[]): Promise<string> {
  await storage.appendEntries(
    storage.entryCount(),
    extra.map((e) => encodeEntry(e)),
  );
  const all = [...stored(storage)];
  const note = signCheckpoint({ origin: ORIGIN, size: all.length, rootHash: merkleRoot(all) }, LOG_SIGNER);
  await storage.writeCheckpoint(note);
  return note;
}

describe('verifyLog: an honest log', () => {
  it('re-checks every entry, the policy history, the root and the log signature', async () => {
    const { storage, log, checkpoint } = await sampleLog();
    const report = verifyLog(baseOptions(storage, checkpoint));
    expect(report.size).toBe(6);
    expect(report.rootHash).toEqual(log.root());
    expect(report.origin).toBe(ORIGIN);
    expect(report.streams).toBe(4);
    expect(report.kinds).toEqual({
      'config.change': 2,
      'firmware.authorize': 2,
      'policy.update': 1,
      'custody.transfer': 1,
    });
    expect(report.policy.version).toBe(2);
    expect(report.policyUpdates).toEqual([expect.objectContaining({ index: 3, version: 2 })]);
    expect(report.witnesses).toEqual([]);
    // a note verifier works as the log key too
    expect(verifyLog({ ...baseOptions(storage, checkpoint), logKey: LOG_VERIFIER }).size).toBe(6);
  });

  it('rotated key: entries signed inside the old key window still verify after the policy moved on', async () => {
    const storage = createMemoryLogStorage();
    // v2 rotates acme-release out (until T0 + 1 day) and keeps everything else
    const v2 = consortiumV2((raw) => {
      const orgs = raw.organisations as { keys: { id: string; until?: number }[] }[];
      const k = orgs[0]?.keys.find((x) => x.id === 'acme-release');
      if (k !== undefined) k.until = T0 + DAY;
    });
    const log = policyLog(storage, { policyDocuments: documents(v2) });
    const w = createWriter();
    const steps = [
      () => w.make('firmware.authorize', ['acme-release', 'acme-qa'], { stream: 'device:pump-1' }),
      () => w.update(v2, ALL_ADMINS),
      () =>
        w.make('firmware.authorize', ['acme-release-old', 'acme-qa', 'city-biomed'], {
          stream: 'device:pump-1',
          ts: T0 + 2 * DAY,
        }),
    ];
    for (const step of steps) {
      const e = step();
      await log.append(e);
      w.commit(e);
    }
    const late = w.make('firmware.authorize', ['acme-release', 'acme-qa', 'city-biomed'], {
      stream: 'device:pump-1',
      ts: T0 + DAY,
    });
    await expect(log.append(late)).rejects.toMatchObject({
      result: { ignored: [{ keyId: 'acme-release', reason: 'expired' }] },
    });
    await log.close();
    const report = verifyLog({
      ...baseOptions(storage, log.checkpoint() as string),
      policyDocuments: documents(v2),
    });
    expect(report.size).toBe(3);
  });

  it('checks witness cosignatures k of n, by default against the witnesses of the policy in force', async () => {
    const clock = createFakeClock(T0);
    const witness = (n: number) =>
      createWitness({
        key: { name: `w${n}.example/witness`, secretKey: new Uint8Array(32).fill(50 + n) },
        log: LOG_VERIFIER,
        clock,
      });
    const pair = [witness(1), witness(2)];
    const { storage, checkpoint } = await sampleLog({ witnesses: pair });
    const verifiers = pair.map((w) => w.verifier);
    const options = baseOptions(storage, checkpoint);
    expect(verifyLog({ ...options, witnesses: { verifiers, k: 2 } }).witnesses).toEqual([
      'w1.example/witness',
      'w2.example/witness',
    ]);
    // the policy's witnesses: v2 (in force at the checkpoint) requires both
    const listed = pair.map((w) => ({
      name: w.name,
      vkey: formatVerifierKey(w.name, w.verifier.publicKey, SignatureTypes.cosignatureV1),
    }));
    const v2 = consortiumV2((raw) => Object.assign(raw, { witnesses: { keys: listed, k: 2 } }));
    const one = await sampleLogWith(v2, [witness(1)]);
    const quorum = failure({ ...baseOptions(one.storage, one.checkpoint), policyDocuments: documents(v2) });
    expect(quorum).toMatchObject({ reason: 'witnesses', index: -1 });
    expect(quorum.cause).toMatchObject({ reason: 'quorum' });
    const both = await sampleLogWith(v2, [witness(1), witness(2)]);
    const report = verifyLog({
      ...baseOptions(both.storage, both.checkpoint),
      policyDocuments: documents(v2),
    });
    expect(report.witnesses).toHaveLength(2);
    // an explicit witness policy overrides the policy's
    expect(
      verifyLog({
        ...baseOptions(one.storage, one.checkpoint),
        policyDocuments: documents(v2),
        witnesses: { keys: listed, k: 1 },
      }).witnesses,
    ).toEqual(['w1.example/witness']);
  });
});

/** The sample log's shape with `v2` as the update and the given witnesses. */
async function sampleLogWith(v2: MembershipPolicy, witnesses: TransparencyLogOptions['witnesses'] = []) {
  const storage = createMemoryLogStorage();
  const log = policyLog(storage, { policyDocuments: documents(v2), witnesses: witnesses ?? [] });
  const w = createWriter();
  for (const step of [() => w.make('config.change', ['logger-7']), () => w.update(v2, ALL_ADMINS)]) {
    const e = step();
    await log.append(e);
    w.commit(e);
  }
  await log.close();
  return { storage, checkpoint: log.checkpoint() as string };
}

describe('verifyLog: attacks on the stored log', () => {
  it('attack: storage edited to include an unendorsed entry, checkpoint re-signed by the log key → endorsement at its index', async () => {
    const { storage, writer } = await sampleLog();
    // firmware with the manufacturer's release only (v2 needs release + QA + hospital)
    const unendorsed = writer.make('firmware.authorize', ['acme-release'], { stream: 'device:pump-1' });
    const note = await forge(storage, [unendorsed]);
    // the log's own reopen trusts its stored entries (signed checkpoint, matching root) ...
    expect(policyLog(storage).size).toBe(7);
    // ... the independent verifier does not
    const error = failure(baseOptions(storage, note));
    expect(error).toMatchObject({ reason: 'endorsement', index: 6, code: 'ledger/signature' });
    expect(error.cause).toBeInstanceOf(EndorsementError);
    expect((error.cause as EndorsementError).result.missingRoles).toEqual([
      'manufacturer.qa',
      'hospital.biomed',
    ]);
    expect(error.message).toContain('entry 6');
  });

  it('attack: an entry endorsed only under the superseded policy, slipped in after the update → endorsement', async () => {
    const { storage, writer } = await sampleLog();
    const underV1 = writer.make('firmware.authorize', ['acme-release', 'acme-qa'], {
      stream: 'device:pump-1',
    });
    const error = failure(baseOptions(storage, await forge(storage, [underV1])));
    expect(error).toMatchObject({ reason: 'endorsement', index: 6 });
  });

  it('attack: an unauthorised policy update written to storage (old admins only) → policy-update', async () => {
    const { storage, writer } = await sampleLog();
    const v3 = consortiumV2((raw) => Object.assign(raw, { version: 3 }));
    const update = writer.update(v3, ['acme-admin', 'mary-admin']);
    const note = await forge(storage, [update]);
    const error = failure({ ...baseOptions(storage, note), policyDocuments: documents(consortiumV2(), v3) });
    expect(error).toMatchObject({ reason: 'policy-update', index: 6 });
    expect(error.cause).toMatchObject({ reason: 'policy-update' });
  });

  it('attack: a writer outside the policy written to storage → signature', async () => {
    const { storage, writer } = await sampleLog();
    const note = await forge(storage, [writer.make('config.change', ['mallory'])]);
    expect(failure(baseOptions(storage, note))).toMatchObject({ reason: 'signature', index: 6 });
  });

  it('attack: a replayed entry written to storage → stream-order', async () => {
    const { storage } = await sampleLog();
    const last = storage.entry(5) as Uint8Array;
    await storage.appendEntries(storage.entryCount(), [last]);
    const all = [...stored(storage)];
    const note = signCheckpoint({ origin: ORIGIN, size: all.length, rootHash: merkleRoot(all) }, LOG_SIGNER);
    const error = failure(baseOptions(storage, note));
    expect(error).toMatchObject({ reason: 'stream-order', index: 6 });
    expect(error.cause).toMatchObject({ reason: 'replay' });
  });

  it('without the policy documents the history does not verify → policy-update naming the update', async () => {
    const { storage, checkpoint } = await sampleLog();
    const error = failure({ ...baseOptions(storage, checkpoint), policyDocuments: new Map() });
    expect(error).toMatchObject({ reason: 'policy-update', index: 3 });
    expect(error.cause).toMatchObject({ reason: 'policy-document' });
  });

  it('a flipped bit in a stored entry → malformed (or a failed signature), at its index', async () => {
    const { storage, checkpoint } = await sampleLog();
    const bytes = storage.entry(2) as Uint8Array;
    bytes[1] = 0x20; // '{"' → '{ ': not canonical any more
    expect(failure(baseOptions(storage, checkpoint))).toMatchObject({ reason: 'malformed', index: 2 });
  });

  it('entries that do not produce the checkpoint root → root; too few or too many → size', async () => {
    const { storage, checkpoint, writer } = await sampleLog();
    const honest = [...stored(storage)];
    // a checkpoint signed over another root
    const wrong = signCheckpoint({ origin: ORIGIN, size: 6, rootHash: new Uint8Array(32) }, LOG_SIGNER);
    expect(failure({ ...baseOptions(storage, wrong) })).toMatchObject({ reason: 'root', index: -1 });
    expect(failure({ ...baseOptions(storage, checkpoint), entries: honest.slice(0, 5) })).toMatchObject({
      reason: 'size',
      index: 5,
    });
    const extra = encodeEntry(writer.make('config.change', ['logger-7']));
    expect(failure({ ...baseOptions(storage, checkpoint), entries: [...honest, extra] })).toMatchObject({
      reason: 'size',
      index: 6,
    });
  });

  it('a checkpoint not signed by the log key, or for another origin → checkpoint', async () => {
    const { storage, checkpoint } = await sampleLog();
    const impostor = createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(77) });
    const all = [...stored(storage)];
    const forged = signCheckpoint({ origin: ORIGIN, size: all.length, rootHash: merkleRoot(all) }, impostor);
    expect(failure(baseOptions(storage, forged))).toMatchObject({ reason: 'checkpoint', index: -1 });
    expect(failure({ ...baseOptions(storage, checkpoint), origin: 'other.example/log' })).toMatchObject({
      reason: 'checkpoint',
    });
  });
});

describe('sequencer and verifier agree (differential)', () => {
  const SIGNER_POOL: KeyName[] = [
    'logger-7',
    'acme-release',
    'acme-qa',
    'acme-qa-leaked',
    'acme-release-old',
    'mary-biomed',
    'city-biomed',
    'ff-driver',
    'mallory',
  ];
  const KINDS = [
    'config.change',
    'firmware.authorize',
    'custody.transfer',
    'model.approve',
    'security.event',
  ] as const;
  const action = fc.oneof(
    {
      weight: 9,
      arbitrary: fc.record({
        type: fc.constant('entry' as const),
        kind: fc.constantFrom(...KINDS),
        signers: fc.subarray(SIGNER_POOL, { minLength: 1, maxLength: 3 }),
        stream: fc.constantFrom('device:a', 'device:b'),
        day: fc.integer({ min: 0, max: 12 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        type: fc.constant('update' as const),
        signers: fc.subarray(ALL_ADMINS, { minLength: 1 }),
      }),
    },
  );

  it('property: the log the sequencer builds always verifies; every entry it refused fails the verifier at that index', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 10 }), async (actions) => {
        const storage = createMemoryLogStorage();
        const log = policyLog(storage, { batch: { maxEntries: 1, maxWaitMs: 0 } });
        const w: Writer = createWriter();
        const refused: { at: number; entry: Entry }[] = [];
        for (const a of actions) {
          const e =
            a.type === 'update'
              ? w.update(consortiumV2(), a.signers)
              : w.make(a.kind, a.signers, { stream: a.stream, ts: T0 + a.day * DAY });
          try {
            await log.append(e);
            w.commit(e);
          } catch {
            refused.push({ at: log.size, entry: e });
          }
        }
        await log.close();
        const accepted = [...stored(storage)];
        const note =
          log.checkpoint() ??
          signCheckpoint({ origin: ORIGIN, size: 0, rootHash: merkleRoot([]) }, LOG_SIGNER);
        const report = verifyLog(baseOptions(storage, note));
        expect(report.size).toBe(log.size);
        expect(report.policy.version).toBe(log.policy()?.version);
        // each refused entry, forced into the log where the sequencer refused it, is caught there
        for (const { at, entry } of refused) {
          const forged = [...accepted.slice(0, at), encodeEntry(entry)];
          const cp = signCheckpoint(
            { origin: ORIGIN, size: forged.length, rootHash: merkleRoot(forged) },
            LOG_SIGNER,
          );
          let caught: unknown;
          try {
            verifyLog({ ...baseOptions(storage, cp), entries: forged });
          } catch (err) {
            caught = err;
          }
          expect(caught, `refused ${entry.kind} at ${at}`).toBeInstanceOf(LogVerificationError);
          expect((caught as LogVerificationError).index).toBe(at);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('createStreamingRoot', () => {
  it('property: equals the RFC 9162 root of the same leaves, at every size', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 70 }), (leaves) => {
        const acc = createStreamingRoot();
        expect(acc.root()).toEqual(merkleRoot([]));
        leaves.forEach((leaf, i) => {
          acc.add(leaf);
          expect(acc.size).toBe(i + 1);
          expect(acc.root()).toEqual(merkleRoot(leaves.slice(0, i + 1)));
        });
      }),
      { numRuns: 60 },
    );
  });
});
