import { parse, utf8Decode, utf8Encode, ValidationError } from '@healthit/core';
import { canonicalJson } from '../canonical-json.js';
import { toHex } from '../hex.js';
import { leafHash } from '../merkle/index.js';
import { Entry, MAX_ENTRY_BYTES } from './entry.js';
import { EntryError } from './errors.js';

/**
 * Validates an entry and returns a fresh copy.
 * @throws {EntryError} reason `invalid` (its `cause` a {@link ValidationError} naming every
 *   offending field) for an unknown kind or member, a body that does not match its kind, etc.
 */
export function parseEntry(input: unknown, source?: string): Entry {
  try {
    return parse(Entry, 'Entry', input, source) as Entry;
  } catch (error) {
    if (error instanceof ValidationError) {
      throw new EntryError('invalid', error.message, { cause: error });
    }
    throw error;
  }
}

function encodeValid(entry: Entry): Uint8Array {
  return utf8Encode(canonicalJson(entry as never));
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
  const bytes = encodeValid(parseEntry(entry));
  if (bytes.length > MAX_ENTRY_BYTES) {
    throw new EntryError(
      'oversized',
      `The entry encodes to ${bytes.length} bytes, more than ${MAX_ENTRY_BYTES}`,
      {
        encoding: true,
      },
    );
  }
  return bytes;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
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
  let value: unknown;
  try {
    value = JSON.parse(utf8Decode(bytes));
  } catch (error) {
    throw new EntryError('malformed', `The entry is not UTF-8 JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const entry = parseEntry(value, 'entry bytes');
  if (!sameBytes(encodeValid(entry), bytes)) {
    throw new EntryError(
      'non-canonical',
      'The entry bytes are not its RFC 8785 canonical encoding (member order, whitespace, escapes or number form)',
    );
  }
  return entry;
}

/**
 * The hash that identifies an entry, and the `prev` of the next entry of its stream: lowercase hex
 * of its RFC 9162 Merkle leaf hash, SHA-256(0x00 ‖ {@link encodeEntry}(entry)). Signatures are
 * covered: the next entry links to the exact signed entry the log holds.
 * @throws {EntryError} as {@link encodeEntry}.
 */
export function entryHash(entry: Entry): string {
  return toHex(leafHash(encodeEntry(entry)));
}
