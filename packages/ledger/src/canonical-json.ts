import type { JsonValue } from '@healthit/core';
import canonicalizeModule from 'canonicalize';

type Canonicalize = (input: unknown) => string | undefined;

// `canonicalize` is CommonJS whose typings declare an ES default export: under NodeNext the default
// import is typed as the module object although at run time (Node, bundlers) it is the function.
const canonicalizeFn: Canonicalize =
  typeof canonicalizeModule === 'function'
    ? (canonicalizeModule as Canonicalize)
    : (canonicalizeModule as unknown as { default: Canonicalize }).default;

/**
 * The RFC 8785 JSON Canonicalization Scheme (JCS) text of a JSON value: object members sorted by
 * their names' UTF-16 code units, no whitespace, numbers as ECMAScript serialises them, strings
 * with JSON's minimal escaping.
 *
 * The value must already be plain JSON (see {@link toJsonValue}): no `undefined`, no non-finite
 * numbers, no lone surrogates.
 *
 * @throws {TypeError} when the value has no JSON representation.
 * @example
 * ```ts
 * canonicalJson({ b: 1, a: [true, 'x'] }); // '{"a":[true,"x"],"b":1}'
 * ```
 */
export function canonicalJson(value: JsonValue): string {
  const text = canonicalizeFn(value);
  if (text === undefined) throw new TypeError('The value has no JSON representation');
  return text;
}
