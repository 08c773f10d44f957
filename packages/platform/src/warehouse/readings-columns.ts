import type { Reading } from '@healthit/core';

/** A device's code, and its last patient's. @internal */
export interface DeviceEntry {
  readonly code: number;
  patient: string | undefined;
  patientCode: number;
}

/** A metric's code, and its last unit's. @internal */
export interface MetricEntry {
  readonly code: number;
  unit: string | undefined;
  unitCode: number;
}

/**
 * The strings a warehouse repeats (device, patient, metric, unit, quality, …) as dense integer codes
 * 0, 1, 2, …, kept for the warehouse's lifetime: DuckDB decodes them with a join on its `dict` table.
 * Codes not yet in that table wait in {@link Dictionary.takeNew}.
 * @internal
 */
export class Dictionary {
  readonly #codes = new Map<string, number>();
  readonly #devices = new Map<string, DeviceEntry>();
  readonly #metrics = new Map<string, MetricEntry>();
  #lastDay = -1;
  #lastDayCode = NO_CODE;
  #fresh: [number, string][] = [];

  code(text: string): number {
    let c = this.#codes.get(text);
    if (c === undefined) {
      c = this.#codes.size;
      this.#codes.set(text, c);
      this.#fresh.push([c, text]);
    }
    return c;
  }

  /** The codes made since the last call (for the `dict` table). */
  takeNew(): [number, string][] {
    const fresh = this.#fresh;
    this.#fresh = [];
    return fresh;
  }

  /** The device's entry: its code and the last patient it was seen with (usually the next one's). */
  device(deviceId: string): DeviceEntry {
    let e = this.#devices.get(deviceId);
    if (e === undefined) {
      e = { code: this.code(deviceId), patient: undefined, patientCode: NO_CODE };
      this.#devices.set(deviceId, e);
    }
    return e;
  }

  /** The metric's entry: its code and the last unit it came in (usually the next one's). */
  metric(metric: string): MetricEntry {
    let e = this.#metrics.get(metric);
    if (e === undefined) {
      e = { code: this.code(metric), unit: undefined, unitCode: NO_CODE };
      this.#metrics.set(metric, e);
    }
    return e;
  }

  /**
   * The code of the UTC date (`YYYY-MM-DD`, as DuckDB's `strftime(…, '%Y-%m-%d')` writes it) of an
   * epoch-ms time, or {@link NO_CODE} for a time that is not an integer in years 1970–9999 (DuckDB
   * then computes the date itself, as it always did).
   */
  day(ts: number): number {
    if (!(ts >= 0 && ts < MAX_DAY_TS && Number.isInteger(ts))) return NO_CODE;
    const day = Math.floor(ts / DAY_MS);
    if (day !== this.#lastDay) {
      this.#lastDay = day;
      this.#lastDayCode = this.code(new Date(day * DAY_MS).toISOString().slice(0, 10));
    }
    return this.#lastDayCode;
  }

  /** Puts codes back that could not be stored (they are taken again next time). */
  restore(entries: readonly [number, string][]): void {
    this.#fresh = [...entries, ...this.#fresh];
  }
}

/** The code of "absent" (no patient, no quality): no dictionary entry has it, so its join yields NULL. */
export const NO_CODE = -1;

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00Z: from there on, ISO dates have more than four digits of year. */
const MAX_DAY_TS = 253_402_300_800_000;

/** One typed-array column of a batch as DuckDB scans it. @internal */
export interface ScanColumn {
  readonly name: string;
  readonly type: 'INTEGER' | 'DOUBLE';
  readonly data: Int32Array | Float64Array;
}

/** What the batch scan reads: columns of `length` rows, and sparse strings by row. @internal */
export interface ScanSource {
  readonly length: number;
  readonly columns: readonly ScanColumn[];
  /** Rows with a string of their own (e.g. a reading id not of the `${deviceId}:${seq}` form). */
  readonly strings: { readonly rows: readonly number[]; readonly texts: readonly string[] };
}

/** Below this, a sequence number's decimal digits are compared without making its string. */
const DIGITS_LIMIT = 1e15;

/**
 * Whether `id` is `${deviceId}:${seq}` — the SDK's reading id, which DuckDB rebuilds — tested without
 * making that string for the usual non-negative integer `seq` (its digits are read off `id` instead).
 */
function isDefaultId(id: string, deviceId: string, seq: number): boolean {
  const n = deviceId.length;
  const len = id.length;
  if (len <= n + 1 || id.charCodeAt(n) !== 58) return false;
  if (!(seq >= 0 && seq < DIGITS_LIMIT && Number.isInteger(seq))) return id === `${deviceId}:${seq}`;
  // String(seq): its digits, without a leading zero (except for 0 itself).
  if (len - n - 1 > 15 || (id.charCodeAt(n + 1) === 48 && len > n + 2)) return false;
  let value = 0;
  for (let j = n + 1; j < len; j++) {
    const digit = id.charCodeAt(j) - 48;
    if (digit < 0 || digit > 9) return false;
    value = value * 10 + digit;
  }
  return value === seq && id.startsWith(deviceId);
}

