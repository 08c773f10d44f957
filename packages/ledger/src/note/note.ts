import { decodeBase64, encodeBase64 } from './base64.js';
import { NoteError } from './errors.js';
import { isValidKeyName } from './key-id.js';
import { keyLabel, type NoteSigner, type NoteVerifier } from './signer.js';
import { hasControlCharacter, hasLoneSurrogate } from './text.js';

/** Most signature lines a note may carry (C2SP requires at least 16; Go's reference stops at 100). */
export const MAX_NOTE_SIGNATURES = 100;

/** Largest note accepted, in UTF-8 bytes (room for 100 post-quantum signatures of ~5 kB each). */
export const MAX_NOTE_BYTES = 1_048_576;

/** One signature line of a note. */
export interface NoteSignature {
  /** Key name. */
  readonly name: string;
  /** 32-bit key ID (first 4 bytes of the decoded signature, big-endian). */
  readonly keyId: number;
  /** The signature bytes after the key ID. */
  readonly signature: Uint8Array;
  /** The base64 field of the line (key ID ‖ signature). */
  readonly base64: string;
}

/** A note split into its text and its signature lines, nothing verified yet. */
export interface ParsedNote {
  /** The note text, including its final newline (not the blank separator line). */
  readonly text: string;
  /** Every signature line, in order. */
  readonly signatures: readonly NoteSignature[];
}

/** A note whose text is vouched for by at least one known key. */
export interface VerifiedNote {
  /** The note text (trust it only because `verified` is non-empty). */
  readonly text: string;
  /** Signatures from known keys that verified, one per key, in note order. */
  readonly verified: readonly NoteSignature[];
  /** Signatures from unknown keys (ignored, per the spec), identical lines once. */
  readonly unknown: readonly NoteSignature[];
}

const SIG_PREFIX = '\u2014 ';
const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function malformed(message: string): NoteError {
  return new NoteError('malformed', `malformed signed note: ${message}`);
}

function toNoteString(note: string | Uint8Array): string {
  if (note instanceof Uint8Array) {
    if (note.length > MAX_NOTE_BYTES)
      throw new NoteError('oversized', `note larger than ${MAX_NOTE_BYTES} bytes`);
    try {
      return utf8Strict.decode(note);
    } catch (cause) {
      throw new NoteError('malformed', 'malformed signed note: not valid UTF-8', { cause });
    }
  }
  if (typeof note !== 'string')
    throw new TypeError(`note must be a string or Uint8Array, got ${typeof note}`);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: cheap bound before the exact count.
  if (
    note.length > MAX_NOTE_BYTES ||
    (note.length * 3 > MAX_NOTE_BYTES && utf8.encode(note).length > MAX_NOTE_BYTES)
  ) {
    throw new NoteError('oversized', `note larger than ${MAX_NOTE_BYTES} bytes`);
  }
  if (hasLoneSurrogate(note)) throw malformed('not valid UTF-8 (lone surrogate)');
  return note;
}

/** @internal Checks a note text: non-empty, ends in a newline, valid UTF-8, no control characters. */
export function checkNoteText(text: string): void {
  if (typeof text !== 'string') throw new TypeError(`note text must be a string, got ${typeof text}`);
  if (!text.endsWith('\n')) throw malformed('the text must end with a newline');
  if (hasControlCharacter(text, true))
    throw malformed('the text contains an ASCII control character other than newline');
  if (hasLoneSurrogate(text)) throw malformed('the text is not valid UTF-8 (lone surrogate)');
}

/**
 * Splits a signed note (C2SP signed-note) into text and signature lines, checking the format only:
 * valid UTF-8, no ASCII control character but newline, a text ending in a newline, a blank line,
 * then one or more lines `— <key name> <base64(key ID ‖ signature)>` each ending in a newline.
 * Verifies nothing: use {@link verifyNote} to trust the text.
 * @throws {NoteError} `malformed` or `oversized` (more than {@link MAX_NOTE_SIGNATURES} signatures
 * or {@link MAX_NOTE_BYTES} bytes).
 */
export function parseNote(note: string | Uint8Array): ParsedNote {
  const msg = toNoteString(note);
  if (hasControlCharacter(msg, true))
    throw malformed('it contains an ASCII control character other than newline');
  const split = msg.lastIndexOf('\n\n');
  if (split < 0) throw malformed('no blank line before the signatures');
  const text = msg.slice(0, split + 1);
  const block = msg.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n'))
    throw malformed('the signature block must end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError(
      'oversized',
      `a note may carry at most ${MAX_NOTE_SIGNATURES} signatures, got ${lines.length}`,
    );
  }
  const signatures = lines.map((line, i): NoteSignature => {
    if (!line.startsWith(SIG_PREFIX)) throw malformed(`signature line ${i + 1} does not start with "— "`);
    const rest = line.slice(SIG_PREFIX.length);
    const space = rest.indexOf(' ');
    const name = space < 0 ? rest : rest.slice(0, space);
    const b64 = space < 0 ? '' : rest.slice(space + 1);
    if (!isValidKeyName(name)) throw malformed(`signature line ${i + 1} has an invalid key name`);
    const raw = decodeBase64(b64);
    if (raw === undefined || raw.length < 5) {
      throw malformed(
        `signature line ${i + 1} (${name}) is not canonical base64 of a key ID and a signature`,
      );
    }
    const keyId =
      (((raw[0] as number) << 24) |
        ((raw[1] as number) << 16) |
        ((raw[2] as number) << 8) |
        (raw[3] as number)) >>>
      0;
    return Object.freeze({ name, keyId, signature: raw.subarray(4), base64: b64 });
  });
  return Object.freeze({ text, signatures: Object.freeze(signatures) });
}

