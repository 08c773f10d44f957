/**
 * Attacks on signatures: key-id collisions (C2SP 4-byte key IDs of log and witness keys; entry
 * key ids in a membership policy), duplicated and mixed signatures, played against the real log,
 * witnesses, clients and verifier.
 */
import { ValidationError } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import {
  createCheckpointClient,
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  createMerkleTree,
  createWitness,
  emptyRoot,
  entries,
  LogVerificationError,
  NoteError,
  noteKeyId,
  policy,
  requireCosignatures,
  SignatureTypes,
  signCheckpoint,
  verifyCheckpoint,
  verifyLog,
  verifyNote,
} from '../../src/index.js';
import { consortiumV1 } from '../../src/tlog/test-fixtures/consortium.js';
import { signer, unsigned } from '../entries-fixtures.js';
import {
  ALICE,
  chain,
  LOG_SIGNER,
  LOG_VERIFIER,
  MALLORY,
  makeLog,
  makePolicyLog,
  ORIGIN,
  rejection,
  T0,
  thrown,
} from './helpers.js';

/**
 * Seed `i` of a birthday search (bytes 0..3 = big-endian `i`, byte 31 = `tag`): the pairs below
 * were found offline by hashing about 10^5 such keys under one name, and are checked here.
 */
function collidingSeed(i: number, tag: number): Uint8Array {
  const s = new Uint8Array(32);
  new DataView(s.buffer).setUint32(0, i);
  s[31] = tag;
  return s;
}
/** Two Ed25519 note keys (type 0x01) named `collide.example/log` with key ID 0x914a9069. */
const LOG_COLLISION = {
  name: 'collide.example/log',
  a: collidingSeed(21906, 0x5a),
  b: collidingSeed(30377, 0x5a),
};
/** Two cosignature/v1 keys (type 0x04) named `collide.example/witness` with key ID 0x662ef4cd. */
const WITNESS_COLLISION = {
  name: 'collide.example/witness',
  a: collidingSeed(8110, 0x77),
  b: collidingSeed(71946, 0x77),
};

function noteReason(f: () => unknown): string {
  const e = thrown(f);
  expect(e).toBeInstanceOf(NoteError);
  return (e as NoteError).reason;
}

function treeOf(n: number) {
  const tree = createMerkleTree();
  for (let i = 0; i < n; i++) tree.append(new TextEncoder().encode(`entry ${i}`));
  return tree;
}

