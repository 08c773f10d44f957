/**
 * The two wards of the story, as seeded `@healthit/device` simulators: a general medical ward (the
 * population the first model is trained on) and a respiratory ward (where the gateway is moved).
 */

import { seededRandom } from '@healthit/ai/training';
import {
  createWardSimulator,
  type OxygenSetting,
  type PhaseSpec,
  type ScenarioSpec,
  type SimulationTick,
} from '@healthit/device';

const HOUR_MS = 3_600_000;

/** How a ward's patients are drawn. */
export interface WardMix {
  /** Share with COPD and hypercapnic respiratory failure (NEWS2 SpO2 scale 2, SpO2 around 90 %). */
  readonly copd: number;
  /** Share with atrial fibrillation (faster, irregular heart rate). */
  readonly atrialFibrillation: number;
  /** Share with a sepsis-like deterioration at some time during the stay. */
  readonly deteriorating: number;
  /** Share with a hypoxic episode; and with a fever. */
  readonly hypoxic: number;
  readonly fever: number;
  /** Share on supplemental oxygen from admission, at `oxygenLpm`. */
  readonly onOxygen: number;
  readonly oxygenLpm: number;
}

/** A ward: its name, its patients' id prefix, its mix. */
export interface WardSpec {
  readonly name: string;
  readonly prefix: string;
  readonly mix: WardMix;
}

/** Most patients stable, some deteriorating; a few chronic conditions; nobody on oxygen at admission. */
export const GENERAL_WARD: WardSpec = {
  name: 'general medical ward',
  prefix: 'gen',
  mix: {
    copd: 0.08,
    atrialFibrillation: 0.11,
    deteriorating: 0.35,
    hypoxic: 0.08,
    fever: 0.08,
    onOxygen: 0,
    oxygenLpm: 0,
  },
};

/**
 * Half the patients have COPD (NEWS2 scores their SpO2 on scale 2, where 97 % or more *on oxygen*
 * scores 3), half are on 3 L/min of oxygen from admission (NEWS2 adds 2): the same vital signs mean
 * something else here, and the first model cannot see the SpO2 scale or the oxygen.
 */
export const RESPIRATORY_WARD: WardSpec = {
  name: 'respiratory ward',
  prefix: 'resp',
  mix: {
    copd: 0.5,
    atrialFibrillation: 0.1,
    deteriorating: 0.35,
    hypoxic: 0.08,
    fever: 0.08,
    onOxygen: 0.5,
    oxygenLpm: 3,
  },
};

/**
 * Each patient's course, drawn from the seed, over a stay of `stayHours` (default 36): acute events
 * begin at a uniform time between hour 1 and 2 h before the end of the stay, so the rate at which
 * patients start to deteriorate is the same all along (a ward in a steady state, whenever the
 * gateway looks at it); a third of the deteriorating patients recover after treatment.
 */
export function wardCourses(spec: WardSpec, patients: number, seed: number, stayHours = 36): ScenarioSpec[] {
  const random = seededRandom(seed * 7919 + 101);
  const between = (lo: number, hi: number) => lo + (hi - lo) * random.uniform();
  const onset = () => Math.round(between(1, stayHours - 2) * HOUR_MS);
  const { mix } = spec;
  return Array.from({ length: patients }, (): ScenarioSpec => {
    const timeline: PhaseSpec[] = [];
    const c = random.uniform();
    if (c < mix.copd) timeline.push({ name: 'copd', atMs: 0 });
    else if (c < mix.copd + mix.atrialFibrillation) timeline.push({ name: 'atrial-fibrillation', atMs: 0 });
    const a = random.uniform();
    if (a < mix.deteriorating) {
      const atMs = onset();
      const rampMs = Math.round(between(2, 8) * HOUR_MS);
      timeline.push({ name: 'deteriorating', atMs, rampMs });
      if (random.uniform() < 1 / 3) {
        timeline.push({ name: 'recovery', atMs: atMs + rampMs + Math.round(between(0.5, 2) * HOUR_MS) });
      }
    } else if (a < mix.deteriorating + mix.hypoxic) {
      timeline.push({ name: 'hypoxic', atMs: onset(), rampMs: Math.round(between(0.5, 2) * HOUR_MS) });
    } else if (a < mix.deteriorating + mix.hypoxic + mix.fever) {
      timeline.push({ name: 'fever', atMs: onset(), rampMs: Math.round(between(1, 3) * HOUR_MS) });
    }
    return timeline.length === 0 ? 'stable' : { timeline };
  });
}

/** A running ward: its patient ids, and its ticks (one a minute) in `(from, to]`. */
export interface WardRun {
  readonly spec: WardSpec;
  readonly patientIds: readonly string[];
  readonly ticks: Generator<SimulationTick, void, undefined>;
}

/** Options of {@link simulateWard}. */
export interface SimulateWardOptions {
  readonly patients: number;
  readonly seed: number;
  /** When the patients were admitted (the simulation's start), epoch ms. */
  readonly admittedAt: number;
  /** The ticks wanted: `(from, to]`, epoch ms (earlier ones are simulated, not yielded). */
  readonly from: number;
  readonly to: number;
  /** Circadian rhythms (default false: see below). */
  readonly circadian?: boolean;
}

/**
 * Simulates a ward: a bedside monitor per patient reporting vital signs once a minute, with sensor
 * faults (motion artefacts, flat lines, dropouts, a few late or duplicated deliveries). Patients are
 * admitted at `admittedAt`; the ticks of `(from, to]` are yielded — a ward looked at in the middle
 * of its patients' stays.
 *
 * Circadian rhythms are off by default: with them on, the night's lower heart rate, pressure and
 * temperature are a drift of their own against a model trained on whole days, and the monitor
 * rightly flags it every night. The demo isolates the population shift; a deployment with rhythms
 * keeps a reference per time of day, or a drift window of a day.
 */
export function simulateWard(spec: WardSpec, options: SimulateWardOptions): WardRun {
  const { patients, seed, admittedAt, from, to } = options;
  const random = seededRandom(seed * 31 + 7);
  const ward = createWardSimulator({
    patients,
    seed,
    periodMs: 60_000,
    startTs: admittedAt,
    scenarios: wardCourses(spec, patients, seed),
    devices: [
      {
        kind: 'monitor',
        faults: {
          motionArtefact: { probability: 0.02 },
          stuck: { ratePerHour: 0.25 },
          dropout: { ratePerHour: 0.25 },
          duplicate: { probability: 0.005 },
          outOfOrder: { probability: 0.005, maxDelayTicks: 2 },
        },
      },
    ],
    heartbeats: false,
    circadian: options.circadian ?? false,
    patientIdPrefix: spec.prefix,
    deviceIdPrefix: `${spec.prefix}-monitor`,
  });
  const oxygen: OxygenSetting[] = ward.patients
    .filter(() => random.uniform() < spec.mix.onOxygen)
    .map((p) => ({ patientId: p.patientId, flowLpm: spec.mix.oxygenLpm, ts: admittedAt }));
  return {
    spec,
    patientIds: ward.patients.map((p) => p.patientId),
    ticks: ward.simulate({ fromMs: from - admittedAt, toMs: to - admittedAt, oxygen }),
  };
}
