import {
  type MetricId,
  MetricId as MetricIdSchema,
  ValidationError,
  type ValidationIssue,
} from '@healthit/core';

/**
 * Boundary checks shared by the analytics functions: each pushes one issue per offending field,
 * so a caller learns every problem of a request at once.
 */
export class Checks {
  readonly issues: ValidationIssue[] = [];

  constructor(readonly schema: string) {}

  private push(path: string, message: string, code: string): void {
    this.issues.push({ path, message, code });
  }

  /** An object (the request itself). */
  object(value: unknown): value is object {
    if (typeof value === 'object' && value !== null) return true;
    this.push('', `expected an object, received ${value === null ? 'null' : typeof value}`, 'invalid_type');
    return false;
  }

  /** A metric of the catalogue. */
  metric(path: string, value: unknown): value is MetricId {
    if (MetricIdSchema.safeParse(value).success) return true;
    this.push(
      path,
      value === undefined ? 'a metric is required' : `unknown metric "${String(value)}"`,
      value === undefined ? 'invalid_type' : 'invalid_value',
    );
    return false;
  }

  /** A non-empty string (a patient id). */
  id(path: string, value: unknown): value is string {
    if (typeof value === 'string' && value.length > 0) return true;
    this.push(path, `expected a non-empty string, received ${describe(value)}`, 'invalid_type');
    return false;
  }

  /** A non-negative safe integer of epoch ms. */
  epochMs(path: string, value: unknown): value is number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return true;
    this.push(
      path,
      `expected a non-negative integer of epoch ms, received ${describe(value)}`,
      'invalid_type',
    );
    return false;
  }

  /** A positive safe integer of ms (a window, a step, a bucket). */
  positiveMs(path: string, value: unknown): value is number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return true;
    this.push(path, `expected a positive integer number of ms, received ${describe(value)}`, 'invalid_value');
    return false;
  }

  /** A positive safe integer (a limit, a page size). */
  positiveInt(path: string, value: unknown): value is number {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return true;
    this.push(path, `expected a positive integer, received ${describe(value)}`, 'invalid_value');
    return false;
  }

  /** A finite number ≥ 0. */
  nonNegative(path: string, value: unknown): value is number {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return true;
    this.push(path, `expected a finite number >= 0, received ${describe(value)}`, 'invalid_value');
    return false;
  }

  /** `from < to`, both valid epoch ms. */
  range(from: unknown, to: unknown): boolean {
    const ok = this.epochMs('from', from) && this.epochMs('to', to);
    if (ok && (from as number) >= (to as number)) {
      this.push('to', `expected to > from, received from ${from} and to ${to}`, 'invalid_value');
      return false;
    }
    return ok;
  }

  /** A free-form failure. */
  fail(path: string, message: string, code = 'invalid_value'): void {
    this.push(path, message, code);
  }

  /** @throws {ValidationError} when any check failed. */
  throwIfAny(): void {
    if (this.issues.length > 0) throw new ValidationError(this.schema, this.issues);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value) ?? String(value);
  return typeof value;
}