describe('attacks on signatures: key-id collisions', () => {
  it('attack: key-id collision on the log key (one name, one 4-byte key ID, two keys) → a checkpoint signed by the colliding key is refused as bad-signature by client, witness and verifier, never taken for the log’s', () => {
    const { name } = LOG_COLLISION;
    const log = createEd25519NoteSigner({ name, secretKey: LOG_COLLISION.a });
    const attacker = createEd25519NoteSigner({ name, secretKey: LOG_COLLISION.b });
    expect(attacker.publicKey).not.toEqual(log.publicKey);
    expect(attacker.keyId).toBe(log.keyId); // the collision is real
    expect(noteKeyId(name, SignatureTypes.ed25519, log.publicKey)).toBe(0x914a9069);
    const logVerifier = createEd25519NoteVerifier(log);
    const tree = treeOf(6);
    const honest = signCheckpoint({ origin: name, size: 4, rootHash: tree.root(4) }, log);
    const forged = signCheckpoint({ origin: name, size: 6, rootHash: tree.root(6) }, attacker);
    // Both lines carry the log's name and key ID; only the log's verifies.
    expect(forged.slice(forged.lastIndexOf('\u2014')).split(' ')[1]).toBe(name);
    expect(verifyCheckpoint(honest, logVerifier).checkpoint.size).toBe(4);
    expect(noteReason(() => verifyCheckpoint(forged, logVerifier))).toBe('bad-signature');
    // A client: refuses the forged head, keeps its state, still accepts the log's own next one.
    const client = createCheckpointClient({ log: logVerifier });
    client.update(honest);
    expect(noteReason(() => client.update(forged, tree.consistencyProof(4, 6)))).toBe('bad-signature');
    expect(client.latest()?.checkpoint.size).toBe(4);
    const next = signCheckpoint({ origin: name, size: 6, rootHash: tree.root(6) }, log);
    expect(client.update(next, tree.consistencyProof(4, 6)).checkpoint.size).toBe(6);
    // A witness refuses to cosign it.
    const w = createWitness({
      key: { name: 'w.example/w', secretKey: new Uint8Array(32).fill(5) },
      log: logVerifier,
    });
    expect(noteReason(() => w.cosign(forged))).toBe('bad-signature');
    expect(w.latest()).toBeUndefined();
    // verifyLog: the checkpoint step fails, with the note error as cause.
    const empty = signCheckpoint({ origin: name, size: 0, rootHash: emptyRoot() }, attacker);
    const e = thrown(() =>
      verifyLog({
        policy: consortiumV1(),
        entries: [],
        checkpoint: empty,
        logKey: logVerifier,
        origin: name,
      }),
    );
    expect(e).toBeInstanceOf(LogVerificationError);
    expect(e).toMatchObject({ reason: 'checkpoint', index: -1, cause: { reason: 'bad-signature' } });
    // Configuring both keys is ambiguous and refused rather than guessed.
    expect(noteReason(() => verifyNote(honest, [logVerifier, createEd25519NoteVerifier(attacker)]))).toBe(
      'ambiguous-key',
    );
  });

  it('attack: key-id collision between witnesses → the colliding key’s cosignature does not count for the configured witness (bad-signature, no quorum), in client, quorum check and verifyLog; configuring both is refused (ambiguous-key)', () => {
    const clock = createFakeClock(T0);
    const { name } = WITNESS_COLLISION;
    const trusted = createWitness({
      key: { name, secretKey: WITNESS_COLLISION.a },
      log: LOG_VERIFIER,
      clock,
    });
    const attacker = createWitness({
      key: { name, secretKey: WITNESS_COLLISION.b },
      log: LOG_VERIFIER,
      clock,
    });
    expect(attacker.verifier.publicKey).not.toEqual(trusted.verifier.publicKey);
    expect(attacker.verifier.keyId).toBe(trusted.verifier.keyId); // the collision is real
    expect(trusted.verifier.keyId).toBe(0x662ef4cd);
    const tree = treeOf(3);
    const note = signCheckpoint({ origin: ORIGIN, size: 3, rootHash: tree.root() }, LOG_SIGNER);
    const byAttacker = attacker.cosign(note);
    expect(requireCosignatures(trusted.cosign(note), [trusted.verifier], 1)).toHaveLength(1); // control
    expect(noteReason(() => requireCosignatures(byAttacker, [trusted.verifier], 1))).toBe('bad-signature');
    const client = createCheckpointClient({ log: LOG_VERIFIER, witnesses: [trusted.verifier], k: 1 });
    expect(noteReason(() => client.update(byAttacker))).toBe('bad-signature');
    expect(client.latest()).toBeUndefined();
    // With no quorum required the log's signature alone suffices; the bad cosignature still rejects.
    expect(noteReason(() => requireCosignatures(byAttacker, [trusted.verifier], 0))).toBe('bad-signature');
    // Both configured: refused, whichever of the two signed.
    expect(noteReason(() => requireCosignatures(byAttacker, [trusted.verifier, attacker.verifier], 1))).toBe(
      'ambiguous-key',
    );
    // verifyLog (an empty log's checkpoint, cosigned by the colliding key).
    const fresh = createWitness({ key: { name, secretKey: WITNESS_COLLISION.b }, log: LOG_VERIFIER, clock });
    const empty = fresh.cosign(
      signCheckpoint({ origin: ORIGIN, size: 0, rootHash: emptyRoot() }, LOG_SIGNER),
    );
    const e = thrown(() =>
      verifyLog({
        policy: consortiumV1(),
        entries: [],
        checkpoint: empty,
        logKey: LOG_VERIFIER,
        witnesses: { verifiers: [trusted.verifier], k: 1 },
      }),
    );
    expect(e).toMatchObject({ reason: 'witnesses', index: -1, cause: { reason: 'bad-signature' } });
  });

  it('attack: key-id collision in the membership policy (one key id, two public keys, two organisations) → the policy is refused (ValidationError) by the log and the verifier, so no signature is checked against the wrong key', () => {
    const raw = structuredClone(consortiumV1()) as unknown as {
      organisations: {
        id: string;
        keys: { id: string; publicKey: string; roles: string[]; from: number }[];
      }[];
    };
    const mallory = entries.keyIdOf(MALLORY.publicKey);
    expect(mallory).toMatch(/^[0-9a-f]{64}$/);
    // Mallory's organisation lists its own public key under St Mary's biomed key id.
    raw.organisations[3]?.keys.push({
      id: 'mary-biomed',
      publicKey: Buffer.from(MALLORY.publicKey).toString('hex'),
      roles: ['hospital.biomed'],
      from: T0,
    });
    expect(() => policy.parseMembershipPolicy(raw)).toThrow(ValidationError);
    expect(() => makePolicyLog(raw as unknown as policy.MembershipPolicy)).toThrow(ValidationError);
    expect(() =>
      verifyLog({
        policy: raw as unknown as policy.MembershipPolicy,
        entries: [],
        checkpoint: signCheckpoint({ origin: ORIGIN, size: 0, rootHash: emptyRoot() }, LOG_SIGNER),
        logKey: LOG_VERIFIER,
      }),
    ).toThrow(ValidationError);
  });
});

