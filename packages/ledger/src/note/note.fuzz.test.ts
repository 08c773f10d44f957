/**
 * Fuzzing signed notes and checkpoints: `parseNote` (bytes), `verifyCheckpoint` (the log's
 * signature, then the checkpoint text) and `parseCheckpoint`, over mutated signed checkpoints and
 * random text. Every input gives a value or a `NoteError`, in bounded time; no mutation of a signed
 * checkpoint verifies as another checkpoint.
 */

import { ed25519PublicKey } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteInputs, mutatedText } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { encodeBase64 } from './base64.js';
import { formatCheckpoint, parseCheckpoint, sameCheckpoint } from './checkpoint.js';
import { cosignCheckpoint, createCosigner } from './cosignature.js';
import { createNoteSigner, createNoteVerifier, formatSignerKey, formatVerifierKey } from './key-strings.js';
import { parseNote } from './note.js';
import { signCheckpoint, verifyCheckpoint } from './verify-checkpoint.js';

const ORIGIN = 'ledger.example.org/fuzz';
const logSecret = new Uint8Array(32).fill(7);
const log = createNoteSigner(formatSignerKey(ORIGIN, logSecret));
const logVerifier = createNoteVerifier(formatVerifierKey(ORIGIN, ed25519PublicKey(logSecret)));
const witness = createCosigner({
  name: 'witness.example.org',
  secretKey: new Uint8Array(32).fill(9),
  clock: { now: () => Date.UTC(2026, 0, 1) },
});
const fields = [
  { origin: ORIGIN, size: 20_852_163, rootHash: new Uint8Array(32).fill(0xab) },
  { origin: ORIGIN, size: 0, rootHash: new Uint8Array(32), extensions: ['x y', 'z'] },
  { origin: ORIGIN, size: 1, rootHash: new Uint8Array(32).fill(1) },
];
const notes = fields.map((f) => cosignCheckpoint(signCheckpoint(f, log), witness));
const checkpoints = notes.map((n) => verifyCheckpoint(n, logVerifier).checkpoint);

const INSERTS = [
  '\n',
  '\n\n',
  ' ',
  '—',
  '\u2014 ',
  '+',
  '=',
  '\u0000',
  '\t',
  '\r',
  'A',
  '9',
  ORIGIN,
  encodeBase64(new Uint8Array(32)),
];
const noteText = fc.oneof(
  { arbitrary: mutatedText(notes, INSERTS), weight: 8 },
  { arbitrary: fc.constantFrom(...notes), weight: 1 },
  { arbitrary: fc.string({ maxLength: 200 }), weight: 1 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 200 }), weight: 1 },
);

describe('signed note and checkpoint fuzzing', () => {
  it(
    'parseNote: mutated notes and random bytes give a parsed note or a NoteError',
    () => {
      const bytes = notes.map((n) => new TextEncoder().encode(n));
      fuzz({
        name: 'note parseNote (bytes)',
        inputs: byteInputs(bytes, 200),
        run: (b) => {
          parseNote(b);
          return 'parsed';
        },
      });
    },
    fuzzTimeout(2_000),
  );

  it(
    'verifyCheckpoint: mutated signed checkpoints verify as themselves or throw a NoteError',
    () => {
      const r = fuzz({
        name: 'note verifyCheckpoint (signed checkpoint text)',
        inputs: noteText,
        run: (text) => {
          const { checkpoint } = verifyCheckpoint(text, logVerifier);
          // Accepting garbage would mean a checkpoint the log never signed.
          if (!checkpoints.some((c) => sameCheckpoint(c, checkpoint)))
            throw new Error(`verified a checkpoint the log never signed: ${JSON.stringify(text)}`);
          return 'verified';
        },
      });
      expect(r.returned).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(3_000),
  );

  it(
    'parseCheckpoint: mutated checkpoint text gives a checkpoint or a NoteError',
    () => {
      const texts = fields.map((f) => formatCheckpoint(f));
      fuzz({
        name: 'note parseCheckpoint (text)',
        inputs: fc.oneof(
          { arbitrary: mutatedText(texts, INSERTS), weight: 8 },
          { arbitrary: fc.string({ maxLength: 120 }), weight: 1 },
        ),
        run: (text) => {
          parseCheckpoint(text);
          return 'parsed';
        },
      });
    },
    fuzzTimeout(1_000),
  );
});
