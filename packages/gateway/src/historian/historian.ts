import {
  type Clock,
  type DeviceId,
  METRICS,
  type MetricId,
  type PatientId,
  type Reading,
} from '@healthit/core';
import { BYTES_PER_POINT, MAX_SPAN_MS } from './layout.js';
import { AppendOutcome, REFUSALS, type Refusal } from './outcome.js';
import { type EvictionCounters, SeriesBuffer } from './series-buffer.js';

/**
 * Names one series: a patient's metric, or a device's metric for readings without a patient
 * (a reading's series is `patientId ?? deviceId` with its metric: see {@link seriesKeyOf}).
 */
export type SeriesKey =
  | {
      /** The patient whose series it is. */
      readonly patientId: string;
      /** The series' metric (values in its canonical UCUM unit). */
      readonly metric: MetricId;
    }
  | {
      /** The device whose series it is, for readings without a patient. */
      readonly deviceId: string;
      /** The series' metric (values in its canonical UCUM unit). */
      readonly metric: MetricId;
      /** Always absent: a series with a patient is keyed by the patient alone. */
      readonly patientId?: undefined;
    };

/**
 * The series a reading belongs to.
 * @example
 * ```ts
 * historian.range(seriesKeyOf(reading), reading.ts - 60_000, reading.ts + 1);
 * ```
 */
export function seriesKeyOf(reading: Reading): SeriesKey {
  return reading.patientId !== undefined
    ? { patientId: reading.patientId, metric: reading.metric }
    : { deviceId: reading.deviceId, metric: reading.metric };
}

/** One series as listed by {@link Historian.series}. */
export type SeriesInfo = SeriesKey & {
  /** Points stored. */
  readonly points: number;
  /** Timestamp of the oldest point (epoch ms). */
  readonly oldestTs: number;
  /** Timestamp of the newest point (epoch ms). */
  readonly newestTs: number;
};

/** A time range of one series as two parallel arrays, for analytics without one object per point. */
export interface SeriesColumns {
  /** Timestamps (epoch ms), ascending. */
  readonly ts: Float64Array;
  /** Values in the metric's canonical unit. */
  readonly values: Float64Array;
}

/** What the historian holds and what it has dropped. */
export interface HistorianStats {
  /** Series held. */
  readonly series: number;
  /** Points held. */
  readonly points: number;
  /** Bytes allocated for points (the typed arrays; each series grows by doubling up to its capacity). */
  readonly bytesAllocated: number;
  /** `bytesAllocated / points` (0 when empty): 16 once every series is at capacity. */
  readonly bytesPerPoint: number;
  /** The most `bytesAllocated` can reach: `maxSeries × capacityPerSeries × 16`. */
  readonly maxBytes: number;
  /** Points evicted by age and by capacity, and series dropped by `maxSeries` (with their points). */
  readonly evicted: Readonly<EvictionCounters & { series: number; seriesPoints: number }>;
  /** Readings refused, by outcome. */
  readonly refused: Readonly<Record<Refusal, number>>;
}

/** Options of {@link createHistorian}. */
export interface HistorianOptions {
  /** Points kept per series (default 3 600); when full, the oldest point is overwritten. */
  readonly capacityPerSeries?: number;
  /**
   * Points older than this are evicted (ms, at most {@link MAX_SPAN_MS} ≈ 49.7 days). Measured back
   * from the series' newest point, or from `clock.now()` when `clock` is given. Without it, a series
   * still never spans more than {@link MAX_SPAN_MS}.
   */
  readonly maxAgeMs?: number;
  /** Series kept (default 1 000); a new series past that drops the least recently updated one. */
  readonly maxSeries?: number;
  /** Makes `maxAgeMs` relative to this clock's `now()` instead of to each series' newest point. */
  readonly clock?: Clock;
  /** Points allocated when a series is created (default 64), doubled as needed up to capacity. */
  readonly initialCapacityPerSeries?: number;
}

/**
 * A bounded short-term store of recent readings per series, in typed arrays (16 bytes a point).
 * Not thread-safe, synchronous, in memory only.
 */
export interface Historian {
  /**
   * Stores a reading (in its metric's canonical unit) in its series, in time order, and says what
   * happened. A late reading is inserted where it belongs; a repeated (device, seq) is ignored.
   * Never throws for bad data: a refusal is the returned outcome, counted in `stats().refused`.
   */
  append(reading: Reading): AppendOutcome;
  /**
   * The readings of a series with `fromTs ≤ ts < toTs` (from inclusive, to exclusive, as in the
   * core `ReadingQuery`), oldest first; equal timestamps in arrival order. Empty for an unknown series.
   * @throws {RangeError} when a bound is NaN.
   */
  range(series: SeriesKey, fromTs: number, toTs: number): Reading[];
  /** As {@link Historian.range}, as a timestamp column and a value column. @throws {RangeError} when a bound is NaN. */
  rangeColumns(series: SeriesKey, fromTs: number, toTs: number): SeriesColumns;
  /** The newest reading of a series (largest ts; the last to arrive among equals), if any. */
  latest(series: SeriesKey): Reading | undefined;
  /** Every series held, least recently updated first. */
  series(): SeriesInfo[];
  /** Counts, memory and what was dropped. */
  stats(): HistorianStats;
}

