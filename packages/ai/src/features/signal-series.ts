import { isHealthItError, METRICS, toCanonicalUnit } from '@healthit/core';
import { isWindowSignal, WINDOW_SIGNALS, type WindowSignal } from './window-spec.js';

/**
 * A reading as feature extraction needs it: a core `Reading` fits, and so does a row of the
 * platform's warehouse (`patient_id`, `metric`, `value`, `unit`, `ts`, optional `id` and `quality`).
 */
export interface ReadingLike {
  /** Stable id (`${deviceId}:${seq}`); readings with the same id, time and value count once. */
  readonly id?: string | undefined;
  /** The patient the reading belongs to; a reading without one is left out (`no-patient`). */
  readonly patientId?: string | undefined;
  /** The metric id (e.g. `heart-rate`); only the {@link WINDOW_SIGNALS} feed features. */
  readonly metric: string;
  /** The measured value, in `unit`; must be finite. */
  readonly value: number;
  /** UCUM unit; converted to the metric's canonical unit. */
  readonly unit: string;
  /** Time of measurement, epoch ms. */
  readonly ts: number;
  /** `bad` readings are left out. */
  readonly quality?: 'good' | 'questionable' | 'bad' | undefined;
}

/** Why a reading was left out of the features. */
export type ReadingRejection =
  /** No `patientId`: features are per patient. */
  | 'no-patient'
  /** Its metric is not one of the `WINDOW_SIGNALS`. */
  | 'not-a-signal'
  /** `quality: 'bad'`. */
  | 'bad-quality'
  /** A value or timestamp that is not a finite number. */
  | 'not-finite'
  /** Its unit cannot express the metric. */
  | 'unit';

/** A reading accepted for features: its signal, its value in the canonical unit, its id hash. */
export interface AcceptedReading {
  /** The window signal it feeds (its metric). */
  readonly signal: WindowSignal;
  /** Its value converted to the signal's canonical UCUM unit (e.g. `Cel` for temperature); finite. */
  readonly value: number;
  /** {@link idHash} of its id (0 without one). */
  readonly idHash: number;
}

/**
 * A 32-bit FNV-1a hash of a reading id, never 0 (0 stands for "no id"). Two readings of one patient
 * and signal count as one when they have the same time, value and id hash.
 */
export function idHash(id: string | undefined): number {
  if (id === undefined) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) | 1;
}

/**
 * The one gate every reading passes before it reaches a feature: a window signal, a patient, not
 * `bad`, finite, in a unit that converts to the canonical one. Returns the accepted reading or why
 * it was left out; never throws for bad data.
 */
export function acceptReading(reading: ReadingLike): AcceptedReading | ReadingRejection {
  const { metric } = reading;
  if (!isWindowSignal(metric)) return 'not-a-signal';
  if (reading.patientId === undefined) return 'no-patient';
  if (reading.quality === 'bad') return 'bad-quality';
  if (!Number.isFinite(reading.value) || !Number.isFinite(reading.ts)) return 'not-finite';
  let value = reading.value;
  if (reading.unit !== METRICS[metric].unit) {
    try {
      value = toCanonicalUnit(metric, value, reading.unit);
    } catch (e) {
      if (isHealthItError(e, 'units/unsupported')) return 'unit';
      throw e;
    }
    if (!Number.isFinite(value)) return 'not-finite';
  }
  return { signal: metric, value, idHash: idHash(reading.id) };
}

/**
 * One signal of one patient: readings sorted by time (then value, then id hash), duplicates
 * removed. Values in the signal's canonical unit.
 */
export interface SignalSeries {
  /** Times of measurement, epoch ms, ascending; as long as `value`. */
  readonly ts: Float64Array;
  /** The values at those times, in the signal's canonical UCUM unit. */
  readonly value: Float64Array;
}

/** Every window signal of one patient. */
export interface PatientSeries {
  /** The patient's id, as the readings carried it. */
  readonly patientId: string;
  /** One series per window signal (empty for a signal with no accepted reading). */
  readonly signals: Readonly<Record<WindowSignal, SignalSeries>>;
}

/** Orders two entries by time, then value, then id hash: a total order on distinct readings. */
export function compareEntries(
  ta: number,
  va: number,
  ha: number,
  tb: number,
  vb: number,
  hb: number,
): number {
  return ta - tb || va - vb || ha - hb;
}

