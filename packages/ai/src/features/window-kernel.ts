import type { WindowStatistic } from './window-spec.js';

const HOUR_MS = 3_600_000;

/**
 * The first index in `ts[0..length)` (sorted ascending) whose time is greater than `t`.
 * @internal
 */
export function upperBound(ts: Float64Array, length: number, t: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ts[mid] as number) <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Writes the `statistics` of the readings `lo..hi` (exclusive) of one signal, a window ending at
 * `endTs`, into `out` from `offset`. The one kernel behind every feature the package computes —
 * batch, sliding and streaming — so training and inference cannot disagree. See
 * `WINDOW_STATISTICS` for the definitions; undefined statistics are `NaN`.
 * @internal
 */
export function summariseWindow(
  ts: Float64Array,
  value: Float64Array,
  lo: number,
  hi: number,
  endTs: number,
  statistics: readonly WindowStatistic[],
  out: Float32Array,
  offset: number,
): void {
  const n = hi - lo;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sumT = 0;
  for (let i = lo; i < hi; i++) {
    const v = value[i] as number;
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
    sumT += ((ts[i] as number) - endTs) / HOUR_MS;
  }
  const mean = n > 0 ? sum / n : Number.NaN;
  const meanT = n > 0 ? sumT / n : Number.NaN;
  let ssv = 0;
  let sst = 0;
  let stv = 0;
  for (let i = lo; i < hi; i++) {
    const dv = (value[i] as number) - mean;
    const dt = ((ts[i] as number) - endTs) / HOUR_MS - meanT;
    ssv += dv * dv;
    sst += dt * dt;
    stv += dt * dv;
  }
  const last = n > 0 ? (value[hi - 1] as number) : Number.NaN;
  let flatRun = 0;
  for (let i = hi - 1; i >= lo && value[i] === last; i--) flatRun++;

  for (let k = 0; k < statistics.length; k++) {
    let x: number;
    switch (statistics[k] as WindowStatistic) {
      case 'last':
        x = last;
        break;
      case 'mean':
        x = mean;
        break;
      case 'min':
        x = n > 0 ? min : Number.NaN;
        break;
      case 'max':
        x = n > 0 ? max : Number.NaN;
        break;
      case 'sd':
        x = n >= 2 ? Math.sqrt(ssv / (n - 1)) : Number.NaN;
        break;
      case 'slope':
        x = n >= 2 && sst > 0 ? stv / sst : Number.NaN;
        break;
      case 'lastStep':
        x = n >= 2 ? last - (value[hi - 2] as number) : Number.NaN;
        break;
      case 'lastDeviation':
        x = n >= 2 ? last - (sum - last) / (n - 1) : Number.NaN;
        break;
      case 'flatRun':
        x = flatRun;
        break;
      case 'count':
        x = n;
        break;
      case 'missing':
        x = n === 0 ? 1 : 0;
        break;
      case 'age':
        x = n > 0 ? (endTs - (ts[hi - 1] as number)) / 1000 : Number.NaN;
        break;
    }
    out[offset + k] = x;
  }
}
