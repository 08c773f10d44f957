import { type ReadingQuery, ValidationError, type ValidationIssue } from '@healthit/core';
import { checkMetric, checkRange, checkStrings, clampTs, notObject } from './query-checks.js';

/** The limit of a {@link ReadingQuery} that names none. */
export const DEFAULT_QUERY_LIMIT = 10_000;

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
  if (typeof query !== 'object' || query === null) throw notObject('ReadingQuery', query);
  const issues: ValidationIssue[] = [];
  checkRange(query, issues);
  checkStrings(query, ['deviceId', 'patientId'], issues);
  checkMetric(query.metric, false, issues);
  const limit: unknown = query.limit ?? DEFAULT_QUERY_LIMIT;
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
    issues.push({
      path: 'limit',
      message: `expected a non-negative integer, received ${String(limit)}`,
      code: 'invalid_type',
    });
  }
  if (issues.length > 0) throw new ValidationError('ReadingQuery', issues);
  return {
    from: clampTs(query.from),
    to: clampTs(query.to),
    ...(query.deviceId === undefined ? {} : { deviceId: query.deviceId }),
    ...(query.patientId === undefined ? {} : { patientId: query.patientId }),
    ...(query.metric === undefined ? {} : { metric: query.metric }),
    limit: limit as number,
  };
}
