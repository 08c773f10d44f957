import {
  type Clock,
  type DeviceDescriptor,
  DeviceId,
  HealthItError,
  METRICS,
  PatientId,
  type Reading,
  readingId,
} from '@healthit/core';
import { asyncScheduler, interval, Observable, type SchedulerLike } from 'rxjs';
import { simulatedMonitorDescriptor } from './device-descriptor.js';
import { createPatientProcess, drawBaseline } from './patient-model.js';
import { seededRandom, seededStreams } from './random.js';
import { assignScenarios, DEFAULT_SCENARIO_MIX, type ScenarioMix } from './scenario-mix.js';
import { type ResolvedScenario, resolveScenario, type ScenarioSpec } from './scenarios.js';
import { VITAL_METRICS, type VitalValues } from './vital-signs.js';

/** The most patients one simulator runs (each tick emits six readings per patient). */
export const MAX_SIMULATED_PATIENTS = 10_000;

/** Options of {@link createWardSimulator}. */
export interface WardSimulatorOptions {
  /** How many patients, each with one monitor: an integer in 1…{@link MAX_SIMULATED_PATIENTS}. */
  readonly patients: number;
  /** The seed (any safe integer): the same seed and options always give the same readings. */
  readonly seed: number;
  /** Time between ticks and the simulation step, in ms: an integer >= 1. Default 1 000. */
  readonly periodMs?: number;
  /**
   * One scenario per patient, in patient order (length must equal `patients`). Excludes
   * `scenarioMix`.
   */
  readonly scenarios?: readonly ScenarioSpec[];
  /**
   * Relative weights of the scenarios across the ward; which patients get which is shuffled by the
   * seed. Default {@link DEFAULT_SCENARIO_MIX} (most stable, a few deteriorating and hypoxic).
   * Excludes `scenarios`.
   */
  readonly scenarioMix?: ScenarioMix;
  /**
   * Timing for every scenario that does not set its own (default: each scenario's own; see
   * `SCENARIOS`). Use it to compress or stretch deterioration, e.g. `{ rampMs: 4 * 3_600_000 }`.
   */
  readonly scenarioTiming?: { readonly startAfterMs?: number; readonly rampMs?: number };
  /**
   * Where reading timestamps come from: `clock.now()` at each tick. Excludes `startTs`. Without
   * either, the scheduler's `now()` is used.
   */
  readonly clock?: Clock;
  /** The scheduler ticks run on (default `asyncScheduler`); a `TestScheduler` makes tests exact. */
  readonly scheduler?: SchedulerLike;
  /**
   * Simulated time of the start of each run, in epoch ms: tick `k` (1, 2, …) is stamped
   * `startTs + k·periodMs`, whatever the wall clock or scheduler says. Excludes `clock`.
   */
  readonly startTs?: number;
  /** Patient ids are `${patientIdPrefix}-001`, …. Default `patient`. */
  readonly patientIdPrefix?: string;
  /** Device ids are `${deviceIdPrefix}-001`, …. Default `monitor`. */
  readonly deviceIdPrefix?: string;
}

/** One simulated patient and the monitor attached to them. */
export interface SimulatedPatient {
  /** 0-based position in the ward. */
  readonly index: number;
  readonly patientId: PatientId;
  readonly deviceId: DeviceId;
  readonly scenario: ResolvedScenario;
  /** The patient's resting baseline (unrounded means the fluctuation reverts to), drawn from the seed. */
  readonly baseline: VitalValues;
}

/** A simulated ward: its patients, their monitors, and the readings the monitors produce. */
export interface WardSimulator {
  readonly seed: number;
  readonly periodMs: number;
  readonly patients: readonly SimulatedPatient[];
  /** One core `DeviceDescriptor` per monitor, `devices[i]` attached to `patients[i]`. */
  readonly devices: readonly DeviceDescriptor[];
  /**
   * Cold: each subscription is an independent, identical run starting at the moment of
   * subscription. Every `periodMs` (first after one period) it emits one reading per vital sign
   * per patient, patient by patient in ward order, vital signs in `VITAL_METRICS` order. Reading
   * ids are `${deviceId}:${seq}` with `seq` counting from 1 per device; the unit is the metric's
   * canonical UCUM unit; quality `good`. Never completes (use `take`). Errors with a
   * `config/invalid` {@link HealthItError} if the injected clock returns a time that is not a
   * finite, non-negative number.
   */
  readonly readings$: Observable<Reading>;
}

