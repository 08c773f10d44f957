import type { z } from 'zod';
import { HealthItError } from './health-it-error.js';

/** One problem found by schema validation, with the path of the offending field. */
export interface ValidationIssue {
  /** Dotted path of the field inside the input, e.g. `readings.3.value`; empty for the input itself. */
  readonly path: string;
  /** What is wrong with the field, in words (zod's message), e.g. `expected number, received string`. */
  readonly message: string;
  /** The zod issue code, e.g. `invalid_type`, `too_small`, `unrecognized_keys`. */
  readonly code: string;
}

/**
 * Input did not match its schema. The message names the schema, where the input came from, and
 * every offending field, e.g.
 * `Invalid Reading (from devices/mon-1/readings): value: expected number, received string`.
 */
export class ValidationError extends HealthItError {
  /** Always `ValidationError`. */
  override readonly name = 'ValidationError';
  /** What was being validated, e.g. `Reading`. */
  readonly schema: string;
  /** Where the input came from, e.g. a topic or a file name; may be empty. */
  readonly source: string;
  /** Every problem found, each with its field path, in the order they were reported. */
  readonly issues: readonly ValidationIssue[];

  /**
   * Makes a `validation/invalid` error whose message lists every issue.
   * @param schema - The name of what was validated, e.g. `Reading`.
   * @param issues - Every problem found, each with its field path.
   * @param options - Where the input came from (`source`, e.g. a topic; empty by default) and the
   *   underlying `cause` (the zod error).
   */
  constructor(
    schema: string,
    issues: readonly ValidationIssue[],
    options: { source?: string; cause?: unknown } = {},
  ) {
    const source = options.source ?? '';
    const where = source ? ` (from ${source})` : '';
    const list = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
    super('validation/invalid', `Invalid ${schema}${where}: ${list}`, {
      cause: options.cause,
      detail: { schema, source, issues: issues.map((i) => ({ ...i })) },
    });
    this.schema = schema;
    this.source = source;
    this.issues = issues;
  }

  /** Builds a ValidationError from a zod error. */
  static fromZod(schema: string, error: z.ZodError, source?: string): ValidationError {
    const issues = error.issues.map((i) => ({
      path: i.path.map(String).join('.'),
      message: i.message,
      code: i.code,
    }));
    return new ValidationError(schema, issues, { ...(source === undefined ? {} : { source }), cause: error });
  }
}
