import { METRICS, type PatientId } from '@healthit/core';
import { type CircadianRhythms, circadianOffset } from './circadian.js';
import { type OuStep, ouAdvance, ouStep } from './ornstein-uhlenbeck.js';
import { type FeverResponse, type OxygenResponse, oxygenBenefitStep } from './physiology.js';
import type { SeededRandom } from './random.js';
import { type BeatGenerator, createBeatGenerator, type RhythmModels } from './rhythm.js';
import type { Consciousness, Rhythm, ScenarioName, Spo2Scale } from './scenarios.js';
import { type Course, createCourse, type ResolvedPhase } from './timeline.js';
import {
  BP_FLUCTUATION_CORRELATION,
  MIN_BASELINE_PULSE_PRESSURE_MMHG,
  MIN_REPORTED_PULSE_PRESSURE_MMHG,
  VITAL_METRICS,
  VITAL_SIGN_MODELS,
  type VitalMetric,
  type VitalValues,
} from './vital-signs.js';

/**
 * Draws a patient's resting baseline from the population models in {@link VITAL_SIGN_MODELS}, in
 * {@link VITAL_METRICS} order; the diastolic baseline is lowered, if needed, to keep a pulse
 * pressure of at least {@link MIN_BASELINE_PULSE_PRESSURE_MMHG}.
 */
export function drawBaseline(random: SeededRandom): VitalValues {
  const drawn = {} as Record<VitalMetric, number>;
  for (const metric of VITAL_METRICS) {
    const { mean, sd, min, max } = VITAL_SIGN_MODELS[metric].baseline;
    drawn[metric] = random.truncatedNormal(mean, sd, min, max);
  }
  drawn['bp-diastolic'] = Math.min(
    drawn['bp-diastolic'],
    drawn['bp-systolic'] - MIN_BASELINE_PULSE_PRESSURE_MMHG,
  );
  return drawn;
}

/**
 * The ground truth about one patient at one tick: where they are in their course, their true
 * (physiological, pre-device, pre-fault) vital signs, their heartbeats, and what NEWS2 needs beyond
 * the vital signs.
 */
export interface PatientTruth {
  /** The patient's core patient id, e.g. `patient-001`. */
  readonly patientId: PatientId;
  /** 0-based position in the ward. */
  readonly index: number;
  /** The current acute phase of the patient's timeline (`stable` before the first). */
  readonly phase: ScenarioName;
  /** Its index in the patient's timeline, or −1 before the first acute phase. */
  readonly phaseIndex: number;
  /** How far the current phase has developed, 0…1. */
  readonly phaseProgress: number;
  /** The chronic conditions that have begun (e.g. `copd`). */
  readonly conditions: readonly ScenarioName[];
  /**
   * The true vital signs, unrounded, in canonical units: the scenario's means plus circadian rhythm
   * plus fluctuation plus the oxygen benefit (SpO2), within the catalogue's plausibility ranges,
   * SpO2 ≤ 100 % and diastolic at least 10 mm Hg below systolic. Devices report these rounded,
   * unless a fault says otherwise.
   */
  readonly vitals: VitalValues;
  /**
   * The heart's rhythm now: `sinus`, or `af` (atrial fibrillation) while a scenario says so; decides how RR
   * intervals are drawn.
   */
  readonly rhythm: Rhythm;
  /**
   * The RR intervals (ms) of the beats in this tick, each reported at the beat that ends it (empty
   * when heartbeats are not generated for this patient).
   */
  readonly rrIntervalsMs: readonly number[];
  /** The NEWS2 SpO2 scale that applies (2 for hypercapnic respiratory failure, e.g. `copd`). */
  readonly spo2Scale: Spo2Scale;
  /** Supplemental oxygen flow during this tick, L/min (0 on room air). */
  readonly oxygenFlowLpm: number;
  /** True when on supplemental oxygen (NEWS2 scores 2 for it). */
  readonly onOxygen: boolean;
  /** ACVPU level of consciousness (`A` unless the phase says otherwise). */
  readonly consciousness: Consciousness;
}

