/** The largest `window` the artefact operators accept (memory per series is O(window)). */
export const MAX_ARTEFACT_WINDOW = 255;

/**
 * The last `capacity` values of a series, kept both in arrival order (a ring) and sorted, so the
 * median and the median absolute deviation cost O(capacity) per value. When full, pushing a value
 * evicts the oldest one.
 */
export class RollingWindow {
  readonly #ring: number[] = [];
  readonly #sorted: number[] = [];
  #next = 0;

  constructor(readonly capacity: number) {}

  /** Number of values held (at most `capacity`). */
  get size(): number {
    return this.#ring.length;
  }

  /** The values held, ascending. Do not mutate. */
  get sorted(): readonly number[] {
    return this.#sorted;
  }

  /** Adds `value`, evicting the oldest value when the window is full. */
  push(value: number): void {
    if (this.#ring.length < this.capacity) {
      this.#ring.push(value);
    } else {
      const oldest = this.#ring[this.#next] as number;
      this.#ring[this.#next] = value;
      this.#next = (this.#next + 1) % this.capacity;
      this.#sorted.splice(lowerBound(this.#sorted, oldest), 1);
    }
    this.#sorted.splice(lowerBound(this.#sorted, value), 0, value);
  }

  /** The median of the values held; `undefined` when empty. */
  median(): number | undefined {
    return median(this.#sorted);
  }
}

/** Index of the first element of ascending `sorted` that is `>= value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The median of ascending `sorted` (the mean of the two middle values for an even count, computed
 * without overflow); `undefined` when empty.
 */
export function median(sorted: readonly number[]): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  const hi = sorted[n >>> 1] as number;
  if (n % 2 === 1) return hi;
  const lo = sorted[(n >>> 1) - 1] as number;
  return lo / 2 + hi / 2;
}

/**
 * The median absolute deviation of ascending `sorted` around `center` (normally its median):
 * `median(|xᵢ − center|)`, in O(n) by merging the deviations of the two sides, which are already
 * ordered. `undefined` when empty.
 */
export function medianAbsoluteDeviation(sorted: readonly number[], center: number): number | undefined {
  const n = sorted.length;
  if (n === 0) return undefined;
  // Left of the split the deviations grow leftwards, right of it they grow rightwards.
  let right = lowerBound(sorted, center);
  let left = right - 1;
  const deviations: number[] = [];
  while (deviations.length < n) {
    const dl = left >= 0 ? center - (sorted[left] as number) : Number.POSITIVE_INFINITY;
    const dr = right < n ? (sorted[right] as number) - center : Number.POSITIVE_INFINITY;
    if (left >= 0 && (right >= n || dl <= dr)) {
      deviations.push(dl);
      left--;
    } else {
      deviations.push(dr);
      right++;
    }
  }
  return median(deviations);
}
