import type { Reading } from '@healthit/core';
import { afterEach, describe, expect, it } from 'vitest';
import { readingLeaf, readingSalt } from '../entries/index.js';
import { toHex } from '../hex.js';
import { logIdOf } from '../key.js';
import { leafHash, nodeHash } from '../merkle/index.js';
import {
  addNoteSignatures,
  encodeBase64,
  parseCheckpoint,
  parseNote,
  signCheckpoint,
  signNote,
} from '../note/index.js';
import { buildProvenanceBundle } from './build.js';
import type { ProvenanceBundle } from './bundle.js';
import { type AnchoredBundle, anchoredBundle } from './test-fixtures/bundle.js';
import { logKey, ORIGIN, readings } from './test-fixtures/stack.js';
import { type ProvenanceStep, type VerifyProvenanceOptions, verifyProvenanceBundle } from './verify.js';

let open: AnchoredBundle[] = [];

async function setup(options: Parameters<typeof anchoredBundle>[0] = {}): Promise<AnchoredBundle> {
  const a = await anchoredBundle(options);
  open.push(a);
  return a;
}

afterEach(async () => {
  await Promise.all(open.map((a) => a.stack.log.close()));
  open = [];
});

function trust(a: AnchoredBundle, extra: Partial<VerifyProvenanceOptions> = {}): VerifyProvenanceOptions {
  return { logKey: a.stack.logVkey, witnesses: a.stack.witnessVkeys, ...extra };
}

/** A bundle as plain, mutable JSON. */
interface MutableBundle {
  reading: { value: number; unit: string; [key: string]: unknown };
  batch: { leafIndex: number; proof: string[] };
  entry: { index: number; bytes: string; proof: string[] };
  checkpoint: string;
  [key: string]: unknown;
}

/** A deep copy of the bundle with `change` applied. */
function mutate(bundle: ProvenanceBundle, change: (b: MutableBundle) => void): unknown {
  const copy = JSON.parse(JSON.stringify(bundle)) as MutableBundle;
  change(copy);
  return copy;
}

function failsAt(bundle: unknown, options: VerifyProvenanceOptions, step: ProvenanceStep): void {
  const verdict = verifyProvenanceBundle(bundle, options);
  expect(verdict.ok ? 'ok' : `${verdict.step}: ${verdict.reason}`).toMatch(new RegExp(`^${step}: `));
}

/** The checkpoint note's text and signature lines. */
function noteParts(note: string): { text: string; lines: string[] } {
  const at = note.lastIndexOf('\n\n');
  return { text: note.slice(0, at + 1), lines: note.slice(at + 2, -1).split('\n') };
}

describe('provenance bundle: end to end', () => {
  it('verifies with the log key and a witness, after a JSON round trip', async () => {
    const a = await setup();
    const verdict = verifyProvenanceBundle(JSON.parse(JSON.stringify(a.bundle)), trust(a));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.steps.map((s) => s.step)).toEqual([
      'bundle',
      'reading',
      'entry',
      'batch-match',
      'reading-inclusion',
      'checkpoint-signature',
      'checkpoint-origin',
      'witnesses',
      'log-inclusion',
    ]);
    expect(verdict.reading).toEqual(a.batch[2]);
    expect(verdict.receipt).toEqual(await a.stack.sink.receipt(a.index));
    expect(verdict.receipt.logId).toBe(logIdOf(a.stack.logSigner.publicKey));
    expect(verdict.witnesses).toEqual(['witness.example/w1']);
    expect(verdict.checkpoint.origin).toBe(ORIGIN);
    expect(verdict.checkpoint.size).toBe(a.stack.log.size);
  });

  it('every reading of the batch has a bundle that verifies, and checks submitter signatures on request', async () => {
    const a = await setup({ size: 5 });
    for (const reading of a.batch) {
      const bundle = buildProvenanceBundle({
        reading,
        batchReadings: [...a.batch].reverse(),
        log: a.stack.log,
        index: a.index,
        checkpointNote: a.bundle.checkpoint,
      });
      const verdict = verifyProvenanceBundle(
        bundle,
        trust(a, { submitterKeys: new Map([[a.stack.gateway.keyId, a.stack.gateway.publicKey]]) }),
      );
      expect(verdict.ok).toBe(true);
      expect(verdict.steps.map((s) => s.step)).toContain('entry-signatures');
    }
  });

  it('reveals the proven reading only: no other reading, no patient salt, the patient id once', async () => {
    const a = await setup();
    const text = JSON.stringify(a.bundle);
    for (const r of a.batch.filter((_, i) => i !== 2)) expect(text).not.toContain(`"${r.id}"`);
    expect(text).not.toContain(a.salt);
    expect(text.split('patient-42').length - 1).toBe(1);
    const entryBytes = Uint8Array.from(atob(a.bundle.entry.bytes), (c) => c.charCodeAt(0));
    expect(new TextDecoder().decode(entryBytes)).not.toContain('patient-42');
    // the proof carries only hashes: 7 readings → 3 sibling hashes
    expect(a.bundle.batch.proof).toHaveLength(3);
  });
});

