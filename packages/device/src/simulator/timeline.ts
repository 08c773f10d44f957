import { FEVER_RESPONSE, type FeverResponse } from './physiology.js';
import {
  applyEffect,
  type Consciousness,
  isScenarioName,
  type ResolvedScenario,
  type Rhythm,
  resolveScenario,
  SCENARIO_NAMES,
  SCENARIOS,
  type ScenarioDefinition,
  type ScenarioName,
  type ScenarioSpec,
  type Spo2Scale,
} from './scenarios.js';
import { VITAL_METRICS, type VitalMetric, type VitalValues } from './vital-signs.js';

/** The most phases one patient's timeline may have. */
export const MAX_TIMELINE_PHASES = 64;

/** One phase of a patient's timeline with everything resolved. */
export interface ResolvedPhase {
  /** The built-in scenario of the phase. */
  readonly name: ScenarioName;
  /**
   * The scenario's kind: `acute` (a later phase takes over from it) or `chronic` (a condition that persists
   * from its onset).
   */
  readonly kind: 'acute' | 'chronic';
  /** When the phase begins, in ms after the start of the run. */
  readonly atMs: number;
  /** Duration of the linear change into the phase, in ms. */
  readonly rampMs: number;
  /** The level of consciousness once the phase is fully developed (acute phases; `A` for chronic). */
  readonly consciousness: Consciousness;
}

/** A patient's course: a headline scenario (for labels and the ward mix) and the full timeline. */
export interface ResolvedCourse {
  /**
   * The headline scenario: the scenario itself for a single-scenario spec; for a timeline, its
   * first phase that is not `stable` (or `stable` at 0).
   */
  readonly scenario: ResolvedScenario;
  /** The phases in order of `atMs`. */
  readonly timeline: readonly ResolvedPhase[];
}

const CONSCIOUSNESS = ['A', 'C', 'V', 'P', 'U'] as const;

