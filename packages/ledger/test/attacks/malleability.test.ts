/**
 * Ed25519 malleability and crafted keys, on the RFC 8032 vectors and end to end through every
 * path that verifies a signature (entries at the log, verifyLog, checkpoints at clients and
 * witnesses, cosignatures, provenance bundles), once with node:crypto and once with @noble/curves
 * alone. Both must apply the one RFC 8032 rule set (noble with `zip215: false`, as node:crypto).
 */
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it, vi } from 'vitest';
import * as ledger from '../../src/index.js';
import { anchoredBundle } from '../../src/provenance/test-fixtures/bundle.js';
import { consortiumV1 } from '../../src/tlog/test-fixtures/consortium.js';
import { createWorkerSignatureVerifier } from '../../src/workers/index.js';
import { unsigned } from '../entries-fixtures.js';
import { ALICE, LOG_SIGNER, ORIGIN, T0 } from './helpers.js';

type Ledger = typeof ledger;
const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const P = 2n ** 255n - 19n;

const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) + BigInt(x), 0n);
const toLE = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
};
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint => le(sha512(cat(r, a, m))) % L;
/** A point of order 8. */
const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');

/** The same signature with S replaced by S + k·L: a second encoding of one signature (k ≥ 1). */
function malleate(sig: Uint8Array, k = 1n): Uint8Array {
  return cat(sig.subarray(0, 32), toLE(le(sig.subarray(32)) + k * L));
}

/** A signature a key holder (secret scalar `a` of `pub`) can make with a chosen R encoding and torsion. */
function crafted(a: bigint, pub: Uint8Array, m: Uint8Array, r: bigint, rTorsion = Point.ZERO): Uint8Array {
  const R = Point.BASE.multiply(r).add(rTorsion).toBytes();
  return cat(R, toLE((r + challenge(R, pub, m) * a) % L));
}

/** A valid-under-lax-rules signature whose R is the identity encoded non-canonically (y = p + 1). */
function nonCanonicalR(a: bigint, pub: Uint8Array, m: Uint8Array): Uint8Array {
  const R = toLE(P + 1n);
  return cat(R, toLE((challenge(R, pub, m) * a) % L));
}

const scalarOf = (secretKey: Uint8Array): bigint => ed25519.utils.getExtendedPublicKey(secretKey).scalar;

/** The C2SP note line of `name` with its Ed25519 signature (after `skip` bytes) replaced by `f(sig)`. */
function editLine(note: string, name: string, skip: number, f: (sig: Uint8Array) => Uint8Array): string {
  const start = note.lastIndexOf('\n\n') + 2;
  const lines = note.slice(start, -1).split('\n');
  const out = lines.map((line) => {
    const [dash, n, b64] = line.split(' ');
    if (n !== name || b64 === undefined) return line;
    const raw = Uint8Array.from(Buffer.from(b64, 'base64'));
    const sig = raw.subarray(4 + skip, 4 + skip + 64);
    const edited = cat(raw.subarray(0, 4 + skip), f(sig));
    return `${dash} ${n} ${Buffer.from(edited).toString('base64')}`;
  });
  return `${note.slice(0, start)}${out.join('\n')}\n`;
}

/** The entry with its first signature's bytes replaced by `f(sig)`. */
function editEntrySig(entry: ledger.entries.Entry, f: (sig: Uint8Array) => Uint8Array): ledger.entries.Entry {
  const [first, ...rest] = entry.signatures;
  if (first === undefined) throw new Error('unsigned');
  return { ...entry, signatures: [{ keyId: first.keyId, sig: hex(f(unhex(first.sig))) }, ...rest] };
}

/**
 * A fresh instance of the package that cannot see node:crypto (as in a browser): every Ed25519
 * check in it runs on @noble/curves.
 */
async function nobleOnly(): Promise<Ledger> {
  vi.resetModules();
  const proc = process as unknown as { getBuiltinModule?: unknown };
  const original = proc.getBuiltinModule;
  proc.getBuiltinModule = undefined;
  try {
    const mod = (await import('../../src/index.js')) as Ledger;
    expect(mod.nativeEd25519Available()).toBe(false); // decided now, kept by this instance
    return mod;
  } finally {
    proc.getBuiltinModule = original;
  }
}

const vectors = (
  JSON.parse(readFileSync(new URL('../vectors/rfc8032-ed25519.json', import.meta.url), 'utf8')) as {
    vectors: { name: string; secretKey: string; publicKey: string; message: string; signature: string }[];
  }
).vectors;

