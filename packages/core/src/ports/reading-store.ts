import type { MetricId } from '../metrics/catalogue.js';
import type { Reading } from '../schemas/reading.js';

/** What an append did. */
export interface AppendResult {
  /** Readings stored for the first time. */
  readonly inserted: number;
  /** Readings already stored with identical content (idempotent re-appends). */
  readonly duplicates: number;
  /** Ids already stored with *different* content: the stored reading was kept, the new one refused. */
  readonly conflicts: readonly string[];
}

/** A range query. Time bounds are epoch milliseconds of measurement, `from` inclusive, `to` exclusive. */
export interface ReadingQuery {
  /** Start of the range, epoch ms of measurement, inclusive. */
  readonly from: number;
  /** End of the range, epoch ms of measurement, exclusive. */
  readonly to: number;
  /** Only readings from this device; any device when undefined. */
  readonly deviceId?: string;
  /** Only readings of this patient; any patient (or none) when undefined. */
  readonly patientId?: string;
  /** Only readings of this metric; every metric when undefined. */
  readonly metric?: MetricId;
  /** At most this many readings (default 10 000). */
  readonly limit?: number;
}

/** Which series {@link ReadingStore.latest} looks at; every field narrows, none means all. */
export interface LatestQuery {
  /** Only series of this patient; any patient (or none) when undefined. */
  readonly patientId?: string;
  /** Only series of this metric; every metric when undefined. */
  readonly metric?: MetricId;
  /** Only series from this device; any device when undefined. */
  readonly deviceId?: string;
}

/**
 * A statistic {@link ReadingStore.aggregate} can compute per bucket: `count`, arithmetic `mean`,
 * `min`, `max`, and percentiles `p50` ... `p99` interpolated linearly between the two nearest
 * ranks (SQL `percentile_cont`: for sorted values v₀ … vₙ₋₁ and fraction p, position p·(n−1)).
 */
export type AggregateStat = 'count' | 'mean' | 'min' | 'max' | 'p50' | 'p90' | 'p95' | 'p99';

/**
 * A time-bucketed aggregate of one metric. Readings with `from <= ts < to` are grouped into
 * buckets of `bucketMs`; a bucket starts at `origin + k·bucketMs` (default origin 0, the epoch, so
 * buckets of a minute or an hour start on the minute or hour, UTC).
 */
export interface AggregateQuery<S extends AggregateStat = AggregateStat> {
  /** Start of the range, epoch ms of measurement, inclusive. */
  readonly from: number;
  /** End of the range, epoch ms of measurement, exclusive. */
  readonly to: number;
  /** Bucket width in ms, a positive safe integer. */
  readonly bucketMs: number;
  /** The metric whose readings are aggregated: one metric per query. */
  readonly metric: MetricId;
  /** Only readings of this patient; any patient (or none) when undefined. */
  readonly patientId?: string;
  /** Only readings from this device; any device when undefined. */
  readonly deviceId?: string;
  /** The statistics to compute (at least one). */
  readonly stats: readonly S[];
  /** Where buckets are aligned, epoch ms (default 0). */
  readonly origin?: number;
}

/** One non-empty bucket of an {@link AggregateQuery}: its start and the statistics asked for. */
export type AggregateRow<S extends AggregateStat = AggregateStat> = {
  /** Bucket start, epoch ms: `origin + k·bucketMs` for some integer k. */
  readonly bucket: number;
} & {
  readonly [K in S]: number;
};

/** One level of downsampling: buckets of `bucketMs`, kept for `keepMs`. */
export interface RollupLevel {
  /** Bucket width, ms: a positive integer, a multiple of the previous level's. */
  readonly bucketMs: number;
  /** How long a bucket is kept, ms (a bucket is deleted once it ends more than `keepMs` ago). */
  readonly keepMs: number;
}

/**
 * How long readings are kept, and the rollups that outlive them. E.g. raw readings 7 days,
 * 1-minute rollups 90 days, hourly rollups 2 years:
 * `{ rawMs: 7 * DAY, rollups: [{ bucketMs: MINUTE, keepMs: 90 * DAY }, { bucketMs: HOUR, keepMs: 730 * DAY }] }`.
 */
export interface RetentionPolicy {
  /** How long raw readings are kept, ms: readings with `ts < now - rawMs` are deleted. */
  readonly rawMs: number;
  /** Rollup levels, finest first (may be empty: then retention only deletes). */
  readonly rollups: readonly RollupLevel[];
}

/** Options of {@link ReadingStore.applyRetention}. */
export interface RetentionOptions {
  /** The time the policy is applied at, epoch ms (default `Date.now()`). */
  readonly now?: number;
  /**
   * How late a reading may arrive and still be rolled up, ms (default 3 600 000): each run
   * recomputes the buckets that ended within `lateMs` before the previous run's end.
   */
  readonly lateMs?: number;
}

