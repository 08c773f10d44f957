import type {
  RetentionOptions,
  RetentionPolicy,
  RetentionResult,
  RollupQuery,
  RollupRow,
} from '@healthit/core';
import { ValidationError, type ValidationIssue } from '@healthit/core';
import type { SqlExecutor } from './executor.js';
import type { ReadingTableNames } from './names.js';
import { checkBucketMs, checkMetric, checkRange, checkStrings, clampTs, notObject } from './query-checks.js';

/** Default of {@link RetentionOptions.lateMs}: readings up to an hour late are still rolled up. */
export const DEFAULT_LATE_MS = 3_600_000;

const floorTo = (t: number, b: number): number => Math.floor(t / b) * b;
const ceilTo = (t: number, b: number): number => Math.ceil(t / b) * b;

function positiveInteger(name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number of ms, got ${typeof v}`);
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name} must be a positive integer ms, got ${v}`);
  return v;
}

/**
 * Checks that a policy can be applied: positive integer durations; levels finest first, each
 * bucket a multiple of the one before; raw readings (and each level) kept at least one bucket of
 * the next level, so every bucket is complete in its source when it is rolled up.
 *
 * @throws {TypeError} when the policy or a duration is not of the right type.
 * @throws {RangeError} when a duration or the order of levels is wrong.
 */
export function checkRetentionPolicy(policy: RetentionPolicy): void {
  if (typeof policy !== 'object' || policy === null) {
    throw new TypeError(
      `the retention policy must be an object, got ${policy === null ? 'null' : typeof policy}`,
    );
  }
  positiveInteger('rawMs', policy.rawMs);
  if (!Array.isArray(policy.rollups)) throw new TypeError('rollups must be an array of { bucketMs, keepMs }');
  let previous: { bucketMs: number; keepMs: number; name: string } = {
    bucketMs: 1,
    keepMs: policy.rawMs,
    name: 'rawMs',
  };
  policy.rollups.forEach((level, i) => {
    const bucketMs = positiveInteger(`rollups[${i}].bucketMs`, level?.bucketMs);
    const keepMs = positiveInteger(`rollups[${i}].keepMs`, level?.keepMs);
    if (bucketMs <= previous.bucketMs && i > 0) {
      throw new RangeError(
        `rollups[${i}].bucketMs (${bucketMs}) must be greater than the level before (finest first)`,
      );
    }
    if (bucketMs % previous.bucketMs !== 0) {
      throw new RangeError(
        `rollups[${i}].bucketMs (${bucketMs}) must be a multiple of rollups[${i - 1}].bucketMs (${previous.bucketMs})`,
      );
    }
    if (previous.keepMs < bucketMs) {
      throw new RangeError(
        `${previous.name} (${previous.keepMs}) must be at least rollups[${i}].bucketMs (${bucketMs}): ` +
          'a bucket must be complete in its source when it is rolled up',
      );
    }
    previous = { bucketMs, keepMs, name: `rollups[${i}].keepMs` };
  });
}

/**
 * Validates retention options and fills in the defaults.
 * @throws {RangeError} when `now` or `lateMs` is not a non-negative integer.
 */
export function checkRetentionOptions(options: RetentionOptions = {}): { now: number; lateMs: number } {
  const now = options.now ?? Date.now();
  const lateMs = options.lateMs ?? DEFAULT_LATE_MS;
  if (typeof now !== 'number' || !Number.isSafeInteger(now) || now < 0) {
    throw new RangeError(`now must be a non-negative integer epoch ms, got ${String(now)}`);
  }
  if (typeof lateMs !== 'number' || !Number.isSafeInteger(lateMs) || lateMs < 0) {
    throw new RangeError(`lateMs must be a non-negative integer ms, got ${String(lateMs)}`);
  }
  return { now, lateMs };
}

type Num = number | string | bigint | null;
const num = (v: Num | undefined): number | undefined =>
  v === null || v === undefined ? undefined : Number(v);

async function countOf(tx: SqlExecutor, text: string, params: unknown[]): Promise<number> {
  const [row] = await tx.query<{ n: Num }>(text, params);
  return num(row?.n) ?? 0;
}

