import { ValidationError } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import {
  type Entry,
  EntrySignatureError,
  encodeEntry,
  StreamOrderError,
  sortSignatures,
} from '../entries/index.js';
import { merkleRoot } from '../merkle/index.js';
import { signCheckpoint } from '../note/index.js';
import { EndorsementError, type MembershipPolicy, policyDigest } from '../policy/index.js';
import { createTransparencyLog, type TransparencyLogOptions } from './log.js';
import { LogVerificationError } from './log-verification-error.js';
import { createMemoryLogStorage } from './memory-storage.js';
import {
  consortiumV1,
  consortiumV2,
  createWriter,
  DAY,
  documents,
  LOG_SIGNER,
  LOG_VERIFIER,
  ORIGIN,
  pub,
  T0,
} from './test-fixtures/consortium.js';
import { verifyLog } from './verify-log.js';

function policyLog(overrides: Partial<TransparencyLogOptions> = {}) {
  return createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    policy: consortiumV1(),
    policyDocuments: documents(consortiumV2()),
    batch: { maxEntries: 1, maxWaitMs: 0 },
    checkpointEveryMs: 60_000,
    ...overrides,
  });
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

/** Appends and commits to the writer; returns the index. */
async function accept(log: ReturnType<typeof policyLog>, w: ReturnType<typeof createWriter>, e: Entry) {
  const { index } = await log.append(e);
  w.commit(e);
  return index;
}

