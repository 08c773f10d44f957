import { MetricId, type ReadingQuery, ValidationError, type ValidationIssue } from '@healthit/core';

/** The limit of a {@link ReadingQuery} that names none. */
export const DEFAULT_QUERY_LIMIT = 10_000;

/** One past the largest epoch-ms a reading can carry (readings' `ts` are safe integers). */
const TS_END = 2 ** 53;

/** A validated query with integer, clamped bounds, ready to bind. */
export interface NormalisedQuery {
  /** Inclusive lower bound on `ts`, an integer in [0, 2^53]. */
  readonly from: number;
  /** Exclusive upper bound on `ts`, an integer in [0, 2^53]. */
  readonly to: number;
  readonly deviceId?: string;
  readonly patientId?: string;
  readonly metric?: string;
  readonly limit: number;
}

/**
 * Validates a {@link ReadingQuery} and normalises its bounds: `ts` is an integer, so `ts >= from`
 * equals `ts >= ceil(from)` and `ts < to` equals `ts < ceil(to)`; bounds are then clamped to the
 * range of possible `ts`, which changes no answer.
 *
 * @throws {ValidationError} naming every offending field.
 */
export function normaliseQuery(query: ReadingQuery): NormalisedQuery {
  const issues: ValidationIssue[] = [];
  if (typeof query !== 'object' || query === null) {
    throw new ValidationError('ReadingQuery', [
      {
        path: '',
        message: `expected an object, received ${query === null ? 'null' : typeof query}`,
        code: 'invalid_type',
      },
    ]);
  }
  for (const key of ['from', 'to'] as const) {
    const v: unknown = query[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      issues.push({
        path: key,
        message: `expected a finite number of epoch ms, received ${String(v)}`,
        code: 'invalid_type',
      });
    }
  }
  for (const key of ['deviceId', 'patientId'] as const) {
    const v: unknown = query[key];
    if (v !== undefined && typeof v !== 'string') {
      issues.push({ path: key, message: `expected a string, received ${typeof v}`, code: 'invalid_type' });
    }
  }
  if (query.metric !== undefined && !MetricId.safeParse(query.metric).success) {
    issues.push({
      path: 'metric',
      message: `unknown metric "${String(query.metric)}"`,
      code: 'invalid_value',
    });
  }
  const limit: unknown = query.limit ?? DEFAULT_QUERY_LIMIT;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    issues.push({
      path: 'limit',
      message: `expected a non-negative integer, received ${String(limit)}`,
      code: 'invalid_type',
    });
  }
  if (issues.length > 0) throw new ValidationError('ReadingQuery', issues);
  const clamp = (n: number): number => Math.min(TS_END, Math.max(0, Math.ceil(n)));
  return {
    from: clamp(query.from),
    to: clamp(query.to),
    ...(query.deviceId === undefined ? {} : { deviceId: query.deviceId }),
    ...(query.patientId === undefined ? {} : { patientId: query.patientId }),
    ...(query.metric === undefined ? {} : { metric: query.metric }),
    limit: limit as number,
  };
}
