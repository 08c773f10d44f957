import type { VitalMetric } from './vital-signs.js';

/**
 * How a scenario moves the mean of one vital sign once fully developed: `shift` adds `by` to the
 * patient's baseline; `towards` replaces the baseline with `value`.
 */
export type VitalEffect =
  | {
      /** Adds `by` to the patient's baseline. */
      readonly kind: 'shift';
      /** The change of the mean, in the vital sign's canonical unit (negative lowers it). */
      readonly by: number;
    }
  | {
      /** Replaces the patient's baseline with `value`. */
      readonly kind: 'towards';
      /** The mean once fully developed, in the vital sign's canonical unit. */
      readonly value: number;
    };

/** Level of consciousness on the ACVPU scale NEWS2 uses: Alert, new Confusion, Voice, Pain, Unresponsive. */
export type Consciousness = 'A' | 'C' | 'V' | 'P' | 'U';

/** The heart's rhythm: sinus rhythm or atrial fibrillation. */
export type Rhythm = 'sinus' | 'af';

/**
 * The NEWS2 SpO2 scale that applies to a patient: 1 for most patients, 2 for patients with
 * hypercapnic respiratory failure whose prescribed target is 88–92 % (Royal College of Physicians,
 * NEWS2, 2017).
 */
export type Spo2Scale = 1 | 2;

/**
 * A clinical course: how it moves each vital sign's mean, and when by default.
 *
 * An `acute` scenario is a phase of a patient's timeline: a later phase takes over from it (the
 * means move from where they are towards the new phase's). A `chronic` scenario is a condition:
 * from its onset it changes the patient's baseline for the rest of the run, and the acute phases
 * act on that changed baseline (so a COPD patient who recovers returns to their COPD baseline).
 */