describe('provenance bundle: every mutation fails at its step', () => {
  it('an altered reading value → reading-inclusion', async () => {
    const a = await setup();
    failsAt(
      mutate(a.bundle, (b) => {
        b.reading.value += 1;
      }),
      trust(a),
      'reading-inclusion',
    );
  });

  it('a reading swapped in from another batch → batch-match; from the same batch → reading-inclusion', async () => {
    const a = await setup();
    failsAt(
      mutate(a.bundle, (b) => {
        b.reading = a.otherBatch[0] as Reading;
      }),
      trust(a),
      'batch-match',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.reading = { ...(a.batch[2] as Reading), deviceId: 'mon-8' };
      }),
      trust(a),
      'batch-match',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.reading = a.batch[3] as Reading;
      }),
      trust(a),
      'reading-inclusion',
    );
  });

  it('a wrong batch leaf index → reading-inclusion (beyond the batch → batch-match)', async () => {
    const a = await setup();
    failsAt(
      mutate(a.bundle, (b) => {
        b.batch.leafIndex = 3;
      }),
      trust(a),
      'reading-inclusion',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.batch.leafIndex = 7;
      }),
      trust(a),
      'batch-match',
    );
  });

  it('a truncated or extended batch proof → reading-inclusion', async () => {
    const a = await setup();
    failsAt(
      mutate(a.bundle, (b) => {
        b.batch.proof.pop();
      }),
      trust(a),
      'reading-inclusion',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.batch.proof.push('00'.repeat(32));
      }),
      trust(a),
      'reading-inclusion',
    );
  });

  it('a truncated or extended log proof, or a wrong log index → log-inclusion', async () => {
    const a = await setup();
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.proof.pop();
      }),
      trust(a),
      'log-inclusion',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.proof.push(b.entry.proof[0] as string);
      }),
      trust(a),
      'log-inclusion',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.index = 0;
      }),
      trust(a),
      'log-inclusion',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.index = 99;
      }),
      trust(a),
      'log-inclusion',
    );
  });

  it('a checkpoint signed by another key → checkpoint-signature', async () => {
    const a = await setup();
    const { text } = noteParts(a.bundle.checkpoint);
    const impostor = logKey(41); // same name, another key
    failsAt(
      mutate(a.bundle, (b) => {
        b.checkpoint = signNote(text, [impostor.signer]);
      }),
      trust(a),
      'checkpoint-signature',
    );
    // the genuine note verified against the impostor's key
    failsAt(a.bundle, trust(a, { logKey: impostor.vkey }), 'checkpoint-signature');
    // a forged log signature line
    const forged = a.bundle.checkpoint.replace(
      /— (ledger\S+) (\S)/,
      (_, n, c) => `— ${n} ${c === 'A' ? 'B' : 'A'}`,
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.checkpoint = forged;
      }),
      trust(a),
      'checkpoint-signature',
    );
  });

  it('a missing witness cosignature below the threshold → witnesses', async () => {
    const a = await setup({ witnessCount: 2 });
    const { text, lines } = noteParts(a.bundle.checkpoint);
    expect(lines).toHaveLength(3);
    // Signature lines are `— <key name> <base64>`: match the name, not a substring of the base64.
    const kept = lines.filter((l) => !l.startsWith('— witness.example/w2 '));
    expect(kept).toHaveLength(2);
    const withoutW2 = `${text}\n${kept.join('\n')}\n`;
    failsAt(
      mutate(a.bundle, (b) => {
        b.checkpoint = withoutW2;
      }),
      trust(a),
      'witnesses',
    );
    expect(
      verifyProvenanceBundle(
        mutate(a.bundle, (b) => {
          b.checkpoint = withoutW2;
        }),
        trust(a, { witnessThreshold: 1 }),
      ).ok,
    ).toBe(true);
    const logOnly = `${text}\n${lines[0]}\n`;
    failsAt(
      mutate(a.bundle, (b) => {
        b.checkpoint = logOnly;
      }),
      trust(a, { witnessThreshold: 1 }),
      'witnesses',
    );
    // a cosignature by a key the auditor does not know does not count
    const unknown = addNoteSignatures(logOnly, [logKey(42, 'witness.example/w9').signer]);
    failsAt(
      mutate(a.bundle, (b) => {
        b.checkpoint = unknown;
      }),
      trust(a, { witnessThreshold: 1 }),
      'witnesses',
    );
  });

  it('a checkpoint of another log origin → checkpoint-origin', async () => {
    const a = await setup();
    const { size, rootHash } = parseCheckpoint(parseNote(a.bundle.checkpoint).text);
    const other = signCheckpoint({ origin: 'ledger.example.org/other', size, rootHash }, a.stack.logSigner);
    failsAt(
      mutate(a.bundle, (b) => {
        b.checkpoint = other;
      }),
      trust(a, { witnesses: [] }),
      'checkpoint-origin',
    );
    // the auditor expects another origin than the bundle's log
    failsAt(a.bundle, trust(a, { origin: 'ledger.example.org/other' }), 'checkpoint-origin');
  });

  it('leaf/node confusion: an interior node offered as a leaf fails', async () => {
    const a = await setup({ size: 8, pick: 0 });
    // batch tree: claim the reading's parent node sits one level up, as if it were a leaf
    failsAt(
      mutate(a.bundle, (b) => {
        b.batch.proof.shift();
      }),
      trust(a),
      'reading-inclusion',
    );
    // log tree: offer the two child hashes of an interior node as the "entry bytes" one level up
    const leaves = readings(8).map((r) => leafHash(readingLeaf(r as Reading)));
    const node = new Uint8Array([...(leaves[0] as Uint8Array), ...(leaves[1] as Uint8Array)]);
    expect(toHex(nodeHash(leaves[0] as Uint8Array, leaves[1] as Uint8Array))).not.toBe(toHex(leafHash(node)));
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.bytes = encodeBase64(node);
        b.entry.proof.shift();
        b.entry.index = Math.floor(b.entry.index / 2);
      }),
      trust(a),
      'entry',
    );
  });

  it('other entry bytes (another entry of the log) → entry or log-inclusion', async () => {
    const a = await setup();
    const first = a.stack.log.entry(0).bytes; // the security event
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.bytes = encodeBase64(first);
      }),
      trust(a),
      'entry',
    );
    const later = a.stack.log.entry(a.index + 1).bytes; // the other batch, same device
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.bytes = encodeBase64(later);
      }),
      trust(a),
      'batch-match',
    );
  });
});