describe('createTransparencyLog({ policy }): endorsement at append', () => {
  it('admits entries endorsed as their kind requires', async () => {
    const log = policyLog();
    const w = createWriter();
    expect(await accept(log, w, w.make('config.change', ['logger-7']))).toBe(0);
    const fw = w.make('firmware.authorize', ['acme-release', 'mary-biomed'], { stream: 'device:pump-1' });
    expect(await accept(log, w, fw)).toBe(1);
    const custody = w.make('custody.transfer', ['ff-driver', 'city-biomed'], { stream: 'shipment:SHP-1' });
    expect(await accept(log, w, custody)).toBe(2);
    expect(log.policy()?.version).toBe(1);
    await log.close();
  });

  it('attack: unauthorised writer (key not in the policy) → EntrySignatureError unknown-key, no index used', async () => {
    const log = policyLog();
    const w = createWriter();
    const error = await rejection(log.append(w.make('config.change', ['mallory'])));
    expect(error).toBeInstanceOf(EntrySignatureError);
    expect(error).toMatchObject({ reason: 'unknown-key' });
    expect((error as Error).message).toContain('config.change entry device:logger-7#0');
    expect(log.size).toBe(0);
    // the stream did not advance: seq 0 by the right key is accepted
    expect(await accept(log, w, w.make('config.change', ['logger-7']))).toBe(0);
    await log.close();
  });

  it('attack: a member key outside its role (a driver writing config) → EndorsementError unendorsed', async () => {
    const log = policyLog();
    const w = createWriter();
    const error = await rejection(log.append(w.make('config.change', ['ff-driver'])));
    expect(error).toBeInstanceOf(EndorsementError);
    expect(error).toMatchObject({
      reason: 'unendorsed',
      entry: { kind: 'config.change', stream: 'device:logger-7', seq: 0, policyVersion: 1 },
    });
    expect((error as EndorsementError).result.missingRoles).toEqual(['device.logger']);
    expect(log.size).toBe(0);
    await log.close();
  });

  it('attack: unmet endorsement threshold (firmware.authorize with manufacturer release only) → EndorsementError', async () => {
    const log = policyLog();
    const w = createWriter();
    const fw = w.make('firmware.authorize', ['acme-release'], { stream: 'device:pump-1' });
    const error = await rejection(log.append(fw));
    expect(error).toBeInstanceOf(EndorsementError);
    const e = error as EndorsementError;
    expect(e.code).toBe('ledger/signature');
    expect(e.reason).toBe('unendorsed');
    expect(e.entry).toMatchObject({ kind: 'firmware.authorize', stream: 'device:pump-1', seq: 0 });
    expect(e.result.missingRoles).toEqual(['manufacturer.qa', 'hospital.biomed']);
    expect(e.message).toContain('firmware.authorize entry device:pump-1#0');
    expect(log.size).toBe(0);
    // the stream did not advance: the properly endorsed seq 0 follows
    expect(
      await accept(
        log,
        w,
        w.make('firmware.authorize', ['acme-release', 'acme-qa'], { stream: 'device:pump-1' }),
      ),
    ).toBe(0);
    await log.close();
  });

  it('attack: a kind the policy does not list → EndorsementError kind-not-allowed', async () => {
    const log = policyLog();
    const w = createWriter();
    const error = await rejection(log.append(w.make('security.event', ['logger-7'])));
    expect(error).toMatchObject({ reason: 'kind-not-allowed', entry: { kind: 'security.event' } });
    expect(error).toBeInstanceOf(EndorsementError);
    await log.close();
  });

  it('attack: one key counted twice (the same key signing twice) → refused', async () => {
    const log = policyLog();
    const w = createWriter();
    // model.approve needs 2 of [biomed, biomed, qa]: one hospital key listed twice is one endorser
    const once = w.make('model.approve', ['mary-biomed'], { stream: 'lot:model-1' });
    const twice = { ...once, signatures: sortSignatures([...once.signatures, ...once.signatures]) } as Entry;
    expect(twice.signatures).toHaveLength(2);
    const error = await rejection(log.append(encodeEntry(twice)));
    expect(error).toBeInstanceOf(EndorsementError);
    expect((error as EndorsementError).result.counted.map((c) => c.keyId)).toEqual(['mary-biomed']);
    expect(log.size).toBe(0);
    await log.close();
  });

  it('attack: one key under two key ids → the second id is unknown; a policy listing it twice is invalid', async () => {
    const log = policyLog();
    const w = createWriter();
    // mary-biomed's key also signs as "mary-biomed-2" to pose as a second hospital endorser
    const posing = w.make('model.approve', ['mary-biomed'], {
      stream: 'lot:model-1',
      as: [{ keyId: 'mary-biomed-2', with: 'mary-biomed' }],
    });
    expect(await rejection(log.append(posing))).toMatchObject({ reason: 'unknown-key' });
    // and the policy cannot list one public key under two ids
    const raw = structuredClone(consortiumV1()) as unknown as { organisations: { keys: unknown[] }[] };
    raw.organisations[2]?.keys.push({
      id: 'mary-biomed-2',
      publicKey: pub('mary-biomed'),
      roles: ['hospital.biomed'],
      from: T0,
    });
    expect(() => policyLog({ policy: raw as unknown as MembershipPolicy })).toThrow(ValidationError);
    await log.close();
  });

  it('attack: a revoked key after its revocation time → refused; before it → admitted', async () => {
    const log = policyLog();
    const w = createWriter();
    const revokedAt = T0 + 5 * DAY;
    const after = w.make('firmware.authorize', ['acme-release', 'acme-qa-leaked'], {
      stream: 'device:pump-1',
      ts: revokedAt,
    });
    const error = await rejection(log.append(after));
    expect(error).toBeInstanceOf(EndorsementError);
    expect((error as EndorsementError).result.ignored).toEqual([
      { keyId: 'acme-qa-leaked', reason: 'revoked' },
    ]);
    expect((error as EndorsementError).entry?.ts).toBe(revokedAt);
    const before = w.make('firmware.authorize', ['acme-release', 'acme-qa-leaked'], {
      stream: 'device:pump-1',
      ts: revokedAt - 1,
    });
    expect(await accept(log, w, before)).toBe(0);
    await log.close();
  });

  it('attack: a revoked key backdating its entry to before the revocation → refused by the entry time window', async () => {
    const now = T0 + 30 * DAY; // the leaked QA key was revoked at T0 + 5 days
    const log = policyLog({ clock: createFakeClock(now), entryTime: { maxAgeMs: DAY, maxAheadMs: 60_000 } });
    const w = createWriter();
    const backdated = w.make('firmware.authorize', ['acme-release', 'acme-qa-leaked'], {
      stream: 'device:pump-1',
      ts: T0 + 5 * DAY - 1,
    });
    const error = (await rejection(log.append(backdated))) as EndorsementError;
    expect(error).toBeInstanceOf(EndorsementError);
    expect(error.reason).toBe('entry-time');
    expect(error.entry).toMatchObject({ kind: 'firmware.authorize', ts: T0 + 5 * DAY - 1 });
    const ahead = w.make('config.change', ['logger-7'], { ts: now + 60_001 });
    expect(await rejection(log.append(ahead))).toMatchObject({ reason: 'entry-time' });
    expect(log.size).toBe(0);
    const timely = w.make('firmware.authorize', ['acme-release', 'acme-qa'], {
      stream: 'device:pump-1',
      ts: now - DAY,
    });
    expect(await accept(log, w, timely)).toBe(0);
    expect(() => policyLog({ entryTime: { maxAgeMs: -1, maxAheadMs: 0 } })).toThrow(RangeError);
    expect(() =>
      createTransparencyLog({
        origin: ORIGIN,
        signer: LOG_SIGNER,
        keys: new Map(),
        entryTime: { maxAgeMs: 1, maxAheadMs: 1 },
        batch: { maxEntries: 1, maxWaitMs: 0 },
        checkpointEveryMs: 1,
      }),
    ).toThrow(TypeError);
    await log.close();
  });

  it('rotated key: counts inside its window (old entries stay valid), not after its until', async () => {
    const log = policyLog();
    const w = createWriter();
    const until = T0 + 10 * DAY;
    const old = w.make('firmware.authorize', ['acme-release-old', 'acme-qa'], {
      stream: 'device:pump-1',
      ts: until - 1,
    });
    expect(await accept(log, w, old)).toBe(0);
    const late = w.make('firmware.authorize', ['acme-release-old', 'acme-qa'], {
      stream: 'device:pump-1',
      ts: until,
    });
    expect(await rejection(log.append(late))).toMatchObject({
      reason: 'unendorsed',
      result: { ignored: [{ keyId: 'acme-release-old', reason: 'expired' }] },
    });
    // the successor key takes over
    expect(
      await accept(
        log,
        w,
        w.make('firmware.authorize', ['acme-release', 'acme-qa'], { stream: 'device:pump-1', ts: until }),
      ),
    ).toBe(1);
    await log.close();
  });

  it('a bad signature by a listed key is refused before endorsement is judged', async () => {
    const log = policyLog();
    const w = createWriter();
    const forged = w.make('config.change', [], { as: [{ keyId: 'logger-7', with: 'mallory' }] });
    expect(await rejection(log.append(forged))).toMatchObject({ reason: 'bad-signature' });
    await log.close();
  });

  it('stream order is still enforced for endorsed entries', async () => {
    const log = policyLog();
    const w = createWriter();
    const e0 = w.make('config.change', ['logger-7']);
    await accept(log, w, e0);
    expect(await rejection(log.append(e0))).toBeInstanceOf(StreamOrderError);
    await log.close();
  });
});