function grow<T extends Int32Array | Float64Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** The typed arrays of a {@link ReadingColumns}. */
interface ReadingArrays {
  readonly device: Int32Array;
  readonly patient: Int32Array;
  readonly metric: Int32Array;
  readonly unit: Int32Array;
  readonly quality: Int32Array;
  readonly date: Int32Array;
  readonly value: Float64Array;
  readonly ts: Float64Array;
  readonly seq: Float64Array;
}

/**
 * Arrays of readings columns no longer used (a warehouse closed, or more spare than it keeps), for the
 * next columns made by any warehouse of the process. A batch's arrays take tens of megabytes, and V8
 * counts new ArrayBuffers towards its external-memory limit: allocating them afresh for every warehouse
 * opened sets off full garbage collections, a pause of 100 ms and more when the heap is large. Held
 * weakly (a full collection frees them), and at most {@link POOL_SIZE} sets.
 */
const pool: WeakRef<ReadingArrays>[] = [];
const POOL_SIZE = 2;

/** The pooled arrays of the largest capacity still there (taken out of the pool), or undefined. */
function takePooled(): ReadingArrays | undefined {
  const alive = pool.map((ref) => ref.deref()).filter((a) => a !== undefined);
  let best: ReadingArrays | undefined;
  for (const arrays of alive)
    if (best === undefined || arrays.device.length > best.device.length) best = arrays;
  pool.length = 0;
  for (const arrays of alive) if (arrays !== best) pool.push(new WeakRef(arrays));
  return best;
}

/**
 * Readings as typed-array columns, the fast way into DuckDB: the strings a batch repeats become
 * integer codes of the warehouse's {@link Dictionary}, numbers go into `Float64Array`s, and an id of
 * the SDK's `${deviceId}:${seq}` form is not kept at all (DuckDB rebuilds it); only other ids are kept,
 * by row. No object per reading, and whole vectors are copied into DuckDB at once.
 * @internal
 */
export class ReadingColumns implements ScanSource {
  device: Int32Array;
  patient: Int32Array;
  metric: Int32Array;
  unit: Int32Array;
  quality: Int32Array;
  date: Int32Array;
  value: Float64Array;
  ts: Float64Array;
  seq: Float64Array;
  length = 0;
  readonly strings: { rows: number[]; texts: string[] } = { rows: [], texts: [] };
  readonly #dictionary: Dictionary;
  readonly #maxCapacity: number;
  /** The last device and metric seen: usually the next reading's too. */
  #lastDevice = '';
  #lastDeviceEntry: DeviceEntry | undefined;
  #lastMetric = '';
  #lastMetricEntry: MetricEntry | undefined;

  /**
   * Room for `capacity` readings at first (or the room of arrays another warehouse released, see
   * {@link ReadingColumns.release}), growing up to `maxCapacity`.
   */
  constructor(dictionary: Dictionary, maxCapacity: number, capacity = Math.min(maxCapacity, 4096)) {
    this.#dictionary = dictionary;
    this.#maxCapacity = maxCapacity;
    const pooled = takePooled();
    this.device = pooled?.device ?? new Int32Array(capacity);
    this.patient = pooled?.patient ?? new Int32Array(capacity);
    this.metric = pooled?.metric ?? new Int32Array(capacity);
    this.unit = pooled?.unit ?? new Int32Array(capacity);
    this.quality = pooled?.quality ?? new Int32Array(capacity);
    this.date = pooled?.date ?? new Int32Array(capacity);
    this.value = pooled?.value ?? new Float64Array(capacity);
    this.ts = pooled?.ts ?? new Float64Array(capacity);
    this.seq = pooled?.seq ?? new Float64Array(capacity);
  }

  /**
   * Empties it and hands its arrays to the next columns made (by any warehouse): for columns that
   * will not be used again. Should it be used after all, it starts over with arrays of its own.
   */
  release(): void {
    const { device, patient, metric, unit, quality, date, value, ts, seq } = this;
    if (device.length > 0) {
      pool.push(new WeakRef({ device, patient, metric, unit, quality, date, value, ts, seq }));
      if (pool.length > POOL_SIZE) pool.shift();
    }
    this.device = new Int32Array(0);
    this.patient = new Int32Array(0);
    this.metric = new Int32Array(0);
    this.unit = new Int32Array(0);
    this.quality = new Int32Array(0);
    this.date = new Int32Array(0);
    this.value = new Float64Array(0);
    this.ts = new Float64Array(0);
    this.seq = new Float64Array(0);
    this.clear();
  }

