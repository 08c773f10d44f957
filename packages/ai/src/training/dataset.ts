import type { WindowFeatureSpec } from '../features/window-spec.js';
import { seededRandom } from './random.js';

/**
 * Labelled feature rows for training and evaluation, column-compact: what the trainers take.
 * Build one from plain rows ({@link datasetFromRows}, e.g. rows read from the warehouse) or with
 * the cohort builders.
 */
export interface LabelledDataset {
  /** The features of every row, in column order. */
  readonly features: WindowFeatureSpec;
  /** Number of rows: the length of `y`, `group` and `ts`, and of `x` in units of `features.columns.length`. */
  readonly rows: number;
  /** Row-major float32 `[rows, columns]`; `NaN` where a statistic is undefined. */
  readonly x: Float32Array;
  /** 1 for a positive row, 0 for a negative one. */
  readonly y: Uint8Array;
  /** Each row's patient, as an index into {@link LabelledDataset.patients}. */
  readonly group: Uint32Array;
  /** Patient ids; rows of one patient never end up on both sides of a split. */
  readonly patients: readonly string[];
  /** Each row's time (the end of its window), epoch ms. */
  readonly ts: Float64Array;
  /** A comparison score per row, when the rows carry one (e.g. the NEWS2 total at that time). */
  readonly baseline?: Float32Array;
}

/** One labelled row, as plain data (what a warehouse query or a caller's own pipeline yields). */
export interface TrainingRow {
  /** The patient the row belongs to; rows of one patient stay on one side of a split. */
  readonly patientId: string;
  /** End of the row's window, epoch ms. */
  readonly ts: number;
  /** One value per feature column; `NaN` for undefined, never ±Infinity. */
  readonly features: ArrayLike<number>;
  /** The outcome: 1 (or `true`) for a positive row, 0 (or `false`) for a negative one. */
  readonly label: 0 | 1 | boolean;
  /** An optional comparison score (all rows or none). */
  readonly baseline?: number;
}

/** Grows a dataset row by row. */
export class DatasetBuilder {
  private x: Float32Array;
  private y: Uint8Array;
  private group: Uint32Array;
  private ts: Float64Array;
  private baseline: Float32Array | undefined;
  private readonly patientIndex = new Map<string, number>();
  private readonly patients: string[] = [];
  private readonly width: number;
  /** Rows reserved so far (lowered by {@link DatasetBuilder.truncate}): the row count of {@link DatasetBuilder.finish}. */
  rows = 0;

  /**
   * Creates an empty builder.
   * @param features - The feature spec of the rows: each row holds `features.columns.length` values.
   * @param options - `baseline: true` to keep a comparison score per row (default false), and the
   *   initial `capacity` in rows (default 1024, at least 16; the arrays grow as needed).
   */
  constructor(
    readonly features: WindowFeatureSpec,
    options: { readonly baseline?: boolean; readonly capacity?: number } = {},
  ) {
    this.width = features.columns.length;
    const capacity = Math.max(16, options.capacity ?? 1024);
    this.x = new Float32Array(capacity * this.width);
    this.y = new Uint8Array(capacity);
    this.group = new Uint32Array(capacity);
    this.ts = new Float64Array(capacity);
    this.baseline = options.baseline === true ? new Float32Array(capacity) : undefined;
  }

  private grow(rows: number): void {
    const capacity = this.y.length;
    if (rows <= capacity) return;
    const size = Math.max(rows, capacity * 2);
    const x = new Float32Array(size * this.width);
    x.set(this.x);
    this.x = x;
    const y = new Uint8Array(size);
    y.set(this.y);
    this.y = y;
    const group = new Uint32Array(size);
    group.set(this.group);
    this.group = group;
    const ts = new Float64Array(size);
    ts.set(this.ts);
    this.ts = ts;
    if (this.baseline !== undefined) {
      const b = new Float32Array(size);
      b.set(this.baseline);
      this.baseline = b;
    }
  }

  /** The index of `patientId`, added if new. */
  patient(patientId: string): number {
    let g = this.patientIndex.get(patientId);
    if (g === undefined) {
      g = this.patients.length;
      this.patients.push(patientId);
      this.patientIndex.set(patientId, g);
    }
    return g;
  }

  /**
   * Reserves `count` rows of patient `group` and returns the first row's index; write features
   * into {@link DatasetBuilder.featureBuffer} from `row × columns`, then set labels with `set`.
   */
  reserve(count: number): number {
    const first = this.rows;
    this.grow(first + count);
    this.rows += count;
    return first;
  }

