import { acceptReading, compareEntries, type ReadingLike, type ReadingRejection } from './signal-series.js';
import { summariseWindow, upperBound } from './window-kernel.js';
import { WINDOW_SIGNALS, type WindowFeatureSpec, type WindowSignal } from './window-spec.js';

/** What {@link FeatureWindows.push} did with a reading. */
export type PushOutcome =
  | 'accepted'
  /** The same reading (time, value and id) is already held. */
  | 'duplicate'
  /**
   * Older than the window of a feature row already computed for the patient (too late to count), or
   * older than every reading of a full buffer.
   */
  | 'late'
  | ReadingRejection;

/** Options of {@link createFeatureWindows}. */
export interface FeatureWindowsOptions {
  /**
   * Patients tracked at most (default 10 000). When a new patient would exceed it, the one updated
   * least recently is forgotten and reported to `onEvict`.
   */
  readonly maxPatients?: number;
  /**
   * Readings held per patient and signal at most (default 4 096, e.g. more than an hour at one
   * reading a second). When full, the oldest reading is dropped.
   */
  readonly maxReadingsPerSignal?: number;
  /** Called with each patient forgotten to respect `maxPatients`. */
  readonly onEvict?: (patientId: string) => void;
}

/**
 * Per-patient sliding windows over a stream of readings, for feature rows at the edge or in the
 * platform: the same kernel as `windowFeatures`, so a row computed here equals the row computed in
 * batch from the same readings. Bounded: see {@link FeatureWindowsOptions}.
 */
export interface FeatureWindows {
  /** The feature spec the rows follow: window length, signals, statistics and column order. */
  readonly spec: WindowFeatureSpec;
  /** Patients currently tracked. */
  readonly size: number;
  /** Adds a reading (in any order); returns what happened to it. Never throws for bad data. */
  push(reading: ReadingLike): PushOutcome;
  /**
   * The patient's feature row for the window ending at `endTs` (all missing for an unknown
   * patient). Readings that have left the window are released; ask in non-decreasing `endTs` per
   * patient (a reading older than the latest window asked for is `late`).
   *
   * @throws {RangeError} for a non-finite `endTs` or an `out`/`offset` the row does not fit in.
   */
  features(patientId: string, endTs: number, out?: Float32Array, offset?: number): Float32Array;
}

class SortedBuffer {
  ts: Float64Array;
  value: Float64Array;
  hash: Float64Array;
  length = 0;

  constructor(
    capacity: number,
    private readonly max: number,
  ) {
    this.ts = new Float64Array(capacity);
    this.value = new Float64Array(capacity);
    this.hash = new Float64Array(capacity);
  }

  /** Inserts in order; `false` for a duplicate, `'dropped'` when too old for a full buffer. */
  insert(t: number, v: number, h: number): boolean | 'dropped' {
    let i = this.length;
    while (i > 0) {
      const c = compareEntries(
        this.ts[i - 1] as number,
        this.value[i - 1] as number,
        this.hash[i - 1] as number,
        t,
        v,
        h,
      );
      if (c < 0) break;
      if (c === 0 && h !== 0) return false;
      i--;
    }
    if (this.length === this.ts.length) {
      if (this.length < this.max) {
        const size = Math.min(this.max, this.length * 2);
        for (const key of ['ts', 'value', 'hash'] as const) {
          const grown = new Float64Array(size);
          grown.set(this[key]);
          this[key] = grown;
        }
      } else {
        if (i === 0) return 'dropped'; // older than everything held in a full buffer
        this.dropFront(1);
        i--;
      }
    }
    for (const key of ['ts', 'value', 'hash'] as const) this[key].copyWithin(i + 1, i, this.length);
    this.ts[i] = t;
    this.value[i] = v;
    this.hash[i] = h;
    this.length++;
    return true;
  }

  /** Drops entries with `ts <= t`. */
  release(t: number): void {
    const k = upperBound(this.ts, this.length, t);
    if (k > 0) this.dropFront(k);
  }