/**
 * Looks verifiers up by (name, key ID).
 * @throws {NoteError} `ambiguous-key` when two verifiers share both name and key ID.
 */
function verifierMap(verifiers: readonly NoteVerifier[]): Map<string, NoteVerifier> {
  const map = new Map<string, NoteVerifier>();
  for (const v of verifiers) {
    const id = keyLabel(v);
    if (map.has(id)) {
      throw new NoteError('ambiguous-key', `two configured keys share name and key ID ${id}; remove one`, {
        key: id,
      });
    }
    map.set(id, v);
  }
  return map;
}

/**
 * Verifies a signed note against known keys (C2SP signed-note rules, as Go's `note.Open`):
 * signatures from unknown keys (name and key ID not both matching a known key) are ignored and
 * returned in `unknown`; every signature from a known key must verify, else the whole note is
 * rejected; at least one must. A key signing twice counts once (every copy is still checked).
 *
 * @throws {NoteError} `malformed` / `oversized` for a bad note; `ambiguous-key` when two verifiers
 * share name and key ID; `bad-signature` when a known key's signature fails; `unverified` when no
 * known key signed.
 * @example
 * ```ts
 * const verifier = createNoteVerifier('PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW');
 * const { text } = verifyNote(noteText, [verifier]);
 * ```
 */
export function verifyNote(note: string | Uint8Array, verifiers: readonly NoteVerifier[]): VerifiedNote {
  const known = verifierMap(verifiers);
  const parsed = parseNote(note);
  const textBytes = utf8.encode(parsed.text);
  const verified: NoteSignature[] = [];
  const seen = new Set<string>();
  const unknown = new Map<string, NoteSignature>();
  for (const sig of parsed.signatures) {
    const id = keyLabel(sig);
    const verifier = known.get(id);
    if (verifier === undefined) {
      const line = `${sig.name} ${sig.base64}`;
      if (!unknown.has(line)) unknown.set(line, sig);
      continue;
    }
    if (!verifier.verify(textBytes, sig.signature)) {
      throw new NoteError('bad-signature', `invalid signature for key ${id}`, { key: id });
    }
    if (!seen.has(id)) {
      seen.add(id);
      verified.push(sig);
    }
  }
  if (verified.length === 0) {
    throw new NoteError('unverified', 'the note has no signature from a known key');
  }
  return Object.freeze({
    text: parsed.text,
    verified: Object.freeze(verified),
    unknown: Object.freeze([...unknown.values()]),
  });
}

function signatureLine(name: string, keyId: number, signature: Uint8Array): string {
  const raw = new Uint8Array(4 + signature.length);
  new DataView(raw.buffer).setUint32(0, keyId);
  raw.set(signature, 4);
  return `${SIG_PREFIX}${name} ${encodeBase64(raw)}\n`;
}

/** @internal Signs `text` with each signer; the signature lines in signer order. */
export function signatureLines(text: string, signers: readonly NoteSigner[]): string[] {
  const bytes = utf8.encode(text);
  const seen = new Set<string>();
  return signers.map((s) => {
    if (!isValidKeyName(s.name))
      throw new NoteError('bad-key', `invalid signer name ${JSON.stringify(s.name)}`);
    const id = keyLabel(s);
    if (seen.has(id)) throw new NoteError('ambiguous-key', `signer ${id} given twice`, { key: id });
    seen.add(id);
    return signatureLine(s.name, s.keyId, s.sign(bytes));
  });
}

/**
 * Signs `text` (which must end in a newline) with each signer and returns the signed note:
 * the text, a blank line, then one signature line per signer in the order given. Ed25519 signing is
 * deterministic, so the same key and text reproduce the note byte for byte.
 * @throws {NoteError} `malformed` for a text that does not end in a newline or has control
 * characters; `bad-key` / `ambiguous-key` for an invalid or repeated signer.
 * @example
 * ```ts
 * const note = signNote('hello\n', [createNoteSigner(skey)]);
 * ```
 */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkNoteText(text);
  if (signers.length === 0) throw new RangeError('signNote needs at least one signer');
  return `${text}\n${signatureLines(text, signers).join('')}`;
}

/**
 * Adds signatures to an already signed note (e.g. a witness cosigning a checkpoint): its existing
 * lines are kept, except those of a key that signs again, and the new lines follow. The note is
 * only parsed here, not verified: verify it before vouching for its text.
 * @throws {NoteError} as {@link parseNote} and {@link signNote}.
 */
export function addNoteSignatures(note: string | Uint8Array, signers: readonly NoteSigner[]): string {
  const parsed = parseNote(note);
  const replaced = new Set(signers.map((s) => keyLabel(s)));
  const kept = parsed.signatures
    .filter((s) => !replaced.has(keyLabel(s)))
    .map((s) => `${SIG_PREFIX}${s.name} ${s.base64}\n`);
  const added = signatureLines(parsed.text, signers);
  const lines = [...kept, ...added];
  if (lines.length > MAX_NOTE_SIGNATURES) {
    throw new NoteError('oversized', `a note may carry at most ${MAX_NOTE_SIGNATURES} signatures`);
  }
  return `${parsed.text}\n${lines.join('')}`;
}
