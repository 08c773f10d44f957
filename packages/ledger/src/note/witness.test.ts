import { createFakeClock } from '@healthit/core/testing';
import { describe, expect, it } from 'vitest';
import { createMerkleTree, type MerkleTree } from '../merkle/index.js';
import { encodeBase64 } from './base64.js';
import { createCheckpointClient, requireCosignatures } from './client.js';
import { createCosignatureVerifier, verifyCosignature } from './cosignature.js';
import { verifyEquivocationEvidence } from './equivocation.js';
import { isNoteError, type NoteError, type NoteErrorReason } from './errors.js';
import { createNoteVerifier, formatVerifierKey } from './key-strings.js';
import { parseNote } from './note.js';
import { createEd25519NoteSigner, createEd25519NoteVerifier } from './signer.js';
import { signCheckpoint, verifyCheckpoint } from './verify-checkpoint.js';
import { createWitness } from './witness.js';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const ORIGIN = 'hospital.example/ledger';
const LOG = createEd25519NoteSigner({ name: ORIGIN, secretKey: seed(1) });
const LOG_V = createEd25519NoteVerifier(LOG);
const T0 = Date.UTC(2025, 0, 1);

function treeOf(n: number, tag = 'e'): MerkleTree {
  const tree = createMerkleTree();
  for (let i = 0; i < n; i++) tree.append(new TextEncoder().encode(`${tag}${i}`));
  return tree;
}
const checkpointOf = (tree: MerkleTree, size = tree.size): string =>
  signCheckpoint({ origin: ORIGIN, size, rootHash: tree.root(size) }, LOG);

function thrown(f: () => unknown): NoteError {
  try {
    f();
  } catch (e) {
    if (isNoteError(e)) return e;
    throw e;
  }
  throw new Error('expected a NoteError');
}
const reason = (f: () => unknown): NoteErrorReason => thrown(f).reason;

function witness(n: number) {
  const clock = createFakeClock(T0);
  return createWitness({
    key: { name: `w${n}.example/witness`, secretKey: seed(10 + n) },
    log: LOG_V,
    clock,
  });
}