  /** The feature buffer (valid until the next `reserve`). */
  get featureBuffer(): Float32Array {
    return this.x;
  }

  /** Sets a reserved row's patient, time, label and baseline. */
  set(row: number, group: number, ts: number, label: 0 | 1, baseline?: number): void {
    this.group[row] = group;
    this.ts[row] = ts;
    this.y[row] = label;
    if (this.baseline !== undefined) this.baseline[row] = baseline ?? Number.NaN;
  }

  /** Drops reserved rows after `rows` (e.g. windows that turned out not to qualify). */
  truncate(rows: number): void {
    this.rows = Math.min(this.rows, rows);
  }

  /** The dataset (arrays trimmed to the rows). */
  finish(): LabelledDataset {
    const n = this.rows;
    return {
      features: this.features,
      rows: n,
      x: this.x.slice(0, n * this.width),
      y: this.y.slice(0, n),
      group: this.group.slice(0, n),
      patients: [...this.patients],
      ts: this.ts.slice(0, n),
      ...(this.baseline === undefined ? {} : { baseline: this.baseline.slice(0, n) }),
    };
  }
}

/**
 * A dataset from plain rows — the training API's typed entry point for data that does not come
 * from the simulator, e.g. feature rows computed from warehouse readings.
 *
 * @throws {RangeError} naming the row, when a row has the wrong number of features, an infinite
 *   feature, a label that is not 0/1/boolean, a non-finite time, or a baseline on some rows only.
 * @example
 * ```ts
 * const data = datasetFromRows(rows, DETERIORATION_FEATURES);
 * const { train, test } = splitByPatient(data, { testFraction: 0.3, seed: 1 });
 * ```
 */
export function datasetFromRows(rows: Iterable<TrainingRow>, features: WindowFeatureSpec): LabelledDataset {
  const width = features.columns.length;
  let builder: DatasetBuilder | undefined;
  let withBaseline = false;
  let i = 0;
  for (const row of rows) {
    const where = `datasetFromRows: row ${i}`;
    if (builder === undefined) {
      withBaseline = row.baseline !== undefined;
      builder = new DatasetBuilder(features, { baseline: withBaseline });
    }
    if (typeof row.patientId !== 'string' || row.patientId.length === 0) {
      throw new RangeError(`${where}: patientId must be a non-empty string`);
    }
    if (!Number.isFinite(row.ts)) throw new RangeError(`${where}: ts must be a finite epoch-ms time`);
    if (row.features.length !== width) {
      throw new RangeError(
        `${where}: ${row.features.length} features, expected ${width} (${features.name}@${features.version})`,
      );
    }
    const label =
      row.label === true || row.label === 1 ? 1 : row.label === false || row.label === 0 ? 0 : undefined;
    if (label === undefined) throw new RangeError(`${where}: label must be 0, 1 or a boolean`);
    if ((row.baseline !== undefined) !== withBaseline) {
      throw new RangeError(`${where}: give a baseline on every row or on none`);
    }
    if (row.baseline !== undefined && !Number.isFinite(row.baseline)) {
      throw new RangeError(`${where}: baseline must be finite`);
    }
    const r = builder.reserve(1);
    const x = builder.featureBuffer;
    for (let c = 0; c < width; c++) {
      const v = Number(row.features[c]);
      if (v === Number.POSITIVE_INFINITY || v === Number.NEGATIVE_INFINITY) {
        throw new RangeError(
          `${where}: feature ${features.columns[c]?.name} is infinite; use NaN for undefined`,
        );
      }
      x[r * width + c] = v;
    }
    builder.set(r, builder.patient(row.patientId), row.ts, label, row.baseline);
    i++;
  }
  return (builder ?? new DatasetBuilder(features)).finish();
}

/** The rows at `indices` (in that order), as a dataset of their own. */
export function selectRows(data: LabelledDataset, indices: ArrayLike<number>): LabelledDataset {
  const width = data.features.columns.length;
  const n = indices.length;
  const x = new Float32Array(n * width);
  const y = new Uint8Array(n);
  const group = new Uint32Array(n);
  const ts = new Float64Array(n);
  const baseline = data.baseline === undefined ? undefined : new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = indices[k] as number;
    if (!Number.isSafeInteger(i) || i < 0 || i >= data.rows) throw new RangeError(`selectRows: no row ${i}`);
    x.set(data.x.subarray(i * width, (i + 1) * width), k * width);
    y[k] = data.y[i] as number;
    group[k] = data.group[i] as number;
    ts[k] = data.ts[i] as number;
    if (baseline !== undefined) baseline[k] = data.baseline?.[i] as number;
  }
  return {
    features: data.features,
    rows: n,
    x,
    y,
    group,
    patients: data.patients,
    ts,
    ...(baseline === undefined ? {} : { baseline }),
  };
}