function assertInteger(value: unknown, what: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer in ${min}…${max}, got ${value}`);
  }
}

function makeId<T>(
  schema: { safeParse(input: unknown): { success: true; data: T } | { success: false } },
  prefix: string,
  index: number,
  width: number,
  option: string,
): T {
  const id = `${prefix}-${String(index + 1).padStart(width, '0')}`;
  const result = schema.safeParse(id);
  if (!result.success) {
    throw new RangeError(
      `${option} "${prefix}" makes the invalid id "${id}"; ids are 1-128 letters, digits, ".", "_", "-", ":" starting with a letter or digit`,
    );
  }
  return result.data;
}

function resolveScenarios(
  options: WardSimulatorOptions,
  assignFromMix: () => ScenarioSpec[],
): ResolvedScenario[] {
  const timing = options.scenarioTiming ?? {};
  if (options.scenarios !== undefined) {
    if (options.scenarioMix !== undefined) {
      throw new RangeError('Pass either scenarios (one per patient) or scenarioMix (weights), not both');
    }
    if (options.scenarios.length !== options.patients) {
      throw new RangeError(
        `scenarios has ${options.scenarios.length} entries but patients is ${options.patients}; give one scenario per patient`,
      );
    }
    return options.scenarios.map((spec, i) => resolveScenario(spec, timing, `scenarios[${i}]`));
  }
  return assignFromMix().map((spec, i) => resolveScenario(spec, timing, `scenario of patient ${i + 1}`));
}

/**
 * Creates a seeded simulator of a ward of `patients` patients, each with a bedside monitor
 * reporting heart rate, respiratory rate, SpO2, body temperature and systolic/diastolic blood
 * pressure. Each vital sign is an exactly discretised Ornstein–Uhlenbeck process around a
 * per-patient baseline drawn from approximate adult ranges (see `VITAL_SIGN_MODELS`), moved by the
 * patient's scenario (see `SCENARIOS`).
 *
 * Deterministic: the same seed and options give the same patients and the same reading values
 * and ids; with `startTs`, or a virtual-time scheduler or fake clock, the same timestamps too. A
 * patient's values depend only on the seed, their index and their scenario (not on how many
 * other patients there are). Nothing runs until `readings$` is subscribed.
 *
 * @throws {TypeError} when `patients`, `seed` or `periodMs` is not a number.
 * @throws {RangeError} for an out-of-range option, an unknown scenario, `scenarios` of the wrong
 *   length, `scenarios` together with `scenarioMix`, `clock` together with `startTs`, or an id
 *   prefix that makes invalid ids.
 * @example
 * ```ts
 * const ward = createWardSimulator({ patients: 10, seed: 42 });
 * ward.patients.filter((p) => p.scenario.name !== 'stable'); // who will get worse
 * ward.readings$.pipe(take(60)).subscribe((r) => console.log(r.deviceId, r.metric, r.value, r.unit));
 * ```
 */
export function createWardSimulator(options: WardSimulatorOptions): WardSimulator {
  const { seed } = options;
  const periodMs = options.periodMs ?? 1_000;
  assertInteger(options.patients, 'patients', 1, MAX_SIMULATED_PATIENTS);
  if (typeof seed !== 'number') throw new TypeError(`seed must be a number, got ${typeof seed}`);
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  assertInteger(periodMs, 'periodMs', 1, Number.MAX_SAFE_INTEGER);
  const { startTs, clock } = options;
  if (startTs !== undefined) {
    assertInteger(startTs, 'startTs', 0, Number.MAX_SAFE_INTEGER);
    if (clock !== undefined) {
      throw new RangeError(
        'Pass either clock (timestamps from the clock) or startTs (simulated time), not both',
      );
    }
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const count = options.patients;

  // Stream 0 shuffles scenarios; patient i draws its baseline from stream 1 + 2i and its
  // fluctuations from stream 2 + 2i, so a patient never depends on how many others there are.
  const streams = seededStreams(seed, 1 + 2 * count);
  const stream = (k: number) => streams[k] as (typeof streams)[number];
  const scenarios = resolveScenarios(options, () =>
    assignScenarios(options.scenarioMix ?? DEFAULT_SCENARIO_MIX, count, seededRandom(stream(0))),
  );
  const width = Math.max(3, String(count).length);
  const patients: SimulatedPatient[] = [];
  const devices: DeviceDescriptor[] = [];
  for (let i = 0; i < count; i++) {
    const patientId = makeId(PatientId, options.patientIdPrefix ?? 'patient', i, width, 'patientIdPrefix');
    const deviceId = makeId(DeviceId, options.deviceIdPrefix ?? 'monitor', i, width, 'deviceIdPrefix');
    const baseline = Object.freeze(drawBaseline(seededRandom(stream(1 + 2 * i))));
    const scenario = Object.freeze({ ...(scenarios[i] as ResolvedScenario) });
    patients.push(Object.freeze({ index: i, patientId, deviceId, scenario, baseline }));
    devices.push(Object.freeze(simulatedMonitorDescriptor(deviceId, patientId)));
  }
  const noiseStreams = patients.map((p) => stream(2 + 2 * p.index));

  const timestamp = (tick: number): number => {
    if (startTs !== undefined) return startTs + tick * periodMs;
    const now = clock === undefined ? scheduler.now() : clock.now();
    if (!Number.isFinite(now) || now < 0) {
      throw new HealthItError(
        'config/invalid',
        `The ${clock === undefined ? 'scheduler' : 'clock'} of the ward simulator returned ${now}; it must return epoch ms >= 0`,
        { detail: { now } },
      );
    }
    return Math.floor(now);
  };

  const readings$ = new Observable<Reading>((subscriber) => {
    // A fresh copy of every generator: each subscription is an independent, identical run.
    const processes = patients.map((p) =>
      createPatientProcess(
        p.baseline,
        p.scenario,
        periodMs,
        seededRandom((noiseStreams[p.index] as (typeof noiseStreams)[number]).clone()),
      ),
    );
    const seqs = patients.map(() => 0);
    return interval(periodMs, scheduler).subscribe((i) => {
      const tick = i + 1;
      let ts: number;
      try {
        ts = timestamp(tick);
      } catch (e) {
        subscriber.error(e);
        return;
      }
      for (const patient of patients) {
        const values = (processes[patient.index] as (typeof processes)[number]).advance(tick * periodMs);
        for (const metric of VITAL_METRICS) {
          const seq = (seqs[patient.index] ?? 0) + 1;
          seqs[patient.index] = seq;
          subscriber.next({
            id: readingId(patient.deviceId, seq),
            deviceId: patient.deviceId,
            patientId: patient.patientId,
            metric,
            value: values[metric],
            unit: METRICS[metric].unit,
            ts,
            seq,
            quality: 'good',
          });
          if (subscriber.closed) return;
        }
      }
    });
  });

  return Object.freeze({
    seed,
    periodMs,
    patients: Object.freeze(patients),
    devices: Object.freeze(devices),
    readings$,
  });
}
