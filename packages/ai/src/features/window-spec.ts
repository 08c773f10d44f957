import { HealthItError, METRICS, type MetricId } from '@healthit/core';

/**
 * The statistics a window of one signal can be summarised by. Value statistics are in the signal's
 * canonical UCUM unit; each is `NaN` when it is undefined for the window (see below) — a missing
 * value is flagged, never silently filled in. The model decides what to do with it (the built
 * graphs replace `NaN` by the training mean, and the `missing`/`count` columns tell the model).
 *
 * - `last`: the latest reading's value (NaN with no reading).
 * - `mean`, `min`, `max`: over the window's readings (NaN with no reading).
 * - `sd`: sample standard deviation, n − 1 in the denominator (NaN with fewer than 2 readings).
 * - `slope`: least-squares slope of value against time, in unit per hour (NaN with fewer than 2
 *   readings or when they all share one timestamp).
 * - `lastStep`: the latest value minus the one before it (NaN with fewer than 2 readings): a spike.
 * - `lastDeviation`: the latest value minus the mean of the window's earlier readings (NaN with fewer
 *   than 2 readings): how far the latest reading is from its recent level.
 * - `flatRun`: how many of the latest readings in a row equal the latest value exactly (0 with no
 *   reading): a flat line.
 * - `count`: the number of readings in the window.
 * - `missing`: 1 when the window holds no reading of the signal, else 0.
 * - `age`: seconds from the latest reading to the end of the window (NaN with no reading).
 */
export const WINDOW_STATISTICS = [
  'last',
  'mean',
  'min',
  'max',
  'sd',
  'slope',
  'lastStep',
  'lastDeviation',
  'flatRun',
  'count',
  'missing',
  'age',
] as const;

/** One of the {@link WINDOW_STATISTICS}. */
export type WindowStatistic = (typeof WINDOW_STATISTICS)[number];

/** The vital signs windowed features are drawn from, in their canonical units. */
export const WINDOW_SIGNALS = [
  'heart-rate',
  'respiratory-rate',
  'spo2',
  'body-temperature',
  'bp-systolic',
  'bp-diastolic',
] as const satisfies readonly MetricId[];

/** One of the {@link WINDOW_SIGNALS}. */
export type WindowSignal = (typeof WINDOW_SIGNALS)[number];

/** One column of a feature row: a statistic of a signal over the window. */
export interface FeatureColumn {
  /** `${signal}.${statistic}`, e.g. `heart-rate.slope`. */
  readonly name: string;
  /** The vital sign the column summarises (one of {@link WINDOW_SIGNALS}). */
  readonly signal: WindowSignal;
  /** The statistic taken of it over the window (one of {@link WINDOW_STATISTICS}). */
  readonly statistic: WindowStatistic;
  /** UCUM unit of the column's values (`1` for counts and flags, `s` for `age`). */
  readonly unit: string;
}

/**
 * A versioned description of a feature row: which signals, which statistics, over what window, and
 * the resulting columns in order with their units. Training records it in the model's spec, and the
 * runtime checks a model's spec against its extractor's ({@link windowFeatureMismatches}), so edge and
 * cloud features cannot drift apart silently. JSON-safe.
 */
export interface WindowFeatureSpec {
  /** The spec's name, e.g. `vitals-window`. */
  readonly name: string;
  /** Semantic version: bump it whenever a column's meaning changes. */
  readonly version: string;
  /** Window length, in ms: a window ending at `endTs` holds readings with `endTs − windowMs < ts ≤ endTs`. */
  readonly windowMs: number;
  /** The vital signs summarised, in column order; no repeats. */
  readonly signals: readonly WindowSignal[];
  /** The statistics taken of each signal, in column order within a signal; no repeats. */
  readonly statistics: readonly WindowStatistic[];
  /** Signal-major: every statistic of the first signal, then of the second, …. */
  readonly columns: readonly FeatureColumn[];
}

/** What {@link defineWindowFeatures} needs; the columns are derived. */
export interface WindowFeatureSpecInit {
  /** The spec's name, e.g. `vitals-window`; not empty. */
  readonly name: string;
  /** Semantic version, e.g. `1.0.0`; not empty. Bump it whenever a column's meaning changes. */
  readonly version: string;
  /** Window length in ms: a positive integer (e.g. `3_600_000` for one hour). */
  readonly windowMs: number;
  /** The vital signs to summarise, in column order: at least one, each of {@link WINDOW_SIGNALS} once. */
  readonly signals: readonly WindowSignal[];
  /** The statistics to take of each signal, in column order: at least one, each of {@link WINDOW_STATISTICS} once. */
  readonly statistics: readonly WindowStatistic[];
}