describe('witness (C2SP tlog-cosignature/v1)', () => {
  it('cosigns an append-only sequence; the cosignature verifies with its timestamp and vkey', () => {
    const tree = treeOf(10);
    const w = witness(1);
    const first = w.cosign(checkpointOf(tree, 3));
    expect(verifyCosignature(first, w.verifier).timestamp).toBe(BigInt(T0 / 1000));
    const next = w.cosign(checkpointOf(tree, 10), tree.consistencyProof(3, 10));
    expect(w.latest()?.checkpoint.size).toBe(10);
    // Type-0x04 vkey round trip: clients can configure the witness from its vkey string.
    const fromVkey = createNoteVerifier(formatVerifierKey(w.name, w.verifier.publicKey, 0x04));
    expect(fromVkey.keyId).toBe(w.verifier.keyId);
    expect(verifyCosignature(next, fromVkey).name).toBe(w.name);
    // The log's own signature is untouched and still verifies.
    expect(verifyCheckpoint(next, LOG_V).checkpoint.size).toBe(10);
    // The cosignature key ID differs from an Ed25519 note key ID of the same key and name (type byte).
    expect(createEd25519NoteVerifier({ name: w.name, publicKey: w.verifier.publicKey }).keyId).not.toBe(
      w.verifier.keyId,
    );
  });

  it('refuses a checkpoint not signed by the log, or of another origin', () => {
    const w = witness(1);
    const forger = createEd25519NoteSigner({ name: ORIGIN, secretKey: seed(66) });
    const tree = treeOf(2);
    expect(
      reason(() => w.cosign(signCheckpoint({ origin: ORIGIN, size: 2, rootHash: tree.root() }, forger))),
    ).toBe('unverified');
    expect(
      reason(() =>
        w.cosign(signCheckpoint({ origin: 'other.example/log', size: 2, rootHash: tree.root() }, LOG)),
      ),
    ).toBe('origin');
    expect(w.latest()).toBeUndefined();
  });

  it('rollback: refuses a smaller checkpoint and keeps its state', () => {
    const tree = treeOf(8);
    const w = witness(1);
    w.cosign(checkpointOf(tree, 8));
    expect(reason(() => w.cosign(checkpointOf(tree, 5)))).toBe('rollback');
    expect(w.latest()?.checkpoint.size).toBe(8);
  });

  it('inconsistent: refuses a larger tree with a forged, truncated or missing proof, or a rewritten history', () => {
    const tree = treeOf(16);
    const w = witness(1);
    w.cosign(checkpointOf(tree, 5));
    const proof = tree.consistencyProof(5, 16);
    const forged = proof.map((p, i) => (i === 0 ? Uint8Array.from(p, (b, j) => (j === 0 ? b ^ 1 : b)) : p));
    expect(reason(() => w.cosign(checkpointOf(tree, 16), forged))).toBe('inconsistent');
    expect(reason(() => w.cosign(checkpointOf(tree, 16), proof.slice(1)))).toBe('inconsistent');
    expect(reason(() => w.cosign(checkpointOf(tree, 16)))).toBe('inconsistent');
    const rewritten = treeOf(16, 'rewritten');
    expect(reason(() => w.cosign(checkpointOf(rewritten, 16), rewritten.consistencyProof(5, 16)))).toBe(
      'inconsistent',
    );
    expect(w.latest()?.checkpoint.size).toBe(5);
    w.cosign(checkpointOf(tree, 16), proof);
    expect(w.latest()?.checkpoint.size).toBe(16);
  });

  it('equivocation: two signed checkpoints of one size with different roots give verifiable evidence', () => {
    const w = witness(1);
    const honest = checkpointOf(treeOf(6));
    const forked = checkpointOf(treeOf(6, 'fork'));
    w.cosign(honest);
    const error = thrown(() => w.cosign(forked));
    expect(error.reason).toBe('equivocation');
    expect(error.code).toBe('ledger/integrity');
    const evidence = error.evidence;
    expect(evidence?.size).toBe(6);
    expect(evidence?.notes).toEqual([honest, forked]);
    expect(evidence !== undefined && verifyEquivocationEvidence(evidence, LOG_V)).toBe(true);
    // Evidence that does not hold up (same note twice, or another log's key) is refused.
    expect(
      verifyEquivocationEvidence(
        { ...(evidence as NonNullable<typeof evidence>), notes: [honest, honest] },
        LOG_V,
      ),
    ).toBe(false);
    const otherLog = createEd25519NoteVerifier({
      name: ORIGIN,
      publicKey: createEd25519NoteSigner({ name: ORIGIN, secretKey: seed(3) }).publicKey,
    });
    expect(verifyEquivocationEvidence(evidence as NonNullable<typeof evidence>, otherLog)).toBe(false);
    // The same tree again is not equivocation: re-cosigned.
    expect(() => w.cosign(honest)).not.toThrow();
  });

  it('resumes from its persisted latest checkpoint', () => {
    const tree = treeOf(9);
    const w1 = witness(1);
    w1.cosign(checkpointOf(tree, 9));
    const resumed = createWitness({
      key: { name: 'w1.example/witness', secretKey: seed(11) },
      log: LOG_V,
      latest: w1.latest()?.note as string,
    });
    expect(reason(() => resumed.cosign(checkpointOf(tree, 4)))).toBe('rollback');
  });
});

