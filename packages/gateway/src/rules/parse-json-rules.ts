import { parseJsonText, ValidationError } from '@healthit/core';
import type { z } from 'zod';

/**
 * Parses a rule set given as JSON text or as values with `schema`, throwing a `ValidationError`
 * named `schemaName` that names the rule index and field of every problem; text that is not JSON
 * is one issue with code `invalid_json` at the root, whose message ends with `hint`.
 */
export function parseJsonRules<S extends z.ZodType>(
  schema: S,
  schemaName: string,
  hint: string,
  json: unknown,
  source?: string,
): z.output<S> {
  const input = parseJsonText(json, schemaName, hint, source);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw ValidationError.fromZod(schemaName, result.error, source);
}
