import { HealthItError } from '@healthit/core';

/** A JSON value as `JSON.parse` returns it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** True for a plain JSON object (not an array, not null). */
export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Parses JSON text, tolerating a leading UTF-8 byte-order mark (several iomt-fhir test inputs
 * start with EF BB BF, which `JSON.parse` refuses).
 *
 * @param source - where the text came from (a file name), named in the error.
 * @throws {HealthItError} `validation/invalid` when the text is not JSON.
 */
export function parseJsonText(text: string, source = 'input'): JsonValue {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    return JSON.parse(body) as JsonValue;
  } catch (cause) {
    throw new HealthItError(
      'validation/invalid',
      `${source} is not valid JSON: ${(cause as Error).message}`,
      {
        cause,
        detail: { source },
      },
    );
  }
}

/** Own-property lookup that never walks the prototype chain (`constructor`, `__proto__` are not data). */
export function ownValue(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
