import { isSimulatedMetric, SIMULATED_METRICS, type SimulatedMetric } from './vital-signs.js';

/** A window of simulated time, [fromMs, toMs) after the start of the run. */
export interface FaultWindow {
  /** Start of the window, ms after the start of the run (>= 0, inclusive). */
  readonly fromMs: number;
  /** End of the window, ms after the start of the run (exclusive; must be after `fromMs`). */
  readonly toMs: number;
}

/**
 * A fault that comes in episodes: at random (a Poisson process of `ratePerHour` onsets with
 * exponentially distributed durations of mean `meanDurationMs`), in fixed `windows`, or both.
 */
export interface EpisodicFault {
  /** Mean number of episodes starting per hour of the device's operation (default 0). */
  readonly ratePerHour?: number;
  /** Mean duration of a random episode, in ms. */
  readonly meanDurationMs?: number;
  /** Fixed episodes. */
  readonly windows?: readonly FaultWindow[];
}

/**
 * The sensor faults of one simulated device. All random decisions come from the device's own
 * seeded stream, so the same seed gives the same faults, and faults never change the patient's
 * true vital signs (see the ground truth on each tick).
 */
export interface DeviceFaults {
  /** The device sends nothing while an episode lasts (default mean duration 1 min). */
  readonly dropout?: EpisodicFault;
  /**
   * The device repeats the values of its last measurement before the episode, for `metrics`
   * (default: all it reports), while an episode lasts (default mean duration 2 min).
   */
  readonly stuck?: EpisodicFault & { readonly metrics?: readonly SimulatedMetric[] };
  /**
   * Motion artefact: a measurement is spoiled by a spike with `probability` (default 0), and every
   * measurement within `windows`. Heart and pulse rate jump up by 25–70 /min, SpO2 drops by
   * 5–25 points, respiratory rate jumps up by 8–25 /min, blood pressure is off by 15–50 mm Hg
   * either way; temperature is not affected. Applies to `metrics` (default: all it reports).
   */
  readonly motionArtefact?: {
    readonly probability?: number;
    readonly windows?: readonly FaultWindow[];
    readonly metrics?: readonly SimulatedMetric[];
  };
  /**
   * The device's clock runs fast (positive) or slow (negative) by `ppm` parts per million and
   * starts `offsetMs` off: a reading's `ts` is the true time plus
   * `offsetMs + ppm·10⁻⁶·(time since the start of the run)`, rounded, never below 0.
   */
  readonly clockDrift?: { readonly ppm: number; readonly offsetMs?: number };
  /** A measurement is delivered twice in a row (same readings, same ids) with `probability`. */
  readonly duplicate?: { readonly probability: number };
  /**
   * A measurement is held back with `probability` and delivered 1…`maxDelayTicks` (default 3)
   * ticks later, after newer ones.
   */
  readonly outOfOrder?: { readonly probability: number; readonly maxDelayTicks?: number };
}

/** A fault as it affected one measurement, recorded in the ground truth. */
export type AppliedFault =
  /** No measurement: the device is in a dropout episode. */
  | {
      /** Discriminates the fault. */
      readonly kind: 'dropout';
    }
  /** No measurement: the battery is empty. */
  | {
      /** Discriminates the fault. */
      readonly kind: 'battery-depleted';
    }
  /** These metrics repeat the values of an earlier measurement. */
  | {
      /** Discriminates the fault. */
      readonly kind: 'stuck';
      /** The metrics whose values repeat, as configured in `stuck.metrics`. */
      readonly metrics: readonly SimulatedMetric[];
    }
  /** These metrics carry a motion-artefact spike. */
  | {
      /** Discriminates the fault. */
      readonly kind: 'motion-artefact';
      /** The metrics spoiled by the spike (never `body-temperature`, nor a metric that is stuck). */
      readonly metrics: readonly SimulatedMetric[];
    }
  /** The readings' `ts` is off the true time by `skewMs` (device minus true). */
  | {
      /** Discriminates the fault. */
      readonly kind: 'clock-drift';
      /** Device time minus true time, ms (rounded; positive when the clock is ahead). */
      readonly skewMs: number;
    }
  /** The measurement is delivered twice. */
  | {
      /** Discriminates the fault. */
      readonly kind: 'duplicate';
    }
  /** The measurement is delivered `delayTicks` ticks late, after newer ones. */
  | {
      /** Discriminates the fault. */
      readonly kind: 'out-of-order';
      /** Ticks the measurement is held back, 1…`maxDelayTicks`. */
      readonly delayTicks: number;
    };

