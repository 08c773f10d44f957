import { MetricId, ValidationError, type ValidationIssue } from '@healthit/core';

/**
 * The checks every store query shares (range, reading queries, aggregates, rollups): each pushes
 * an issue naming the field, so a query's `ValidationError` lists everything wrong at once.
 * @internal
 */

/** One past the largest epoch-ms a reading can carry (readings' `ts` are safe integers). */
export const TS_END = 2 ** 53;

/**
 * A bound on `ts` as an integer in [0, 2^53]: `ts` is an integer, so `ts >= from` equals
 * `ts >= ceil(from)` (and `ts < to` equals `ts < ceil(to)`), and clamping to the possible `ts`
 * changes no answer.
 */
export const clampTs = (n: number): number => Math.min(TS_END, Math.max(0, Math.ceil(n)));

/** The error for a query that is not an object. */
export function notObject(name: string, query: unknown): ValidationError {
  return new ValidationError(name, [
    {
      path: '',
      message: `expected an object, received ${query === null ? 'null' : typeof query}`,
      code: 'invalid_type',
    },
  ]);
}

/** `from` and `to` are finite numbers of epoch ms. */
export function checkRange(
  query: { readonly from: unknown; readonly to: unknown },
  issues: ValidationIssue[],
): void {
  for (const key of ['from', 'to'] as const) {
    const v = query[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.push({
        path: key,
        message: `expected a finite number of epoch ms, received ${String(v)}`,
        code: 'invalid_type',
      });
    }
  }
}

/** `bucketMs` is a positive integer. */
export function checkBucketMs(bucketMs: unknown, issues: ValidationIssue[]): void {
  if (typeof bucketMs !== 'number' || !Number.isSafeInteger(bucketMs) || bucketMs <= 0) {
    issues.push({
      path: 'bucketMs',
      message: `expected a positive integer number of ms, received ${String(bucketMs)}`,
      code: 'invalid_value',
    });
  }
}

/** Each of `keys` of `query` that is present is a string. */
export function checkStrings(query: object, keys: readonly string[], issues: ValidationIssue[]): void {
  for (const key of keys) {
    const v: unknown = (query as Record<string, unknown>)[key];
    if (v !== undefined && typeof v !== 'string') {
      issues.push({ path: key, message: `expected a string, received ${typeof v}`, code: 'invalid_type' });
    }
  }
}

/** `metric` is in the catalogue (and present when `required`). */
export function checkMetric(metric: unknown, required: boolean, issues: ValidationIssue[]): void {
  if (metric === undefined && !required) return;
  if (!MetricId.safeParse(metric).success) {
    issues.push({
      path: 'metric',
      message: metric === undefined ? 'a metric is required' : `unknown metric "${String(metric)}"`,
      code: metric === undefined ? 'invalid_type' : 'invalid_value',
    });
  }
}