/**
 * Splits by patient: a seeded share of the patients (at least one on each side) goes to `test`,
 * with every one of their rows; no patient is on both sides. Row order is kept.
 *
 * @throws {RangeError} when `testFraction` is not in (0, 1) or there are fewer than two patients.
 */
export function splitByPatient(
  data: LabelledDataset,
  options: { readonly testFraction: number; readonly seed: number },
): {
  readonly train: LabelledDataset;
  readonly test: LabelledDataset;
  readonly testPatients: readonly string[];
} {
  const { testFraction, seed } = options;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`splitByPatient: testFraction must be in (0, 1), got ${testFraction}`);
  }
  const present = new Uint8Array(data.patients.length);
  for (let i = 0; i < data.rows; i++) present[data.group[i] as number] = 1;
  const groups = [...present.keys()].filter((g) => present[g] === 1);
  if (groups.length < 2) throw new RangeError('splitByPatient: at least two patients are needed');
  seededRandom(seed).shuffle(groups);
  const k = Math.min(groups.length - 1, Math.max(1, Math.round(groups.length * testFraction)));
  const isTest = new Uint8Array(data.patients.length);
  for (const g of groups.slice(0, k)) isTest[g] = 1;
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < data.rows; i++) (isTest[data.group[i] as number] === 1 ? test : train).push(i);
  return {
    train: selectRows(data, train),
    test: selectRows(data, test),
    testPatients: groups
      .slice(0, k)
      .sort((a, b) => a - b)
      .map((g) => data.patients[g] as string),
  };
}

/** Per-column centre and spread of the training rows (`NaN`s left out). */
export interface Standardisation {
  /** Per-column mean of the non-`NaN` values (0 for a column with none); also the value a `NaN` takes. */
  readonly mean: readonly number[];
  /** Per-column population standard deviation of the non-`NaN` values; 1 for a constant or empty column. */
  readonly std: readonly number[];
}

/**
 * Per-column mean and (population) standard deviation over the non-`NaN` values. A column with no
 * value gets mean 0; a constant or empty column gets std 1 (so it standardises to 0).
 */
export function fitStandardisation(data: LabelledDataset): Standardisation {
  const width = data.features.columns.length;
  const count = new Float64Array(width);
  const sum = new Float64Array(width);
  for (let r = 0; r < data.rows; r++) {
    for (let c = 0; c < width; c++) {
      const v = data.x[r * width + c] as number;
      if (!Number.isNaN(v)) {
        count[c] = (count[c] as number) + 1;
        sum[c] = (sum[c] as number) + v;
      }
    }
  }
  const mean = Array.from(sum, (s, c) => ((count[c] as number) > 0 ? s / (count[c] as number) : 0));
  const ss = new Float64Array(width);
  for (let r = 0; r < data.rows; r++) {
    for (let c = 0; c < width; c++) {
      const v = data.x[r * width + c] as number;
      if (!Number.isNaN(v)) {
        const d = v - (mean[c] as number);
        ss[c] = (ss[c] as number) + d * d;
      }
    }
  }
  const std = Array.from(ss, (s, c) => {
    const n = count[c] as number;
    const sd = n > 0 ? Math.sqrt(s / n) : 0;
    return sd > 1e-12 ? sd : 1;
  });
  return { mean, std };
}

/**
 * The standardised rows (float32, as the model sees them): `NaN` replaced by the column mean (so
 * it standardises to 0), then `(x − mean) / std` — the preprocessing the built ONNX graph applies.
 */
export function standardise(data: LabelledDataset, s: Standardisation): Float32Array {
  const width = data.features.columns.length;
  const z = new Float32Array(data.rows * width);
  const mean = Float64Array.from(s.mean);
  const std = Float64Array.from(s.std);
  for (let r = 0; r < data.rows; r++) {
    const o = r * width;
    for (let c = 0; c < width; c++) {
      const v = data.x[o + c] as number;
      z[o + c] = !Number.isNaN(v) ? (v - (mean[c] as number)) / (std[c] as number) : 0;
    }
  }
  return z;
}