/** The kinds of {@link AppliedFault}. */
export type FaultKind = AppliedFault['kind'];

/** The most ticks a measurement can be held back by `outOfOrder`. */
export const MAX_DELAY_TICKS = 1_000;

/** Default mean episode durations, in ms. */
export const DEFAULT_FAULT_DURATIONS_MS = Object.freeze({ dropout: 60_000, stuck: 120_000 });

/** An episodic fault with defaults applied. */
export interface ResolvedEpisodicFault {
  /** Mean number of random episodes starting per hour of operation (>= 0; 0: fixed windows only). */
  readonly ratePerHour: number;
  /** Mean duration of a random episode, ms (> 0). */
  readonly meanDurationMs: number;
  /** The fixed episodes, checked (empty when none). */
  readonly windows: readonly FaultWindow[];
}

/** {@link DeviceFaults} checked and with defaults applied. */
export interface ResolvedFaults {
  /** {@link DeviceFaults.dropout} with defaults applied (mean duration 1 min); absent when not configured. */
  readonly dropout?: ResolvedEpisodicFault;
  /**
   * {@link DeviceFaults.stuck} with defaults applied (mean duration 2 min, `metrics` every metric
   * the device reports); absent when not configured.
   */
  readonly stuck?: ResolvedEpisodicFault & { readonly metrics: readonly SimulatedMetric[] };
  /**
   * {@link DeviceFaults.motionArtefact} with defaults applied (probability 0, no windows, `metrics`
   * every metric the device reports except `body-temperature`); absent when not configured.
   */
  readonly motionArtefact?: {
    readonly probability: number;
    readonly windows: readonly FaultWindow[];
    readonly metrics: readonly SimulatedMetric[];
  };
  /**
   * {@link DeviceFaults.clockDrift} checked (ppm within ±10⁶), `offsetMs` default 0; absent when not
   * configured.
   */
  readonly clockDrift?: { readonly ppm: number; readonly offsetMs: number };
  /** {@link DeviceFaults.duplicate} checked (probability in [0, 1]); absent when not configured. */
  readonly duplicate?: { readonly probability: number };
  /**
   * {@link DeviceFaults.outOfOrder} with `maxDelayTicks` default 3 (1…{@link MAX_DELAY_TICKS});
   * absent when not configured.
   */
  readonly outOfOrder?: { readonly probability: number; readonly maxDelayTicks: number };
}

function probability(value: unknown, what: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`${what} must be a probability in [0, 1], got ${String(value)}`);
  }
  return value;
}

