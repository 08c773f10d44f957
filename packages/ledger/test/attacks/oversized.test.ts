/**
 * Oversized and hostile inputs: entries, notes, proofs, bundles and policy documents far beyond
 * their bounds must be refused with a clear, typed error, without a crash and in bounded time.
 */
import { describe, expect, it } from 'vitest';
import {
  createCheckpointClient,
  createMerkleTree,
  emptyRoot,
  entries,
  LogVerificationError,
  MAX_NOTE_BYTES,
  MAX_NOTE_SIGNATURES,
  merkleRoot,
  NoteError,
  signCheckpoint,
  verifyConsistency,
  verifyInclusion,
  verifyLog,
  verifyProvenanceBundle,
} from '../../src/index.js';
import { anchoredBundle } from '../../src/provenance/test-fixtures/bundle.js';
import { consortiumV1, createWriter, T0 } from '../../src/tlog/test-fixtures/consortium.js';
import {
  chain,
  LOG_SIGNER,
  LOG_VERIFIER,
  makeLog,
  makePolicyLog,
  ORIGIN,
  rejection,
  thrown,
  timed,
  witness,
} from './helpers.js';

/** Generous bound for "bounded time" on a loaded 2-core machine (the inputs take well under it). */
const FAST_MS = 2_000;

const utf8 = new TextEncoder();