/**
 * Applies a retention policy (see `ReadingStore.applyRetention`) in one transaction, serialised
 * per table by an advisory lock:
 *
 * 1. per level, finest first: the complete buckets from `done_to − lateMs` (or, on the first run,
 *    from the oldest source row) up to `now` floored to the bucket are recomputed from the level
 *    below (raw readings for the finest) — deleted and re-inserted, so a run repeated changes
 *    nothing — never before what the source has already trimmed;
 * 2. raw readings with `ts < now − rawMs` are deleted; then each level's buckets that ended more
 *    than `keepMs` before `now`.
 *
 * The state table records per level how far it is rolled up (`done_to`) and per source how far it
 * is trimmed (`trimmed_to`; raw is `bucket_ms` 0).
 *
 * @throws {TypeError} / {RangeError} when the policy or options are invalid (see
 * {@link checkRetentionPolicy}); driver errors unwrapped.
 */
export async function applyRetentionSql(
  executor: SqlExecutor,
  names: ReadingTableNames,
  policy: RetentionPolicy,
  options: RetentionOptions = {},
): Promise<RetentionResult> {
  checkRetentionPolicy(policy);
  const { now, lateMs } = checkRetentionOptions(options);
  const levels = policy.rollups.map((l) => ({ bucketMs: l.bucketMs, keepMs: l.keepMs }));
  return executor.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `healthit:retention:${names.schema}.${names.table}`,
    ]);
    const stateRows = await tx.query<{ bucket_ms: Num; done_to: Num; trimmed_to: Num }>(
      `SELECT bucket_ms, done_to, trimmed_to FROM ${names.rollupState}`,
    );
    const state = new Map(
      stateRows.map((r) => [num(r.bucket_ms), { doneTo: num(r.done_to), trimmedTo: num(r.trimmed_to) }]),
    );
    const setState = (bucketMs: number, column: 'done_to' | 'trimmed_to', value: number) =>
      tx.query(
        `INSERT INTO ${names.rollupState} (bucket_ms, ${column}) VALUES ($1::bigint, $2::bigint)
ON CONFLICT (bucket_ms) DO UPDATE SET ${column} = greatest(${names.rollupState}.${column}, EXCLUDED.${column})`,
        [String(bucketMs), String(value)],
      );

    const written: number[] = [];
    for (const [i, level] of levels.entries()) {
      const b = level.bucketMs;
      const sourceMs = i === 0 ? 0 : (levels[i - 1] as { bucketMs: number }).bucketMs;
      const hi = floorTo(now, b);
      const doneTo = state.get(b)?.doneTo;
      let lo: number;
      let empty = false;
      if (doneTo !== undefined) lo = floorTo(doneTo - lateMs, b);
      else {
        const [row] = await tx.query<{ n: Num }>(
          i === 0
            ? `SELECT min(ts) AS n FROM ${names.qualified}`
            : `SELECT min(bucket_ts) AS n FROM ${names.rollups} WHERE bucket_ms = $1::bigint`,
          i === 0 ? [] : [String(sourceMs)],
        );
        const oldest = num(row?.n);
        // An empty source: nothing to roll up yet, and no state (data may be imported later).
        empty = oldest === undefined;
        lo = oldest === undefined ? hi : floorTo(oldest, b);
      }
      const trimmedTo = state.get(sourceMs)?.trimmedTo;
      if (trimmedTo !== undefined) lo = Math.max(lo, ceilTo(trimmedTo, b));
      lo = Math.max(lo, 0);
      let n = 0;
      if (lo < hi) {
        const range = [String(b), String(lo), String(hi)];
        await tx.query(
          `DELETE FROM ${names.rollups} WHERE bucket_ms = $1::bigint AND bucket_ts >= $2::bigint AND bucket_ts < $3::bigint`,
          range,
        );
        const source =
          i === 0
            ? `SELECT $1::bigint, ts - (ts % $1::bigint + $1::bigint) % $1::bigint, device_id, patient_id, metric, unit,
  count(*), sum(value), min(value), max(value)
FROM ${names.qualified} WHERE ts >= $2::bigint AND ts < $3::bigint`
            : `SELECT $1::bigint, bucket_ts - (bucket_ts % $1::bigint + $1::bigint) % $1::bigint, device_id, patient_id, metric, unit,
  sum(n)::bigint, sum(sum), min(min), max(max)
FROM ${names.rollups} WHERE bucket_ms = $4::bigint AND bucket_ts >= $2::bigint AND bucket_ts < $3::bigint`;
        n = await countOf(
          tx,
          `WITH written AS (
  INSERT INTO ${names.rollups} (bucket_ms, bucket_ts, device_id, patient_id, metric, unit, n, sum, min, max)
  ${source}
  GROUP BY 2, 3, 4, 5, 6
  RETURNING 1
) SELECT count(*) AS n FROM written`,
          i === 0 ? range : [...range, String(sourceMs)],
        );
      }
      if (!empty && (doneTo === undefined || hi > doneTo)) await setState(b, 'done_to', hi);
      written.push(n);
    }

    const rawCut = now - policy.rawMs;
    const rawDeleted = await countOf(
      tx,
      `WITH gone AS (DELETE FROM ${names.qualified} WHERE ts < $1::bigint RETURNING 1) SELECT count(*) AS n FROM gone`,
      [String(rawCut)],
    );
    if (rawCut > 0) await setState(0, 'trimmed_to', rawCut);
    const rollups: { bucketMs: number; written: number; deleted: number }[] = [];
    for (const [i, level] of levels.entries()) {
      const cut = floorTo(now - level.keepMs, level.bucketMs);
      const deleted = await countOf(
        tx,
        `WITH gone AS (DELETE FROM ${names.rollups} WHERE bucket_ms = $1::bigint AND bucket_ts < $2::bigint RETURNING 1)
SELECT count(*) AS n FROM gone`,
        [String(level.bucketMs), String(cut)],
      );
      if (cut > 0) await setState(level.bucketMs, 'trimmed_to', cut);
      rollups.push({ bucketMs: level.bucketMs, written: written[i] ?? 0, deleted });
    }
    return { rawDeleted, rollups };
  });
}