describe('createTransparencyLog({ policy }): policy updates', () => {
  it('attack: an update signed by the old admins only → EndorsementError policy-update; the old policy stays', async () => {
    const log = policyLog();
    const w = createWriter();
    const error = await rejection(log.append(w.update(consortiumV2(), ['acme-admin', 'mary-admin'])));
    expect(error).toBeInstanceOf(EndorsementError);
    const e = error as EndorsementError;
    expect(e.reason).toBe('policy-update');
    expect(e.update?.oldAdmin.satisfied).toBe(true);
    expect(e.update?.newAdmin.satisfied).toBe(false);
    expect(e.entry).toMatchObject({ kind: 'policy.update', stream: 'lot:governance', policyVersion: 1 });
    expect(log.size).toBe(0);
    expect(log.policy()?.version).toBe(1);
    await log.close();
  });

  it('attack: an update signed by the new admins only → refused (unknown to v1, not the old quorum)', async () => {
    const log = policyLog();
    const w = createWriter();
    const error = (await rejection(
      log.append(w.update(consortiumV2(), ['city-admin', 'ff-board'])),
    )) as EndorsementError;
    expect(error).toBeInstanceOf(EndorsementError);
    expect(error.reason).toBe('policy-update');
    expect(error.update?.oldAdmin.satisfied).toBe(false);
    expect(error.update?.newAdmin.satisfied).toBe(true);
    expect(log.policy()?.version).toBe(1);
    await log.close();
  });

  it('attack: an update whose document is unknown, or does not hash to the announced digest → policy-document', async () => {
    const w = createWriter();
    const signers = ['acme-admin', 'mary-admin', 'city-admin', 'ff-board'] as const;
    const unknown = policyLog({ policyDocuments: new Map() });
    expect(await rejection(unknown.append(w.update(consortiumV2(), signers)))).toMatchObject({
      reason: 'policy-document',
    });
    // the lookup answers the digest with another document (v2 with an extra admin)
    const other = consortiumV2((raw) => {
      raw.endorsement = { ...(raw.endorsement as object), 'security.event': { role: 'device.logger' } };
    });
    const lying = policyLog({ policyDocuments: () => other });
    const error = (await rejection(lying.append(w.update(consortiumV2(), signers)))) as EndorsementError;
    expect(error.reason).toBe('policy-document');
    expect(error.message).toContain(`hashes to ${policyDigest(other)}`);
    await Promise.all([unknown.close(), lying.close()]);
  });

  it('a valid update (old and new admins) → the next entries are judged by the new policy', async () => {
    const v3 = consortiumV2((raw) => Object.assign(raw, { version: 3 }));
    const log = policyLog({ policyDocuments: documents(consortiumV2(), v3) });
    const w = createWriter();
    const fw = (signers: Parameters<typeof w.make>[1]) =>
      w.make('firmware.authorize', signers, { stream: 'device:pump-1' });
    // v1: release + QA is enough
    expect(await accept(log, w, fw(['acme-release', 'acme-qa']))).toBe(0);
    const update = w.update(consortiumV2(), ['acme-admin', 'mary-admin', 'city-admin', 'ff-board']);
    expect(await accept(log, w, update)).toBe(1);
    expect(log.policy()?.version).toBe(2);
    // v2: release + QA is no longer enough; release + QA + a hospital is
    const error = (await rejection(log.append(fw(['acme-release', 'acme-qa'])))) as EndorsementError;
    expect(error).toBeInstanceOf(EndorsementError);
    expect(error.entry?.policyVersion).toBe(2);
    expect(error.result.missingRoles).toEqual(['hospital.biomed']);
    expect(await accept(log, w, fw(['acme-release', 'acme-qa', 'city-biomed']))).toBe(2);
    // v2's admins govern now: the old quorum alone cannot publish v3
    const byOld = (await rejection(
      log.append(w.update(v3, ['acme-admin', 'mary-admin'])),
    )) as EndorsementError;
    expect(byOld.reason).toBe('policy-update');
    expect(byOld.update?.oldAdmin.unknownKeyIds).toEqual([]);
    expect(byOld.update?.oldAdmin.missingRoles).toEqual(['board.admin']);
    expect(await accept(log, w, w.update(v3, ['city-admin', 'ff-board']))).toBe(3);
    expect(log.policy()?.version).toBe(3);
    await log.close();
  });

  it('attack: an update that rebinds an admin key id to another public key — the id counts for neither version', async () => {
    // v2 gives the id "mary-admin" to Mallory's key; mary's old key signs as "mary-admin"
    const rebound = consortiumV2((raw) => {
      const orgs = raw.organisations as { id: string; keys: { id: string; publicKey: string }[] }[];
      const k = orgs.find((o) => o.id === 'st-mary')?.keys.find((x) => x.id === 'mary-admin');
      if (k !== undefined) k.publicKey = pub('mallory');
    });
    const storage = createMemoryLogStorage();
    const log = policyLog({ storage, policyDocuments: documents(rebound) });
    const w = createWriter();
    const update = w.update(rebound, ['acme-admin', 'mary-admin', 'city-admin', 'ff-board']);
    const error = (await rejection(log.append(update))) as EndorsementError;
    expect(error.reason).toBe('policy-update');
    expect(error.update?.oldAdmin.satisfied).toBe(false); // only acme-admin counted of 2-of-3
    // with a third old admin the update passes, and the rebound id still did not count
    const ok = w.update(rebound, ['acme-admin', 'mary-admin', 'ff-admin', 'city-admin', 'ff-board']);
    expect(await accept(log, w, ok)).toBe(0);
    expect(log.policy()?.version).toBe(2);
    await log.close();
    // the independent verifier judges the rebound id the same way
    const verify = (entries: Uint8Array[]) =>
      verifyLog({
        policy: consortiumV1(),
        policyDocuments: documents(rebound),
        entries,
        checkpoint: signCheckpoint({ origin: ORIGIN, size: 1, rootHash: merkleRoot(entries) }, LOG_SIGNER),
        logKey: LOG_VERIFIER,
      });
    expect(verify([storage.entry(0) as Uint8Array]).policy.version).toBe(2);
    expect(() => verify([encodeEntry(update)])).toThrow(
      expect.objectContaining({ reason: 'policy-update', index: 0 }),
    );
  });

  it('reopening a log over its storage rebuilds the policy in force from its updates', async () => {
    const storage = createMemoryLogStorage();
    const log = policyLog({ storage });
    const w = createWriter();
    await accept(log, w, w.update(consortiumV2(), ['acme-admin', 'mary-admin', 'city-admin', 'ff-board']));
    await accept(log, w, w.make('config.change', ['logger-7']));
    await log.close();

    const reopened = policyLog({ storage });
    expect(reopened.size).toBe(2);
    expect(reopened.policy()?.version).toBe(2);
    const fw = w.make('firmware.authorize', ['acme-release', 'acme-qa'], { stream: 'device:pump-1' });
    expect(await rejection(reopened.append(fw))).toMatchObject({ entry: { policyVersion: 2 } });
    await reopened.close();

    // without the documents the history cannot be replayed: a typed error naming the index
    let thrown: unknown;
    try {
      policyLog({ storage, policyDocuments: new Map() });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(LogVerificationError);
    expect(thrown).toMatchObject({ reason: 'policy-update', index: 0 });
    expect((thrown as Error).cause).toMatchObject({ reason: 'policy-document' });
  });

  it('configuration: exactly one of keys and policy; the initial policy is validated', () => {
    expect(() => policyLog({ keys: new Map() })).toThrow(TypeError);
    const { policy: _p, ...withoutPolicy } = {
      origin: ORIGIN,
      signer: LOG_SIGNER,
      policy: consortiumV1(),
      batch: { maxEntries: 1, maxWaitMs: 0 },
      checkpointEveryMs: 1,
    };
    expect(() => createTransparencyLog(withoutPolicy)).toThrow(TypeError);
    const invalid = { ...consortiumV1(), version: 0 };
    expect(() => policyLog({ policy: invalid })).toThrow(ValidationError);
  });
});
