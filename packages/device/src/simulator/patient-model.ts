import { type OuStep, ouAdvance, ouStep } from './ornstein-uhlenbeck.js';
import type { SeededRandom } from './random.js';
import { type ResolvedScenario, scenarioMean, scenarioProgress } from './scenarios.js';
import {
  BP_FLUCTUATION_CORRELATION,
  MIN_BASELINE_PULSE_PRESSURE_MMHG,
  MIN_REPORTED_PULSE_PRESSURE_MMHG,
  reportValue,
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

/** One simulated patient's vital signs over time. */
export interface PatientProcess {
  /**
   * Advances every vital sign by one step of `stepMs` (the one the process was made with) to the
   * time `elapsedMs` after the start of the run, and returns the values as a monitor reports them.
   */
  advance(elapsedMs: number): VitalValues;
}

/**
 * A patient whose vital signs each follow an exactly discretised Ornstein–Uhlenbeck process
 * around the scenario-adjusted baseline (see {@link ouStep}): value = scenario mean + deviation,
 * where the deviation reverts to 0. So the scenario's trend is followed without lag and the
 * fluctuation keeps its stationary variance while the mean moves. Systolic and diastolic
 * fluctuations are correlated ({@link BP_FLUCTUATION_CORRELATION}). The deviations start from
 * their stationary distribution at time 0. Reported values are rounded and clamped by {@link reportValue}, and a
 * reported diastolic value stays at least {@link MIN_REPORTED_PULSE_PRESSURE_MMHG} below the
 * systolic one. `random` is advanced in place: give each patient its own stream.
 */
export function createPatientProcess(
  baseline: VitalValues,
  scenario: ResolvedScenario,
  stepMs: number,
  random: SeededRandom,
): PatientProcess {
  const steps = {} as Record<VitalMetric, OuStep>;
  /** Each vital sign's current deviation from its scenario-adjusted mean. */
  const deviation = {} as Record<VitalMetric, number>;
  for (const metric of VITAL_METRICS) {
    const model = VITAL_SIGN_MODELS[metric];
    steps[metric] = ouStep(model.sd, model.timeConstantMs, stepMs);
    deviation[metric] = model.sd * random.normal();
  }
  const rho = BP_FLUCTUATION_CORRELATION;
  const rhoComplement = Math.sqrt(1 - rho * rho);

  return {
    advance(elapsedMs) {
      const progress = scenarioProgress(scenario, elapsedMs);
      let systolicZ = 0;
      const reported = {} as Record<VitalMetric, number>;
      for (const metric of VITAL_METRICS) {
        let z = random.normal();
        if (metric === 'bp-systolic') systolicZ = z;
        if (metric === 'bp-diastolic') z = rho * systolicZ + rhoComplement * z;
        const d = ouAdvance(steps[metric], deviation[metric], 0, z);
        deviation[metric] = d;
        reported[metric] = reportValue(
          metric,
          scenarioMean(scenario.name, metric, baseline[metric], progress) + d,
        );
      }
      reported['bp-diastolic'] = Math.min(
        reported['bp-diastolic'],
        reported['bp-systolic'] - MIN_REPORTED_PULSE_PRESSURE_MMHG,
      );
      return reported;
    },
  };
}
