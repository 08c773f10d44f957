import canonicalizeModule from 'canonicalize';
import type { JsonValue } from '../schemas/index.js';

type Canonicalize = (input: unknown) => string | undefined;

// `canonicalize` is CommonJS whose typings declare an ES default export: under NodeNext the default
// import is typed as the module object although at run time (Node, bundlers) it is the function.
const canonicalizeFn: Canonicalize =
  typeof canonicalizeModule === 'function'
    ? (canonicalizeModule as Canonicalize)
    : (canonicalizeModule as unknown as { default: Canonicalize }).default;

/** Characters `JSON.stringify` escapes in a string: `"`, `\`, controls and (lone) surrogates. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are the characters JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`, without the call for the common string that needs no escape. @internal */
export function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** Returned by {@link write} for a value that is not plain JSON. */
const NOT_PLAIN = undefined;

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function write(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'number':
      // ECMAScript Number::toString, as JSON.stringify writes it (RFC 8785 §3.2.2.3)
      return Number.isFinite(value) ? `${value}` : NOT_PLAIN;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const item = write(value[i]);
          if (item === NOT_PLAIN) return NOT_PLAIN;
          out += i === 0 ? item : `,${item}`;
        }
        return `${out}]`;
      }
      if (!isPlainObject(value)) return NOT_PLAIN;
      return writeMembers(value as { readonly [key: string]: unknown });
    }
    default:
      return NOT_PLAIN;
  }
}

/** `{…}` of an object's members in RFC 8785 order. */
function writeMembers(object: { readonly [key: string]: unknown }): string | undefined {
  // Array.prototype.sort compares UTF-16 code units, the order RFC 8785 §3.2.3 asks for
  const keys = Object.keys(object).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const member = write(object[key]);
    if (member === NOT_PLAIN) return NOT_PLAIN;
    out += `${i === 0 ? '' : ','}${jsonString(key)}:${member}`;
  }
  return `${out}}`;
}

/**
 * True when `value` is plain JSON (see {@link canonicalJsonStrict}) whose every object already
 * lists its members in RFC 8785 order (strictly increasing UTF-16 code units, as `JSON.parse`
 * leaves canonical text): then `JSON.stringify(value)` is its RFC 8785 text, written natively.
 * Only reads: no string is built.
 * @internal
 */
export function isSortedPlainJson(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (value === null) return true;
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!isSortedPlainJson(value[i])) return false;
        return true;
      }
      if (!isPlainObject(value)) return false;
      const object = value as { readonly [key: string]: unknown };
      const keys = Object.keys(object);
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i] as string;
        if (i > 0 && !((keys[i - 1] as string) < key)) return false;
        if (!isSortedPlainJson(object[key])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/**
 * The RFC 8785 text of `value` when it is plain JSON — strings, finite numbers, booleans, null,
 * arrays, and objects whose prototype is `Object.prototype` or null, with no `undefined` member or
 * element and no `toJSON` — or undefined for anything else. Equal to what `canonicalize` gives for
 * such values (a property test checks), several times faster. Because it accepts nothing but plain
 * JSON, equal texts mean equal JSON values (up to member order): the entries codec relies on that.
 * @internal
 */
export function canonicalJsonStrict(value: unknown): string | undefined {
  return isSortedPlainJson(value) ? JSON.stringify(value) : write(value);
}

/** The canonical texts of a plain JSON object with and without one of its members. */
export interface CanonicalPair {
  /** The object's RFC 8785 text. */
  readonly full: string;
  /** The RFC 8785 text of the object without the member (as if it were absent). */
  readonly without: string;
}

/**
 * The RFC 8785 texts of a plain JSON object with and without its member `skip`, in one pass; or
 * undefined when `value` is not a plain JSON object (see {@link canonicalJsonStrict}).
 * @internal
 */
export function canonicalJsonPair(value: unknown, skip: string): CanonicalPair | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !isPlainObject(value)) {
    return NOT_PLAIN;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  const object = value as { readonly [key: string]: unknown };
  const keys = Object.keys(object).sort();
  let full = '{';
  let without = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const member = write(object[key]);
    if (member === NOT_PLAIN) return NOT_PLAIN;
    const text = `${jsonString(key)}:${member}`;
    full += i === 0 ? text : `,${text}`;
    if (key !== skip) without += without.length === 1 ? text : `,${text}`;
  }
  return { full: `${full}}`, without: `${without}}` };
}

/**
 * The RFC 8785 JSON Canonicalization Scheme (JCS) text of a JSON value: object members sorted by
 * their names' UTF-16 code units, no whitespace, numbers as ECMAScript serialises them, strings
 * with JSON's minimal escaping.
 *
 * The value must already be plain JSON (see `toJsonValue` of `@healthit/ledger`): no `undefined`, no non-finite
 * numbers, no lone surrogates. Plain JSON takes a fast path; anything else (a `toJSON`, an
 * `undefined` member, a class instance) goes through the `canonicalize` package as before.
 *
 * @throws {TypeError} when the value has no JSON representation.
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 * ```
 */
export function canonicalJson(value: JsonValue): string {
  const fast = canonicalJsonStrict(value);
  if (fast !== NOT_PLAIN) return fast;
  const text = canonicalizeFn(value);
  if (text === undefined) throw new TypeError('The value has no JSON representation');
  return text;
}

/** The `canonicalize` package's text, the reference the fast path is tested against. @internal */
export function canonicalJsonReference(value: unknown): string | undefined {
  return canonicalizeFn(value);
}
