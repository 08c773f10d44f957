import { decode, Tag } from 'cbor2';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { MAX_CBOR_DEPTH } from './constants.js';

/**
 * The one CBOR decoding policy of SUIT input: depth bounded, definite lengths only, preferred
 * (shortest) serialization of every head, no duplicate map keys, no floats, no simple values
 * other than false/true/null, every tag left as a `Tag` (no global tag decoders run on
 * untrusted input), every map a `Map`.
 */
const DECODE_OPTIONS = {
  maxDepth: MAX_CBOR_DEPTH,
  requirePreferred: true,
  rejectStreaming: true,
  rejectDuplicateKeys: true,
  rejectFloats: true,
  rejectSimple: true,
  rejectUndefined: true,
  rejectBigInts: true,
  ignoreGlobalTags: true,
  preferMap: true,
} as const;

/** An `UpdateRejectedError('malformed')` that names where in the envelope the problem is. */
export function malformed(where: string, message: string, cause?: unknown): UpdateRejectedError {
  return new UpdateRejectedError('malformed', `SUIT ${where}: ${message}`, {
    subject: 'suit-envelope',
    detail: { where },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Decodes one CBOR item under the SUIT policy.
 * @throws {UpdateRejectedError} `malformed` with `detail.where` for anything that is not exactly one
 *   well-formed item within the bounds.
 */
export function decodeCbor(bytes: Uint8Array, where: string): unknown {
  try {
    return decode(bytes, DECODE_OPTIONS);
  } catch (e) {
    throw malformed(where, `not well-formed CBOR (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

/** The value as a `Map`, or `malformed`. */
export function asMap(value: unknown, where: string): Map<unknown, unknown> {
  if (!(value instanceof Map)) throw malformed(where, 'expected a map');
  return value;
}

/** The value as an array, or `malformed`. */
export function asArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(where, 'expected an array');
  return value;
}

/** The value as a byte string, or `malformed`. */
export function asBytes(value: unknown, where: string, maxLength = Number.MAX_SAFE_INTEGER): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed(where, 'expected a byte string');
  if (value.length > maxLength) throw malformed(where, `byte string longer than ${maxLength}`);
  return value;
}

/** The value as a text string, or `malformed`. */
export function asText(value: unknown, where: string): string {
  if (typeof value !== 'string') throw malformed(where, 'expected a text string');
  return value;
}

/** The value as a (safe, JavaScript) integer, or `malformed`. */
export function asInt(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw malformed(where, 'expected an integer within ±(2^53 − 1)');
  }
  return value;
}

/** The value as a non-negative safe integer, or `malformed`. */
export function asUint(value: unknown, where: string): number {
  const n = asInt(value, where);
  if (n < 0) throw malformed(where, 'expected a non-negative integer');
  return n;
}

/** The content of a tag with the expected number, or `malformed`. */
export function untag(value: unknown, tag: number, where: string): unknown {
  if (!(value instanceof Tag) || Number(value.tag) !== tag) throw malformed(where, `expected tag ${tag}`);
  return value.contents;
}

/** The content of a byte string that wraps one CBOR item (`bstr .cbor T`), decoded. */
export function decodeWrapped(value: unknown, where: string): unknown {
  return decodeCbor(asBytes(value, where), where);
}