describe('verifyProvenanceBundle: hostile input', () => {
  it('never throws on garbage; fails at bundle', async () => {
    const a = await setup();
    const hostile: unknown[] = [
      null,
      undefined,
      42,
      'bundle',
      [],
      {},
      { ...a.bundle, version: 2 },
      { ...a.bundle, extra: 1 },
      { ...a.bundle, entry: { ...a.bundle.entry, bytes: `${a.bundle.entry.bytes} ` } },
      { ...a.bundle, entry: { ...a.bundle.entry, bytes: 'A'.repeat(200_000) } },
      { ...a.bundle, batch: { ...a.bundle.batch, proof: Array(64).fill('00'.repeat(32)) } },
      { ...a.bundle, batch: { ...a.bundle.batch, proof: [a.bundle.batch.proof[0]?.toUpperCase()] } },
      { ...a.bundle, entry: { ...a.bundle.entry, index: -1 } },
      { ...a.bundle, entry: { ...a.bundle.entry, index: 2 ** 53 } },
      { ...a.bundle, checkpoint: 'x'.repeat(2_000_000) },
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('boom');
          },
          ownKeys: () => {
            throw new Error('boom');
          },
        },
      ),
    ];
    for (const input of hostile) {
      const verdict = verifyProvenanceBundle(input, trust(a));
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) expect(verdict.step).toBe('bundle');
    }
  });

  it('fails at reading / entry for a malformed reading or entry', async () => {
    const a = await setup();
    failsAt(
      mutate(a.bundle, (b) => {
        b.reading.unit = 'Cel';
      }),
      trust(a),
      'reading',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.reading.extra = 1;
      }),
      trust(a),
      'reading',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.bytes = encodeBase64(new TextEncoder().encode('{"a":1}'));
      }),
      trust(a),
      'entry',
    );
    const bytes = new TextEncoder().encode(
      `${new TextDecoder().decode(Uint8Array.from(atob(a.bundle.entry.bytes), (c) => c.charCodeAt(0)))} `,
    );
    failsAt(
      mutate(a.bundle, (b) => {
        b.entry.bytes = encodeBase64(bytes);
      }),
      trust(a),
      'entry',
    );
  });

  it('throws for bad options only (before looking at the bundle)', async () => {
    const a = await setup();
    expect(() =>
      verifyProvenanceBundle(a.bundle, trust(a, { logKey: a.stack.witnessVkeys[0] as string })),
    ).toThrow(RangeError);
    expect(() => verifyProvenanceBundle(a.bundle, trust(a, { witnesses: [a.stack.logVkey] }))).toThrow(
      RangeError,
    );
    expect(() => verifyProvenanceBundle(a.bundle, trust(a, { witnessThreshold: 2 }))).toThrow(RangeError);
    expect(() => verifyProvenanceBundle(a.bundle, trust(a, { logKey: 'nope' }))).toThrow();
  });
});