const SIGNAL_SET: ReadonlySet<string> = new Set(WINDOW_SIGNALS);
const STATISTIC_SET: ReadonlySet<string> = new Set(WINDOW_STATISTICS);

/** True when `metric` is one of the {@link WINDOW_SIGNALS}. */
export function isWindowSignal(metric: string): metric is WindowSignal {
  return SIGNAL_SET.has(metric);
}

/** The UCUM unit of `statistic` over `signal`. */
export function statisticUnit(signal: WindowSignal, statistic: WindowStatistic): string {
  const unit = METRICS[signal].unit;
  switch (statistic) {
    case 'slope':
      return `${unit}/h`;
    case 'flatRun':
    case 'count':
    case 'missing':
      return '1';
    case 'age':
      return 's';
    default:
      return unit;
  }
}

/**
 * Checks a feature spec's parts and derives its columns. The result is frozen.
 *
 * @throws {TypeError} when a part has the wrong type.
 * @throws {RangeError} for an empty name or version, a window that is not a positive integer of
 *   ms, no signals or statistics, an unknown or repeated signal or statistic.
 * @example
 * ```ts
 * const spec = defineWindowFeatures({ name: 'hr-trend', version: '1.0.0', windowMs: 3_600_000,
 *   signals: ['heart-rate'], statistics: ['last', 'slope'] });
 * spec.columns.map((c) => `${c.name} (${c.unit})`); // ['heart-rate.last (/min)', 'heart-rate.slope (/min/h)']
 * ```
 */
export function defineWindowFeatures(init: WindowFeatureSpecInit): WindowFeatureSpec {
  const { name, version, windowMs, signals, statistics } = init;
  if (typeof name !== 'string' || typeof version !== 'string') {
    throw new TypeError('feature spec: name and version must be strings');
  }
  if (name.length === 0 || version.length === 0) {
    throw new RangeError('feature spec: name and version must not be empty');
  }
  if (typeof windowMs !== 'number') throw new TypeError('feature spec: windowMs must be a number');
  if (!Number.isSafeInteger(windowMs) || windowMs <= 0) {
    throw new RangeError(`feature spec ${name}: windowMs must be a positive integer, got ${windowMs}`);
  }
  if (!Array.isArray(signals) || !Array.isArray(statistics)) {
    throw new TypeError(`feature spec ${name}: signals and statistics must be arrays`);
  }
  if (signals.length === 0 || statistics.length === 0) {
    throw new RangeError(`feature spec ${name}: at least one signal and one statistic are required`);
  }
  for (const s of signals) {
    if (!isWindowSignal(s)) {
      throw new RangeError(
        `feature spec ${name}: unknown signal "${String(s)}"; use one of ${WINDOW_SIGNALS.join(', ')}`,
      );
    }
  }
  for (const s of statistics) {
    if (!STATISTIC_SET.has(s)) {
      throw new RangeError(
        `feature spec ${name}: unknown statistic "${String(s)}"; use one of ${WINDOW_STATISTICS.join(', ')}`,
      );
    }
  }
  if (new Set(signals).size !== signals.length) {
    throw new RangeError(`feature spec ${name}: a signal is listed twice`);
  }
  if (new Set(statistics).size !== statistics.length) {
    throw new RangeError(`feature spec ${name}: a statistic is listed twice`);
  }
  const columns = signals.flatMap((signal) =>
    statistics.map((statistic) =>
      Object.freeze({
        name: `${signal}.${statistic}`,
        signal,
        statistic,
        unit: statisticUnit(signal, statistic),
      }),
    ),
  );
  return Object.freeze({
    name,
    version,
    windowMs,
    signals: Object.freeze([...signals]),
    statistics: Object.freeze([...statistics]),
    columns: Object.freeze(columns),
  });
}

/**
 * The feature spec of the deterioration-risk models: one hour of heart rate, respiratory rate,
 * SpO2, temperature, systolic and diastolic pressure, each as its latest value, mean, range,
 * variability, trend (slope per hour) and whether it is missing: 42 columns.
 */
