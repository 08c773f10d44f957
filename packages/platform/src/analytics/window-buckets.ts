/**
 * The summary of the readings of one fine bucket: enough to combine buckets exactly into the
 * count, mean, min, max and variance of their union.
 */
export interface BucketSummary {
  /** Bucket start, epoch ms. */
  readonly start: number;
  count: number;
  sum: number;
  /** Running mean (Welford), for `m2`. */
  mean: number;
  /** Σ(x − mean)² over the bucket (Welford's update). */
  m2: number;
  min: number;
  max: number;
}

/** A new bucket holding one value. */
export function bucketOf(start: number, value: number): BucketSummary {
  return { start, count: 1, sum: value, mean: value, m2: 0, min: value, max: value };
}

/** Adds one value to a bucket (Welford's online update). */
export function addToBucket(b: BucketSummary, value: number): void {
  b.count += 1;
  b.sum += value;
  const delta = value - b.mean;
  b.mean += delta / b.count;
  b.m2 += delta * (value - b.mean);
  if (value < b.min) b.min = value;
  if (value > b.max) b.max = value;
}

/** Count, mean, min, max and sample standard deviation of a union of buckets. */
export interface WindowStats {
  /** Readings in the window (0 for an empty one). */
  readonly count: number;
  /** Mean of the readings; absent when `count` is 0. */
  readonly mean?: number;
  /** Smallest reading; absent when `count` is 0. */
  readonly min?: number;
  /** Largest reading; absent when `count` is 0. */
  readonly max?: number;
  /** Sample standard deviation (n − 1), present from two readings on. */
  readonly stddev?: number;
}

/**
 * Combines `buckets[first…]` into the statistics of all their readings, by the exact decomposition of the
 * sum of squares (law of total variance): with N = Σnᵦ, mean = Σsumᵦ / N,
 * M2 = Σ(M2ᵦ + nᵦ·(meanᵦ − mean)²), every term non-negative (no cancellation), and
 * stddev = √(M2 / (N − 1)).
 */
export function combineBuckets(buckets: readonly BucketSummary[], first = 0): WindowStats {
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = first; i < buckets.length; i++) {
    const b = buckets[i] as BucketSummary;
    count += b.count;
    sum += b.sum;
    if (b.min < min) min = b.min;
    if (b.max > max) max = b.max;
  }
  if (count === 0) return { count: 0 };
  const mean = sum / count;
  if (count < 2) return { count, mean, min, max };
  let m2 = 0;
  for (let i = first; i < buckets.length; i++) {
    const b = buckets[i] as BucketSummary;
    m2 += b.m2 + b.count * (b.sum / b.count - mean) ** 2;
  }
  return { count, mean, min, max, stddev: Math.sqrt(m2 / (count - 1)) };
}
