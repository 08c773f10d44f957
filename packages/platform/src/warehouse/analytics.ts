import type { MetricId } from '@healthit/core';
import type { ParquetWarehouse } from './parquet-warehouse.js';
import { sqlInteger, sqlString } from './sql.js';

/** One bucket of {@link bucketedAggregate}. */
export interface WarehouseBucket {
  /** Start of the bucket, epoch ms: `ts` rounded down to a multiple of `bucketMs`. */
  readonly bucketStart: number;
  /** Readings in the bucket (empty buckets are not returned). */
  readonly count: number;
  /** Mean of the values, in the readings' stored unit. */
  readonly mean: number;
  /** Smallest value. */
  readonly min: number;
  /** Largest value. */
  readonly max: number;
  /** Median, linearly interpolated (DuckDB `quantile_cont`). */
  readonly p50: number;
}

/**
 * Time-bucketed statistics of one metric over the warehouse (e.g. hourly over months), optionally for
 * one patient: DuckDB reads only the matching `metric=` partitions and row groups.
 *
 * @throws {RangeError} for a `from`/`to` that is not a non-negative integer or a `bucketMs` that is
 *   not a positive one.
 */
export async function bucketedAggregate(
  warehouse: ParquetWarehouse,
  query: {
    readonly metric: MetricId;
    readonly from: number;
    readonly to: number;
    readonly bucketMs: number;
    readonly patientId?: string;
  },
): Promise<WarehouseBucket[]> {
  const bucket = sqlInteger('bucketMs', query.bucketMs, 1);
  const rows = await warehouse.query<{
    b: bigint;
    n: bigint;
    mean: number;
    min: number;
    max: number;
    p50: number;
  }>(
    `SELECT (ts // ${bucket}) * ${bucket} AS b, count(*) AS n, avg(value) AS mean, min(value) AS min,
            max(value) AS max, quantile_cont(value, 0.5) AS p50
       FROM readings
      WHERE metric = ${sqlString(query.metric)} AND ts >= ${sqlInteger('from', query.from)}
        AND ts < ${sqlInteger('to', query.to)} ${query.patientId === undefined ? '' : 'AND patient_id = $1'}
      GROUP BY b ORDER BY b`,
    query.patientId === undefined ? [] : [query.patientId],
  );
  return rows.map((r) => ({
    bucketStart: Number(r.b),
    count: Number(r.n),
    mean: r.mean,
    min: r.min,
    max: r.max,
    p50: r.p50,
  }));
}

/** A patient whose NEWS2 rose by at least the asked points within the window. */
export interface News2RiseCase {
  /** The patient whose score rose. */
  readonly patientId: string;
  /** When the score first reached the rise. */
  readonly ts: number;
  /** The lowest score in the window before it, and the score then. */
  readonly from: number;
  /** The score at `ts`, `rise` or more above `from`. */
  readonly to: number;
}

/**
 * The SQL of "the first time each patient's `value` rose (or fell) by `$1` or more within
 * `withinMs`", over the rows `(patient_id, ts, value)` of `source`: one window function (the lowest —
 * or highest — value in the window before each row). Sorting every row by patient and time is what
 * costs, so a cheap necessary condition comes first: per patient and bucket of a sixth of the
 * window, the lowest and highest value — a hash aggregate, no sort — and only patients whose bucket
 * maximum exceeds the minimum of the `k` buckets up to it by the change (for a fall: the other way
 * round) can have it; the exact window runs over their rows only. Exact: the buckets of two times
 * at most `withinMs` apart are at most `k = withinMs // bucket + 1` apart.
 *
 * The window sizes are validated integers written into the SQL (see `sql.ts`).
 */
