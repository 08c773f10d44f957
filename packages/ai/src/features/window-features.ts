import { type PatientSeries, type ReadingLike, seriesFromReadings } from './signal-series.js';
import { summariseWindow, upperBound } from './window-kernel.js';
import type { WindowFeatureSpec, WindowSignal } from './window-spec.js';

function assertTime(endTs: number, what: string): void {
  if (typeof endTs !== 'number' || !Number.isFinite(endTs)) {
    throw new RangeError(`${what} must be a finite epoch-ms time, got ${String(endTs)}`);
  }
}

function assertOut(out: Float32Array, offset: number, width: number, what: string): void {
  if (!(out instanceof Float32Array)) throw new TypeError(`${what}: out must be a Float32Array`);
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + width > out.length) {
    throw new RangeError(`${what}: ${width} columns from offset ${offset} do not fit in out (${out.length})`);
  }
}

/**
 * One patient's feature row for the window of `spec` ending at `endTs` (readings with
 * `endTs − spec.windowMs < ts ≤ endTs`), in `spec.columns` order, float32 as the models take it.
 * Undefined statistics are `NaN` and a signal without readings has `missing` = 1: nothing is
 * imputed here.
 *
 * @throws {RangeError} for a non-finite `endTs` or an `out`/`offset` the row does not fit in.
 * @example
 * ```ts
 * const { series } = seriesFromReadings(readings);
 * const row = windowFeatures(series.get('patient-001')!, Date.now(), DETERIORATION_FEATURES);
 * ```
 */
export function windowFeatures(
  series: PatientSeries,
  endTs: number,
  spec: WindowFeatureSpec,
  out: Float32Array = new Float32Array(spec.columns.length),
  offset = 0,
): Float32Array {
  assertTime(endTs, 'windowFeatures: endTs');
  const width = spec.statistics.length;
  assertOut(out, offset, spec.columns.length, 'windowFeatures');
  const from = endTs - spec.windowMs;
  spec.signals.forEach((signal, s) => {
    const { ts, value } = series.signals[signal];
    const hi = upperBound(ts, ts.length, endTs);
    const lo = upperBound(ts, hi, from);
    summariseWindow(ts, value, lo, hi, endTs, spec.statistics, out, offset + s * width);
  });
  return out;
}

/**
 * The feature row of `patientId` for the window ending at `endTs`, straight from readings in any
 * order (other patients' readings, other metrics, `bad` ones and duplicates are left out). The same
 * readings in any order give the same row.
 *
 * @throws {RangeError} for a non-finite `endTs`.
 * @example
 * ```ts
 * const row = extractWindowFeatures(readings, { patientId: 'p-1', endTs }, DETERIORATION_FEATURES);
 * ```
 */
export function extractWindowFeatures(
  readings: Iterable<ReadingLike>,
  at: { readonly patientId: string; readonly endTs: number },
  spec: WindowFeatureSpec,
): Float32Array {
  assertTime(at.endTs, 'extractWindowFeatures: endTs');
  const mine: ReadingLike[] = [];
  for (const r of readings) if (r.patientId === at.patientId) mine.push(r);
  const series = seriesFromReadings(mine).series.get(at.patientId) ?? emptySeries(at.patientId);
  return windowFeatures(series, at.endTs, spec);
}

const EMPTY = new Float64Array(0);

/** A patient with no readings at all. */
export function emptySeries(patientId: string): PatientSeries {
  const signal = { ts: EMPTY, value: EMPTY };
  return {
    patientId,
    signals: {
      'heart-rate': signal,
      'respiratory-rate': signal,
      spo2: signal,
      'body-temperature': signal,
      'bp-systolic': signal,
      'bp-diastolic': signal,
    } satisfies Record<WindowSignal, typeof signal>,
  };
}

/**
 * Feature rows of one patient for many windows, ending at `endTimes` (ascending), written row after
 * row into `out` from row `firstRow`: the sliding form of {@link windowFeatures} (same kernel, same
 * values), linear in the readings and windows.
 *
 * @throws {RangeError} when `endTimes` is not ascending or finite, or the rows do not fit in `out`.
 */
export function windowFeatureRows(
  series: PatientSeries,
  endTimes: ArrayLike<number>,
  spec: WindowFeatureSpec,
  out: Float32Array,
  firstRow = 0,
): void {
  const columns = spec.columns.length;
  const width = spec.statistics.length;
  const rows = endTimes.length;
  assertOut(out, firstRow * columns, rows * columns, 'windowFeatureRows');
  for (let r = 0; r < rows; r++) {
    const t = endTimes[r] as number;
    assertTime(t, `windowFeatureRows: endTimes[${r}]`);
    if (r > 0 && t < (endTimes[r - 1] as number)) {
      throw new RangeError(`windowFeatureRows: endTimes must be ascending (index ${r})`);
    }
  }
  spec.signals.forEach((signal, s) => {
    const { ts, value } = series.signals[signal];
    let lo = 0;
    let hi = 0;
    for (let r = 0; r < rows; r++) {
      const endTs = endTimes[r] as number;
      const from = endTs - spec.windowMs;
      while (hi < ts.length && (ts[hi] as number) <= endTs) hi++;
      while (lo < hi && (ts[lo] as number) <= from) lo++;
      summariseWindow(ts, value, lo, hi, endTs, spec.statistics, out, (firstRow + r) * columns + s * width);
    }
  });
}
