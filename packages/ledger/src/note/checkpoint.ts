import { decodeBase64, encodeBase64 } from './base64.js';
import { NoteError } from './errors.js';
import { hasControlCharacter, hasLoneSurrogate } from './text.js';

/** Length of a root hash (SHA-256, RFC 6962 / RFC 9162 Merkle tree). */
export const ROOT_HASH_BYTES = 32;

/** A log's signed tree head, as the C2SP tlog-checkpoint note text carries it. */
export interface Checkpoint {
  /** The log's identity, e.g. `hospital.example/ledger` (first line; non-empty). */
  readonly origin: string;
  /** Number of leaves in the tree (a safe non-negative integer). */
  readonly size: number;
  /** The 32-byte Merkle tree root at that size. */
  readonly rootHash: Uint8Array;
  /** Optional opaque extension lines, each non-empty (not recommended by the spec). */
  readonly extensions: readonly string[];
}

/** What {@link formatCheckpoint} takes. */
export interface CheckpointFields {
  /** The log's origin line. */
  readonly origin: string;
  /** Tree size. */
  readonly size: number;
  /** 32-byte root hash. */
  readonly rootHash: Uint8Array;
  /** Extension lines (default none). */
  readonly extensions?: readonly string[];
}

const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

function checkLine(line: string, what: string): void {
  if (typeof line !== 'string' || line.length === 0)
    throw new RangeError(`${what} must be a non-empty string`);
  if (hasControlCharacter(line, false))
    throw new RangeError(`${what} must not contain a newline or control character`);
  if (hasLoneSurrogate(line)) throw new RangeError(`${what} must be valid Unicode`);
}

/**
 * The checkpoint note text (C2SP tlog-checkpoint): origin, decimal tree size, base64 root hash and
 * any extension lines, each ending in a newline. Sign it with {@link signNote}.
 * @throws {RangeError} for an empty origin or extension line, a line with a newline or control
 * character, a size that is not a safe non-negative integer, or a root hash that is not 32 bytes.
 * @example
 * ```ts
 * const text = formatCheckpoint({ origin: 'hospital.example/ledger', size: 42, rootHash });
 * const note = signNote(text, [logSigner]);
 * ```
 */
export function formatCheckpoint(fields: CheckpointFields): string {
  checkLine(fields.origin, 'origin');
  if (!Number.isSafeInteger(fields.size) || fields.size < 0) {
    throw new RangeError(`size must be a safe non-negative integer, got ${fields.size}`);
  }
  if (!(fields.rootHash instanceof Uint8Array) || fields.rootHash.length !== ROOT_HASH_BYTES) {
    throw new RangeError(`rootHash must be ${ROOT_HASH_BYTES} bytes`);
  }
  const extensions = fields.extensions ?? [];
  extensions.forEach((line, i) => {
    checkLine(line, `extensions[${i}]`);
  });
  return [fields.origin, String(fields.size), encodeBase64(fields.rootHash), ...extensions]
    .map((l) => `${l}\n`)
    .join('');
}

function bad(message: string): NoteError {
  return new NoteError('checkpoint', `malformed checkpoint: ${message}`);
}

/**
 * Parses checkpoint note text (the text of a signed note, see {@link parseNote} /
 * {@link verifyCheckpoint}) strictly: at least three non-empty lines, each ending in a newline; a
 * non-empty origin; a decimal size with no leading zero (`0` for the empty tree) within
 * `Number.MAX_SAFE_INTEGER`; canonical base64 of a 32-byte root; then non-empty extension lines.
 * @throws {NoteError} `checkpoint` naming the first fault.
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (typeof text !== 'string') throw new TypeError(`checkpoint text must be a string, got ${typeof text}`);
  if (!text.endsWith('\n')) throw bad('the text must end with a newline');
  if (hasControlCharacter(text, true) || hasLoneSurrogate(text)) {
    throw bad('control character or invalid Unicode');
  }
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) throw bad(`expected at least 3 lines, got ${lines.length}`);
  const [origin, sizeLine, rootLine, ...extensions] = lines as [string, string, string, ...string[]];
  if (origin.length === 0) throw bad('empty origin line');
  if (!DECIMAL.test(sizeLine)) throw bad('the size must be decimal digits with no leading zero');
  const size = Number(sizeLine);
  if (!Number.isSafeInteger(size)) throw bad(`size ${sizeLine} exceeds Number.MAX_SAFE_INTEGER`);
  const rootHash = decodeBase64(rootLine);
  if (rootHash === undefined || rootHash.length !== ROOT_HASH_BYTES) {
    throw bad(`the root hash must be canonical base64 of ${ROOT_HASH_BYTES} bytes`);
  }
  const empty = extensions.findIndex((l) => l.length === 0);
  if (empty >= 0) throw bad(`empty line ${empty + 4}`);
  return Object.freeze({ origin, size, rootHash, extensions: Object.freeze(extensions) });
}

/** True when two checkpoints have the same origin, size, root and extension lines. */
export function sameCheckpoint(a: Checkpoint, b: Checkpoint): boolean {
  return (
    a.origin === b.origin &&
    a.size === b.size &&
    a.rootHash.length === b.rootHash.length &&
    a.rootHash.every((x, i) => x === b.rootHash[i]) &&
    a.extensions.length === b.extensions.length &&
    a.extensions.every((x, i) => x === b.extensions[i])
  );
}
