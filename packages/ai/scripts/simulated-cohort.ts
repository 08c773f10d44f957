/**
 * The simulated cohort the project's models are trained and evaluated on: a seeded ward of
 * `@healthit/device` simulator patients following varied clinical courses, a bedside monitor each
 * with sensor faults, NEWS2 of the true state from `@healthit/gateway`'s RCP chart.
 *
 * Node-side tooling shared by the unit tests, `scripts/train-models.ts` and `bench/ai-training.ts`;
 * not part of the package (which depends on `@healthit/core` only).
 */
import { createWardSimulator, type DeviceSpec, type ScenarioSpec } from '@healthit/device';
import { scoreValidNews2 } from '@healthit/gateway';
import { seededRandom } from '../src/training/random.js';
import {
  type News2Observation,
  recordSimulation,
  type SimulationRecord,
} from '../src/training/simulation.js';

const HOUR_MS = 3_600_000;

/** 2025-01-01T00:00:00Z: every cohort starts at midnight UTC (circadian rhythms on). */
export const COHORT_START_TS = Date.UTC(2025, 0, 1);

/** Options of {@link simulateCohort}. */
export interface CohortOptions {
  readonly patients: number;
  readonly seed: number;
  /** Simulated hours per patient (>= 4). */
  readonly hours: number;
  /** The monitor's reporting period, ms (default 60 000: one set of vitals a minute). */
  readonly periodMs?: number;
  /** Sensor faults on the monitors (default true). */
  readonly faults?: boolean;
  readonly patientIdPrefix?: string;
}

/**
 * The monitor's sensor faults: motion artefacts on 2 % of measurements, flat-line (stuck) episodes
 * about once in 4 hours lasting 2 min on average, dropouts as often lasting 1 min, and a few
 * duplicated or late deliveries.
 */
export const COHORT_MONITOR_FAULTS = {
  motionArtefact: { probability: 0.02 },
  stuck: { ratePerHour: 0.25 },
  dropout: { ratePerHour: 0.25 },
  duplicate: { probability: 0.005 },
  outOfOrder: { probability: 0.005, maxDelayTicks: 2 },
} as const;

/**
 * Each patient's course, drawn from the seed: 40 % stable; 25 % a sepsis-like deterioration with
 * onset at a random time between hour 1 and 2 h before the end, developing over 2–8 h (a third of
 * them recover afterwards); 8 % hypoxia (over 30–120 min) and 8 % fever (over 1–3 h), with such an
 * onset too; 8 % COPD on NEWS2 SpO2 scale 2 and 11 % atrial fibrillation, each with a later
 * deterioration in 40 % of them.
 */
export function cohortCourses(options: Pick<CohortOptions, 'patients' | 'seed' | 'hours'>): ScenarioSpec[] {
  const { hours } = options;
  if (!(hours >= 4)) throw new RangeError(`cohort: hours must be >= 4, got ${hours}`);
  const random = seededRandom(options.seed * 7919 + 17);
  const between = (lo: number, hi: number) => lo + (hi - lo) * random.uniform();
  const onset = () => Math.round(between(1, hours - 2) * HOUR_MS);
  const deteriorating = (atMs: number) => ({
    name: 'deteriorating' as const,
    atMs,
    rampMs: Math.round(between(2, 8) * HOUR_MS),
  });
  return Array.from({ length: options.patients }, (): ScenarioSpec => {
    const u = random.uniform();
    if (u < 0.4) return 'stable';
    if (u < 0.65) {
      const d = deteriorating(onset());
      if (random.uniform() < 1 / 3) {
        return {
          timeline: [
            d,
            { name: 'recovery', atMs: d.atMs + d.rampMs + Math.round(between(0.5, 2) * HOUR_MS) },
          ],
        };
      }
      return { timeline: [d] };
    }
    if (u < 0.73)
      return {
        timeline: [{ name: 'hypoxic', atMs: onset(), rampMs: Math.round(between(0.5, 2) * HOUR_MS) }],
      };
    if (u < 0.81)
      return { timeline: [{ name: 'fever', atMs: onset(), rampMs: Math.round(between(1, 3) * HOUR_MS) }] };
    const chronic = u < 0.89 ? ('copd' as const) : ('atrial-fibrillation' as const);
    return random.uniform() < 0.4
      ? { timeline: [{ name: chronic, atMs: 0 }, deteriorating(onset())] }
      : { timeline: [{ name: chronic, atMs: 0 }] };
  });
}

/** NEWS2 of an observation set on the gateway's RCP chart. */
export function news2Total(observation: News2Observation): number {
  return scoreValidNews2(observation).total;
}

/**
 * Simulates the cohort and records it (see `recordSimulation`): readings as delivered, NEWS2 of
 * the true state every tick, which measurements a fault spoiled.
 */
export function simulateCohort(
  options: CohortOptions,
): SimulationRecord & { readonly courses: readonly ScenarioSpec[] } {
  const periodMs = options.periodMs ?? 60_000;
  const courses = cohortCourses(options);
  const monitor: DeviceSpec =
    options.faults === false ? { kind: 'monitor' } : { kind: 'monitor', faults: COHORT_MONITOR_FAULTS };
  const ward = createWardSimulator({
    patients: options.patients,
    seed: options.seed,
    periodMs,
    startTs: COHORT_START_TS,
    scenarios: courses,
    devices: [monitor],
    heartbeats: false,
    ...(options.patientIdPrefix === undefined ? {} : { patientIdPrefix: options.patientIdPrefix }),
  });
  const record = recordSimulation(ward.simulate({ toMs: options.hours * HOUR_MS }), { news2: news2Total });
  return { ...record, courses };
}