/** What one {@link ReadingStore.applyRetention} did. */
export interface RetentionResult {
  /** Raw readings deleted. */
  readonly rawDeleted: number;
  /** Per level, finest first: rollup rows (re)written and expired rows deleted. */
  readonly rollups: readonly {
    readonly bucketMs: number;
    readonly written: number;
    readonly deleted: number;
  }[];
}

/** A query of materialised rollups of one level; bounds apply to the bucket start. */
export interface RollupQuery {
  /** The level, by its bucket width. */
  readonly bucketMs: number;
  /** Earliest bucket start returned, epoch ms, inclusive. */
  readonly from: number;
  /** Bucket starts before this, epoch ms, exclusive. */
  readonly to: number;
  /** Only rollups of this metric; every metric when undefined. */
  readonly metric?: MetricId;
  /** Only rollups of this patient; any patient (or none) when undefined. */
  readonly patientId?: string;
  /** Only rollups from this device; any device when undefined. */
  readonly deviceId?: string;
}

/** One rollup row: the readings of one series (device, patient, metric, unit) in one bucket. */
export interface RollupRow {
  /** Bucket start, epoch ms. */
  readonly bucket: number;
  /** Bucket width of the row's level, ms. */
  readonly bucketMs: number;
  /** The device that took the readings. */
  readonly deviceId: string;
  /** Absent for readings without a patient. */
  readonly patientId?: string;
  /** The metric of the readings, a {@link MetricId}. */
  readonly metric: string;
  /** The UCUM unit the readings were stored in; `sum`, `min` and `max` are in it. */
  readonly unit: string;
  /** How many readings fell in the bucket (at least 1). */
  readonly count: number;
  /** Sum of their values. */
  readonly sum: number;
  /** Smallest of their values. */
  readonly min: number;
  /** Largest of their values. */
  readonly max: number;
  /** `sum / count`. */
  readonly mean: number;
}

/**
 * Long-term storage of readings.
 *
 * Implementations: PGlite (`@healthit/platform/pglite`, embedded), PostgreSQL
 * (`@healthit/platform/postgres`). Every implementation passes `describeReadingStoreConformance`
 * from `@healthit/core/testing`.
 */
export interface ReadingStore {
  /**
   * Stores readings idempotently: a reading whose id is already stored is not stored again.
   * Atomic per call: either the whole batch is applied or none of it.
   * @throws {ValidationError} when a reading does not match the schema (nothing is stored);
   * @throws {HealthItError} `store/unavailable` (retryable) when the store cannot be reached.
   */
  append(readings: readonly Reading[]): Promise<AppendResult>;
  /** Readings matching the query, ordered by `ts`, then `deviceId`, then `seq`. */
  query(query: ReadingQuery): Promise<Reading[]>;
  /**
   * The newest reading of each (patient, metric) among the readings matching `query`; readings
   * without a patient are keyed by (device, metric) instead. "Newest" is the last in `query`
   * order (greatest `ts`, then `deviceId`, then `seq`). Ordered by patient then metric, the
   * readings without a patient last by device then metric, in code-point order.
   * @throws {ValidationError} when the query is malformed.
   */
  latest(query?: LatestQuery): Promise<Reading[]>;
  /**
   * Time-bucketed statistics of one metric: one row per non-empty bucket, ordered by bucket.
   * The values are aggregated as stored (a metric's readings are expected in one unit, as the
   * gateway's unit normalisation leaves them).
   * @throws {ValidationError} when the query is malformed (e.g. `bucketMs` ≤ 0, an unknown stat).
   */
  aggregate<S extends AggregateStat>(query: AggregateQuery<S>): Promise<AggregateRow<S>[]>;
  /** How many readings are stored. */
  count(): Promise<number>;
  /**
   * Maintenance (optional: a store whose database expires data itself may leave it out).
   * Materialises the rollups of `policy` (each level from the one below: raw → finest → …),
   * idempotently, then deletes expired raw readings and rollups. Running it again with the same
   * `now` changes nothing. Run it periodically (e.g. every few minutes).
   * @throws {RangeError} when the policy is inconsistent (levels not increasing multiples, a
   * level or raw kept shorter than the next level's bucket).
   */
  applyRetention?(policy: RetentionPolicy, options?: RetentionOptions): Promise<RetentionResult>;
  /**
   * Materialised rollups of one level (present when `applyRetention` is), ordered by bucket,
   * device, patient, metric.
   */
  rollups?(query: RollupQuery): Promise<RollupRow[]>;
  /** Releases the store's resources (a caller-owned client is left open). Idempotent. */
  close(): Promise<void>;
}
