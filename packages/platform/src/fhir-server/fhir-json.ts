import { stringify } from '@medplum/core';

/** Marks a value {@link fhirJsonCopy} cannot copy itself (not a plain JSON tree). */
const NOT_PLAIN: unique symbol = Symbol('not plain JSON');

function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  // A JSON key "__proto__" is an own property, not the prototype.
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * The copy of `v` without empty values (`undefined`, `null`, `''`, `[]`, `{}`, and objects or
 * arrays that only held those), `undefined` when nothing is left, or {@link NOT_PLAIN}.
 */
function pruned(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return undefined;
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      // JSON writes NaN and ±Infinity as null and -0 as 0.
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : NOT_PLAIN;
    case 'object': {
      if (Array.isArray(v)) {
        const n = v.length;
        if (n === 0) return undefined;
        const out = new Array<unknown>(n);
        let kept = 0;
        for (let i = 0; i < n; i++) {
          const c = pruned(v[i]);
          if (c === NOT_PLAIN) return NOT_PLAIN;
          // An array keeps its length: an empty element becomes null.
          if (c === undefined) out[i] = null;
          else {
            out[i] = c;
            kept++;
          }
        }
        return kept === 0 ? undefined : out;
      }
      if (!isPlainObject(v)) return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      let kept = 0;
      for (const key in v) {
        if (!Object.hasOwn(v, key)) return NOT_PLAIN;
        const c = pruned((v as Record<string, unknown>)[key]);
        if (c === NOT_PLAIN) return NOT_PLAIN;
        if (c !== undefined) {
          setKey(out, key, c);
          kept++;
        }
      }
      return kept === 0 ? undefined : out;
    }
    default:
      return NOT_PLAIN; // functions, symbols, bigints: JSON's own rules apply
  }
}

/**
 * `JSON.parse(stringify(value))` with Medplum's `stringify` — the copy Medplum's
 * `MemoryRepository.createResource` stores: empty strings, nulls, empty arrays and empty objects
 * removed (an empty array element becomes `null`) — made in one pass for a plain JSON tree, and by
 * Medplum's own functions for anything else (a `Date`, a class instance, `NaN`...), so the result
 * is the same either way.
 *
 * @throws {SyntaxError} as Medplum's does, when nothing is left of `value`.
 */
export function fhirJsonCopy<T>(value: T): T {
  const copy = pruned(value);
  if (copy === NOT_PLAIN || copy === undefined) return JSON.parse(stringify(value)) as T;
  return copy as T;
}

/**
 * A deep copy of a JSON tree (what `JSON.parse` returned, or {@link fhirJsonCopy}): the same as
 * Medplum's `deepClone` (`JSON.parse(JSON.stringify(value))`) for such a value, without writing and
 * re-reading the text.
 */
export function cloneJson<T>(value: T): T {
  // JSON writes -0 as 0 (JSON.parse('-0') is -0, so such a tree can hold one).
  if (typeof value === 'number') return (value === 0 ? 0 : value) as T;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) setKey(out, key, cloneJson((value as Record<string, unknown>)[key]));
  return out as T;
}