export const DETERIORATION_FEATURES = defineWindowFeatures({
  name: 'vitals-trend',
  version: '1.0.0',
  windowMs: 3_600_000,
  signals: WINDOW_SIGNALS,
  statistics: ['last', 'mean', 'min', 'max', 'sd', 'slope', 'missing'],
});

/**
 * The feature spec of the sensor-artefact detectors: the last ten minutes of the six vital signs,
 * each as its latest value, the step to it, its distance from the recent level, the variability,
 * how long the value has been flat, how many readings arrived and whether any did: 42 columns.
 */
export const ARTEFACT_FEATURES = defineWindowFeatures({
  name: 'vitals-artefact',
  version: '1.0.0',
  windowMs: 600_000,
  signals: WINDOW_SIGNALS,
  statistics: ['last', 'lastStep', 'lastDeviation', 'sd', 'flatRun', 'count', 'missing'],
});

/**
 * The differences between the feature spec a model was trained on (`expected`) and the one an
 * extractor produces (`actual`): name, version, window, and each column's name and unit, in order.
 * Empty when they match.
 */
export function windowFeatureMismatches(expected: WindowFeatureSpec, actual: WindowFeatureSpec): string[] {
  const out: string[] = [];
  if (expected.name !== actual.name) out.push(`name: expected "${expected.name}", got "${actual.name}"`);
  if (expected.version !== actual.version) {
    out.push(`version: expected ${expected.version}, got ${actual.version}`);
  }
  if (expected.windowMs !== actual.windowMs) {
    out.push(`windowMs: expected ${expected.windowMs}, got ${actual.windowMs}`);
  }
  if (expected.columns.length !== actual.columns.length) {
    out.push(`columns: expected ${expected.columns.length}, got ${actual.columns.length}`);
  }
  const n = Math.min(expected.columns.length, actual.columns.length);
  for (let i = 0; i < n; i++) {
    const e = expected.columns[i] as FeatureColumn;
    const a = actual.columns[i] as FeatureColumn;
    if (e.name !== a.name || e.unit !== a.unit) {
      out.push(`column ${i}: expected ${e.name} (${e.unit}), got ${a.name} (${a.unit})`);
    }
  }
  return out;
}

/**
 * Refuses to pair a model with an extractor whose features differ from the ones it was trained on.
 *
 * @throws {HealthItError} `config/invalid`, listing every mismatch in the message and in
 *   `detail.mismatches`, when {@link windowFeatureMismatches} is not empty.
 */
export function assertWindowFeatures(
  expected: WindowFeatureSpec,
  actual: WindowFeatureSpec,
  where = 'model',
): void {
  const mismatches = windowFeatureMismatches(expected, actual);
  if (mismatches.length > 0) {
    throw new HealthItError(
      'config/invalid',
      `${where} was trained on features ${expected.name}@${expected.version} but is fed ${actual.name}@${actual.version}: ${mismatches.join('; ')}. Extract features with the spec recorded in the model.`,
      { detail: { mismatches } },
    );
  }
}

/**
 * A feature spec read back from JSON (a model's spec file, ONNX metadata): rebuilt with
 * {@link defineWindowFeatures} from its parts, and its `columns`, when present, checked against the
 * rebuilt ones — so a spec whose columns were edited by hand is refused, not trusted.
 *
 * @throws {TypeError} when `value` is not an object or a part has the wrong type.
 * @throws {RangeError} for invalid parts or columns that differ from the ones the parts define.
 */
export function parseWindowFeatures(value: unknown): WindowFeatureSpec {
  if (typeof value !== 'object' || value === null) throw new TypeError('feature spec: expected an object');
  const v = value as Record<string, unknown>;
  const spec = defineWindowFeatures({
    name: v.name as string,
    version: v.version as string,
    windowMs: v.windowMs as number,
    signals: v.signals as WindowSignal[],
    statistics: v.statistics as WindowStatistic[],
  });
  if (v.columns !== undefined) {
    const columns = v.columns as readonly Partial<FeatureColumn>[];
    const same =
      Array.isArray(columns) &&
      columns.length === spec.columns.length &&
      spec.columns.every((c, i) => {
        const o = columns[i];
        return (
          o?.name === c.name && o.unit === c.unit && o.signal === c.signal && o.statistic === c.statistic
        );
      });
    if (!same) {
      throw new RangeError(
        `feature spec ${spec.name}@${spec.version}: its columns differ from the ones its signals and statistics define`,
      );
    }
  }
  return spec;
}