/** How a simulated patient's physiology is set up, beyond their baseline and timeline. */
export interface PhysiologyOptions {
  /** Circadian rhythms and the local time zone; absent: none. */
  readonly circadian?: { readonly rhythms: CircadianRhythms; readonly utcOffsetMinutes: number };
  readonly fever: FeverResponse;
  readonly oxygen: OxygenResponse;
  /** Heartbeat models; absent: no beats are generated (`rrIntervalsMs` stays empty). */
  readonly rhythms?: RhythmModels;
}

/** One simulated patient over time. */
export interface PatientPhysiology {
  /**
   * Advances by one step of `stepMs` to `elapsedMs` after the start of the run, at the epoch time
   * `ts` (which sets the time of day of the circadian rhythm), and returns the truth.
   */
  advance(elapsedMs: number, ts: number): PatientTruth;
  /** Sets the supplemental oxygen flow (L/min, finite, >= 0) from the next step on. */
  setOxygenFlow(flowLpm: number): void;
}

const N = VITAL_METRICS.length;
const HR = VITAL_METRICS.indexOf('heart-rate');
const RR = VITAL_METRICS.indexOf('respiratory-rate');
const SPO2 = VITAL_METRICS.indexOf('spo2');
const SBP = VITAL_METRICS.indexOf('bp-systolic');
const DBP = VITAL_METRICS.indexOf('bp-diastolic');
const PLAUSIBLE_MIN = Float64Array.from(VITAL_METRICS, (m) => METRICS[m].plausible.min);
const PLAUSIBLE_MAX = Float64Array.from(VITAL_METRICS, (m) => METRICS[m].plausible.max);

/**
 * The circadian offsets of every vital sign (indexed like `VITAL_METRICS`) at a time, memoised for
 * the last time asked: every patient of a tick shares one computation.
 */
export function circadianTable(circadian: PhysiologyOptions['circadian']): (ts: number) => Float64Array {
  const offsets = new Float64Array(N);
  let at = Number.NaN;
  return (ts) => {
    if (circadian === undefined || ts === at) return offsets;
    at = ts;
    for (let i = 0; i < N; i++) {
      offsets[i] = circadianOffset(
        VITAL_METRICS[i] as VitalMetric,
        ts,
        circadian.utcOffsetMinutes,
        circadian.rhythms,
      );
    }
    return offsets;
  };
}

/**
 * A patient whose vital signs each follow an exactly discretised Ornstein–Uhlenbeck process
 * around the course's means (see {@link ouStep} and {@link createCourse}): value = mean + circadian
 * offset + deviation, where the deviation reverts to 0. So the course is followed without lag and
 * the fluctuation keeps its stationary variance while the mean moves. Systolic and diastolic
 * fluctuations are correlated ({@link BP_FLUCTUATION_CORRELATION}); the heart rate fluctuates more
 * in atrial fibrillation. The deviations start from their stationary distribution. SpO2 adds the
 * oxygen benefit ({@link oxygenBenefitStep}).
 *
 * `noise` draws six normals per step in `VITAL_METRICS` order, and nothing else, so the
 * fluctuations do not depend on oxygen, beats or faults; `beats` (its own stream) drives the
 * heartbeats. Both are advanced in place: give each patient their own. `circadian` may be shared
 * by the patients of a run (see {@link circadianTable}).
 */
