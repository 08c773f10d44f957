import { ValidationError, type ValidationIssue } from '@healthit/core';

/**
 * A template (device-content or FHIR mapping) was refused. A `validation/invalid`
 * {@link ValidationError} whose issue paths name the template index and field, e.g.
 * `template[1].template.typeMatchExpression: JSONPath "$..[(@.x)]": script expressions ... are not supported`.
 */
export class IomtTemplateError extends ValidationError {
  /** Index of the first refused template inside its collection (0 for a single template). */
  readonly templateIndex: number | undefined;
  /** Path of the first refused field, e.g. `template[1].template.typeMatchExpression`. */
  readonly field: string;

  /**
   * Creates the error (code `validation/invalid`).
   * @param schema - What was refused, e.g. `device-content template` or `FHIR mapping template`.
   * @param issues - Every problem found, each with its path in the file; `templateIndex` names the
   * template it is in.
   * @param options - `source` (the file name) to name in the message, and the underlying `cause`.
   */
  constructor(
    schema: string,
    issues: readonly (ValidationIssue & { readonly templateIndex?: number })[],
    options: { source?: string; cause?: unknown } = {},
  ) {
    super(
      schema,
      issues.map(({ path, message, code }) => ({ path, message, code })),
      options,
    );
    this.templateIndex = issues[0]?.templateIndex;
    this.field = issues[0]?.path ?? '';
  }
}

/** Formats a zod-style path (`['template', 'values', 0, 'valueName']`) as `template.values[0].valueName`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out;
}