function assertDuration(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${what} must be a finite number of ms >= 0, got ${String(value)}`);
  }
}

function definitionOf(name: ScenarioName): ScenarioDefinition {
  return SCENARIOS[name];
}

/**
 * Resolves how one patient's scenario is given (a name, a timed scenario, or a timeline) into a
 * timeline. A single scenario becomes a one-phase timeline starting at its `startAfterMs`.
 * Timing: explicit first, then `defaults`, then the scenario's own.
 *
 * @throws {RangeError} for an unknown scenario, a bad duration, a timeline that is empty, too
 *   long or not in order of `atMs`, or an unknown level of consciousness.
 */
export function resolveCourse(
  spec: ScenarioSpec,
  defaults: { readonly startAfterMs?: number; readonly rampMs?: number } = {},
  where = 'scenario',
): ResolvedCourse {
  if (typeof spec === 'object' && spec !== null && 'timeline' in spec) {
    const phases = spec.timeline;
    if (!Array.isArray(phases) || phases.length === 0 || phases.length > MAX_TIMELINE_PHASES) {
      throw new RangeError(`${where}.timeline must be an array of 1…${MAX_TIMELINE_PHASES} phases`);
    }
    const timeline: ResolvedPhase[] = [];
    let previousAt = 0;
    for (const [i, phase] of phases.entries()) {
      const at = `${where}.timeline[${i}]`;
      if (!isScenarioName(phase?.name)) {
        throw new RangeError(
          `${at}: unknown scenario "${String(phase?.name)}"; use one of ${SCENARIO_NAMES.join(', ')}`,
        );
      }
      assertDuration(phase.atMs, `${at}.atMs`);
      if (phase.atMs < previousAt) {
        throw new RangeError(
          `${at}.atMs ${phase.atMs} is before the previous phase (${previousAt}); list phases in order`,
        );
      }
      previousAt = phase.atMs;
      const definition = definitionOf(phase.name);
      const rampMs = phase.rampMs ?? defaults.rampMs ?? definition.rampMs;
      assertDuration(rampMs, `${at}.rampMs`);
      const consciousness = phase.consciousness ?? definition.consciousness ?? 'A';
      if (!(CONSCIOUSNESS as readonly string[]).includes(consciousness)) {
        throw new RangeError(
          `${at}.consciousness must be one of ${CONSCIOUSNESS.join(', ')}, got ${consciousness}`,
        );
      }
      if (definition.kind === 'chronic' && phase.consciousness !== undefined) {
        throw new RangeError(`${at}: ${phase.name} is a chronic condition and takes no consciousness`);
      }
      timeline.push(
        Object.freeze({ name: phase.name, kind: definition.kind, atMs: phase.atMs, rampMs, consciousness }),
      );
    }
    const headline = timeline.find((p) => p.name !== 'stable');
    const scenario: ResolvedScenario =
      headline === undefined
        ? { name: 'stable', startAfterMs: 0, rampMs: 0 }
        : { name: headline.name, startAfterMs: headline.atMs, rampMs: headline.rampMs };
    return { scenario, timeline };
  }
  const scenario = resolveScenario(spec, defaults, where);
  const definition = definitionOf(scenario.name);
  return {
    scenario,
    timeline: [
      Object.freeze({
        name: scenario.name,
        kind: definition.kind,
        atMs: scenario.startAfterMs,
        rampMs: scenario.rampMs,
        consciousness: definition.consciousness ?? 'A',
      }),
    ],
  };
}

/**
 * Where a patient is in their course at one moment, before circadian rhythm and fluctuation.
 * {@link Course.at} reuses one instance per course: read it before the next call.
 */
export interface CourseState {
  /** The means of the vital signs (SpO2 on room air), indexed like `VITAL_METRICS`. */
  readonly means: Float64Array;
  /** The current acute phase (`stable` before the first). */
  readonly phase: ScenarioName;
  /** Its index in the timeline, or −1 before the first acute phase. */
  readonly phaseIndex: number;
  /** How far the current acute phase has developed, 0…1. */
  readonly phaseProgress: number;
  /** The chronic conditions that have begun, in timeline order (frozen; shared between calls). */
  readonly conditions: readonly ScenarioName[];
  readonly rhythm: Rhythm;
  readonly spo2Scale: Spo2Scale;
  readonly consciousness: Consciousness;
  /** Multiplier of the heart rate's fluctuation. */
  readonly heartRateVariability: number;
}

/** Evaluates one patient's course over time. */
export interface Course {
  /** The state `elapsedMs` after the start of the run (the same object every call, updated). */
  at(elapsedMs: number): CourseState;
}

function progressOf(phase: ResolvedPhase, elapsedMs: number): number {
  const since = elapsedMs - phase.atMs;
  if (since < 0) return 0;
  if (phase.rampMs === 0 || since >= phase.rampMs) return 1;
  return since / phase.rampMs;
}

const N = VITAL_METRICS.length;
const HR_INDEX = VITAL_METRICS.indexOf('heart-rate');
const RR_INDEX = VITAL_METRICS.indexOf('respiratory-rate');
const T_INDEX = VITAL_METRICS.indexOf('body-temperature');

type Effects = readonly (ReturnType<typeof effectAt> | undefined)[];

function effectAt(name: ScenarioName, metric: VitalMetric) {
  return definitionOf(name).effects[metric];
}

function effectsOf(name: ScenarioName): Effects {
  return VITAL_METRICS.map((m) => effectAt(name, m));
}

/**
 * Builds the evaluator of a patient's course.
 *
 * Chronic conditions change the baseline from their onset, each ramping linearly. Acute phases
 * hand over linearly: during phase `k` the means are `(1 − p)·(means when k began) + p·S_k`, where
 * `p` is phase k's progress and `S_k` is phase k fully developed on the current (chronic-adjusted)
 * baseline, with the fever response added for heart and respiratory rate when phase k raises the
 * temperature and does not set them itself. So a phase that begins before the previous one has
 * finished starts from wherever the means were: no jumps.
 */
export function createCourse(
  baseline: VitalValues,
  timeline: readonly ResolvedPhase[],
  fever: FeverResponse = FEVER_RESPONSE,
): Course {
  const chronic = timeline.filter((p) => p.kind === 'chronic');
  const chronicEffects = chronic.map((p) => effectsOf(p.name));
  const chronicDefinitions = chronic.map((p) => definitionOf(p.name));
  const conditionLists = chronic.map((_, i) => Object.freeze(chronic.slice(0, i + 1).map((p) => p.name)));
  const acute = timeline.filter((p) => p.kind === 'acute');
  const acuteEffects = acute.map((p) => effectsOf(p.name));
  const acuteIndex = acute.map((p) => timeline.indexOf(p));
  // entry[k][j]: weight of state j (0 = the chronic-adjusted baseline, j + 1 = acute phase j fully
  // developed) in the means at the moment acute phase k begins. entryConsciousness likewise.
  const entry: number[][] = [];
  const entryConsciousness: Consciousness[] = [];
  for (let k = 0; k < acute.length; k++) {
    if (k === 0) {
      entry.push([1]);
      entryConsciousness.push('A');
      continue;
    }
    const previous = acute[k - 1] as ResolvedPhase;
    const q = progressOf(previous, (acute[k] as ResolvedPhase).atMs);
    const before = entry[k - 1] as number[];
    entry.push([...before.map((w) => w * (1 - q)), q]);
    entryConsciousness.push(q >= 1 ? previous.consciousness : (entryConsciousness[k - 1] as Consciousness));
  }

  const base = Float64Array.from(VITAL_METRICS, (m) => baseline[m]);
  const b = new Float64Array(N);
  const state = new Float64Array(N);
  const noConditions: readonly ScenarioName[] = Object.freeze([]);
  const out = {
    means: new Float64Array(N),
    phase: 'stable' as ScenarioName,
    phaseIndex: -1,
    phaseProgress: 1,
    conditions: noConditions,
    rhythm: 'sinus' as Rhythm,
    spo2Scale: 1 as Spo2Scale,
    consciousness: 'A' as Consciousness,
    heartRateVariability: 1,
  };

  /** Adds `w ·` (acute phase j fully developed on `b`) to the means. */
  const addState = (j: number, w: number): void => {
    const effects = acuteEffects[j] as Effects;
    for (let i = 0; i < N; i++) {
      const effect = effects[i];
      state[i] = effect === undefined ? (b[i] as number) : applyEffect(effect, b[i] as number);
    }
    const feverDegC = (state[T_INDEX] as number) - (b[T_INDEX] as number);
    if (feverDegC > 0) {
      if (effects[HR_INDEX] === undefined)
        state[HR_INDEX] = (state[HR_INDEX] as number) + fever.heartRatePerDegC * feverDegC;
      if (effects[RR_INDEX] === undefined) {
        state[RR_INDEX] = (state[RR_INDEX] as number) + fever.respiratoryRatePerDegC * feverDegC;
      }
    }
    const means = out.means;
    for (let i = 0; i < N; i++) means[i] = (means[i] as number) + w * (state[i] as number);
  };

  return {
    at(elapsedMs) {
      b.set(base);
      out.conditions = noConditions;
      out.rhythm = 'sinus';
      out.spo2Scale = 1;
      out.heartRateVariability = 1;
      for (let c = 0; c < chronic.length; c++) {
        const condition = chronic[c] as ResolvedPhase;
        if (elapsedMs < condition.atMs) break;
        const p = progressOf(condition, elapsedMs);
        const effects = chronicEffects[c] as Effects;
        for (let i = 0; i < N; i++) {
          const effect = effects[i];
          if (effect !== undefined)
            b[i] = (b[i] as number) + (applyEffect(effect, b[i] as number) - (b[i] as number)) * p;
        }
        const definition = chronicDefinitions[c] as ScenarioDefinition;
        out.conditions = conditionLists[c] as readonly ScenarioName[];
        if (definition.rhythm !== undefined) out.rhythm = definition.rhythm;
        if (definition.spo2Scale !== undefined) out.spo2Scale = definition.spo2Scale;
        if (definition.heartRateVariability !== undefined)
          out.heartRateVariability = definition.heartRateVariability;
      }

      let k = -1;
      for (let j = 0; j < acute.length && (acute[j] as ResolvedPhase).atMs <= elapsedMs; j++) k = j;
      const means = out.means;
      if (k < 0) {
        means.set(b);
        out.phase = 'stable';
        out.phaseIndex = -1;
        out.phaseProgress = 1;
        out.consciousness = 'A';
        return out;
      }
      const current = acute[k] as ResolvedPhase;
      const p = progressOf(current, elapsedMs);
      const weights = entry[k] as number[];
      const w0 = (weights[0] as number) * (1 - p);
      for (let i = 0; i < N; i++) means[i] = w0 * (b[i] as number);
      for (let j = 0; j < k; j++) {
        const w = (weights[j + 1] as number) * (1 - p);
        if (w !== 0) addState(j, w);
      }
      if (p !== 0) addState(k, p);
      out.phase = current.name;
      out.phaseIndex = acuteIndex[k] as number;
      out.phaseProgress = p;
      out.consciousness = p >= 1 ? current.consciousness : (entryConsciousness[k] as Consciousness);
      return out;
    },
  };
}