class Entry {
  prev: Entry | undefined;
  next: Entry | undefined;
  constructor(
    readonly subject: string,
    readonly isPatient: boolean,
    readonly metric: MetricId,
    readonly buffer: SeriesBuffer,
  ) {}
}

function positiveInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new TypeError(`Historian option ${name} must be a number`);
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`Historian option ${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

function validBound(name: string, value: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new RangeError(`Historian range ${name} must be a number of epoch ms (or ±Infinity), got ${value}`);
  }
  return value;
}

/**
 * Creates a {@link Historian}.
 *
 * Bounds and policies: `capacityPerSeries` points per series (oldest overwritten), `maxAgeMs`
 * (older points evicted), `maxSeries` series (least recently updated dropped), at most 16 devices
 * with points in one series at a time (a 17th is refused). Memory never exceeds
 * `maxSeries × capacityPerSeries × 16` bytes for points.
 *
 * @throws {RangeError} for an option out of range; `TypeError` for an option of the wrong type.
 * @example
 * ```ts
 * const historian = createHistorian({ capacityPerSeries: 3_600, maxAgeMs: 3_600_000 });
 * readings$.pipe(recordTo(historian)).subscribe();
 * const lastMinute = historian.range({ patientId: 'p-17', metric: 'spo2' }, now - 60_000, now);
 * ```
 */
export function createHistorian(options: HistorianOptions = {}): Historian {
  const capacity = positiveInteger('capacityPerSeries', options.capacityPerSeries, 3_600, 2 ** 24);
  const maxSeries = positiveInteger('maxSeries', options.maxSeries, 1_000, 2 ** 24);
  const initialCapacity = positiveInteger(
    'initialCapacityPerSeries',
    options.initialCapacityPerSeries,
    64,
    2 ** 24,
  );
  const maxAgeMs = options.maxAgeMs;
  if (maxAgeMs !== undefined) {
    if (typeof maxAgeMs !== 'number') throw new TypeError('Historian option maxAgeMs must be a number');
    if (!(maxAgeMs > 0 && maxAgeMs <= MAX_SPAN_MS)) {
      throw new RangeError(
        `Historian option maxAgeMs must be > 0 and ≤ ${MAX_SPAN_MS} ms (49.7 days), got ${maxAgeMs}`,
      );
    }
  }
  const clock = options.clock;
  if (clock !== undefined && typeof clock.now !== 'function') {
    throw new TypeError('Historian option clock must have a now() method');
  }
  const useClock = clock !== undefined && maxAgeMs !== undefined;
  const spanMs = !useClock && maxAgeMs !== undefined ? maxAgeMs : MAX_SPAN_MS;

  const evictions: EvictionCounters = { age: 0, capacity: 0, seqSpan: 0 };
  const dropped = { series: 0, seriesPoints: 0 };
  const refused = Object.fromEntries(REFUSALS.map((r) => [r, 0])) as Record<Refusal, number>;
  const byPatient = new Map<MetricId, Map<string, Entry>>();
  const byDevice = new Map<MetricId, Map<string, Entry>>();
  let count = 0;
  // Least recently updated first; `oldest`/`newest` are the ends of a doubly linked list.
  let oldest: Entry | undefined;
  let newest: Entry | undefined;

  const clockCutoff = (): number =>
    useClock ? (clock?.now() ?? 0) - (maxAgeMs ?? 0) : Number.NEGATIVE_INFINITY;

  function unlink(e: Entry): void {
    if (e.prev) e.prev.next = e.next;
    else oldest = e.next;
    if (e.next) e.next.prev = e.prev;
    else newest = e.prev;
    e.prev = undefined;
    e.next = undefined;
  }

  function pushNewest(e: Entry): void {
    e.prev = newest;
    if (newest) newest.next = e;
    else oldest = e;
    newest = e;
  }

  function remove(e: Entry): void {
    unlink(e);
    (e.isPatient ? byPatient : byDevice).get(e.metric)?.delete(e.subject);
    count -= 1;
  }

  function find(key: SeriesKey): Entry | undefined {
    const e =
      key.patientId !== undefined
        ? byPatient.get(key.metric)?.get(key.patientId)
        : byDevice.get(key.metric)?.get(key.deviceId);
    if (e === undefined || !useClock) return e;
    e.buffer.evictBefore(clockCutoff());
    if (e.buffer.size > 0) return e;
    remove(e);
    return undefined;
  }

  function create(subject: string, isPatient: boolean, metric: MetricId): Entry {
    if (count >= maxSeries) pruneAll(); // with a clock, fully aged-out series go first
    if (count >= maxSeries && oldest !== undefined) {
      dropped.series += 1;
      dropped.seriesPoints += oldest.buffer.size;
      remove(oldest);
    }
    const e = new Entry(
      subject,
      isPatient,
      metric,
      new SeriesBuffer(capacity, initialCapacity, spanMs, evictions),
    );
    const index = isPatient ? byPatient : byDevice;
    let inner = index.get(metric);
    if (inner === undefined) {
      inner = new Map();
      index.set(metric, inner);
    }
    inner.set(subject, e);
    pushNewest(e);
    count += 1;
    return e;
  }

  function readingAt(e: Entry, i: number): Reading {
    const deviceId = e.buffer.deviceAt(i);
    const seq = e.buffer.seqAt(i);
    const reading: Reading = {
      id: `${deviceId}:${seq}`,
      deviceId: deviceId as DeviceId,
      metric: e.metric,
      value: e.buffer.valueAt(i),
      unit: METRICS[e.metric].unit,
      ts: e.buffer.tsAt(i),
      seq,
    };
    if (e.isPatient) reading.patientId = e.subject as PatientId;
    const quality = e.buffer.qualityAt(i);
    if (quality !== undefined) reading.quality = quality;
    return reading;
  }

  function keyOf(e: Entry): SeriesKey {
    return e.isPatient
      ? { patientId: e.subject, metric: e.metric }
      : { deviceId: e.subject, metric: e.metric };
  }

  function pruneAll(): void {
    if (!useClock) return;
    const cutoff = clockCutoff();
    for (let e = oldest; e !== undefined; ) {
      const next = e.next;
      e.buffer.evictBefore(cutoff);
      if (e.buffer.size === 0) remove(e);
      e = next;
    }
  }

  function refuse(outcome: Refusal): Refusal {
    refused[outcome] += 1;
    return outcome;
  }

  return Object.freeze({
    append(r: Reading): AppendOutcome {
      const definition = METRICS[r.metric] as (typeof METRICS)[MetricId] | undefined;
      if (
        definition === undefined ||
        !Number.isFinite(r.value) ||
        !Number.isSafeInteger(r.ts) ||
        r.ts < 0 ||
        !Number.isSafeInteger(r.seq) ||
        r.seq < 0
      ) {
        return refuse(AppendOutcome.invalid);
      }
      if (r.unit !== definition.unit) return refuse(AppendOutcome.notCanonical);
      const isPatient = r.patientId !== undefined;
      const subject = r.patientId ?? r.deviceId;
      const index = isPatient ? byPatient : byDevice;
      let e = index.get(r.metric)?.get(subject);
      const cutoff = clockCutoff();
      if (e === undefined) {
        if (r.ts < cutoff) return refuse(AppendOutcome.expired);
        e = create(subject, isPatient, r.metric);
      }
      const outcome = e.buffer.append(r.deviceId, r.seq, r.ts, r.value, r.quality, cutoff);
      if (outcome === AppendOutcome.stored) {
        if (e !== newest) {
          unlink(e);
          pushNewest(e);
        }
        return outcome;
      }
      if (e.buffer.size === 0) remove(e);
      return refuse(outcome);
    },

    range(key: SeriesKey, fromTs: number, toTs: number): Reading[] {
      validBound('fromTs', fromTs);
      validBound('toTs', toTs);
      const e = find(key);
      if (e === undefined || !(fromTs < toTs)) return [];
      const lo = e.buffer.lowerBound(fromTs);
      const hi = e.buffer.lowerBound(toTs);
      const out = new Array<Reading>(hi - lo);
      for (let i = lo; i < hi; i++) out[i - lo] = readingAt(e, i);
      return out;
    },

    rangeColumns(key: SeriesKey, fromTs: number, toTs: number): SeriesColumns {
      validBound('fromTs', fromTs);
      validBound('toTs', toTs);
      const e = find(key);
      if (e === undefined || !(fromTs < toTs))
        return { ts: new Float64Array(0), values: new Float64Array(0) };
      const lo = e.buffer.lowerBound(fromTs);
      const hi = e.buffer.lowerBound(toTs);
      const ts = new Float64Array(hi - lo);
      const values = new Float64Array(hi - lo);
      for (let i = lo; i < hi; i++) {
        ts[i - lo] = e.buffer.tsAt(i);
        values[i - lo] = e.buffer.valueAt(i);
      }
      return { ts, values };
    },

    latest(key: SeriesKey): Reading | undefined {
      const e = find(key);
      return e === undefined || e.buffer.size === 0 ? undefined : readingAt(e, e.buffer.size - 1);
    },

    series(): SeriesInfo[] {
      pruneAll();
      const out: SeriesInfo[] = [];
      for (let e = oldest; e !== undefined; e = e.next) {
        out.push({
          ...keyOf(e),
          points: e.buffer.size,
          oldestTs: e.buffer.tsAt(0),
          newestTs: e.buffer.newestTs(),
        });
      }
      return out;
    },

    stats(): HistorianStats {
      pruneAll();
      let points = 0;
      let bytesAllocated = 0;
      for (let e = oldest; e !== undefined; e = e.next) {
        points += e.buffer.size;
        bytesAllocated += e.buffer.bytesAllocated;
      }
      return {
        series: count,
        points,
        bytesAllocated,
        bytesPerPoint: points === 0 ? 0 : bytesAllocated / points,
        maxBytes: maxSeries * capacity * BYTES_PER_POINT,
        evicted: { ...evictions, ...dropped },
        refused: { ...refused },
      };
    },
  });
}