describe('Ed25519 malleability on the RFC 8032 vectors (native and noble)', () => {
  it('has the three vectors, which both backends accept', () => {
    expect(vectors.map((v) => v.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3']);
    for (const v of vectors) {
      for (const backend of ['native', 'noble'] as const) {
        expect(
          ledger.ed25519VerifyStrict(unhex(v.signature), unhex(v.message), unhex(v.publicKey), backend),
        ).toBe(true);
      }
    }
  });

  it.each(vectors.map((v) => [v.name, v] as const))(
    'attack: %s malleated or crafted (S + L, S + 2L, torsioned R, non-canonical R, mixed-order A, small-order A) → rejected by native and noble alike',
    (_name, v) => {
      const msg = unhex(v.message);
      for (const [what, s, key, laxAccepts] of craftedCases(v)) {
        expect([what, ed25519.verify(s, msg, key, { zip215: true })]).toEqual([what, laxAccepts]);
        expect([what, ledger.ed25519VerifyStrict(s, msg, key, 'native')]).toEqual([what, false]);
        expect([what, ledger.ed25519VerifyStrict(s, msg, key, 'noble')]).toEqual([what, false]);
      }
    },
  );

  it('attack: every crafted case of every vector → rejected by the worker-thread verifier too (the honest signatures pass)', async () => {
    const verifier = createWorkerSignatureVerifier({ threads: 2, chunkSize: 4 });
    for (const v of vectors) {
      const message = unhex(v.message);
      const cases = craftedCases(v);
      const jobs = [
        { signature: unhex(v.signature), message, publicKey: unhex(v.publicKey) },
        ...cases.map(([, signature, publicKey]) => ({ signature, message, publicKey })),
      ];
      expect(await verifier.verify(jobs)).toEqual([true, ...cases.map(() => false)]);
    }
    await verifier.close();
  });
});

type Vector = (typeof vectors)[number];

/** [what, signature, public key, does bare noble with ZIP 215 rules accept it (the attack is real)] */
function craftedCases(v: Vector): [string, Uint8Array, Uint8Array, boolean][] {
  const [sig, msg, pub] = [unhex(v.signature), unhex(v.message), unhex(v.publicKey)];
  const a = scalarOf(unhex(v.secretKey));
  const mixed = Point.fromBytes(pub).add(T8).toBytes();
  const identity = Point.ZERO.toBytes();
  return [
    ['S + L', malleate(sig), pub, false],
    ['S + 2L', malleate(sig, 2n), pub, false],
    ['R with a torsion component', crafted(a, pub, msg, 7n, T8), pub, true],
    ['R encoded non-canonically (y = p + 1)', nonCanonicalR(a, pub, msg), pub, true],
    ['mixed-order key A + T', crafted(a, mixed, msg, 11n), mixed, true],
    [
      'small-order key (identity): [S]B = R for any message',
      cat(Point.BASE.multiply(13n).toBytes(), toLE(13n)),
      identity,
      true,
    ],
  ];
}

/** Runs every end-to-end malleability attack against one instance of the package. */
function endToEnd(label: string, load: () => Promise<Ledger>, native: boolean) {
  describe(`Ed25519 malleability end to end (${label})`, () => {
    it(`attack: a malleated (S + L), torsioned-R or non-canonical-R entry signature → the log refuses it (bad-signature), no index used (${label})`, async () => {
      const mod = await load();
      expect(mod.nativeEd25519Available()).toBe(native);
      const log = mod.createTransparencyLog({
        origin: ORIGIN,
        signer: LOG_SIGNER,
        keys: new Map([[ALICE.keyId, ALICE.publicKey]]),
        batch: { maxEntries: 1, maxWaitMs: 0 },
        checkpointEveryMs: 60_000,
      });
      const base = unsigned('config.change');
      const good = mod.entries.signEntry(base, ALICE);
      const msg = mod.entries.entrySigningMessage(base);
      const a = scalarOf(ALICE.secretKey);
      const variants = {
        'S + L': editEntrySig(good, (s) => malleate(s)),
        'torsioned R': editEntrySig(good, () => crafted(a, ALICE.publicKey, msg, 99n, T8)),
        'non-canonical R': editEntrySig(good, () => nonCanonicalR(a, ALICE.publicKey, msg)),
      };
      for (const [what, entry] of Object.entries(variants)) {
        const error = await log.append(mod.entries.encodeEntry(entry)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect([what, error instanceof mod.entries.EntrySignatureError]).toEqual([what, true]);
        expect([what, (error as { reason?: string }).reason]).toEqual([what, 'bad-signature']);
      }
      expect(log.size).toBe(0);
      expect((await log.append(good)).index).toBe(0); // control: the honest signature
      await log.close();
    });

    it(`attack: a small-order submitter key (universal forgery under the cofactorless equation) configured in a log → its signatures are refused (${label})`, async () => {
      const mod = await load();
      const identity = Point.ZERO.toBytes();
      const log = mod.createTransparencyLog({
        origin: ORIGIN,
        signer: LOG_SIGNER,
        keys: new Map([['weak-key', identity]]),
        batch: { maxEntries: 1, maxWaitMs: 0 },
        checkpointEveryMs: 60_000,
      });
      const base = unsigned('config.change');
      const forged = {
        ...base,
        signatures: [{ keyId: 'weak-key', sig: hex(cat(Point.BASE.multiply(5n).toBytes(), toLE(5n))) }],
      };
      const msg = mod.entries.entrySigningMessage(base);
      expect(ed25519.verify(unhex(forged.signatures[0]?.sig ?? ''), msg, identity, { zip215: true })).toBe(
        true,
      );
      await expect(log.append(mod.entries.encodeEntry(forged as ledger.entries.Entry))).rejects.toMatchObject(
        {
          reason: 'bad-signature',
        },
      );
      await log.close();
    });

    it(`attack: a malleated log signature on a checkpoint → clients, witnesses and verifyLog refuse it (bad-signature) (${label})`, async () => {
      const mod = await load();
      const tree = mod.createMerkleTree();
      tree.append(new Uint8Array([1]));
      const logVerifier = mod.createEd25519NoteVerifier(LOG_SIGNER);
      const note = mod.signCheckpoint({ origin: ORIGIN, size: 1, rootHash: tree.root() }, LOG_SIGNER);
      const malleated = editLine(note, ORIGIN, 0, (s) => malleate(s));
      expect(malleated).not.toBe(note);
      expect(mod.verifyCheckpoint(note, logVerifier).checkpoint.size).toBe(1); // control
      const reason = (f: () => unknown): unknown => {
        try {
          f();
        } catch (e) {
          return e instanceof mod.NoteError ? e.reason : e;
        }
        return 'accepted';
      };
      expect(reason(() => mod.createCheckpointClient({ log: logVerifier }).update(malleated))).toBe(
        'bad-signature',
      );
      const w = mod.createWitness({
        key: { name: 'w.example/w', secretKey: new Uint8Array(32).fill(5) },
        log: logVerifier,
      });
      expect(reason(() => w.cosign(malleated))).toBe('bad-signature');
      // verifyLog over a one-entry log whose entry signature is malleated: signature at index 0.
      const entry = mod.entries.signEntry(unsigned('config.change', { ts: T0 }), {
        keyId: 'logger-7',
        secretKey: mod.ledgerKeyFromSeed(new Uint8Array(32).fill(40)).secretKey,
      });
      const honest = mod.entries.encodeEntry(entry);
      const bad = mod.entries.encodeEntry(editEntrySig(entry, (s) => malleate(s)));
      const verify = (bytes: Uint8Array) =>
        mod.verifyLog({
          policy: consortiumV1(),
          entries: [bytes],
          checkpoint: mod.signCheckpoint(
            { origin: ORIGIN, size: 1, rootHash: mod.merkleRoot([bytes]) },
            LOG_SIGNER,
          ),
          logKey: logVerifier,
        });
      expect(verify(honest).size).toBe(1); // control
      expect(reason(() => verify(bad))).toMatchObject({ reason: 'signature', index: 0 });
    });

    it(`attack: a malleated witness cosignature → the quorum check and the client refuse it (bad-signature) (${label})`, async () => {
      const mod = await load();
      const logVerifier = mod.createEd25519NoteVerifier(LOG_SIGNER);
      const w = mod.createWitness({
        key: { name: 'w.example/w', secretKey: new Uint8Array(32).fill(6) },
        log: logVerifier,
      });
      const tree = mod.createMerkleTree();
      tree.append(new Uint8Array([2]));
      const cosigned = w.cosign(
        mod.signCheckpoint({ origin: ORIGIN, size: 1, rootHash: tree.root() }, LOG_SIGNER),
      );
      const malleated = editLine(cosigned, 'w.example/w', 8, (s) => malleate(s)); // after the 8-byte timestamp
      expect(mod.requireCosignatures(cosigned, [w.verifier], 1)).toHaveLength(1); // control
      expect(() => mod.requireCosignatures(malleated, [w.verifier], 1)).toThrow(
        expect.objectContaining({ reason: 'bad-signature' }) as unknown as Error,
      );
      expect(() =>
        mod.createCheckpointClient({ log: logVerifier, witnesses: [w.verifier], k: 1 }).update(malleated),
      ).toThrow(expect.objectContaining({ reason: 'bad-signature' }) as unknown as Error);
    });

    it(`attack: a provenance bundle whose checkpoint carries a malleated log signature or cosignature → invalid at checkpoint-signature / witnesses (${label})`, async () => {
      const mod = await load();
      const { bundle, stack } = await anchoredBundle();
      const trust = { logKey: stack.logVkey, witnesses: [...stack.witnessVkeys] };
      expect(mod.verifyProvenanceBundle(bundle, trust).ok).toBe(true); // control
      const logLine = editLine(bundle.checkpoint, stack.logSigner.name, 0, (s) => malleate(s));
      expect(mod.verifyProvenanceBundle({ ...bundle, checkpoint: logLine }, trust)).toMatchObject({
        ok: false,
        step: 'checkpoint-signature',
      });
      const witnessName = stack.witnesses[0]?.name ?? '';
      const cosig = editLine(bundle.checkpoint, witnessName, 8, (s) => malleate(s));
      expect(mod.verifyProvenanceBundle({ ...bundle, checkpoint: cosig }, trust)).toMatchObject({
        ok: false,
        step: 'witnesses',
      });
      await stack.log.close();
    });
  });
}

endToEnd('node:crypto', async () => ledger, true);
endToEnd('@noble/curves only', nobleOnly, false);
