import type { AggregateQuery, AggregateRow, AggregateStat, LatestQuery } from '@healthit/core';
import { ValidationError, type ValidationIssue } from '@healthit/core';
import type { ReadingTableNames } from './names.js';
import { checkBucketMs, checkMetric, checkRange, checkStrings, clampTs, notObject } from './query-checks.js';
import { seriesCondition } from './series-filter.js';

/** The statistics `aggregate` computes, and the percentile fraction of each percentile. */
export const AGGREGATE_STATS = {
  count: undefined,
  mean: undefined,
  min: undefined,
  max: undefined,
  p50: 0.5,
  p90: 0.9,
  p95: 0.95,
  p99: 0.99,
} as const satisfies Record<AggregateStat, number | undefined>;

/** A validated latest query. */
export interface NormalisedLatest {
  readonly patientId?: string;
  readonly metric?: string;
  readonly deviceId?: string;
}

/**
 * Validates a latest query (absent means all series).
 * @throws {ValidationError} naming every offending field.
 */
export function normaliseLatest(query: LatestQuery | undefined): NormalisedLatest {
  if (query === undefined) return {};
  if (typeof query !== 'object' || query === null) throw notObject('LatestQuery', query);
  const issues: ValidationIssue[] = [];
  checkStrings(query, ['patientId', 'deviceId'], issues);
  checkMetric(query.metric, false, issues);
  if (issues.length > 0) throw new ValidationError('LatestQuery', issues);
  return {
    ...(query.patientId === undefined ? {} : { patientId: query.patientId }),
    ...(query.metric === undefined ? {} : { metric: query.metric }),
    ...(query.deviceId === undefined ? {} : { deviceId: query.deviceId }),
  };
}

/** A validated aggregate query: integer bounds clamped to the possible `ts`, stats deduplicated. */
export interface NormalisedAggregate {
  readonly from: number;
  readonly to: number;
  readonly bucketMs: number;
  readonly origin: number;
  readonly metric: string;
  readonly patientId?: string;
  readonly deviceId?: string;
  readonly stats: readonly AggregateStat[];
}

/**
 * Validates an aggregate query.
 * @throws {ValidationError} naming every offending field.
 */
export function normaliseAggregate(query: AggregateQuery): NormalisedAggregate {
  if (typeof query !== 'object' || query === null) throw notObject('AggregateQuery', query);
  const issues: ValidationIssue[] = [];
  checkRange(query, issues);
  const bucketMs: unknown = query.bucketMs;
  checkBucketMs(bucketMs, issues);
  const origin: unknown = query.origin ?? 0;
  if (typeof origin !== 'number' || !Number.isSafeInteger(origin)) {
    issues.push({
      path: 'origin',
      message: `expected an integer epoch ms, received ${String(origin)}`,
      code: 'invalid_type',
    });
  }
  checkMetric(query.metric, true, issues);
  checkStrings(query, ['patientId', 'deviceId'], issues);
  const stats: unknown = query.stats;
  if (!Array.isArray(stats) || stats.length === 0) {
    issues.push({
      path: 'stats',
      message: `expected a non-empty array of ${Object.keys(AGGREGATE_STATS).join(', ')}`,
      code: 'invalid_type',
    });
  } else {
    stats.forEach((s: unknown, i) => {
      if (typeof s !== 'string' || !Object.hasOwn(AGGREGATE_STATS, s)) {
        issues.push({
          path: `stats.${i}`,
          message: `unknown statistic "${String(s)}": use ${Object.keys(AGGREGATE_STATS).join(', ')}`,
          code: 'invalid_value',
        });
      }
    });
  }
  if (issues.length > 0) throw new ValidationError('AggregateQuery', issues);
  return {
    from: clampTs(query.from),
    to: clampTs(query.to),
    bucketMs: bucketMs as number,
    origin: origin as number,
    metric: query.metric,
    ...(query.patientId === undefined ? {} : { patientId: query.patientId }),
    ...(query.deviceId === undefined ? {} : { deviceId: query.deviceId }),
    stats: [...new Set(query.stats)],
  };
}

/**
 * Memory PostgreSQL may use for the aggregate's grouping (`SET LOCAL work_mem`): the planner
 * estimates as many buckets as distinct `ts`, and with the default 4 MB it would sort every reading
 * by bucket (on disk past 4 MB) instead of hashing the few real buckets.
 */
export const AGGREGATE_WORK_MEM = '64MB';

/**
 * The SQL and parameters of an aggregate over the readings table of `names`. The bucket of `ts` is
 * `ts − (ts + c) mod b` with `c = b − (origin mod b)`: `ts ≥ 0`, so `ts + c > 0` and the remainder
 * is the distance from the bucket start, with one modulo per row. Rows come unordered (so the
 * planner may hash); the caller sorts them by bucket. With a patient or a device, the rows are
 * found through the series dictionary and the `(series, ts)` index; by metric alone through `(ts)`
 * or a scan, as the planner finds cheaper.
 */