/** Collects one signal's entries in any order; {@link SignalCollector.finish} sorts and de-duplicates. */
class SignalCollector {
  ts: number[] = [];
  value: number[] = [];
  hash: number[] = [];

  add(ts: number, value: number, hash: number): void {
    this.ts.push(ts);
    this.value.push(value);
    this.hash.push(hash);
  }

  finish(): SignalSeries {
    const { ts, value, hash } = this;
    const n = ts.length;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) {
      const c = compareEntries(
        ts[i - 1] as number,
        value[i - 1] as number,
        hash[i - 1] as number,
        ts[i] as number,
        value[i] as number,
        hash[i] as number,
      );
      if (c > 0) sorted = false;
    }
    let order: number[] | undefined;
    if (!sorted) {
      order = Array.from({ length: n }, (_, i) => i);
      order.sort((a, b) =>
        compareEntries(
          ts[a] as number,
          value[a] as number,
          hash[a] as number,
          ts[b] as number,
          value[b] as number,
          hash[b] as number,
        ),
      );
    }
    const outTs = new Float64Array(n);
    const outValue = new Float64Array(n);
    let m = 0;
    let prevT = Number.NaN;
    let prevV = Number.NaN;
    let prevH = 0;
    for (let k = 0; k < n; k++) {
      const i = order === undefined ? k : (order[k] as number);
      const t = ts[i] as number;
      const v = value[i] as number;
      const h = hash[i] as number;
      if (h !== 0 && h === prevH && t === prevT && v === prevV) continue;
      outTs[m] = t;
      outValue[m] = v;
      m++;
      prevT = t;
      prevV = v;
      prevH = h;
    }
    this.ts = [];
    this.value = [];
    this.hash = [];
    return { ts: outTs.slice(0, m), value: outValue.slice(0, m) };
  }
}

/** Counts of readings left out, by reason, and of duplicates dropped. */
export type ReadingCounts = Record<ReadingRejection | 'accepted', number>;

/**
 * Builds {@link PatientSeries} from readings that arrive in any order. For large inputs (a
 * simulation, a warehouse scan) without holding the readings themselves: only times and values.
 */
export interface SeriesBuilder {
  /** Adds a reading; returns `'accepted'` or why it was left out. */
  add(reading: ReadingLike): 'accepted' | ReadingRejection;
  /** What was added so far, by outcome. */
  readonly counts: Readonly<ReadingCounts>;
  /** Sorts, de-duplicates and returns every patient's series, patients in order of first reading. */
  finish(): Map<string, PatientSeries>;
}

/** Creates a {@link SeriesBuilder}. */
export function createSeriesBuilder(): SeriesBuilder {
  const patients = new Map<string, Record<WindowSignal, SignalCollector>>();
  const counts: ReadingCounts = {
    accepted: 0,
    'no-patient': 0,
    'not-a-signal': 0,
    'bad-quality': 0,
    'not-finite': 0,
    unit: 0,
  };
  return {
    counts,
    add(reading) {
      const accepted = acceptReading(reading);
      if (typeof accepted === 'string') {
        counts[accepted]++;
        return accepted;
      }
      const patientId = reading.patientId as string;
      let signals = patients.get(patientId);
      if (signals === undefined) {
        signals = Object.fromEntries(WINDOW_SIGNALS.map((s) => [s, new SignalCollector()])) as Record<
          WindowSignal,
          SignalCollector
        >;
        patients.set(patientId, signals);
      }
      signals[accepted.signal].add(reading.ts, accepted.value, accepted.idHash);
      counts.accepted++;
      return 'accepted';
    },
    finish() {
      const out = new Map<string, PatientSeries>();
      for (const [patientId, collectors] of patients) {
        const signals = Object.fromEntries(WINDOW_SIGNALS.map((s) => [s, collectors[s].finish()])) as Record<
          WindowSignal,
          SignalSeries
        >;
        out.set(patientId, Object.freeze({ patientId, signals: Object.freeze(signals) }));
      }
      patients.clear();
      return out;
    },
  };
}

/**
 * Every patient's series from readings in any order: the same readings in any order give the same
 * series. Readings that cannot feed a feature are counted by reason in `counts`, not thrown.
 */
export function seriesFromReadings(readings: Iterable<ReadingLike>): {
  readonly series: Map<string, PatientSeries>;
  readonly counts: Readonly<ReadingCounts>;
} {
  const builder = createSeriesBuilder();
  for (const r of readings) builder.add(r);
  return { series: builder.finish(), counts: { ...builder.counts } };
}