/** A validated rollup query. */
interface NormalisedRollupQuery {
  readonly bucketMs: number;
  readonly from: number;
  readonly to: number;
  readonly metric?: string;
  readonly patientId?: string;
  readonly deviceId?: string;
}

/**
 * Validates a rollup query.
 * @throws {ValidationError} naming every offending field.
 */
export function normaliseRollupQuery(query: RollupQuery): NormalisedRollupQuery {
  if (typeof query !== 'object' || query === null) throw notObject('RollupQuery', query);
  const issues: ValidationIssue[] = [];
  checkRange(query, issues);
  const b: unknown = query.bucketMs;
  checkBucketMs(b, issues);
  checkStrings(query, ['patientId', 'deviceId'], issues);
  checkMetric(query.metric, false, issues);
  if (issues.length > 0) throw new ValidationError('RollupQuery', issues);
  return {
    bucketMs: b as number,
    from: clampTs(query.from),
    to: clampTs(query.to),
    ...(query.metric === undefined ? {} : { metric: query.metric }),
    ...(query.patientId === undefined ? {} : { patientId: query.patientId }),
    ...(query.deviceId === undefined ? {} : { deviceId: query.deviceId }),
  };
}

interface RollupSqlRow {
  readonly bucket_ts: Num;
  readonly device_id: string;
  readonly patient_id: string | null;
  readonly metric: string;
  readonly unit: string;
  readonly n: Num;
  readonly sum: number | string;
  readonly min: number | string;
  readonly max: number | string;
}

/** Reads materialised rollups of one level (see `ReadingStore.rollups`). */
export async function queryRollupsSql(
  executor: SqlExecutor,
  names: ReadingTableNames,
  query: RollupQuery,
): Promise<RollupRow[]> {
  const q = normaliseRollupQuery(query);
  const params: unknown[] = [String(q.bucketMs), String(q.from), String(q.to)];
  const where = ['bucket_ms = $1::bigint', 'bucket_ts >= $2::bigint', 'bucket_ts < $3::bigint'];
  for (const [column, value] of [
    ['metric', q.metric],
    ['patient_id', q.patientId],
    ['device_id', q.deviceId],
  ] as const) {
    if (value === undefined) continue;
    params.push(value);
    where.push(`${column} = $${params.length}::text`);
  }
  const rows = await executor.query<RollupSqlRow>(
    `SELECT bucket_ts, device_id, patient_id, metric, unit, n, sum, min, max FROM ${names.rollups}
WHERE ${where.join(' AND ')}
ORDER BY bucket_ts, device_id, patient_id NULLS LAST, metric COLLATE "C", unit COLLATE "C"`,
    params,
  );
  return rows.map((r) => {
    const count = Number(r.n);
    const sum = Number(r.sum);
    return {
      bucket: Number(r.bucket_ts),
      bucketMs: q.bucketMs,
      deviceId: r.device_id,
      ...(r.patient_id === null ? {} : { patientId: r.patient_id }),
      metric: r.metric,
      unit: r.unit,
      count,
      sum,
      min: Number(r.min),
      max: Number(r.max),
      mean: sum / count,
    };
  });
}
