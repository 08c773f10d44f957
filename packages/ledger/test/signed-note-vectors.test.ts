import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/hex.js';
import {
  cosignatureMessage,
  cosignatureTimestamp,
  createNoteSigner,
  createNoteVerifier,
  decodeBase64,
  ed25519VerifyStrict,
  formatVerifierKey,
  isNoteError,
  parseCheckpoint,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  signNote,
  verifyNote,
} from '../src/note/index.js';
import { ed25519Sign } from '../src/signing.js';

interface Rfc8032Vector {
  readonly name: string;
  readonly secretKey: string;
  readonly publicKey: string;
  readonly message: string;
  readonly signature: string;
}
interface NoteVector {
  readonly source: string;
  readonly skey?: string;
  readonly vkeys: readonly string[];
  readonly text: string;
  readonly note: string;
  readonly deterministicSign?: boolean;
}
interface Vectors {
  readonly rfc8032: { readonly vectors: readonly Rfc8032Vector[] };
  readonly signedNotes: readonly NoteVector[];
  readonly checkpointFormat: {
    readonly note: string;
    readonly expect: { readonly origin: string; readonly treeSize: number; readonly rootHashBytes: number };
  };
  readonly cosignatureMessageFormat: { readonly message: string };
}

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/signed-note-vectors.json', import.meta.url), 'utf8'),
) as Vectors;
const bytes = (hex: string): Uint8Array =>
  hex === '' ? new Uint8Array(0) : fromHex(hex, hex.length / 2, 'vector');

describe('signed-note-vectors.json: rfc8032', () => {
  it('has TEST 1..3', () => {
    expect(vectors.rfc8032.vectors.map((v) => v.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3']);
  });
  for (const v of vectors.rfc8032.vectors) {
    it(`${v.name}: exact signature; native and noble both accept it and reject a tampered message`, () => {
      expect(toHex(ed25519Sign(bytes(v.message), bytes(v.secretKey)))).toBe(v.signature);
      for (const backend of ['native', 'noble'] as const) {
        expect(ed25519VerifyStrict(bytes(v.signature), bytes(v.message), bytes(v.publicKey), backend)).toBe(
          true,
        );
        const other = Uint8Array.of(...bytes(v.message), 1);
        expect(ed25519VerifyStrict(bytes(v.signature), other, bytes(v.publicKey), backend)).toBe(false);
      }
    });
  }
});

describe('signed-note-vectors.json: signedNotes', () => {
  it('has the three notes', () => {
    expect(vectors.signedNotes).toHaveLength(3);
  });

  vectors.signedNotes.forEach((v, i) => {
    describe(`note ${i + 1} (${v.source.slice(0, 60)})`, () => {
      it('every vkey parses, its key ID checks, and it re-formats to the same string', () => {
        for (const vkey of v.vkeys) {
          const k = parseVerifierKey(vkey);
          expect(k.type).toBe(0x01);
          expect(formatVerifierKey(k.name, k.publicKey)).toBe(vkey);
        }
      });

      it('verifies with all its keys: every signature line verified, none unknown', () => {
        const result = verifyNote(v.note, v.vkeys.map(createNoteVerifier));
        expect(result.text).toBe(v.text);
        expect(result.verified.map((s) => s.name)).toEqual(v.vkeys.map((k) => parseVerifierKey(k).name));
        expect(result.unknown).toEqual([]);
      });

      it('with only its first key, other signatures are unknown and ignored', () => {
        const result = verifyNote(v.note, [createNoteVerifier(v.vkeys[0] as string)]);
        expect(result.verified).toHaveLength(1);
        expect(result.unknown).toHaveLength(v.vkeys.length - 1);
      });

      it('is rejected with no known key (unverified) and when its text is altered (bad-signature)', () => {
        expect(() => verifyNote(v.note, [])).toThrow(expect.objectContaining({ reason: 'unverified' }));
        const altered = v.note.replace(v.text, v.text.replace(/e/, 'E'));
        expect(altered).not.toBe(v.note);
        expect(() => verifyNote(altered, v.vkeys.map(createNoteVerifier))).toThrow(
          expect.objectContaining({ reason: 'bad-signature' }),
        );
      });

      if (v.skey !== undefined) {
        const skey = v.skey;
        it('the skey parses and derives the first vkey', () => {
          const k = parseSignerKey(skey);
          expect(formatVerifierKey(k.name, k.publicKey)).toBe(v.vkeys[0]);
        });
      }
      if (v.deterministicSign === true && v.skey !== undefined) {
        const skey = v.skey;
        it('re-signing the text reproduces the note byte for byte', () => {
          expect(signNote(v.text, [createNoteSigner(skey)])).toBe(v.note);
        });
      }
    });
  });
});

describe('signed-note-vectors.json: checkpointFormat', () => {
  const v = vectors.checkpointFormat;
  it('parses: origin, size and a 32-byte root', () => {
    const cp = parseCheckpoint(parseNote(v.note).text);
    expect(cp.origin).toBe(v.expect.origin);
    expect(cp.size).toBe(v.expect.treeSize);
    expect(cp.rootHash).toHaveLength(v.expect.rootHashBytes);
    expect(cp.extensions).toEqual([]);
  });
  it('its log signature line is well-formed but, with no published key, the note is unverified', () => {
    const [sig] = parseNote(v.note).signatures;
    expect(sig?.name).toBe(v.expect.origin);
    expect(sig?.signature).toHaveLength(64);
    let error: unknown;
    try {
      verifyNote(v.note, []);
    } catch (e) {
      error = e;
    }
    expect(isNoteError(error, 'unverified')).toBe(true);
  });
});

describe('signed-note-vectors.json: cosignatureMessageFormat', () => {
  it('cosignatureMessage reproduces the message from the checkpoint text and timestamp', () => {
    const text = parseNote(vectors.checkpointFormat.note).text;
    const msg = new TextDecoder().decode(cosignatureMessage(text, 1679315147));
    expect(msg).toBe(vectors.cosignatureMessageFormat.message);
  });
  it('the timestamp of the tlog-cosignature spec example line (witness.example.com/w1) is that time', () => {
    // Signature field of the example cosignature line in c2sp.org/tlog-cosignature.
    const raw = decodeBase64(
      'jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==',
    );
    expect(raw).toHaveLength(76);
    expect(cosignatureTimestamp((raw as Uint8Array).subarray(4))).toBe(1679315147n);
  });
});