describe('clients: k-of-n witnesses, rollback, equivocation', () => {
  const witnesses = [witness(1), witness(2), witness(3)];
  const verifiers = witnesses.map((w) => w.verifier);

  function cosignedBy(
    note: string,
    ws: typeof witnesses,
    proofOf?: (w: (typeof witnesses)[number]) => Uint8Array[],
  ): string {
    let out = note;
    for (const w of ws) out = w.cosign(out, proofOf?.(w) ?? []);
    return out;
  }

  it('requireCosignatures: k-of-n met, not met, bad line fatal', () => {
    const tree = treeOf(4);
    const ws = [witness(1), witness(2), witness(3)];
    const note = cosignedBy(checkpointOf(tree), ws.slice(0, 2));
    expect(requireCosignatures(note, verifiers, 2).map((c) => c.name)).toEqual([
      'w1.example/witness',
      'w2.example/witness',
    ]);
    expect(reason(() => requireCosignatures(note, verifiers, 3))).toBe('quorum');
    const lines = parseNote(note).signatures;
    const w2 = lines[2];
    const b64 = w2?.base64 ?? '';
    const flipped = `${b64.slice(0, 30)}${b64[30] === 'A' ? 'B' : 'A'}${b64.slice(31)}`; // inside the Ed25519 signature
    const tampered = note.replace(b64, flipped);
    expect(reason(() => requireCosignatures(tampered, verifiers, 1))).toBe('bad-signature');
    expect(() => requireCosignatures(note, verifiers, 4)).toThrow(RangeError);
  });

  it('a witness counts once: duplicated lines, or one key configured under two names', () => {
    const note = cosignedBy(checkpointOf(treeOf(4)), [witness(1)]);
    const line = note.slice(note.lastIndexOf('\u2014 '));
    expect(reason(() => requireCosignatures(`${note}${line}`, verifiers, 2))).toBe('quorum');
    // Same public key under a second name: cosignature/v1 does not commit to the name, so the log
    // can relabel a witness's line; a client configured with both names still counts one witness.
    const v1 = verifiers[0] as (typeof verifiers)[number];
    const alias = createCosignatureVerifier({ name: 'alias.example/w', publicKey: v1.publicKey });
    const sig = parseNote(note).signatures[1];
    const raw = new Uint8Array(4 + (sig?.signature.length ?? 0));
    new DataView(raw.buffer).setUint32(0, alias.keyId);
    raw.set(sig?.signature ?? new Uint8Array(0), 4);
    const aliased = `${note}\u2014 alias.example/w ${encodeBase64(raw)}\n`;
    expect(requireCosignatures(aliased, [alias], 1)).toHaveLength(1); // the relabelled line does verify
    expect(reason(() => requireCosignatures(aliased, [v1, alias], 2))).toBe('quorum');
  });

  it('createCheckpointClient: accepts growth with proofs, refuses rollback, inconsistency and equivocation', () => {
    const tree = treeOf(20);
    const ws = [witness(1), witness(2), witness(3)];
    const client = createCheckpointClient({ log: LOG_V, witnesses: ws.map((w) => w.verifier), k: 2 });
    client.update(cosignedBy(checkpointOf(tree, 7), ws.slice(0, 2)));
    expect(reason(() => client.update(checkpointOf(tree, 12), tree.consistencyProof(7, 12)))).toBe('quorum');
    const n12 = cosignedBy(checkpointOf(tree, 12), ws.slice(0, 2), () => tree.consistencyProof(7, 12));
    expect(client.update(n12, tree.consistencyProof(7, 12)).checkpoint.size).toBe(12);
    // Rollback: an older, properly cosigned checkpoint is refused.
    const older = cosignedBy(checkpointOf(tree, 7), [witness(1), witness(2)]);
    expect(reason(() => client.update(older))).toBe('rollback');
    // Inconsistent growth.
    const other = treeOf(20, 'x');
    const n20 = cosignedBy(checkpointOf(other, 20), [witness(1), witness(2)]);
    expect(reason(() => client.update(n20, other.consistencyProof(12, 20)))).toBe('inconsistent');
    // Split view: same size, different root, each cosigned by a quorum of fresh witnesses.
    const fork = treeOf(12, 'fork');
    const n12fork = cosignedBy(checkpointOf(fork, 12), [witness(1), witness(3)]);
    const error = thrown(() => client.update(n12fork));
    expect(error.reason).toBe('equivocation');
    expect(verifyEquivocationEvidence(error.evidence as NonNullable<NoteError['evidence']>, LOG_V)).toBe(
      true,
    );
    expect(client.latest()?.checkpoint.size).toBe(12);
  });
});
