import type { z } from 'zod';
import { ValidationError } from './errors/validation-error.js';

/**
 * Parses `input` with `schema`, throwing a {@link ValidationError} that names `schemaName`, the
 * `source` of the input and every offending field.
 *
 * @throws {ValidationError} when the input does not match.
 * @example
 * ```ts
 * const reading = parse(Reading, 'Reading', json, 'devices/mon-1/readings');
 * ```
 */
export function parse<S extends z.ZodType>(
  schema: S,
  schemaName: string,
  input: unknown,
  source?: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw ValidationError.fromZod(schemaName, result.error, source);
}

/** Like {@link parse} but returns a result instead of throwing. */
export function safeParse<S extends z.ZodType>(
  schema: S,
  schemaName: string,
  input: unknown,
  source?: string,
): { ok: true; value: z.output<S> } | { ok: false; error: ValidationError } {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: ValidationError.fromZod(schemaName, result.error, source) };
}

/**
 * Configuration given as JSON text or as values: text is parsed; text that is not JSON throws a
 * {@link ValidationError} named `schemaName` with one issue of code `invalid_json` at the root, its
 * message ending with `hint` (e.g. `give an array of rules`). Anything else is returned as it is,
 * for the schema to check.
 */
export function parseJsonText(json: unknown, schemaName: string, hint: string, source?: string): unknown {
  if (typeof json !== 'string') return json;
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new ValidationError(
      schemaName,
      [{ path: '', code: 'invalid_json', message: `not JSON (${(cause as Error).message}); ${hint}` }],
      { ...(source === undefined ? {} : { source }), cause },
    );
  }
}