describe('oversized inputs', () => {
  it('attack: oversized entries (bytes over MAX_ENTRY_BYTES, a 10 MB entry, a huge body string, 30 000 nested arrays) → EntryError before any other work, no index used', async () => {
    const log = makeLog({ batch: { maxEntries: 1, maxWaitMs: 0 } });
    const [good] = chain(1);
    if (good === undefined) throw new Error('chain');
    const text = new TextDecoder().decode(entries.encodeEntry(good));
    const cases: [string, Uint8Array | entries.Entry, string[]][] = [
      ['one byte over the limit', new Uint8Array(entries.MAX_ENTRY_BYTES + 1).fill(0x20), ['oversized']],
      ['10 MB', new Uint8Array(10_000_000).fill(0x7b), ['oversized']],
      [
        'a 1 MB reason',
        utf8.encode(text.replace(/"reason":"[^"]*"/, `"reason":"${'x'.repeat(1_000_000)}"`)),
        ['oversized'],
      ],
      ['nested arrays', utf8.encode(`${'['.repeat(30_000)}${']'.repeat(30_000)}`), ['invalid', 'malformed']],
      [
        'a huge body string as an object',
        { ...good, body: { ...good.body, reason: 'y'.repeat(1_000_000) } } as entries.Entry,
        ['invalid', 'oversized'],
      ],
    ];
    for (const [what, input, reasons] of cases) {
      const { value: pending, ms } = timed(() => rejection(log.append(input)));
      const error = await pending;
      expect([what, error instanceof entries.EntryError]).toEqual([what, true]);
      expect([what, reasons.includes((error as entries.EntryError).reason)]).toEqual([what, true]);
      expect([what, ms < FAST_MS]).toEqual([what, true]);
    }
    expect(log.size).toBe(0);
    expect((await log.append(good)).index).toBe(0);
    await log.close();
  });

  it('attack: oversized notes (over MAX_NOTE_BYTES, over MAX_NOTE_SIGNATURES lines) → NoteError oversized at the client, the witness and verifyLog', () => {
    const tree = createMerkleTree();
    tree.append(new Uint8Array([1]));
    const note = signCheckpoint({ origin: ORIGIN, size: 1, rootHash: tree.root() }, LOG_SIGNER);
    const line = note.slice(note.lastIndexOf('\u2014'));
    const huge = `${note}${'\u2014 pad.example/k '}${'A'.repeat(MAX_NOTE_BYTES)}\n`;
    const manyLines = `${note}${line.repeat(MAX_NOTE_SIGNATURES)}`;
    const w = witness(1);
    for (const [what, input] of [
      ['bytes', huge],
      ['as bytes', utf8.encode(huge)],
      ['signature lines', manyLines],
      ['a 50 MB string', `${'a'.repeat(50_000_000)}\n\n${line}`],
    ] as const) {
      for (const [who, f] of [
        ['client', () => createCheckpointClient({ log: LOG_VERIFIER }).update(input as string)],
        ['witness', () => w.cosign(input as string)],
      ] as const) {
        const { value: error, ms } = timed(() => thrown(f));
        expect([what, who, error instanceof NoteError && error.reason]).toEqual([what, who, 'oversized']);
        expect([what, who, ms < FAST_MS]).toEqual([what, who, true]);
      }
    }
    const viaVerifier = thrown(() =>
      verifyLog({ policy: consortiumV1(), entries: [], checkpoint: huge, logKey: LOG_VERIFIER }),
    );
    expect(viaVerifier).toBeInstanceOf(LogVerificationError);
    expect(viaVerifier).toMatchObject({ reason: 'checkpoint', cause: { reason: 'oversized' } });
  });

  it('attack: oversized proofs (a million hashes, a sparse array of length 2^32 − 1) → verifiers say false, client and witness refuse (inconsistent), fast', () => {
    const tree = createMerkleTree();
    for (let i = 0; i < 8; i++) tree.append(new Uint8Array([i]));
    const million = Array.from({ length: 1_000_000 }, () => new Uint8Array(32));
    const sparse = new Array<Uint8Array>(2 ** 32 - 1);
    for (const proof of [million, sparse]) {
      const { value, ms } = timed(() => [
        verifyInclusion(tree.leafHashAt(3), 3, 8, proof, tree.root()),
        verifyConsistency(4, 8, tree.root(4), tree.root(8), proof),
      ]);
      expect(value).toEqual([false, false]);
      expect(ms).toBeLessThan(FAST_MS);
      const client = createCheckpointClient({ log: LOG_VERIFIER });
      client.update(signCheckpoint({ origin: ORIGIN, size: 4, rootHash: tree.root(4) }, LOG_SIGNER));
      const w = witness(2);
      w.cosign(signCheckpoint({ origin: ORIGIN, size: 4, rootHash: tree.root(4) }, LOG_SIGNER));
      const n8 = signCheckpoint({ origin: ORIGIN, size: 8, rootHash: tree.root(8) }, LOG_SIGNER);
      for (const f of [() => client.update(n8, proof), () => w.cosign(n8, proof)]) {
        const { value: error, ms: took } = timed(() => thrown(f));
        expect(error).toMatchObject({ reason: 'inconsistent' });
        expect(took).toBeLessThan(FAST_MS);
      }
    }
  });

  it('attack: oversized provenance bundles (10 MB strings, 100 000 proof hashes, a 2 MB checkpoint, deep nesting) → invalid at step bundle, never a throw, fast', async () => {
    const { bundle, stack } = await anchoredBundle();
    const trust = { logKey: stack.logVkey, witnesses: [...stack.witnessVkeys] };
    expect(verifyProvenanceBundle(bundle, trust).ok).toBe(true); // control
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = { reading: deep };
    const hash = '00'.repeat(32);
    const variants: [string, unknown][] = [
      ['10 MB entry bytes', { ...bundle, entry: { ...bundle.entry, bytes: 'A'.repeat(10_000_000) } }],
      [
        '100 000 batch proof hashes',
        { ...bundle, batch: { ...bundle.batch, proof: Array(100_000).fill(hash) } },
      ],
      [
        '100 000 log proof hashes',
        { ...bundle, entry: { ...bundle.entry, proof: Array(100_000).fill(hash) } },
      ],
      ['a 2 MB checkpoint', { ...bundle, checkpoint: `${bundle.checkpoint}${'x'.repeat(2_000_000)}` }],
      ['a 10 MB unknown member', { ...bundle, padding: 'p'.repeat(10_000_000) }],
      ['100 000 levels of nesting', { ...bundle, reading: deep }],
    ];
    for (const [what, input] of variants) {
      const { value: verdict, ms } = timed(() => verifyProvenanceBundle(input, trust));
      expect([what, verdict.ok]).toEqual([what, false]);
      expect([what, verdict.ok ? undefined : verdict.step]).toEqual([
        what,
        what.includes('nesting') ? 'reading' : 'bundle',
      ]);
      expect([what, ms < FAST_MS]).toEqual([what, true]);
    }
    await stack.log.close();
  });

  it('attack: oversized policy documents behind a policy.update (a million organisations, a 50 MB id, a 100 000-leaf rule) → EndorsementError policy-document at the log, policy-update in verifyLog, fast', async () => {
    const base = structuredClone(consortiumV1()) as unknown as Record<string, unknown>;
    const wide = { any: Array.from({ length: 100_000 }, () => ({ role: 'device.logger' })) };
    const documents: [string, unknown][] = [
      [
        'a million organisations',
        {
          ...base,
          version: 2,
          organisations: Array.from({ length: 1_000_000 }, (_, i) => ({ id: `o${i}`, name: 'o', keys: [] })),
        },
      ],
      ['a 50 MB policy id', { ...base, version: 2, policyId: 'x'.repeat(50_000_000) }],
      ['a 100 000-leaf rule', { ...base, version: 2, endorsement: { 'config.change': wide } }],
    ];
    for (const [what, document] of documents) {
      const { log, update, bytes } = await policyUpdateWith(document);
      const { value: pending, ms } = timed(() => rejection(log.append(update)));
      const error = await pending;
      expect([what, error]).toMatchObject([what, { reason: 'policy-document' }]);
      expect([what, ms < FAST_MS]).toEqual([what, true]);
      expect(log.size).toBe(0);
      await log.close();
      const verified = timed(() => thrown(() => verifyPolicyUpdateLog(bytes, document)));
      expect(verified.value).toBeInstanceOf(LogVerificationError);
      expect([what, verified.value]).toMatchObject([
        what,
        { reason: 'policy-update', index: 0, cause: { reason: 'policy-document' } },
      ]);
      expect([what, verified.ms < FAST_MS]).toEqual([what, true]);
    }
  });

  // SECURITY BUG (reported): parseMembershipPolicy recurses through zod's lazy rule schema before
  // the depth bound applies, so a document nesting a rule 100 000 levels deep overflows the stack:
  // append rejects with a bare RangeError and verifyLog throws one instead of its typed error.
  it('attack: a policy document whose rule nests 100 000 levels deep → EndorsementError policy-document at the log and LogVerificationError in verifyLog (not a stack overflow)', async () => {
    let deep: unknown = { role: 'device.logger' };
    for (let i = 0; i < 100_000; i++) deep = { all: [deep] };
    const document = {
      ...(structuredClone(consortiumV1()) as unknown as Record<string, unknown>),
      version: 2,
      endorsement: { 'config.change': deep },
    };
    const { log, update, bytes } = await policyUpdateWith(document);
    const error = await rejection(log.append(update));
    await log.close();
    const verified = thrown(() => verifyPolicyUpdateLog(bytes, document));
    expect(error).toMatchObject({ reason: 'policy-document' });
    expect(verified).toBeInstanceOf(LogVerificationError);
  });

  it('attack: a checkpoint claiming 2^53 − 1 entries, or an endless stream of entries → verifyLog stops with size, fast', () => {
    const hugeSize = signCheckpoint(
      { origin: ORIGIN, size: Number.MAX_SAFE_INTEGER, rootHash: emptyRoot() },
      LOG_SIGNER,
    );
    const short = timed(() =>
      thrown(() =>
        verifyLog({ policy: consortiumV1(), entries: [], checkpoint: hugeSize, logKey: LOG_VERIFIER }),
      ),
    );
    expect(short.value).toMatchObject({ reason: 'size', index: 0 });
    expect(short.ms).toBeLessThan(FAST_MS);
    const three = [...take(endless(), 3)];
    const checkpoint = signCheckpoint({ origin: ORIGIN, size: 3, rootHash: merkleRoot(three) }, LOG_SIGNER);
    const long = timed(() =>
      thrown(() =>
        verifyLog({ policy: consortiumV1(), entries: endless(), checkpoint, logKey: LOG_VERIFIER }),
      ),
    );
    expect(long.value).toMatchObject({ reason: 'size', index: 3 });
    expect(long.ms).toBeLessThan(FAST_MS);
  });
});

function* take<T>(it: Iterable<T>, n: number): Generator<T> {
  if (n <= 0) return;
  let i = 0;
  for (const x of it) {
    yield x;
    if (++i >= n) return;
  }
}

/** An endless chain of config changes (the same one on every call: signing is deterministic). */
function* endless(): Generator<Uint8Array> {
  const w = createWriter();
  for (;;) {
    const e = w.make('config.change', ['logger-7']);
    w.commit(e);
    yield entries.encodeEntry(e);
  }
}

/** A policy log and a `policy.update` signed by v1's admins whose document lookup returns `document`. */
async function policyUpdateWith(document: unknown) {
  const w = createWriter();
  const update = w.make('policy.update', ['acme-admin', 'mary-admin'], {
    stream: 'lot:governance',
    body: { policyId: 'cold-chain-consortium', version: 2, digest: 'ab'.repeat(32), effectiveFrom: T0 },
  });
  const log = makePolicyLog(consortiumV1(), { policyDocuments: () => document });
  return { log, update, bytes: entries.encodeEntry(update) };
}

/** verifyLog over a one-entry log holding `bytes`, the documents looked up returning `document`. */
function verifyPolicyUpdateLog(bytes: Uint8Array, document: unknown) {
  return verifyLog({
    policy: consortiumV1(),
    policyDocuments: () => document,
    entries: [bytes],
    checkpoint: signCheckpoint({ origin: ORIGIN, size: 1, rootHash: merkleRoot([bytes]) }, LOG_SIGNER),
    logKey: LOG_VERIFIER,
  });
}