function nonNegative(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

function windows(value: readonly FaultWindow[] | undefined, what: string): readonly FaultWindow[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError(`${what} must be an array of { fromMs, toMs }`);
  return value.map((w: FaultWindow, i) => {
    const from = nonNegative(w?.fromMs, `${what}[${i}].fromMs`);
    const to = nonNegative(w?.toMs, `${what}[${i}].toMs`);
    if (to <= from) throw new RangeError(`${what}[${i}]: toMs (${to}) must be after fromMs (${from})`);
    return Object.freeze({ fromMs: from, toMs: to });
  });
}

function metrics(
  value: readonly SimulatedMetric[] | undefined,
  reported: readonly SimulatedMetric[],
  what: string,
  exclude: readonly SimulatedMetric[] = [],
): readonly SimulatedMetric[] {
  if (value === undefined) return reported.filter((m) => !exclude.includes(m));
  for (const m of value) {
    if (!isSimulatedMetric(m)) {
      throw new RangeError(
        `${what}: "${String(m)}" is not a simulated metric; use one of ${SIMULATED_METRICS.join(', ')}`,
      );
    }
    if (!reported.includes(m)) {
      throw new RangeError(`${what}: the device does not report "${m}" (it reports ${reported.join(', ')})`);
    }
  }
  return [...value];
}

function episodic(value: EpisodicFault, defaultDurationMs: number, what: string): ResolvedEpisodicFault {
  const meanDurationMs = nonNegative(value.meanDurationMs ?? defaultDurationMs, `${what}.meanDurationMs`);
  if (meanDurationMs === 0) throw new RangeError(`${what}.meanDurationMs must be > 0`);
  return {
    ratePerHour: nonNegative(value.ratePerHour ?? 0, `${what}.ratePerHour`),
    meanDurationMs,
    windows: windows(value.windows, `${what}.windows`),
  };
}

/**
 * Checks a device's fault configuration and applies the defaults.
 *
 * @throws {TypeError} for a malformed `windows`.
 * @throws {RangeError} for a probability outside [0, 1], a negative rate, duration or window
 *   bound, a window that ends before it starts, a metric the device does not report, a
 *   non-finite clock drift, or `maxDelayTicks` outside 1…{@link MAX_DELAY_TICKS}.
 */
export function resolveFaults(
  faults: DeviceFaults | undefined,
  reported: readonly SimulatedMetric[],
  where: string,
): ResolvedFaults {
  if (faults === undefined) return {};
  const out: {
    -readonly [K in keyof ResolvedFaults]: ResolvedFaults[K];
  } = {};
  if (faults.dropout !== undefined) {
    out.dropout = episodic(faults.dropout, DEFAULT_FAULT_DURATIONS_MS.dropout, `${where}.dropout`);
  }
  if (faults.stuck !== undefined) {
    out.stuck = {
      ...episodic(faults.stuck, DEFAULT_FAULT_DURATIONS_MS.stuck, `${where}.stuck`),
      metrics: metrics(faults.stuck.metrics, reported, `${where}.stuck.metrics`),
    };
  }
  if (faults.motionArtefact !== undefined) {
    const m = faults.motionArtefact;
    out.motionArtefact = {
      probability: probability(m.probability ?? 0, `${where}.motionArtefact.probability`),
      windows: windows(m.windows, `${where}.motionArtefact.windows`),
      metrics: metrics(m.metrics, reported, `${where}.motionArtefact.metrics`, ['body-temperature']),
    };
  }
  if (faults.clockDrift !== undefined) {
    const { ppm, offsetMs = 0 } = faults.clockDrift;
    if (typeof ppm !== 'number' || !Number.isFinite(ppm) || Math.abs(ppm) > 1e6) {
      throw new RangeError(`${where}.clockDrift.ppm must be a finite number in −10⁶…10⁶, got ${String(ppm)}`);
    }
    if (typeof offsetMs !== 'number' || !Number.isFinite(offsetMs)) {
      throw new RangeError(`${where}.clockDrift.offsetMs must be a finite number, got ${String(offsetMs)}`);
    }
    out.clockDrift = { ppm, offsetMs };
  }
  if (faults.duplicate !== undefined) {
    out.duplicate = {
      probability: probability(faults.duplicate.probability, `${where}.duplicate.probability`),
    };
  }
  if (faults.outOfOrder !== undefined) {
    const maxDelayTicks = faults.outOfOrder.maxDelayTicks ?? 3;
    if (!Number.isInteger(maxDelayTicks) || maxDelayTicks < 1 || maxDelayTicks > MAX_DELAY_TICKS) {
      throw new RangeError(
        `${where}.outOfOrder.maxDelayTicks must be an integer in 1…${MAX_DELAY_TICKS}, got ${maxDelayTicks}`,
      );
    }
    out.outOfOrder = {
      probability: probability(faults.outOfOrder.probability, `${where}.outOfOrder.probability`),
      maxDelayTicks,
    };
  }
  return out;
}

/** True when `elapsedMs` falls in one of `windows`. */
export function inWindow(windows: readonly FaultWindow[], elapsedMs: number): boolean {
  for (const w of windows) if (elapsedMs >= w.fromMs && elapsedMs < w.toMs) return true;
  return false;
}
