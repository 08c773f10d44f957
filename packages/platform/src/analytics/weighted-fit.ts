import { exactSum } from './exact.js';

/** One observation of a weighted fit: abscissa, ordinate and (positive) weight. */
export interface WeightedPoint {
  /** The abscissa, e.g. hours since the start of the range. */
  readonly x: number;
  /** The ordinate, e.g. a bucket's mean value. */
  readonly y: number;
  /** The weight, positive, e.g. the readings behind the point. */
  readonly w: number;
}

/** A weighted least-squares line `y = intercept + slope·x`. */
export interface WeightedFit {
  /** Change of the fitted `y` per unit of `x`. */
  readonly slope: number;
  /** The fitted `y` at `x = 0`. */
  readonly intercept: number;
  /** The coefficient of determination `1 − SSres/SStot`, in [0, 1]; 1 when every `y` is equal. */
  readonly r2: number;
  /** Σw, e.g. the readings behind the points. */
  readonly weight: number;
}

/**
 * The weighted least-squares line through `points` (at least two distinct `x`, positive weights).
 *
 * Two passes, centred on the weighted means (so adding a constant to every `y`, or shifting
 * every `x`, leaves the slope unchanged up to rounding), each sum correctly rounded:
 *
 * - x̄ = Σwx / Σw, ȳ = Σwy / Σw
 * - Sxx = Σw(x − x̄)², Sxy = Σw(x − x̄)(y − ȳ), Syy = Σw(y − ȳ)²
 * - slope = Sxy / Sxx, intercept = ȳ − slope·x̄
 * - r² = Sxy² / (Sxx·Syy) (= 1 − SSres/SStot for a least-squares line); a flat series (every
 *   `y` equal) is fitted exactly: slope 0, r² 1.
 *
 * @throws {RangeError} when there are fewer than two distinct `x` or a weight is not positive.
 */
export function weightedLinearFit(points: readonly WeightedPoint[]): WeightedFit {
  for (const p of points) {
    if (!(p.w > 0) || !Number.isFinite(p.w) || !Number.isFinite(p.x) || !Number.isFinite(p.y)) {
      throw new RangeError(`weightedLinearFit: every point needs finite x, y and a positive weight`);
    }
  }
  const weight = exactSum(points.map((p) => p.w));
  const y0 = points[0]?.y;
  const flat = points.every((p) => p.y === y0);
  const xBar = exactSum(points.map((p) => p.w * p.x)) / weight;
  const yBar = exactSum(points.map((p) => p.w * p.y)) / weight;
  const sxx = exactSum(points.map((p) => p.w * (p.x - xBar) ** 2));
  if (!(sxx > 0)) throw new RangeError('weightedLinearFit: needs at least two distinct x');
  // A flat series is fitted exactly: rounding in ȳ must not turn it into noise.
  if (flat) return { slope: 0, intercept: y0 as number, r2: 1, weight };
  const sxy = exactSum(points.map((p) => p.w * (p.x - xBar) * (p.y - yBar)));
  const syy = exactSum(points.map((p) => p.w * (p.y - yBar) ** 2));
  const slope = sxy / sxx;
  const r2 = syy === 0 ? 1 : Math.min(1, (sxy * sxy) / (sxx * syy));
  return { slope, intercept: yBar - slope * xBar, r2, weight };
}
