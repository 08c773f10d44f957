/**
 * Non-canonical encodings: every entry, note and checkpoint has exactly one accepted spelling, at
 * the log, when reopening its storage, and under the independent verifier and the client.
 */
import { describe, expect, it } from 'vitest';
import {
  createCheckpointClient,
  createMemoryLogStorage,
  createMerkleTree,
  encodeBase64,
  entries,
  LedgerIntegrityError,
  LogVerificationError,
  merkleRoot,
  NoteError,
  signCheckpoint,
  signNote,
  verifyLog,
} from '../../src/index.js';
import { consortiumV1, createWriter } from '../../src/tlog/test-fixtures/consortium.js';
import { ALICE, chain, LOG_SIGNER, LOG_VERIFIER, makeLog, ORIGIN, rejection, thrown } from './helpers.js';

const utf8 = new TextEncoder();

describe('non-canonical encodings', () => {
  it('attack: a non-canonical spelling of a valid entry (reordered or duplicated members, whitespace, BOM, escapes, -0, 3.0, 3e0; unsorted signatures, uppercase hex) → the log refuses it (EntryError non-canonical / invalid), no index used', async () => {
    const log = makeLog({ batch: { maxEntries: 1, maxWaitMs: 0 } });
    const [e0] = chain(1);
    if (e0 === undefined) throw new Error('chain');
    const two = entries.signEntry(e0, { keyId: 'zz.second', secretKey: new Uint8Array(32).fill(8) });
    const text = new TextDecoder().decode(entries.encodeEntry(e0));
    const twoText = new TextDecoder().decode(entries.encodeEntry(two));
    const [s1, s2] = two.signatures;
    const variants: [string, string][] = [
      ['reordered members', JSON.stringify({ kind: e0.kind, ...JSON.parse(text) })],
      ['whitespace', text.replace('"kind":', '"kind": ')],
      ['a trailing line feed', `${text}\n`],
      ['a byte-order mark', `\uFEFF${text}`],
      ['a needless escape', text.replace('"config.change"', '"config\\u002echange"')],
      ['an escaped solidus', text.replace(ORIGIN, ORIGIN.replace('/', '\\/'))],
      ['-0', text.replace('"version":3', '"version":-0')],
      ['3.0', text.replace('"version":3', '"version":3.0')],
      ['an exponent', text.replace('"version":3', '"version":3e0')],
      ['a duplicated member', text.replace('{"body":', '{"seq":0,"body":')],
    ];
    for (const [what, variant] of variants) {
      expect([what, variant === text]).toEqual([what, false]);
      const error = await rejection(log.append(utf8.encode(variant)));
      expect([what, error instanceof entries.EntryError && error.reason]).toEqual([what, 'non-canonical']);
    }
    // Unsorted signatures are not a second spelling: the schema requires them sorted (invalid).
    const unsorted = twoText.replace(JSON.stringify([s1, s2]), JSON.stringify([s2, s1]));
    expect(unsorted).not.toBe(twoText);
    expect(await rejection(log.append(utf8.encode(unsorted)))).toMatchObject({ reason: 'invalid' });
    // Uppercase hex is not a second spelling either: refused by the schema.
    const sig = e0.signatures[0]?.sig ?? '';
    const upper = await rejection(log.append(utf8.encode(text.replace(sig, sig.toUpperCase()))));
    expect(upper).toMatchObject({ reason: 'invalid' });
    expect(log.size).toBe(0);
    expect((await log.append(utf8.encode(text))).index).toBe(0);
    await log.close();
    expect(ALICE.keyId).toBe(e0.signatures[0]?.keyId);
  });

  it('attack: a non-canonical entry slipped into storage (checkpoint re-signed over it) → the reopened log (malformed) and verifyLog (malformed) refuse it at its index', async () => {
    const w = createWriter();
    const list: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const e = w.make('config.change', ['logger-7']);
      w.commit(e);
      list.push(entries.encodeEntry(e));
    }
    const spaced = utf8.encode(new TextDecoder().decode(list[1]).replace('"kind":', '"kind": '));
    const tampered = [list[0], spaced, list[2]] as Uint8Array[];
    const checkpoint = signCheckpoint(
      { origin: ORIGIN, size: 3, rootHash: merkleRoot(tampered) },
      LOG_SIGNER,
    );
    const verified = thrown(() =>
      verifyLog({ policy: consortiumV1(), entries: tampered, checkpoint, logKey: LOG_VERIFIER }),
    );
    expect(verified).toBeInstanceOf(LogVerificationError);
    expect(verified).toMatchObject({ reason: 'malformed', index: 1, cause: { reason: 'non-canonical' } });
    const storage = createMemoryLogStorage();
    await storage.appendEntries(0, tampered);
    await storage.writeCheckpoint(checkpoint);
    const reopened = thrown(() => makeLog({ storage, keys: new Map([['logger-7', new Uint8Array(32)]]) }));
    expect(reopened).toBeInstanceOf(LedgerIntegrityError);
    expect(reopened).toMatchObject({ reason: 'malformed', index: 1 });
  });

  it('attack: non-canonical checkpoints signed by the log key (size with a leading zero or a sign, root in non-canonical base64, CR LF) → the client refuses them (checkpoint / malformed)', () => {
    const tree = createMerkleTree();
    for (let i = 0; i < 3; i++) tree.append(new Uint8Array([i]));
    const root = encodeBase64(tree.root());
    const good = `${ORIGIN}\n3\n${root}\n`;
    expect(
      createCheckpointClient({ log: LOG_VERIFIER }).update(signNote(good, [LOG_SIGNER])).checkpoint.size,
    ).toBe(3);
    const lastChar = root.at(-2) as string; // the last base64 digit before '=': its low bits are padding
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const sibling = alphabet[alphabet.indexOf(lastChar) ^ 1] as string; // same 32 bytes, other padding bits
    const texts: [string, string, string][] = [
      ['leading zero', `${ORIGIN}\n03\n${root}\n`, 'checkpoint'],
      ['plus sign', `${ORIGIN}\n+3\n${root}\n`, 'checkpoint'],
      ['non-zero padding bits', `${ORIGIN}\n3\n${root.slice(0, -2)}${sibling}=\n`, 'checkpoint'],
      ['no padding', `${ORIGIN}\n3\n${root.slice(0, -1)}\n`, 'checkpoint'],
    ];
    for (const [what, text, reason] of texts) {
      const note = signNote(text, [LOG_SIGNER]);
      const error = thrown(() => createCheckpointClient({ log: LOG_VERIFIER }).update(note));
      expect([what, error instanceof NoteError && error.reason]).toEqual([what, reason]);
    }
    // CR LF line ends: a control character, refused before any signature is checked.
    const crlf = signNote(good, [LOG_SIGNER]).replace(/\n/g, '\r\n');
    expect(thrown(() => createCheckpointClient({ log: LOG_VERIFIER }).update(crlf))).toMatchObject({
      reason: 'malformed',
    });
  });
});
