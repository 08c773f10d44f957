import type { MetricId } from '@healthit/core';
import type { ParquetWarehouse } from './parquet-warehouse.js';

/** One bucket of {@link bucketedAggregate}. */
export interface WarehouseBucket {
  readonly bucketStart: number;
  readonly count: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
}

/**
 * Time-bucketed statistics of one metric over the warehouse (e.g. hourly over months), optionally for
 * one patient: DuckDB reads only the matching `metric=` partitions and row groups.
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
  const rows = await warehouse.query<{
    b: bigint;
    n: bigint;
    mean: number;
    min: number;
    max: number;
    p50: number;
  }>(
    `SELECT (ts // $1) * $1 AS b, count(*) AS n, avg(value) AS mean, min(value) AS min, max(value) AS max,
            quantile_cont(value, 0.5) AS p50
       FROM readings
      WHERE metric = $2 AND ts >= $3 AND ts < $4 ${query.patientId === undefined ? '' : 'AND patient_id = $5'}
      GROUP BY b ORDER BY b`,
    [
      BigInt(query.bucketMs),
      query.metric,
      BigInt(query.from),
      BigInt(query.to),
      ...(query.patientId === undefined ? [] : [query.patientId]),
    ],
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
  readonly patientId: string;
  /** When the score first reached the rise. */
  readonly ts: number;
  /** The lowest score in the window before it, and the score then. */
  readonly from: number;
  readonly to: number;
}

/**
 * Cohort mining: the patients whose NEWS2 total rose by `rise` points or more within `withinMs`
 * (e.g. ≥ 3 points in 6 hours), each at the first time it happened — one window function over the
 * `scores` dataset.
 */
export async function news2RiseCohort(
  warehouse: ParquetWarehouse,
  options: { readonly rise: number; readonly withinMs: number },
): Promise<News2RiseCase[]> {
  const rows = await warehouse.query<{ patient_id: string; ts: bigint; low: number; total: number }>(
    `WITH w AS (
       SELECT patient_id, ts, total,
              min(total) OVER (PARTITION BY patient_id ORDER BY ts RANGE BETWEEN $1 PRECEDING AND CURRENT ROW) AS low
         FROM scores)
     SELECT patient_id, arg_min(ts, ts) AS ts, arg_min(low, ts) AS low, arg_min(total, ts) AS total
       FROM w WHERE total - low >= $2
      GROUP BY patient_id ORDER BY patient_id`,
    [BigInt(options.withinMs), options.rise],
  );
  return rows.map((r) => ({ patientId: r.patient_id, ts: Number(r.ts), from: r.low, to: r.total }));
}