  get columns(): readonly ScanColumn[] {
    const n = this.length;
    const int = (name: string, data: Int32Array): ScanColumn => ({
      name,
      type: 'INTEGER',
      data: data.subarray(0, n),
    });
    const dbl = (name: string, data: Float64Array): ScanColumn => ({
      name,
      type: 'DOUBLE',
      data: data.subarray(0, n),
    });
    return [
      int('device', this.device),
      int('patient', this.patient),
      int('metric', this.metric),
      int('unit', this.unit),
      int('quality', this.quality),
      int('date', this.date),
      dbl('value', this.value),
      dbl('ts', this.ts),
      dbl('seq', this.seq),
    ];
  }

  #reserve(n: number): void {
    const capacity = this.device.length;
    if (n <= capacity) return;
    const next = Math.min(this.#maxCapacity, Math.max(n, capacity * 2));
    this.device = grow(this.device, next);
    this.patient = grow(this.patient, next);
    this.metric = grow(this.metric, next);
    this.unit = grow(this.unit, next);
    this.quality = grow(this.quality, next);
    this.date = grow(this.date, next);
    this.value = grow(this.value, next);
    this.ts = grow(this.ts, next);
    this.seq = grow(this.seq, next);
  }

  /** Empties it for reuse (its arrays are kept). */
  clear(): void {
    this.length = 0;
    this.strings.rows.length = 0;
    this.strings.texts.length = 0;
  }

  /** Appends `readings[from…to)`; the caller keeps `length` within the maximum capacity. */
  pushRange(readings: readonly Reading[], from: number, to: number): void {
    this.#reserve(this.length + (to - from));
    const dictionary = this.#dictionary;
    const { device, patient, metric, unit, quality, date, value, ts, seq, strings } = this;
    let i = this.length;
    // The last device and metric seen, in locals while the loop runs.
    let lastDevice = this.#lastDevice;
    let de = this.#lastDeviceEntry;
    let lastMetric = this.#lastMetric;
    let me = this.#lastMetricEntry;
    for (let k = from; k < to; k++, i++) {
      const r = readings[k] as Reading;
      const d = r.deviceId;
      if (d !== lastDevice || de === undefined) {
        de = dictionary.device(d);
        lastDevice = d;
      }
      device[i] = de.code;
      const p = r.patientId;
      if (p === undefined) patient[i] = NO_CODE;
      else {
        if (p !== de.patient) {
          de.patient = p;
          de.patientCode = dictionary.code(p);
        }
        patient[i] = de.patientCode;
      }
      const m = r.metric;
      if (m !== lastMetric || me === undefined) {
        me = dictionary.metric(m);
        lastMetric = m;
      }
      metric[i] = me.code;
      const u = r.unit;
      if (u !== me.unit) {
        me.unit = u;
        me.unitCode = dictionary.code(u);
      }
      unit[i] = me.unitCode;
      const q = r.quality;
      quality[i] = q === undefined ? NO_CODE : dictionary.code(q);
      const t = r.ts;
      value[i] = r.value;
      ts[i] = t;
      date[i] = dictionary.day(t);
      const sq = r.seq;
      seq[i] = sq;
      const id = r.id;
      if (!isDefaultId(id, d, sq)) {
        strings.rows.push(i);
        strings.texts.push(id);
      }
    }
    this.#lastDevice = lastDevice;
    this.#lastDeviceEntry = de;
    this.#lastMetric = lastMetric;
    this.#lastMetricEntry = me;
    this.length = i;
  }
}

/** NEWS2 scores as typed-array columns (patient coded), for the batch scan. @internal */
export class ScoreColumns implements ScanSource {
  patient: Int32Array;
  ts: Float64Array;
  date: Int32Array;
  total: Int32Array;
  length = 0;
  readonly strings = { rows: [] as number[], texts: [] as string[] };
  readonly #dictionary: Dictionary;
  #lastPatient = '';
  #lastPatientCode = NO_CODE;

  constructor(dictionary: Dictionary, capacity = 1024) {
    this.#dictionary = dictionary;
    this.patient = new Int32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.date = new Int32Array(capacity);
    this.total = new Int32Array(capacity);
  }

  get columns(): readonly ScanColumn[] {
    const n = this.length;
    return [
      { name: 'patient', type: 'INTEGER', data: this.patient.subarray(0, n) },
      { name: 'ts', type: 'DOUBLE', data: this.ts.subarray(0, n) },
      { name: 'date', type: 'INTEGER', data: this.date.subarray(0, n) },
      { name: 'total', type: 'INTEGER', data: this.total.subarray(0, n) },
    ];
  }

  push(patientId: string, ts: number, total: number): void {
    const i = this.length;
    if (i === this.ts.length) {
      const next = Math.max(1024, i * 2);
      this.patient = grow(this.patient, next);
      this.ts = grow(this.ts, next);
      this.date = grow(this.date, next);
      this.total = grow(this.total, next);
    }
    if (patientId !== this.#lastPatient) {
      this.#lastPatient = patientId;
      this.#lastPatientCode = this.#dictionary.code(patientId);
    }
    this.patient[i] = this.#lastPatientCode;
    this.ts[i] = ts;
    this.date[i] = this.#dictionary.day(ts);
    this.total[i] = total;
    this.length = i + 1;
  }
}