describe('buildProvenanceBundle: refuses what it cannot prove', () => {
  it('a reading not in the batch, readings that are not the batch, a non-batch entry, an old checkpoint', async () => {
    const a = await setup();
    const base = {
      batchReadings: a.batch,
      log: a.stack.log,
      index: a.index,
      checkpointNote: a.bundle.checkpoint,
    };
    expect(() => buildProvenanceBundle({ ...base, reading: a.otherBatch[0] as Reading })).toThrow(RangeError);
    expect(() =>
      buildProvenanceBundle({ ...base, reading: { ...(a.batch[2] as Reading), value: 1 } }),
    ).toThrow(RangeError);
    expect(() =>
      buildProvenanceBundle({ ...base, reading: a.batch[0] as Reading, batchReadings: a.batch.slice(1) }),
    ).toThrow(RangeError);
    expect(() => buildProvenanceBundle({ ...base, reading: a.batch[0] as Reading, index: 0 })).toThrow(
      RangeError,
    );
    const { rootHash } = parseCheckpoint(parseNote(a.bundle.checkpoint).text);
    const small = signCheckpoint({ origin: ORIGIN, size: 1, rootHash }, a.stack.logSigner);
    expect(() =>
      buildProvenanceBundle({ ...base, reading: a.batch[0] as Reading, checkpointNote: small }),
    ).toThrow(RangeError);
    const wrongRoot = signCheckpoint(
      { origin: ORIGIN, size: a.stack.log.size, rootHash: new Uint8Array(32) },
      a.stack.logSigner,
    );
    expect(() =>
      buildProvenanceBundle({ ...base, reading: a.batch[0] as Reading, checkpointNote: wrongRoot }),
    ).toThrow(Error);
  });
});

describe('provenance bundle: salted batches', () => {
  const LEAF_KEY = new Uint8Array(32).fill(77);

  it('carries the reading’s own salt (and no other secret), verifies offline, and fails at its step when the salt is changed or dropped', async () => {
    const a = await setup({ leafKey: LEAF_KEY, size: 9, pick: 4 });
    const reading = a.batch[4] as Reading;
    expect(a.bundle.batch.salt).toBe(readingSalt(LEAF_KEY, reading));
    const text = JSON.stringify(a.bundle);
    expect(text).not.toContain(toHex(LEAF_KEY));
    for (const other of a.batch.filter((r) => r.seq !== reading.seq)) {
      expect(text).not.toContain(readingSalt(LEAF_KEY, other));
    }
    expect(verifyProvenanceBundle(JSON.parse(text), trust(a)).ok).toBe(true);
    failsAt(
      mutate(a.bundle, (b) => {
        (b.batch as { salt?: string }).salt = readingSalt(LEAF_KEY, a.batch[3] as Reading);
      }),
      trust(a),
      'reading-inclusion',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        delete (b.batch as { salt?: string }).salt;
      }),
      trust(a),
      'batch-match',
    );
    failsAt(
      mutate(a.bundle, (b) => {
        (b.batch as { salt?: string }).salt = 'A'.repeat(64);
      }),
      trust(a),
      'bundle',
    );
  });

  it('a salt added to the bundle of an unsalted batch → batch-match', async () => {
    const a = await setup();
    failsAt(
      mutate(a.bundle, (b) => {
        (b.batch as { salt?: string }).salt = '0'.repeat(64);
      }),
      trust(a),
      'batch-match',
    );
  });

  it('building needs the leaf key the batch was anchored with', async () => {
    const a = await setup({ leafKey: LEAF_KEY });
    const base = {
      reading: a.batch[2] as Reading,
      batchReadings: a.batch,
      log: a.stack.log,
      index: a.index,
      checkpointNote: a.bundle.checkpoint,
    };
    expect(() => buildProvenanceBundle(base)).toThrow(/salted leaves: pass the leafKey/);
    expect(() => buildProvenanceBundle({ ...base, leafKey: new Uint8Array(32).fill(78) })).toThrow(
      /or leafKey is not its key/,
    );
    expect(buildProvenanceBundle({ ...base, leafKey: toHex(LEAF_KEY) })).toEqual(a.bundle);
  });
});
