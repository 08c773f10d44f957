import { utf8Decode, utf8Encode } from '@healthit/core';
import { canonicalJson, canonicalJsonStrict, isSortedPlainJson } from '../canonical-json.js';
import { toHex } from '../hex.js';
import { leafHashOfUtf8 } from '../merkle/hash.js';
import { isKnownValid, rememberCanonical, validEntryText } from './canonical-entry.js';
import { type Entry, MAX_ENTRY_BYTES } from './entry.js';
import { EntryError } from './errors.js';
import { parseEntry } from './parse.js';

export { parseEntry } from './parse.js';

/** The first byte of every canonical entry, `{`: anything else (such as a byte-order mark) is not canonical. */
const OPEN_BRACE = 0x7b;

function oversized(length: number): EntryError {
  return new EntryError('oversized', `The entry encodes to ${length} bytes, more than ${MAX_ENTRY_BYTES}`, {
    encoding: true,
  });
}

function malformed(error: unknown): EntryError {
  return new EntryError('malformed', `The entry is not UTF-8 JSON: ${(error as Error).message}`, {
    cause: error,
  });
}

function nonCanonical(): EntryError {
  return new EntryError(
    'non-canonical',
    'The entry bytes are not its RFC 8785 canonical encoding (member order, whitespace, escapes or number form)',
  );
}

/**
 * True when the schema's output `entry` of `value = JSON.parse(text)` has exactly the canonical
 * text `text`. The schema returns a valid value unchanged in JSON terms except that it drops
 * `__proto__` members, so for a text without one it is enough that `value` (members in text order)
 * is sorted plain JSON whose native `JSON.stringify` is `text`; otherwise the output is written
 * out and compared.
 */
function isCanonicalParse(text: string, value: unknown, entry: Entry): boolean {
  if (!text.includes('"__proto__"') && isSortedPlainJson(value)) return JSON.stringify(value) === text;
  return (canonicalJsonStrict(entry) ?? canonicalJson(entry as never)) === text;
}

/** UTF-8 of a valid entry's text, checked against {@link MAX_ENTRY_BYTES}. */
function encodeText(text: string): Uint8Array {
  const bytes = utf8Encode(text);
  if (bytes.length > MAX_ENTRY_BYTES) throw oversized(bytes.length);
  return bytes;
}

/**
 * The canonical bytes of an entry: UTF-8 of its RFC 8785 JSON, signatures included. These are the
 * entry's Merkle leaf data in the log. Deterministic: equal entries give equal bytes.
 *
 * @throws {EntryError} reason `invalid` when the entry does not match the schema, `oversized`
 *   (code `codec/encode`) when the bytes would exceed {@link MAX_ENTRY_BYTES}.
 * @example
 * ```ts
 * const leaf = encodeEntry(entry);
 * decodeEntry(leaf); // deep-equals entry
 * ```
 */
export function encodeEntry(entry: Entry): Uint8Array {
  return encodeText(validEntryText(entry));
}

/**
 * Decodes canonical entry bytes. Accepts only the exact bytes {@link encodeEntry} would produce
 * for the decoded entry: reordered or duplicated members, whitespace, a byte-order mark, escaped
 * characters that need no escape, `-0`, `1.0`, `1e2` and the like are rejected.
 *
 * @throws {TypeError} when `bytes` is not a Uint8Array;
 * @throws {EntryError} reason `oversized` (checked first, before any parsing), `malformed` (not
 *   UTF-8 JSON), `invalid` (unknown kind or member, bad body ...) or `non-canonical`.
 */
export function decodeEntry(bytes: Uint8Array): Entry {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes must be a Uint8Array, got ${typeof bytes}`);
  if (bytes.length > MAX_ENTRY_BYTES) {
    throw new EntryError('oversized', `The entry is ${bytes.length} bytes, more than ${MAX_ENTRY_BYTES}`);
  }
  let text: string;
  try {
    text = utf8Decode(bytes);
  } catch (error) {
    throw malformed(error);
  }
  // `text` is the exact UTF-8 decoding of `bytes` (the decoder is fatal) unless a byte-order mark
  // was dropped, so `text === canonical text` and a leading `{` mean the bytes are canonical.
  const exact = bytes[0] === OPEN_BRACE;
  if (exact && isKnownValid(text)) return JSON.parse(text) as Entry;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(error);
  }
  const entry = parseEntry(value, 'entry bytes');
  if (!exact || !isCanonicalParse(text, value, entry)) throw nonCanonical();
  // the schema's output has exactly this text, so `value` (parsed from it, members in canonical
  // order) is the same entry; returning it keeps the member order of every decoded entry alike
  rememberCanonical(text, value);
  return value as Entry;
}

/**
 * The hash that identifies an entry, and the `prev` of the next entry of its stream: lowercase hex
 * of its RFC 9162 Merkle leaf hash, SHA-256(0x00 ‖ {@link encodeEntry}(entry)). Signatures are
 * covered: the next entry links to the exact signed entry the log holds.
 * @throws {EntryError} as {@link encodeEntry}.
 */
export function entryHash(entry: Entry): string {
  const text = validEntryText(entry);
  // UTF-8 needs at most 3 bytes per UTF-16 code unit: only a long text needs its length counted
  if (text.length * 3 > MAX_ENTRY_BYTES) encodeText(text);
  return toHex(leafHashOfUtf8(text));
}