function firstChangeSql(source: string, rise: boolean, withinMs: number): string {
  assertWindow(withinMs);
  const bucketMs = Math.max(1, Math.ceil(withinMs / 6));
  const k = Math.floor(withinMs / bucketMs) + 1;
  const [low, high, extreme] = rise ? ['lo', 'hi', 'min'] : ['hi', 'lo', 'max'];
  const reached = (v: string, e: string) => (rise ? `${v} - ${e} >= $1` : `${e} - ${v} >= $1`);
  return `WITH src AS (${source}),
     b AS (
       SELECT patient_id, ts // ${bucketMs} AS bucket, min(value) AS lo, max(value) AS hi FROM src GROUP BY ALL),
     candidates AS (
       SELECT DISTINCT patient_id FROM (
         SELECT patient_id, ${high} AS v,
                ${extreme}(${low}) OVER (PARTITION BY patient_id ORDER BY bucket RANGE BETWEEN ${k} PRECEDING AND CURRENT ROW) AS e
           FROM b)
        WHERE ${reached('v', 'e')}),
     w AS (
       SELECT patient_id, ts, value,
              ${extreme}(value) OVER (PARTITION BY patient_id ORDER BY ts RANGE BETWEEN ${withinMs} PRECEDING AND CURRENT ROW) AS extreme
         FROM src WHERE patient_id IN (SELECT patient_id FROM candidates))
     SELECT patient_id, arg_min(ts, ts) AS ts, arg_min(extreme, ts) AS extreme, arg_min(value, ts) AS value
       FROM w WHERE ${reached('value', 'extreme')}
      GROUP BY patient_id ORDER BY patient_id`;
}

function assertWindow(withinMs: number): void {
  if (!Number.isSafeInteger(withinMs) || withinMs <= 0) {
    throw new RangeError(`withinMs must be a positive integer (ms), got ${withinMs}`);
  }
}

/**
 * Cohort mining: the patients whose NEWS2 total rose by `rise` points or more within `withinMs`
 * (e.g. ≥ 3 points in 6 hours), each at the first time it happened — a window function over the
 * `scores` dataset, run only for the patients a cheap per-bucket aggregate does not rule out.
 *
 * @throws {RangeError} for a `rise` that is not finite or a `withinMs` that is not a positive integer.
 */
export async function news2RiseCohort(
  warehouse: ParquetWarehouse,
  options: { readonly rise: number; readonly withinMs: number },
): Promise<News2RiseCase[]> {
  if (!Number.isFinite(options.rise)) {
    throw new RangeError(`rise must be a finite number, got ${options.rise}`);
  }
  const rows = await warehouse.query<{ patient_id: string; ts: bigint; extreme: number; value: number }>(
    firstChangeSql('SELECT patient_id, ts, total AS value FROM scores', true, options.withinMs),
    [options.rise],
  );
  return rows.map((r) => ({ patientId: r.patient_id, ts: Number(r.ts), from: r.extreme, to: r.value }));
}

/** A patient whose metric changed by at least the asked amount within the window. */
export interface MetricChangeCase {
  /** The patient whose metric changed. */
  readonly patientId: string;
  /** When the change was first reached. */
  readonly ts: number;
  /** The extreme value in the window before it (lowest for a rise, highest for a fall), and the value then. */
  readonly from: number;
  /** The value at `ts`, at least `change` away from `from`. */
  readonly to: number;
}

/**
 * Cohort mining over the `readings` dataset itself: the patients whose `metric` rose by `change` or
 * more (a negative `change`: fell by `-change` or more) within `withinMs` — e.g. respiratory rate up
 * 8 /min in 6 hours, SpO2 down 4 % — each at the first time it happened. Reads the metric's
 * partitions only; readings without a patient are left out. Like {@link news2RiseCohort}: a window
 * function, run only for the patients a per-bucket aggregate does not rule out.
 *
 * @throws {RangeError} for a `change` that is zero or not finite, or a `withinMs` that is not a
 *   positive integer.
 */
export async function metricChangeCohort(
  warehouse: ParquetWarehouse,
  options: { readonly metric: MetricId; readonly change: number; readonly withinMs: number },
): Promise<MetricChangeCase[]> {
  const { metric, change, withinMs } = options;
  if (!Number.isFinite(change) || change === 0) {
    throw new RangeError(`change must be a finite number other than 0, got ${change}`);
  }
  const rows = await warehouse.query<{ patient_id: string; ts: bigint; extreme: number; value: number }>(
    firstChangeSql(
      `SELECT patient_id, ts, value FROM readings WHERE metric = ${sqlString(metric)} AND patient_id IS NOT NULL`,
      change > 0,
      withinMs,
    ),
    [Math.abs(change)],
  );
  return rows.map((r) => ({ patientId: r.patient_id, ts: Number(r.ts), from: r.extreme, to: r.value }));
}
