/**
 * Canonical texts of entries, and a memo of the texts already validated, so that one entry's trip
 * through the log (encode, decode, signing message, stream hash) runs the zod schema once, not
 * four times.
 *
 * Why the memo is sound: whether a value is a valid entry depends only on its JSON value, and
 * `canonicalJsonStrict` accepts nothing but plain JSON (no class instances, `undefined`, `toJSON`),
 * so two values with the same strict canonical text are the same JSON value up to member order,
 * which the schema ignores. A text goes into the memo only after the zod schema accepted a value
 * and returned it unchanged in JSON terms (the schemas have no transforms or defaults), so any
 * value with that text is valid and parses to the same JSON. The memo holds public entry texts
 * only, is bounded, and never affects a verdict: a miss runs the schema as before.
 * @internal
 */
import {
  type CanonicalPair,
  canonicalJson,
  canonicalJsonPair,
  isSortedPlainJson,
} from '../canonical-json.js';
import type { Entry } from './entry.js';
import { parseEntry } from './parse.js';
import { createTextMemo } from './text-memo.js';

/** Texts held per memo, and code units in all (a few MiB: entries are small, 64 KiB at most). */
const MEMO_TEXTS = 1024;
const MEMO_CHARS = 4 * 2 ** 20;

/** RFC 8785 texts of entries the schema accepted. */
const validEntries = createTextMemo(MEMO_TEXTS, MEMO_CHARS);
/**
 * RFC 8785 texts, without the `signatures` member, of entries the schema accepted with
 * `signatures: []`: what the signing message covers.
 */
const validUnsigned = createTextMemo(MEMO_TEXTS, MEMO_CHARS);

const SIGNATURES = 'signatures';
/** How a `__proto__` member name appears in canonical text (the schema drops such members). */
const PROTO_KEY = '"__proto__"';

/** The strict canonical text of a plain JSON object without its `signatures` member. */
function unsignedText(value: unknown): string | undefined {
  if (isSortedPlainJson(value) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { signatures: _ignored, ...rest } = value as { readonly [key: string]: unknown };
    return JSON.stringify(rest); // members stay in their (sorted) order
  }
  return canonicalJsonPair(value, SIGNATURES)?.without;
}

/**
 * Records an entry the schema just returned (`parseEntry` output) and returns its texts. A valid
 * entry with any signatures is also valid with none, so its unsigned text is recorded too.
 */
export function rememberValid(entry: Entry): CanonicalPair {
  const pair = canonicalJsonPair(entry, SIGNATURES);
  if (pair === undefined) {
    // not reached for schema output (plain objects); kept so the verdict never depends on it
    const { signatures: _ignored, ...unsigned } = entry;
    return { full: canonicalJson(entry as never), without: canonicalJson(unsigned as never) };
  }
  validEntries.add(pair.full);
  validUnsigned.add(pair.without);
  return pair;
}

/**
 * Records the canonical text of a valid entry and the entry as parsed from it (sorted members),
 * when the schema's output of `value` was checked to have exactly that text.
 */
export function rememberCanonical(text: string, value: unknown): void {
  validEntries.add(text);
  const unsigned = unsignedText(value);
  if (unsigned !== undefined) validUnsigned.add(unsigned);
}

/** True when `text` is the canonical text of an entry the schema accepted. */
export function isKnownValid(text: string): boolean {
  return validEntries.has(text);
}

/**
 * The RFC 8785 text of a valid entry: from the memo when the value's text is known, otherwise by
 * the schema (which throws) and the text of its output.
 * @throws {EntryError} reason `invalid`, as {@link parseEntry}.
 */
export function validEntryText(input: unknown): string {
  const sorted = isSortedPlainJson(input);
  const pair = sorted ? undefined : canonicalJsonPair(input, SIGNATURES);
  const full = sorted ? JSON.stringify(input) : pair?.full;
  if (full !== undefined && validEntries.has(full)) return full;
  const entry = parseEntry(input);
  if (full !== undefined && !full.includes(PROTO_KEY)) {
    // The schema returns a valid plain value unchanged in JSON terms, except that it drops
    // `__proto__` members: without one, the output's texts are the input's.
    validEntries.add(full);
    const without = pair?.without ?? unsignedText(input);
    if (without !== undefined) validUnsigned.add(without);
    return full;
  }
  return rememberValid(entry).full;
}

/**
 * The RFC 8785 text, without `signatures`, of `{ ...input, signatures: [] }` once it is a valid
 * entry: what every signer signs.
 * @throws {EntryError} reason `invalid`, as {@link parseEntry}.
 */
export function validUnsignedText(input: unknown): string {
  const text = unsignedText(input);
  if (text !== undefined && validUnsigned.has(text)) return text;
  return rememberValid(parseEntry({ ...(input as object), signatures: [] })).without;
}
