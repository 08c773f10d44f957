/**
 * Reference histograms and the population stability index (PSI): how far a live distribution has
 * moved from the one a model was trained on. Plain TypeScript, browser-safe.
 * @module
 */

/** The most bin edges a histogram has (so at most 64 value bins and the missing bin). */
export const MAX_HISTOGRAM_EDGES = 63;

/**
 * The floor applied to both proportions in {@link populationStabilityIndex}, so an empty bin counts
 * as a small share instead of making the index infinite.
 */
export const PSI_EPSILON = 1e-4;

/**
 * A reference distribution: ascending, distinct bin `edges` and the share of the reference values
 * in each bin. A value `v` falls in bin `k` = the number of edges `<= v` (so bin 0 is below the
 * first edge, bin `edges.length` at or above the last); `NaN` (undefined) falls in the last bin,
 * `edges.length + 1`. `expected` has `edges.length + 2` shares summing to 1.
 */
export interface Histogram {
  /** Bin edges, ascending and distinct, in the variable's unit; at most {@link MAX_HISTOGRAM_EDGES}. */
  readonly edges: readonly number[];
  /** Share of the reference values in each bin, in [0, 1]: `edges.length + 1` value bins, then the missing bin; sums to 1. */
  readonly expected: readonly number[];
}

/** The number of bins of a histogram with these edges, the missing bin included. */
export function binCount(edges: readonly number[]): number {
  return edges.length + 2;
}

/** The bin of `value` (see {@link Histogram}): `NaN` → the missing bin. */
export function binOf(edges: readonly number[], value: number): number {
  if (Number.isNaN(value)) return edges.length + 1;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The histogram of `values` (`NaN` = missing) with quantile edges: the `k/bins` quantiles of the
 * defined values, `k = 1 … bins − 1`, duplicates removed (a value shared by many, such as an integer
 * SpO2 of 98 %, gets a bin of its own rather than several empty ones). The shares are counted, not
 * assumed, so ties are exact. With no defined value there are no edges and everything is missing.
 *
 * @throws {RangeError} when `bins` is not an integer in 2…64, or a value is ±Infinity.
 */
export function quantileHistogram(values: ArrayLike<number>, bins = 10): Histogram {
  if (!Number.isSafeInteger(bins) || bins < 2 || bins > MAX_HISTOGRAM_EDGES + 1) {
    throw new RangeError(
      `quantileHistogram: bins must be an integer in 2…${MAX_HISTOGRAM_EDGES + 1}, got ${bins}`,
    );
  }
  const defined: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) continue;
    if (!Number.isFinite(v))
      throw new RangeError(`quantileHistogram: value ${i} is ${v}; use NaN for missing`);
    defined.push(v);
  }
  const sorted = Float64Array.from(defined).sort();
  const edges: number[] = [];
  if (sorted.length > 0) {
    for (let k = 1; k < bins; k++) {
      const q = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bins))] as number;
      // An edge at the minimum would leave bin 0 empty for ever: skip it.
      if (q > (sorted[0] as number) && (edges.length === 0 || q > (edges[edges.length - 1] as number))) {
        edges.push(q);
      }
    }
  }
  return { edges, expected: shares(edges, values) };
}

/** The share of `values` in each bin of `edges`. */
export function shares(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(binCount(edges)).fill(0);
  for (let i = 0; i < values.length; i++) {
    const b = binOf(edges, values[i] as number);
    counts[b] = (counts[b] as number) + 1;
  }
  const n = values.length;
  return counts.map((c) => (n === 0 ? 0 : c / n));
}

/**
 * The population stability index of `actual` counts against `expected` shares:
 * `Σ (a − e) · ln(a / e)` over the bins, with `a` the actual share, both floored at
 * {@link PSI_EPSILON}. 0 for identical distributions; by the usual rule of thumb below 0.1 is
 * stable, 0.1–0.25 a moderate shift, above 0.25 a significant one.
 *
 * @throws {RangeError} when the arrays differ in length or `total` is not positive.
 */
