import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from './checkpoint.js';
import { isNoteError, type NoteErrorReason } from './errors.js';
import { formatKeyId, noteKeyId } from './key-id.js';
import {
  createNoteSigner,
  createNoteVerifier,
  formatSignerKey,
  formatVerifierKey,
  generateNoteKey,
  parseVerifierKey,
} from './key-strings.js';
import { addNoteSignatures, MAX_NOTE_SIGNATURES, parseNote, signNote, verifyNote } from './note.js';
import { createEd25519NoteSigner, createEd25519NoteVerifier } from './signer.js';
import { hasControlCharacter } from './text.js';

const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const LOG = createEd25519NoteSigner({ name: 'example.com/log', secretKey: seed(1) });
const LOG_V = createEd25519NoteVerifier(LOG);
const OTHER = createEd25519NoteSigner({ name: 'example.com/other', secretKey: seed(2) });
const TEXT = 'example.com/log\n3\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n';

function reason(f: () => unknown): NoteErrorReason | 'no error' | 'other error' {
  try {
    f();
    return 'no error';
  } catch (e) {
    return isNoteError(e) ? e.reason : 'other error';
  }
}

/** Seeds (bytes 0..3 = big-endian i, byte 31 = 0x5a) whose keys collide on key ID under one name (found offline by a birthday search). */
function collidingSeed(i: number): Uint8Array {
  const s = new Uint8Array(32);
  new DataView(s.buffer).setUint32(0, i);
  s[31] = 0x5a;
  return s;
}
const COLLIDE_NAME = 'collide.example/log';

