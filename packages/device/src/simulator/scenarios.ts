import type { VitalMetric } from './vital-signs.js';

/**
 * How a scenario moves the mean of one vital sign once fully developed: `shift` adds `by` to the
 * patient's baseline; `towards` replaces the baseline with `value`.
 */
export type VitalEffect =
  | { readonly kind: 'shift'; readonly by: number }
  | { readonly kind: 'towards'; readonly value: number };

/** A clinical course: how it moves each vital sign's mean, and when by default. */
export interface ScenarioDefinition {
  readonly name: string;
  readonly description: string;
  /** The effect at full development; vitals not listed keep their baseline. */
  readonly effects: { readonly [M in VitalMetric]?: VitalEffect };
  /** Default time from the start of the run until the change begins, in ms. */
  readonly startAfterMs: number;
  /** Default duration of the (linear) change from baseline to full effect, in ms. */
  readonly rampMs: number;
}

const MINUTE_MS = 60_000;

/**
 * The built-in scenarios.
 *
 * - `stable`: fluctuation around the baseline, nothing else.
 * - `deteriorating`: a sepsis-like course. Heart rate rises towards 118 /min, respiratory rate
 *   towards 27 /min and temperature towards 38.7 °C; systolic pressure falls towards 92 mm Hg,
 *   diastolic towards 55 mm Hg and SpO2 towards 92 %. Every drawn baseline lies on the healthy side
 *   of these targets, so each moves in the clinical direction for every patient. The direction
 *   follows the SIRS criteria (HR > 90 /min, RR > 20 /min, T > 38 °C; Bone et al., Chest
 *   1992;101(6):1644–1655) and qSOFA (RR ≥ 22 /min, SBP ≤ 100 mm Hg; Singer et al., JAMA
 *   2016;315(8):801–810); the end point is approximate and chosen so that a NEWS2 score climbs
 *   from 0–2 to the high-risk band (≥ 7). Default: begins after 1 min and develops over 15 min —
 *   compressed for demonstrations; real sepsis develops over hours (set `rampMs`).
 * - `hypoxic`: SpO2 falls towards 88 % (the high 80s; NEWS2 SpO2 scale 1 scores 3 at ≤ 91 %),
 *   with a compensatory rise of respiratory rate (+6 /min) and heart rate (+12 /min).
 *   Default: begins after 1 min and develops over 5 min.
 */
export const SCENARIOS = {
  stable: {
    name: 'stable',
    description: 'Fluctuates around the baseline.',
    effects: {},
    startAfterMs: 0,
    rampMs: 0,
  },
  deteriorating: {
    name: 'deteriorating',
    description:
      'Sepsis-like: heart rate, respiratory rate and temperature rise; blood pressure and SpO2 fall.',
    effects: {
      'heart-rate': { kind: 'towards', value: 118 },
      'respiratory-rate': { kind: 'towards', value: 27 },
      'body-temperature': { kind: 'towards', value: 38.7 },
      'bp-systolic': { kind: 'towards', value: 92 },
      'bp-diastolic': { kind: 'towards', value: 55 },
      spo2: { kind: 'towards', value: 92 },
    },
    startAfterMs: 1 * MINUTE_MS,
    rampMs: 15 * MINUTE_MS,
  },
  hypoxic: {
    name: 'hypoxic',
    description: 'SpO2 falls towards 88 %, with compensatory tachypnoea and tachycardia.',
    effects: {
      spo2: { kind: 'towards', value: 88 },
      'respiratory-rate': { kind: 'shift', by: 6 },
      'heart-rate': { kind: 'shift', by: 12 },
    },
    startAfterMs: 1 * MINUTE_MS,
    rampMs: 5 * MINUTE_MS,
  },
} as const satisfies Record<string, ScenarioDefinition>;

/** The name of a built-in scenario. */
export type ScenarioName = keyof typeof SCENARIOS;

/** Every built-in scenario name. */
export const SCENARIO_NAMES = Object.keys(SCENARIOS) as readonly ScenarioName[];

/** True when `name` is a built-in scenario. */
export function isScenarioName(name: unknown): name is ScenarioName {
  return typeof name === 'string' && Object.hasOwn(SCENARIOS, name);
}

/** A scenario with its timing, as one patient follows it. */
export interface ScenarioConfig {
  readonly name: ScenarioName;
  /** Time from the start of the run until the change begins, in ms (default: the scenario's). */
  readonly startAfterMs?: number;
  /** Duration of the linear change from baseline to full effect, in ms (default: the scenario's). */
  readonly rampMs?: number;
}

/** A scenario with its timing resolved. */
export interface ResolvedScenario {
  readonly name: ScenarioName;
  readonly startAfterMs: number;
  readonly rampMs: number;
}

/** How a patient's scenario may be given: by name (default timing) or with timing. */
export type ScenarioSpec = ScenarioName | ScenarioConfig;

function assertDuration(value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what} must be a finite number of ms >= 0, got ${value}`);
  }
}

/**
 * Resolves a scenario spec: explicit timing first, then `defaults`, then the scenario's own.
 *
 * @throws {RangeError} for an unknown scenario name or a negative / non-finite duration.
 */
export function resolveScenario(
  spec: ScenarioSpec,
  defaults: { readonly startAfterMs?: number; readonly rampMs?: number } = {},
  where = 'scenario',
): ResolvedScenario {
  const config: ScenarioConfig = typeof spec === 'string' ? { name: spec } : spec;
  if (!isScenarioName(config.name)) {
    throw new RangeError(
      `${where}: unknown scenario "${String(config.name)}"; use one of ${SCENARIO_NAMES.join(', ')}`,
    );
  }
  const definition = SCENARIOS[config.name];
  const startAfterMs = config.startAfterMs ?? defaults.startAfterMs ?? definition.startAfterMs;
  const rampMs = config.rampMs ?? defaults.rampMs ?? definition.rampMs;
  assertDuration(startAfterMs, `${where}.startAfterMs`);
  assertDuration(rampMs, `${where}.rampMs`);
  return { name: config.name, startAfterMs, rampMs };
}

/**
 * How far a scenario has developed `elapsedMs` after the start of the run: 0 before
 * `startAfterMs`, rising linearly to 1 over `rampMs`, then 1.
 */
export function scenarioProgress(scenario: ResolvedScenario, elapsedMs: number): number {
  const sinceStart = elapsedMs - scenario.startAfterMs;
  if (sinceStart < 0) return 0;
  if (scenario.rampMs === 0 || sinceStart >= scenario.rampMs) return 1;
  return sinceStart / scenario.rampMs;
}

/** The mean of `metric` for a patient with `baseline` when the scenario has developed to `progress`. */
export function scenarioMean(
  name: ScenarioName,
  metric: VitalMetric,
  baseline: number,
  progress: number,
): number {
  const effects: ScenarioDefinition['effects'] = SCENARIOS[name].effects;
  const effect = effects[metric];
  if (effect === undefined || progress === 0) return baseline;
  const full = effect.kind === 'shift' ? baseline + effect.by : effect.value;
  return baseline + (full - baseline) * progress;
}
