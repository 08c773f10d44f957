import type { JsonValue } from '@healthit/core';
import { z } from 'zod';

/** How deeply a ledger body may nest arrays and objects. */
export const MAX_JSON_DEPTH = 64;

/** A problem found in a would-be JSON value, with the path to it. */
export interface JsonIssue {
  /** Where the offender is: object keys and array indices from the root; empty for the input itself. */
  readonly path: readonly (string | number)[];
  /** What is wrong with it, e.g. `undefined is not a JSON value`. */
  readonly message: string;
}

/** The result of {@link toJsonValue}. */
export type JsonCheck =
  | {
      /** The input is plain JSON. */
      readonly ok: true;
      /** A fresh copy of the input (`-0` written as `0`). */
      readonly value: JsonValue;
    }
  | {
      /** The input is not plain JSON. */
      readonly ok: false;
      /** Every offending value, with its path (at least one). */
      readonly issues: readonly JsonIssue[];
    };

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when `text` is well-formed UTF-16 (no lone surrogates), so it has a UTF-8 encoding. */
export function isWellFormedString(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? `a ${ctor.name}` : 'an object';
}

/**
 * Checks that `input` is plain JSON that canonicalises unambiguously (RFC 8785 / I-JSON) and returns
 * a fresh copy of it: `null`, booleans, finite numbers (`-0` becomes `0`, as JSON writes it), strings
 * without lone surrogates, arrays and plain objects, nested at most {@link MAX_JSON_DEPTH} levels.
 * `undefined` (also as an object member), functions, bigints, symbols, class instances (`Date`,
 * `Map` ...), sparse arrays and circular references are refused with the path of each offender.
 */
export function toJsonValue(input: unknown): JsonCheck {
  const issues: JsonIssue[] = [];
  const ancestors = new Set<object>();

  function walk(value: unknown, path: (string | number)[]): JsonValue | undefined {
    switch (typeof value) {
      case 'boolean':
        return value;
      case 'string':
        if (!isWellFormedString(value)) {
          issues.push({ path, message: 'string contains a lone surrogate (not valid Unicode)' });
        }
        return value;
      case 'number':
        if (!Number.isFinite(value)) {
          issues.push({ path, message: `${value} is not a JSON number` });
          return undefined;
        }
        return value === 0 ? 0 : value;
      case 'object':
        break;
      default:
        issues.push({ path, message: `${describe(value)} is not a JSON value` });
        return undefined;
    }
    if (value === null) return null;
    if (path.length >= MAX_JSON_DEPTH) {
      issues.push({ path, message: `nested deeper than ${MAX_JSON_DEPTH} levels` });
      return undefined;
    }
    if (ancestors.has(value)) {
      issues.push({ path, message: 'circular reference' });
      return undefined;
    }
    ancestors.add(value);
    try {
      if (Array.isArray(value)) {
        const out: JsonValue[] = [];
        for (let i = 0; i < value.length; i++) {
          if (!Object.hasOwn(value, i)) {
            issues.push({ path: [...path, i], message: 'sparse array hole is not a JSON value' });
            continue;
          }
          const v = walk(value[i], [...path, i]);
          if (v !== undefined) out.push(v);
        }
        return out;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        issues.push({ path, message: `${describe(value)} is not a plain JSON object` });
        return undefined;
      }
      const out: { [key: string]: JsonValue } = {};
      for (const key of Object.keys(value)) {
        if (!isWellFormedString(key)) {
          issues.push({ path: [...path, key], message: 'member name contains a lone surrogate' });
          continue;
        }
        const v = walk((value as Record<string, unknown>)[key], [...path, key]);
        if (v === undefined) continue;
        // A member named "__proto__" must stay data, not become the copy's prototype.
        Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
      }
      return out;
    } finally {
      ancestors.delete(value);
    }
  }

  const value = walk(input, []);
  return issues.length === 0 && value !== undefined ? { ok: true, value } : { ok: false, issues };
}

/**
 * zod schema of a ledger body: any value {@link toJsonValue} accepts; parses to its fresh copy.
 */
export const JsonBody: z.ZodType<JsonValue, unknown> = z.unknown().transform((input, ctx) => {
  const checked = toJsonValue(input);
  if (checked.ok) return checked.value;
  for (const issue of checked.issues) {
    ctx.addIssue({ code: 'custom', message: issue.message, path: [...issue.path], input });
  }
  return z.NEVER;
});

/** Freezes a value and every object and array inside it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