export function aggregateSql(
  names: ReadingTableNames,
  q: NormalisedAggregate,
): { text: string; params: unknown[] } {
  const b = q.bucketMs;
  const c = b - (((q.origin % b) + b) % b);
  const params: unknown[] = [String(q.from), String(q.to), String(c), String(b), q.metric];
  const where = ['metric = $5::text', 'ts >= $1::bigint', 'ts < $2::bigint'];
  const bind = (value: string): string => {
    params.push(value);
    return `$${params.length}::text`;
  };
  if (q.patientId !== undefined) where.push(`patient_id = ${bind(q.patientId)}`);
  if (q.deviceId !== undefined) where.push(`device_id = ${bind(q.deviceId)}`);
  if (q.patientId !== undefined || q.deviceId !== undefined) {
    where.push(seriesCondition(names.series, q, bind) as string);
  }
  const select = ['ts - (ts + $3::bigint) % $4::bigint AS bucket'];
  if (q.stats.includes('count')) select.push('count(*) AS count');
  if (q.stats.includes('mean')) select.push('avg(value) AS mean');
  if (q.stats.includes('min')) select.push('min(value) AS min');
  if (q.stats.includes('max')) select.push('max(value) AS max');
  const fractions = q.stats.map((s) => AGGREGATE_STATS[s]).filter((f) => f !== undefined);
  // One ordered-set aggregate for every percentile: one sort per bucket, not one per percentile.
  if (fractions.length > 0) {
    select.push(
      `percentile_cont(ARRAY[${fractions.join(', ')}]::double precision[]) WITHIN GROUP (ORDER BY value) AS pcts`,
    );
  }
  return {
    text: `SELECT ${select.join(', ')} FROM ${names.qualified} WHERE ${where.join(' AND ')} GROUP BY 1`,
    params,
  };
}

/** A row of {@link aggregateSql} as drivers return it. */
export interface AggregateSqlRow {
  readonly bucket: number | string | bigint;
  readonly count?: number | string | bigint;
  readonly mean?: number | string;
  readonly min?: number | string;
  readonly max?: number | string;
  readonly pcts?: readonly (number | string)[] | string;
}

/** Parses PostgreSQL's text form of a `float8[]` (`{0.5,1,2}`), for drivers that leave it as text. */
function parseFloatArray(v: readonly (number | string)[] | string): number[] {
  if (typeof v !== 'string') return v.map(Number);
  const inner = v.slice(1, -1);
  return inner === '' ? [] : inner.split(',').map(Number);
}

/** A driver row as an {@link AggregateRow} with exactly the requested stats. */
export function toAggregateRow(row: AggregateSqlRow, stats: readonly AggregateStat[]): AggregateRow {
  const out: Record<string, number> = { bucket: Number(row.bucket) };
  const pcts = row.pcts === undefined ? [] : parseFloatArray(row.pcts);
  let p = 0;
  for (const stat of stats) {
    if (AGGREGATE_STATS[stat] !== undefined) {
      out[stat] = pcts[p] as number;
      p += 1;
    } else {
      out[stat] = Number(row[stat as 'count' | 'mean' | 'min' | 'max']);
    }
  }
  return out as AggregateRow;
}

/**
 * The SQL and parameters of a latest-per-series query over the readings table of `names`
 * selecting `columns` (unqualified column names).
 *
 * The series that match the filters come from the series dictionary (one row per device, patient
 * and metric); each one's newest reading is one backward probe of the `(series, ts)` index; then,
 * per patient and metric (per device and metric for readings without a patient), the newest of
 * those wins. So the cost follows the number of series, not of readings.
 */
export function latestSql(
  names: ReadingTableNames,
  columns: string,
  q: NormalisedLatest,
): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const bind = (value: string): string => {
    params.push(value);
    return `$${params.length}::text`;
  };
  const keys: string[] = [];
  if (q.deviceId !== undefined) keys.push(`k.device_id = ${bind(q.deviceId)}`);
  if (q.patientId !== undefined) keys.push(`k.patient_id = ${bind(q.patientId)}`);
  if (q.metric !== undefined) keys.push(`k.metric = ${bind(q.metric)}`);
  const deviceKey = 'CASE WHEN patient_id IS NULL THEN device_id END';
  const prefixed = columns
    .split(',')
    .map((c) => `r.${c.trim()}`)
    .join(', ');
  return {
    text: `SELECT ${columns} FROM (
  SELECT DISTINCT ON (patient_id, ${deviceKey}, metric) ${columns} FROM (
    SELECT ${prefixed} FROM ${names.series} k CROSS JOIN LATERAL (
      SELECT ${columns} FROM ${names.qualified} t
      WHERE t.series = k.key
      ORDER BY t.ts DESC, t.seq DESC LIMIT 1
    ) r${
      keys.length === 0
        ? ''
        : `
    WHERE ${keys.join(' AND ')}`
    }
  ) newest
  ORDER BY patient_id, ${deviceKey}, metric, ts DESC, device_id DESC, seq DESC
) latest
ORDER BY patient_id NULLS LAST, ${deviceKey}, metric COLLATE "C"`,
    params,
  };
}