describe('attacks on signatures: duplicated and mixed signatures at the log', () => {
  it('attack: duplicated key id, second copy made by another key → bad-signature (every copy must verify), no index used', async () => {
    const log = makeLog({ batch: { maxEntries: 1, maxWaitMs: 0 } });
    const base = unsigned('config.change');
    const good = entries.signEntry(base, ALICE);
    const impostor = entries.signEntry(base, { keyId: ALICE.keyId, secretKey: MALLORY.secretKey });
    const both = {
      ...good,
      signatures: entries.sortSignatures([...good.signatures, ...impostor.signatures]),
    } as entries.Entry;
    const error = await rejection(log.append(entries.encodeEntry(both)));
    expect(error).toBeInstanceOf(entries.EntrySignatureError);
    expect(error).toMatchObject({
      reason: 'bad-signature',
      failures: [{ keyId: ALICE.keyId, reason: 'bad-signature' }],
    });
    expect(log.size).toBe(0);
    expect((await log.append(good)).index).toBe(0);
    await log.close();
  });

  it('attack: duplicated signature (the same valid signature twice) counts once → insufficient when two signers are required', async () => {
    const log = makeLog({ signatures: { minSigners: 2 }, batch: { maxEntries: 1, maxWaitMs: 0 } });
    const good = entries.signEntry(unsigned('config.change'), ALICE);
    const twice = { ...good, signatures: [...good.signatures, ...good.signatures] } as entries.Entry;
    const error = await rejection(log.append(entries.encodeEntry(twice)));
    expect(error).toMatchObject({ reason: 'insufficient', keyIds: [ALICE.keyId] });
    expect((error as Error).message).toContain(`duplicated: ${ALICE.keyId}`);
    expect(log.size).toBe(0);
    await log.close();
  });

  it('attack: an unknown or a bad signature next to a valid one → the whole entry is refused (unknown-key / bad-signature)', async () => {
    const log = makeLog({ batch: { maxEntries: 1, maxWaitMs: 0 } });
    const [e0] = chain(1);
    if (e0 === undefined) throw new Error('chain');
    const withMallory = entries.signEntry(e0, MALLORY);
    expect(await rejection(log.append(withMallory))).toMatchObject({ reason: 'unknown-key' });
    const other = signer(44, 'freight.dock');
    const lying = entries.signEntry(e0, { keyId: other.keyId, secretKey: MALLORY.secretKey });
    const keys = new Map([
      [ALICE.keyId, ALICE.publicKey],
      [other.keyId, other.publicKey],
    ]);
    const two = makeLog({ keys, batch: { maxEntries: 1, maxWaitMs: 0 } });
    expect(await rejection(two.append(lying))).toMatchObject({ reason: 'bad-signature' });
    expect([log.size, two.size]).toEqual([0, 0]);
    await log.close();
    await two.close();
  });
});