describe('signed notes: round trip and key strings', () => {
  it('property: any valid text signed by 1-3 keys verifies, with the exact text back', () => {
    const line = fc.string({ unit: 'grapheme', maxLength: 40 }).filter((l) => !hasControlCharacter(l, false));
    fc.assert(
      fc.property(
        fc.array(line, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 1, max: 3 }),
        (lines, n) => {
          const text = `${lines.join('\n')}\n`;
          const signers = [
            LOG,
            OTHER,
            createEd25519NoteSigner({ name: 'c.example/k', secretKey: seed(3) }),
          ].slice(0, n);
          const note = signNote(text, signers);
          const result = verifyNote(
            note,
            signers.map((s) => createEd25519NoteVerifier(s)),
          );
          expect(result.text).toBe(text);
          expect(result.verified).toHaveLength(n);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('generateNoteKey gives an skey/vkey pair that signs and verifies, in the Go string formats', () => {
    const { skey, vkey } = generateNoteKey('hospital.example/ledger');
    expect(skey).toMatch(/^PRIVATE\+KEY\+hospital\.example\/ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(vkey).toMatch(/^hospital\.example\/ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
    expect(
      verifyNote(signNote('x\n', [createNoteSigner(skey)]), [createNoteVerifier(vkey)]).verified,
    ).toHaveLength(1);
  });

  it('key strings with a wrong key ID, name, type or length are refused (bad-key)', () => {
    const vkey = formatVerifierKey('a.example/k', LOG.publicKey);
    const k = parseVerifierKey(vkey);
    const wrongId = `a.example/k+${formatKeyId((k.keyId + 1) >>> 0)}+${vkey.split('+')[2]}`;
    expect(reason(() => parseVerifierKey(wrongId))).toBe('bad-key');
    expect(reason(() => parseVerifierKey(vkey.replace('a.example/k', 'a example/k')))).toBe('bad-key');
    expect(reason(() => parseVerifierKey(vkey.slice(0, -4)))).toBe('bad-key');
    expect(
      reason(() => createNoteSigner(formatSignerKey('a.example/k', seed(1)).replace('PRIVATE', 'PUBLIC'))),
    ).toBe('bad-key');
    // A small-order public key is refused when the verifier is built, not only at verification.
    const identity = Uint8Array.of(1, ...new Uint8Array(31));
    expect(reason(() => createNoteVerifier(formatVerifierKey('a.example/k', identity)))).toBe('bad-key');
  });

  it('addNoteSignatures keeps existing lines and appends, replacing a re-signing key', () => {
    const one = signNote(TEXT, [LOG]);
    const two = addNoteSignatures(one, [OTHER]);
    expect(parseNote(two).signatures.map((s) => s.name)).toEqual(['example.com/log', 'example.com/other']);
    expect(addNoteSignatures(two, [OTHER])).toBe(two);
  });
});

describe('signed notes: attacks', () => {
  const note = signNote(TEXT, [LOG]);

  it('bad signature: a flipped signature bit, or a changed text, rejects the whole note', () => {
    const line = parseNote(note).signatures[0];
    const raw = Uint8Array.from(atob(line?.base64 ?? ''), (c) => c.charCodeAt(0));
    raw[10] = (raw[10] as number) ^ 1;
    const forged = note.replace(line?.base64 ?? '', btoa(String.fromCharCode(...raw)));
    expect(reason(() => verifyNote(forged, [LOG_V]))).toBe('bad-signature');
    expect(reason(() => verifyNote(note.replace('\n3\n', '\n4\n'), [LOG_V]))).toBe('bad-signature');
    // A bad line from a known key is fatal even when another known key signed correctly.
    const both = addNoteSignatures(forged, [OTHER]);
    expect(reason(() => verifyNote(both, [LOG_V, createEd25519NoteVerifier(OTHER)]))).toBe('bad-signature');
  });

  it('unknown key: its signature is ignored (reported in unknown), and alone it verifies nothing', () => {
    const withUnknown = addNoteSignatures(note, [OTHER]);
    const result = verifyNote(withUnknown, [LOG_V]);
    expect(result.verified.map((s) => s.name)).toEqual(['example.com/log']);
    expect(result.unknown.map((s) => s.name)).toEqual(['example.com/other']);
    expect(reason(() => verifyNote(signNote(TEXT, [OTHER]), [LOG_V]))).toBe('unverified');
    // Same name, other key (so another key ID): unknown, ignored, not a verification of the log key.
    const impostor = createEd25519NoteSigner({ name: 'example.com/log', secretKey: seed(9) });
    expect(reason(() => verifyNote(signNote(TEXT, [impostor]), [LOG_V]))).toBe('unverified');
  });

  it('duplicated signature lines: a key counts once, and every copy must still verify', () => {
    const sigLine = note.slice(TEXT.length + 1);
    const dup = `${note}${sigLine}${sigLine}`;
    expect(verifyNote(dup, [LOG_V]).verified).toHaveLength(1);
    const bad = `${note}${sigLine.replace(/[A-Za-z](?==\n$)/, (c) => (c === 'A' ? 'B' : 'A'))}`;
    expect(reason(() => verifyNote(bad, [LOG_V]))).toBe('bad-signature');
    const unknownDup = addNoteSignatures(note, [OTHER]);
    const otherLine = unknownDup.slice(note.length);
    expect(verifyNote(`${unknownDup}${otherLine}`, [LOG_V]).unknown).toHaveLength(1);
  });

  it('key-id collision: two keys with one name and one key ID', () => {
    const a = createEd25519NoteSigner({ name: COLLIDE_NAME, secretKey: collidingSeed(21906) });
    const b = createEd25519NoteSigner({ name: COLLIDE_NAME, secretKey: collidingSeed(30377) });
    expect(a.publicKey).not.toEqual(b.publicKey);
    expect(a.keyId).toBe(b.keyId); // the precomputed collision is real
    expect(noteKeyId(COLLIDE_NAME, 1, a.publicKey)).toBe(0x914a9069);
    // The attacker's colliding key cannot pass for the trusted one: its line is checked against the
    // trusted key and fails; it is not ignored and does not verify.
    expect(reason(() => verifyNote(signNote(TEXT, [b]), [createEd25519NoteVerifier(a)]))).toBe(
      'bad-signature',
    );
    // Configuring both is ambiguous, refused rather than guessed.
    const both = [createEd25519NoteVerifier(a), createEd25519NoteVerifier(b)];
    expect(reason(() => verifyNote(signNote(TEXT, [a]), both))).toBe('ambiguous-key');
    // Same key ID under another name is another key: ignored.
    const renamed = { ...createEd25519NoteVerifier(a), name: 'collide.example/other' };
    expect(reason(() => verifyNote(signNote(TEXT, [a]), [renamed]))).toBe('unverified');
  });

  it('truncated note: every proper prefix is rejected', () => {
    for (let cut = 0; cut < note.length; cut++) {
      expect(['malformed', 'bad-signature', 'unverified']).toContain(
        reason(() => verifyNote(note.slice(0, cut), [LOG_V])),
      );
    }
    expect(reason(() => verifyNote(note.slice(0, -1), [LOG_V]))).toBe('malformed');
    expect(reason(() => verifyNote(TEXT, [LOG_V]))).toBe('malformed');
  });

  it('extra blank lines: in the signature block, at the end or inside a checkpoint, rejected', () => {
    expect(reason(() => verifyNote(`${note}\n`, [LOG_V]))).toBe('malformed');
    expect(reason(() => verifyNote(note.replace('\n\n', '\n\n\n'), [LOG_V]))).toBe('bad-signature');
    // A blank line inside the text is signed text (allowed by signed-note) but not a checkpoint.
    const text = TEXT.replace('\n3\n', '\n\n3\n');
    const signed = signNote(text, [LOG]);
    expect(verifyNote(signed, [LOG_V]).text).toBe(text);
    expect(reason(() => parseCheckpoint(text))).toBe('checkpoint');
  });

  it('malformed lines and characters are rejected', () => {
    const sigs = note.slice(TEXT.length + 1);
    const cases = [
      note.replace('\u2014 ', '- '), // not an em dash
      note.replace('\u2014 ', '\u2014'), // no space
      note.replace(' ', '\t'), // control character
      note.replace('example.com/log ', 'example.com/log  '), // base64 with a space
      `${TEXT}\n\u2014 example.com/log AAAA\n`, // 3 bytes: no key ID + signature
      `${TEXT}\n\u2014 bad+name ${sigs.split(' ')[2]}`,
      `${TEXT.replace('3', '\r3')}\n${sigs}`,
      `${TEXT}\n${sigs.replace('=\n', '\n')}`, // missing padding
    ];
    for (const c of cases) expect(reason(() => verifyNote(c, [LOG_V]))).toBe('malformed');
    expect(reason(() => verifyNote(Uint8Array.of(0xff, 0x0a, 0x0a), [LOG_V]))).toBe('malformed');
    expect(reason(() => signNote('no newline', [LOG]))).toBe('malformed');
  });

  it('oversized: more than MAX_NOTE_SIGNATURES lines or more than MAX_NOTE_BYTES bytes', () => {
    const line = note.slice(TEXT.length + 1);
    expect(reason(() => verifyNote(note + line.repeat(MAX_NOTE_SIGNATURES), [LOG_V]))).toBe('oversized');
    expect(verifyNote(note + line.repeat(MAX_NOTE_SIGNATURES - 1), [LOG_V]).verified).toHaveLength(1);
    expect(reason(() => verifyNote(`${'a'.repeat(1_100_000)}\n${note}`, [LOG_V]))).toBe('oversized');
  });
});