export function populationStabilityIndex(
  expected: ArrayLike<number>,
  actualCounts: ArrayLike<number>,
  total: number,
): number {
  if (expected.length !== actualCounts.length) {
    throw new RangeError(
      `populationStabilityIndex: ${expected.length} expected shares but ${actualCounts.length} actual bins`,
    );
  }
  if (!(total > 0)) throw new RangeError(`populationStabilityIndex: total must be > 0, got ${total}`);
  let index = 0;
  for (let b = 0; b < expected.length; b++) {
    const e = Math.max(expected[b] as number, PSI_EPSILON);
    const a = Math.max((actualCounts[b] as number) / total, PSI_EPSILON);
    index += (a - e) * Math.log(a / e);
  }
  return index;
}

/**
 * The last `capacity` observations of several variables, binned against their reference
 * histograms, with per-bin counts kept up to date as observations enter and leave: the PSI of
 * every variable costs O(bins), whatever the window. Bounded: the oldest observation leaves when a
 * new one arrives in a full window (a sliding window, by design).
 */
export class DriftWindow {
  private readonly bins: Uint8Array;
  private readonly counts: Uint32Array[];
  private readonly ts: Float64Array;
  private head = 0;
  private filled = 0;

  /**
   * @param histograms - The reference histogram of each variable, in the order of the values pushed.
   * @param capacity - Observations kept at most: the window's length.
   * @throws {RangeError} when `capacity` is not an integer >= 1 or a histogram has more than
   *   {@link MAX_HISTOGRAM_EDGES} edges.
   */
  constructor(
    readonly histograms: readonly Histogram[],
    readonly capacity: number,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`DriftWindow: capacity must be an integer >= 1, got ${capacity}`);
    }
    for (const h of histograms) {
      if (h.edges.length > MAX_HISTOGRAM_EDGES) {
        throw new RangeError(`DriftWindow: at most ${MAX_HISTOGRAM_EDGES} edges per histogram`);
      }
    }
    this.bins = new Uint8Array(capacity * histograms.length);
    this.counts = histograms.map((h) => new Uint32Array(binCount(h.edges)));
    this.ts = new Float64Array(capacity);
  }

  /** Observations in the window. */
  get size(): number {
    return this.filled;
  }

  /** The time of the oldest observation in the window (NaN when empty). */
  get oldestTs(): number {
    if (this.filled === 0) return Number.NaN;
    const oldest = (this.head - this.filled + this.capacity) % this.capacity;
    return this.ts[oldest] as number;
  }

  /** Adds one observation (one value per variable, `NaN` = missing), evicting the oldest when full. */
  push(values: ArrayLike<number>, ts: number): void {
    const width = this.histograms.length;
    const slot = this.head;
    const base = slot * width;
    if (this.filled === this.capacity) {
      for (let f = 0; f < width; f++) {
        const c = this.counts[f] as Uint32Array;
        const b = this.bins[base + f] as number;
        c[b] = (c[b] as number) - 1;
      }
    } else {
      this.filled++;
    }
    for (let f = 0; f < width; f++) {
      const b = binOf((this.histograms[f] as Histogram).edges, values[f] as number);
      this.bins[base + f] = b;
      const c = this.counts[f] as Uint32Array;
      c[b] = (c[b] as number) + 1;
    }
    this.ts[slot] = ts;
    this.head = (slot + 1) % this.capacity;
  }

  /** The PSI of variable `f` over the window (NaN when empty). */
  psi(f: number): number {
    if (this.filled === 0) return Number.NaN;
    const h = this.histograms[f];
    if (h === undefined) throw new RangeError(`DriftWindow: no variable ${f}`);
    return populationStabilityIndex(h.expected, this.counts[f] as Uint32Array, this.filled);
  }

  /** The current counts of variable `f`, per bin (a copy). */
  countsOf(f: number): number[] {
    return Array.from(this.counts[f] ?? []);
  }

  /** Empties the window. */
  clear(): void {
    this.head = 0;
    this.filled = 0;
    for (const c of this.counts) c.fill(0);
  }
}
