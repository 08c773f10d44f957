/**
 * Exact arithmetic helpers: a correctly rounded sum and the percentile of the reading store port.
 */

/**
 * The sum of `values` correctly rounded to the nearest double (Shewchuk's algorithm, as Python's
 * `math.fsum`): no error accumulates, whatever the order or the magnitudes. Falls back to the
 * plain sum when a value is not finite (the result is then ±Infinity or NaN anyway).
 */
export function exactSum(values: Iterable<number>): number {
  const partials: number[] = [];
  let plain = 0;
  let finite = true;
  for (const value of values) {
    plain += value;
    if (!Number.isFinite(value)) finite = false;
    let x = value;
    let i = 0;
    for (let j = 0; j < partials.length; j++) {
      let y = partials[j] as number;
      if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
      const hi = x + y;
      const lo = y - (hi - x);
      if (lo !== 0) partials[i++] = lo;
      x = hi;
    }
    partials.length = i;
    partials.push(x);
  }
  if (!finite) return plain;
  let n = partials.length;
  if (n === 0) return 0;
  n -= 1;
  let hi = partials[n] as number;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    n -= 1;
    const y = partials[n] as number;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round half to even across the remaining partials (the last bit of `hi` may be a tie).
  if (n > 0) {
    const next = partials[n - 1] as number;
    if ((lo < 0 && next < 0) || (lo > 0 && next > 0)) {
      const y = lo * 2;
      const x = hi + y;
      if (y === x - hi) hi = x;
    }
  }
  return hi;
}

/**
 * The percentile `p` (0 ≤ p ≤ 1) of ascending `sorted` values exactly as the port's `aggregate`
 * (SQL `percentile_cont`): position `p·(n−1)`, linear interpolation `lo + (hi − lo)·frac` between
 * the two nearest ranks. `sorted` must be non-empty.
 */
export function percentileCont(sorted: readonly number[], p: number): number {
  const position = p * (sorted.length - 1);
  const i = Math.floor(position);
  const lo = sorted[i] as number;
  const frac = position - i;
  if (frac === 0) return lo;
  const hi = sorted[i + 1] as number;
  return lo + (hi - lo) * frac;
}

/** Count, mean, min, max and median of some values. */
export interface ValueSummary {
  /** How many values were summarised (at least 1). */
  readonly n: number;
  /** The correctly rounded sum divided by `n`. */
  readonly mean: number;
  /** The smallest value. */
  readonly min: number;
  /** The largest value. */
  readonly max: number;
  /** The median, interpolated as {@link percentileCont}. */
  readonly p50: number;
}

/** {@link ValueSummary} of `values` (non-empty), exact up to the final rounding of each statistic. */
export function summariseValues(values: readonly number[]): ValueSummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    mean: exactSum(sorted) / sorted.length,
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    p50: percentileCont(sorted, 0.5),
  };
}