export function createPatientPhysiology(config: {
  readonly patientId: PatientId;
  readonly index: number;
  readonly baseline: VitalValues;
  readonly timeline: readonly ResolvedPhase[];
  readonly stepMs: number;
  readonly noise: SeededRandom;
  readonly beats?: SeededRandom;
  readonly options: PhysiologyOptions;
  readonly circadian?: (ts: number) => Float64Array;
}): PatientPhysiology {
  const { patientId, index, stepMs, noise, options } = config;
  const course: Course = createCourse(config.baseline, config.timeline, options.fever);
  const decay = new Float64Array(N);
  const innovationSd = new Float64Array(N);
  const deviation = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const model = VITAL_SIGN_MODELS[VITAL_METRICS[i] as VitalMetric];
    const step = ouStep(model.sd, model.timeConstantMs, stepMs);
    decay[i] = step.decay;
    innovationSd[i] = step.innovationSd;
    deviation[i] = model.sd * noise.normal();
  }
  const heartRateSteps = new Map<number, OuStep>();
  const heartRateStep = (variability: number): OuStep => {
    let step = heartRateSteps.get(variability);
    if (step === undefined) {
      const model = VITAL_SIGN_MODELS['heart-rate'];
      step = ouStep(model.sd * variability, model.timeConstantMs, stepMs);
      heartRateSteps.set(variability, step);
    }
    return step;
  };
  const rho = BP_FLUCTUATION_CORRELATION;
  const rhoComplement = Math.sqrt(1 - rho * rho);
  const beats: BeatGenerator | undefined =
    config.beats !== undefined && options.rhythms !== undefined
      ? createBeatGenerator(config.beats, stepMs, options.rhythms)
      : undefined;
  const offsetsAt = config.circadian ?? circadianTable(options.circadian);
  const noBeats: readonly number[] = Object.freeze([]);
  const v = new Float64Array(N);
  let flowLpm = 0;
  let benefit = 0;

  return {
    setOxygenFlow(value) {
      flowLpm = value;
    },
    advance(elapsedMs, ts) {
      const state = course.at(elapsedMs);
      const offsets = offsetsAt(ts);
      let systolicZ = 0;
      for (let i = 0; i < N; i++) {
        let z = noise.normal();
        if (i === SBP) systolicZ = z;
        else if (i === DBP) z = rho * systolicZ + rhoComplement * z;
        let d: number;
        if (i === HR && state.heartRateVariability !== 1) {
          d = ouAdvance(heartRateStep(state.heartRateVariability), deviation[i] as number, 0, z);
        } else {
          d = (deviation[i] as number) * (decay[i] as number) + (innovationSd[i] as number) * z;
        }
        deviation[i] = d;
        v[i] = (state.means[i] as number) + (offsets[i] as number) + d;
      }
      const roomAirSpo2 = (v[SPO2] as number) - (deviation[SPO2] as number);
      benefit = oxygenBenefitStep(options.oxygen, benefit, flowLpm, roomAirSpo2, stepMs);
      v[SPO2] = (v[SPO2] as number) + benefit;
      for (let i = 0; i < N; i++) {
        v[i] = Math.min(PLAUSIBLE_MAX[i] as number, Math.max(PLAUSIBLE_MIN[i] as number, v[i] as number));
      }
      v[DBP] = Math.min(v[DBP] as number, (v[SBP] as number) - MIN_REPORTED_PULSE_PRESSURE_MMHG);
      // VITAL_METRICS order: heart-rate, respiratory-rate, spo2, body-temperature, bp-systolic, bp-diastolic.
      const vitals: VitalValues = {
        'heart-rate': v[0] as number,
        'respiratory-rate': v[1] as number,
        spo2: v[2] as number,
        'body-temperature': v[3] as number,
        'bp-systolic': v[4] as number,
        'bp-diastolic': v[5] as number,
      };
      const rrIntervalsMs =
        beats === undefined
          ? noBeats
          : beats.beats(elapsedMs, v[HR] as number, v[RR] as number, state.rhythm);
      return {
        patientId,
        index,
        phase: state.phase,
        phaseIndex: state.phaseIndex,
        phaseProgress: state.phaseProgress,
        conditions: state.conditions,
        vitals,
        rhythm: state.rhythm,
        rrIntervalsMs,
        spo2Scale: state.spo2Scale,
        oxygenFlowLpm: flowLpm,
        onOxygen: flowLpm > 0,
        consciousness: state.consciousness,
      };
    },
  };
}