export interface ScenarioDefinition {
  /** The scenario's name, its key in {@link SCENARIOS}, e.g. `deteriorating`. */
  readonly name: string;
  /** One sentence on the clinical course it simulates. */
  readonly description: string;
  /** `acute` (a phase) or `chronic` (a condition that persists); see above. */
  readonly kind: 'acute' | 'chronic';
  /** The effect at full development; vitals not listed keep their baseline. */
  readonly effects: { readonly [M in VitalMetric]?: VitalEffect };
  /** Default time from the start of the run until the change begins, in ms. */
  readonly startAfterMs: number;
  /** Default duration of the (linear) change from baseline to full effect, in ms. */
  readonly rampMs: number;
  /** Chronic only: the heart rhythm from onset (default sinus). */
  readonly rhythm?: Rhythm;
  /** Chronic only: the NEWS2 SpO2 scale from onset (default 1). */
  readonly spo2Scale?: Spo2Scale;
  /** Chronic only: multiplies the heart rate's moment-to-moment fluctuation (default 1). */
  readonly heartRateVariability?: number;
  /** Acute only: the level of consciousness once the phase is fully developed (default `A`). */
  readonly consciousness?: Consciousness;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * The built-in scenarios.
 *
 * Acute (phases of a timeline):
 * - `stable`: fluctuation around the baseline, nothing else. As a later phase it brings the means
 *   back to the baseline.
 * - `deteriorating`: a sepsis-like course. Heart rate rises towards 118 /min, respiratory rate
 *   towards 27 /min and temperature towards 38.7 °C; systolic pressure falls towards 92 mm Hg,
 *   diastolic towards 55 mm Hg and SpO2 towards 92 %. Every drawn baseline lies on the healthy side
 *   of these targets, so each moves in the clinical direction for every patient. The direction
 *   follows the SIRS criteria (HR > 90 /min, RR > 20 /min, T > 38 °C; Bone et al., Chest
 *   1992;101(6):1644–1655) and qSOFA (RR ≥ 22 /min, SBP ≤ 100 mm Hg; Singer et al., JAMA
 *   2016;315(8):801–810); the end point is approximate and chosen so that a NEWS2 score climbs
 *   from 0–2 to the high-risk band (≥ 7). Its heart and respiratory rates are totals: they already
 *   include the share of the fever. Default: begins after 1 min and develops over 15 min —
 *   compressed for demonstrations; real sepsis develops over hours (set `rampMs`).
 * - `hypoxic`: room-air SpO2 falls towards 88 % (the high 80s; NEWS2 SpO2 scale 1 scores 3 at
 *   ≤ 91 %), with a compensatory rise of respiratory rate (+6 /min) and heart rate (+12 /min).
 *   Supplemental oxygen raises SpO2 above the room-air value (see `OXYGEN_RESPONSE`). Default:
 *   begins after 1 min and develops over 5 min.
 * - `fever`: temperature rises towards 39.0 °C with nothing else set, so heart and respiratory
 *   rate follow through the fever response (`FEVER_RESPONSE`). Default: after 1 min, over 30 min.
 * - `recovery`: back to the baseline (like `stable`), over 2 h by default: the course after an
 *   intervention, labelled as such in the ground truth.
 *
 * Chronic (conditions):
 * - `copd`: chronic obstructive pulmonary disease with hypercapnic respiratory failure: room-air
 *   SpO2 towards 90 % (the middle of the 88–92 % target), respiratory rate +3 /min, NEWS2 SpO2
 *   scale 2 (RCP NEWS2, 2017; British Thoracic Society oxygen guideline, O'Driscoll et al., Thorax
 *   2017;72:i1–i90). From the start of the run by default.
 * - `atrial-fibrillation`: irregularly irregular ventricular rhythm (see `RHYTHM_MODELS`), mean
 *   heart rate +15 /min (rate-controlled AF on a ward typically runs at 80–110 /min) and a heart
 *   rate that fluctuates 2.5 times as much. From the start of the run by default; give a later
 *   onset for paroxysmal AF.
 */
export const SCENARIOS = {
  stable: {
    name: 'stable',
    description: 'Fluctuates around the baseline.',
    kind: 'acute',
    effects: {},
    startAfterMs: 0,
    rampMs: 0,
  },
  deteriorating: {
    name: 'deteriorating',
    description:
      'Sepsis-like: heart rate, respiratory rate and temperature rise; blood pressure and SpO2 fall.',
    kind: 'acute',
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
    kind: 'acute',
    effects: {
      spo2: { kind: 'towards', value: 88 },
      'respiratory-rate': { kind: 'shift', by: 6 },
      'heart-rate': { kind: 'shift', by: 12 },
    },
    startAfterMs: 1 * MINUTE_MS,
    rampMs: 5 * MINUTE_MS,
  },
  fever: {
    name: 'fever',
    description: 'Temperature rises towards 39 °C; heart and respiratory rate follow the fever.',
    kind: 'acute',
    effects: { 'body-temperature': { kind: 'towards', value: 39 } },
    startAfterMs: 1 * MINUTE_MS,
    rampMs: 30 * MINUTE_MS,
  },
  recovery: {
    name: 'recovery',
    description: 'Returns to the baseline after an intervention.',
    kind: 'acute',
    effects: {},
    startAfterMs: 0,
    rampMs: 2 * HOUR_MS,
  },
  copd: {
    name: 'copd',
    description: 'COPD with hypercapnic respiratory failure: SpO2 around 90 % on air, NEWS2 SpO2 scale 2.',
    kind: 'chronic',
    effects: {
      spo2: { kind: 'towards', value: 90 },
      'respiratory-rate': { kind: 'shift', by: 3 },
    },
    startAfterMs: 0,
    rampMs: 0,
    spo2Scale: 2,
  },
  'atrial-fibrillation': {
    name: 'atrial-fibrillation',
    description: 'Irregularly irregular heart rhythm with a faster, more variable heart rate.',
    kind: 'chronic',
    effects: { 'heart-rate': { kind: 'shift', by: 15 } },
    startAfterMs: 0,
    rampMs: 0,
    rhythm: 'af',
    heartRateVariability: 2.5,
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
  /** The built-in scenario the patient follows. */
  readonly name: ScenarioName;
  /** Time from the start of the run until the change begins, in ms (default: the scenario's). */
  readonly startAfterMs?: number;
  /** Duration of the linear change from baseline to full effect, in ms (default: the scenario's). */
  readonly rampMs?: number;
}

/** A scenario with its timing resolved. */
export interface ResolvedScenario {
  /** The built-in scenario the patient follows. */
  readonly name: ScenarioName;
  /** Time from the start of the run until the change begins, in ms (>= 0). */
  readonly startAfterMs: number;
  /** Duration of the linear change from baseline to full effect, in ms (>= 0). */
  readonly rampMs: number;
}

/** One phase of a patient's timeline. */
export interface PhaseSpec {
  /**
   * The built-in scenario of the phase: acute (the next acute phase takes over from it) or chronic
   * (persists).
   */
  readonly name: ScenarioName;
  /** When the phase begins, in ms after the start of the run. */
  readonly atMs: number;
  /**
   * How long the change into this phase takes, in ms (linear). Default: the simulator's
   * `scenarioTiming.rampMs`, else the scenario's own.
   */
  readonly rampMs?: number;
  /** Acute phases: the level of consciousness once fully developed (default: the scenario's, else `A`). */
  readonly consciousness?: Consciousness;
}

/**
 * A patient's course as a sequence of phases, in order of `atMs`. Before the first acute phase the
 * patient is `stable`. Acute phases hand over to one another; chronic ones persist (see
 * {@link ScenarioDefinition}).
 *
 * @example
 * ```ts
 * // Stable for 2 h, sepsis over 6 h, then antibiotics and recovery over 4 h.
 * const course: TimelineSpec = {
 *   timeline: [
 *     { name: 'deteriorating', atMs: 2 * HOUR, rampMs: 6 * HOUR },
 *     { name: 'recovery', atMs: 10 * HOUR, rampMs: 4 * HOUR },
 *   ],
 * };
 * ```
 */
export interface TimelineSpec {
  /** 1…{@link MAX_TIMELINE_PHASES} phases, in order of `atMs`. */
  readonly timeline: readonly PhaseSpec[];
}

/** How a patient's scenario may be given: by name (default timing), with timing, or as a timeline. */
export type ScenarioSpec = ScenarioName | ScenarioConfig | TimelineSpec;

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
  spec: ScenarioName | ScenarioConfig,
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
  return baseline + (applyEffect(effect, baseline) - baseline) * progress;
}

/** The fully developed value of a vital sign whose value before the effect is `from`. */
export function applyEffect(effect: VitalEffect, from: number): number {
  return effect.kind === 'shift' ? from + effect.by : effect.value;
}
