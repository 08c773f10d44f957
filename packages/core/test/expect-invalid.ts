import { expect } from 'vitest';
import type { z } from 'zod';
import { ValidationError } from '../src/errors/validation-error.js';
import { parse } from '../src/validate.js';

/** The source every rejection test names, so the message can be checked for it. */
export const SOURCE = 'devices/mon-1/readings';

/** Parses `input` with core `parse`, expecting a {@link ValidationError}, and returns it. */
export function rejectionOf(
  schema: z.ZodType,
  schemaName: string,
  input: unknown,
  source = SOURCE,
): ValidationError {
  let thrown: unknown;
  try {
    parse(schema, schemaName, input, source);
  } catch (e) {
    thrown = e;
  }
  if (thrown === undefined) throw new Error(`expected ${schemaName} to reject ${JSON.stringify(input)}`);
  expect(thrown).toBeInstanceOf(ValidationError);
  return thrown as ValidationError;
}

/**
 * Asserts that `parse` rejects `input` with a ValidationError naming the schema, the source and
 * `path` (dotted; `''` for the input itself), both in its fields and in its message.
 */
export function expectRejected(
  schema: z.ZodType,
  schemaName: string,
  input: unknown,
  path: string,
  source = SOURCE,
): ValidationError {
  const error = rejectionOf(schema, schemaName, input, source);
  expect(error.code).toBe('validation/invalid');
  expect(error.retryable).toBe(false);
  expect(error.schema).toBe(schemaName);
  expect(error.source).toBe(source);
  expect(error.issues.map((i) => i.path)).toContain(path);
  expect(error.message.startsWith(`Invalid ${schemaName} (from ${source}): `)).toBe(true);
  expect(error.message).toContain(`${path === '' ? '(root)' : path}: `);
  return error;
}