  private dropFront(k: number): void {
    for (const key of ['ts', 'value', 'hash'] as const) this[key].copyWithin(0, k, this.length);
    this.length -= k;
  }
}

interface PatientWindows {
  readonly buffers: Record<WindowSignal, SortedBuffer>;
  /** Readings at or before this time are late (the start of the latest window asked for). */
  horizon: number;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`createFeatureWindows: ${what} must be an integer >= 1, got ${value}`);
  }
  return value;
}

/**
 * Creates per-patient sliding windows for `spec` (see {@link FeatureWindows}).
 *
 * @throws {RangeError} when `maxPatients` or `maxReadingsPerSignal` is not an integer >= 1.
 * @example
 * ```ts
 * const windows = createFeatureWindows(DETERIORATION_FEATURES);
 * readings$.subscribe((r) => windows.push(r));
 * const row = windows.features('patient-001', Date.now()); // Float32Array, NaN where undefined
 * ```
 */
export function createFeatureWindows(
  spec: WindowFeatureSpec,
  options: FeatureWindowsOptions = {},
): FeatureWindows {
  const maxPatients = positiveInteger(options.maxPatients ?? 10_000, 'maxPatients');
  const maxReadings = positiveInteger(options.maxReadingsPerSignal ?? 4_096, 'maxReadingsPerSignal');
  const patients = new Map<string, PatientWindows>();
  const width = spec.statistics.length;
  const columns = spec.columns.length;

  function patient(patientId: string): PatientWindows {
    let p = patients.get(patientId);
    if (p !== undefined) {
      patients.delete(patientId); // re-inserted last: the map's order is least recently updated first
      patients.set(patientId, p);
      return p;
    }
    if (patients.size >= maxPatients) {
      const oldest = patients.keys().next().value as string;
      patients.delete(oldest);
      options.onEvict?.(oldest);
    }
    p = {
      buffers: Object.fromEntries(
        WINDOW_SIGNALS.map((s) => [s, new SortedBuffer(Math.min(16, maxReadings), maxReadings)]),
      ) as Record<WindowSignal, SortedBuffer>,
      horizon: Number.NEGATIVE_INFINITY,
    };
    patients.set(patientId, p);
    return p;
  }

  return {
    spec,
    get size() {
      return patients.size;
    },
    push(reading) {
      const accepted = acceptReading(reading);
      if (typeof accepted === 'string') return accepted;
      const existing = patients.get(reading.patientId as string);
      if (existing !== undefined && reading.ts <= existing.horizon) return 'late';
      const p = patient(reading.patientId as string);
      const inserted = p.buffers[accepted.signal].insert(reading.ts, accepted.value, accepted.idHash);
      return inserted === 'dropped' ? 'late' : inserted ? 'accepted' : 'duplicate';
    },
    features(patientId, endTs, out = new Float32Array(columns), offset = 0) {
      if (typeof endTs !== 'number' || !Number.isFinite(endTs)) {
        throw new RangeError(`features: endTs must be a finite epoch-ms time, got ${String(endTs)}`);
      }
      if (
        !(out instanceof Float32Array) ||
        !Number.isSafeInteger(offset) ||
        offset < 0 ||
        offset + columns > out.length
      ) {
        throw new RangeError(`features: ${columns} columns from offset ${offset} do not fit in out`);
      }
      const p = patients.get(patientId);
      const from = endTs - spec.windowMs;
      if (p !== undefined && from > p.horizon) {
        p.horizon = from;
        for (const s of WINDOW_SIGNALS) p.buffers[s].release(from);
      }
      const empty = new Float64Array(0);
      spec.signals.forEach((signal, s) => {
        const b = p?.buffers[signal];
        const ts = b?.ts ?? empty;
        const hi = upperBound(ts, b?.length ?? 0, endTs);
        const lo = upperBound(ts, hi, from);
        summariseWindow(ts, b?.value ?? empty, lo, hi, endTs, spec.statistics, out, offset + s * width);
      });
      return out;
    },
  };
}
