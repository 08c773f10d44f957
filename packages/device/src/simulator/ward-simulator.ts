import {
  type Clock,
  type DeviceDescriptor,
  type DeviceId,
  HealthItError,
  PatientId,
  type Reading,
} from '@healthit/core';
import { asyncScheduler, interval, Observable, type SchedulerLike } from 'rxjs';
import { assertCircadianRhythms, CIRCADIAN_RHYTHMS, type CircadianRhythms } from './circadian.js';
import { type DeviceSpec, resolveDevices, type SimulatedDevice } from './devices.js';
import {
  createEngineRun,
  type EngineConfig,
  type OxygenSetting,
  type SimulationRun,
  type SimulationTick,
} from './engine.js';
import { drawBaseline, type PhysiologyOptions } from './patient-model.js';
import {
  assertFeverResponse,
  assertOxygenResponse,
  FEVER_RESPONSE,
  type FeverResponse,
  OXYGEN_RESPONSE,
  type OxygenResponse,
} from './physiology.js';
import { seededRandom, seededStreams } from './random.js';
import { RHYTHM_MODELS } from './rhythm.js';
import { assignScenarios, DEFAULT_SCENARIO_MIX, type ScenarioMix } from './scenario-mix.js';
import type { ResolvedScenario, ScenarioSpec } from './scenarios.js';
import { type ResolvedCourse, type ResolvedPhase, resolveCourse } from './timeline.js';
import type { VitalValues } from './vital-signs.js';

/** The most patients one simulator runs. */
export const MAX_SIMULATED_PATIENTS = 10_000;

/** Who a device-spec function is asked about. */
export interface PatientInfo {
  /** 0-based position of the patient in the ward. */
  readonly index: number;
  /** The patient's core patient id, `${patientIdPrefix}-001`, …. */
  readonly patientId: PatientId;
  /** The patient's headline scenario (for a timeline: its first phase that is not `stable`). */
  readonly scenario: ResolvedScenario;
  /** The patient's full course, phase by phase. */
  readonly timeline: readonly ResolvedPhase[];
}

/** Options of {@link createWardSimulator}. */
export interface WardSimulatorOptions {
  /** How many patients: an integer in 1…{@link MAX_SIMULATED_PATIENTS}. */
  readonly patients: number;
  /** The seed (any safe integer): the same seed and options always give the same run. */
  readonly seed: number;
  /** Time between ticks and the simulation step, in ms: an integer >= 1. Default 1 000. */
  readonly periodMs?: number;
  /**
   * One scenario per patient, in patient order (length must equal `patients`): a name, a timed
   * scenario, or a timeline of phases (`{ timeline: [...] }`). Excludes `scenarioMix`.
   */
  readonly scenarios?: readonly ScenarioSpec[];
  /**
   * Relative weights of the scenarios across the ward; which patients get which is shuffled by the
   * seed. Default {@link DEFAULT_SCENARIO_MIX} (most stable, a few deteriorating and hypoxic).
   * Excludes `scenarios`.
   */
  readonly scenarioMix?: ScenarioMix;
  /**
   * Timing for every scenario and phase that does not set its own (default: each scenario's own;
   * see `SCENARIOS`). Use it to compress or stretch deterioration, e.g. `{ rampMs: 4 * 3_600_000 }`.
   */
  readonly scenarioTiming?: { readonly startAfterMs?: number; readonly rampMs?: number };
  /**
   * The devices attached to each patient, or a function choosing them per patient. Default: one
   * bedside `monitor` each. A patient's first device is their `deviceId`.
   */
  readonly devices?: readonly DeviceSpec[] | ((patient: PatientInfo) => readonly DeviceSpec[]);
  /**
   * Circadian rhythm of heart rate, blood pressure and temperature (see `CIRCADIAN_RHYTHMS`), by
   * the time of day of each tick's `ts` shifted by `utcOffsetMinutes` (default 0: UTC). Default
   * `true`; `false` for none; or your own `rhythms`.
   */
  readonly circadian?: boolean | { readonly utcOffsetMinutes?: number; readonly rhythms?: CircadianRhythms };
  /** How fever raises heart and respiratory rate (default `FEVER_RESPONSE`). */
  readonly feverResponse?: Partial<FeverResponse>;
  /** How SpO2 responds to oxygen (default `OXYGEN_RESPONSE`). */
  readonly oxygenResponse?: Partial<OxygenResponse>;
  /**
   * Generate heartbeats: beat-to-beat RR intervals in the truth and in beat-sensing devices
   * (`heart-rate-sensor`). `true`: for every patient; `false`: for none; default: for the patients
   * who have a beat-sensing device. Beats cost time in proportion to simulated time (about 70 per
   * patient-minute), so leave them off for long runs of large wards that do not need them.
   */
  readonly heartbeats?: boolean;
  /**
   * Supplemental oxygen settings, e.g. from a simulated concentrator: each applies to its patient
   * from the next tick on. Subscribed once per run (each subscription to `ticks$`/`readings$`).
   * A setting for an unknown patient or with a bad flow becomes an `oxygen-rejected` event; if it
   * errors, an `oxygen-input-failed` event, and the last settings stay in force.
   */
  readonly oxygen$?: Observable<OxygenSetting>;
  /**
   * Where tick timestamps come from: `clock.now()` at each tick. Excludes `startTs`. Without
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
  /** Ids of `monitor` devices are `${deviceIdPrefix}-001`, …. Default `monitor`. */
  readonly deviceIdPrefix?: string;
}

/** One simulated patient and the devices attached to them. */
export interface SimulatedPatient {
  /** 0-based position in the ward. */
  readonly index: number;
  /** The patient's core patient id, `${patientIdPrefix}-001`, …. */
  readonly patientId: PatientId;
  /** Their first device's id (the monitor, by default). */
  readonly deviceId: DeviceId;
  /** Their headline scenario (for a timeline: its first phase that is not `stable`). */
  readonly scenario: ResolvedScenario;
  /** Their full course, phase by phase. */
  readonly timeline: readonly ResolvedPhase[];
  /** The patient's resting baseline (unrounded 24-hour means the fluctuation reverts to), from the seed. */
  readonly baseline: VitalValues;
  /** Their devices, in order. */
  readonly devices: readonly SimulatedDevice[];
}

/** Options of {@link WardSimulator.simulate}. */
export interface SimulateOptions {
  /**
   * Yield ticks with `elapsedMs` in (`fromMs`, `toMs`]; earlier ones are simulated, not yielded.
   * Default 0.
   */
  readonly fromMs?: number;
  /** Simulate up to this time after the start, in ms (the last tick is `floor(toMs / periodMs)`). */
  readonly toMs: number;
  /**
   * True time of the start of the run, epoch ms (default: the simulator's `startTs`, else the
   * clock's or scheduler's now).
   */
  readonly startTs?: number;
  /**
   * Oxygen settings: each is applied before the first tick whose `ts` is at or after the setting's
   * `ts` (so it acts from that tick on).
   */
  readonly oxygen?: readonly OxygenSetting[];
}

/** A simulated ward: its patients and devices, and runs of the simulation in real or virtual time. */
export interface WardSimulator {
  /** The seed the ward was created with; the same seed and options give the same run. */
  readonly seed: number;
  /** Time between ticks and the simulation step, in ms. */
  readonly periodMs: number;
  /** Every patient, in ward order, with their devices. */
  readonly patients: readonly SimulatedPatient[];
  /** One core `DeviceDescriptor` per device, patients in ward order, devices in patient order. */
  readonly devices: readonly DeviceDescriptor[];
  /**
   * Cold: each subscription is an independent, identical run starting at the moment of
   * subscription. Every `periodMs` on the scheduler (first after one period) it emits one
   * {@link SimulationTick}: the ground truth of every patient, every due device's sample, what was
   * delivered and events. Never completes (use `take`). Errors with a `config/invalid`
   * {@link HealthItError} if the injected clock returns a time that is not a finite, non-negative
   * number. Subscribe once and `share()` when you want both ticks and readings of one run.
   */
  readonly ticks$: Observable<SimulationTick>;
  /**
   * Cold: the readings of `ticks$` in delivery order (each tick's `deliveries`, flattened). With the
   * default devices: every `periodMs`, one reading per vital sign per patient, patient by patient in
   * ward order, vital signs in `VITAL_METRICS` order. Reading ids are `${deviceId}:${seq}` with
   * `seq` counting from 1 per device; canonical UCUM units; quality `good` (faults are in the
   * ground truth, not in `quality`). Never completes.
   */
  readonly readings$: Observable<Reading>;
  /**
   * A run to step yourself, synchronously (no scheduler): `run.step()` advances one tick. Tick `k`
   * is stamped `startTs + k·periodMs` (default: the simulator's `startTs`, else the clock/scheduler
   * now at the call).
   */
  createRun(options?: { readonly startTs?: number }): SimulationRun;
  /**
   * Fast-forwards synchronously and yields the ticks (an hour of a few patients in milliseconds).
   * Identical to what `ticks$` emits for the same `startTs` and oxygen settings.
   *
   * @throws {RangeError} for a `toMs`/`fromMs` that is not a finite number >= 0.
   */
  simulate(options: SimulateOptions): Generator<SimulationTick, void, undefined>;
}

function assertInteger(value: unknown, what: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer in ${min}…${max}, got ${value}`);
  }
}

function makePatientId(prefix: string, number: string): PatientId {
  const id = `${prefix}-${number}`;
  const result = PatientId.safeParse(id);
  if (!result.success) {
    throw new RangeError(
      `patientIdPrefix "${prefix}" makes the invalid id "${id}"; ids are 1-128 letters, digits, ".", "_", "-", ":" starting with a letter or digit`,
    );
  }
  return result.data;
}

function resolveCourses(
  options: WardSimulatorOptions,
  assignFromMix: () => ScenarioSpec[],
): ResolvedCourse[] {
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
    return options.scenarios.map((spec, i) => resolveCourse(spec, timing, `scenarios[${i}]`));
  }
  return assignFromMix().map((spec, i) => resolveCourse(spec, timing, `scenario of patient ${i + 1}`));
}

function resolvePhysiology(options: WardSimulatorOptions): PhysiologyOptions {
  const fever = { ...FEVER_RESPONSE, ...options.feverResponse };
  assertFeverResponse(fever, 'feverResponse');
  const oxygen = { ...OXYGEN_RESPONSE, ...options.oxygenResponse };
  assertOxygenResponse(oxygen, 'oxygenResponse');
  const c = options.circadian ?? true;
  let circadian: PhysiologyOptions['circadian'];
  if (c !== false) {
    const settings = c === true ? {} : c;
    const utcOffsetMinutes = settings.utcOffsetMinutes ?? 0;
    if (!Number.isFinite(utcOffsetMinutes) || Math.abs(utcOffsetMinutes) > 24 * 60) {
      throw new RangeError(`circadian.utcOffsetMinutes must be within ±1440, got ${utcOffsetMinutes}`);
    }
    const rhythms = settings.rhythms ?? CIRCADIAN_RHYTHMS;
    assertCircadianRhythms(rhythms, 'circadian.rhythms');
    circadian = { rhythms, utcOffsetMinutes };
  }
  return {
    fever,
    oxygen,
    ...(circadian === undefined ? {} : { circadian }),
    rhythms: RHYTHM_MODELS,
  };
}

/**
 * Creates a seeded simulator of a ward of `patients` patients, each with their devices (by default
 * one bedside monitor reporting heart rate, respiratory rate, SpO2, body temperature and
 * systolic/diastolic blood pressure).
 *
 * Physiology: each vital sign is an exactly discretised Ornstein–Uhlenbeck process around a
 * per-patient baseline drawn from approximate adult ranges (see `VITAL_SIGN_MODELS`), plus a
 * circadian rhythm (`CIRCADIAN_RHYTHMS`), moved by the patient's scenario or timeline of phases
 * (`SCENARIOS`), with fever raising heart and respiratory rate (`FEVER_RESPONSE`), SpO2 responding
 * to supplemental oxygen from `oxygen$` (`OXYGEN_RESPONSE`) and beat-to-beat RR intervals in sinus
 * rhythm or atrial fibrillation (`RHYTHM_MODELS`). Devices report the true values rounded, unless
 * their seeded sensor faults say otherwise (`DeviceFaults`); every tick carries the ground truth.
 *
 * Deterministic: the same seed and options give the same patients, values, faults and ids; with
 * `startTs`, or a virtual-time scheduler or fake clock, the same timestamps too. A patient's values
 * depend only on the seed, their index, their course and the time of day (not on how many other
 * patients there are, nor on devices and faults). Nothing runs until `ticks$`/`readings$` is
 * subscribed or a run is created.
 *
 * @throws {TypeError} when `patients`, `seed` or `periodMs` is not a number.
 * @throws {RangeError} for an out-of-range option, an unknown scenario or device kind, a malformed
 *   timeline, `scenarios` of the wrong length, `scenarios` together with `scenarioMix`, `clock`
 *   together with `startTs`, a bad fault, battery, circadian, fever or oxygen option, or an id
 *   prefix that makes invalid ids.
 * @example
 * ```ts
 * const ward = createWardSimulator({ patients: 10, seed: 42 });
 * ward.patients.filter((p) => p.scenario.name !== 'stable'); // who will get worse
 * ward.readings$.pipe(take(60)).subscribe((r) => console.log(r.deviceId, r.metric, r.value, r.unit));
 *
 * // Eight hours of a septic patient in milliseconds, with the ground truth:
 * const sepsis = createWardSimulator({
 *   patients: 1, seed: 7, periodMs: 60_000, startTs: Date.UTC(2025, 0, 1),
 *   scenarios: [{ timeline: [{ name: 'deteriorating', atMs: 3_600_000, rampMs: 6 * 3_600_000 }] }],
 * });
 * for (const tick of sepsis.simulate({ toMs: 8 * 3_600_000 })) console.log(tick.patients[0]?.phase);
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
  const physiology = resolvePhysiology(options);

  // Stream 0 shuffles scenarios; patient i draws its baseline from stream 1 + 2i and its
  // fluctuations from stream 2 + 2i, so a patient never depends on how many others there are.
  // Heartbeats and device faults use streams derived from the seed and the patient's index.
  const streams = seededStreams(seed, 1 + 2 * count);
  const stream = (k: number) => streams[k] as (typeof streams)[number];
  const courses = resolveCourses(options, () =>
    assignScenarios(options.scenarioMix ?? DEFAULT_SCENARIO_MIX, count, seededRandom(stream(0))),
  );
  const width = Math.max(3, String(count).length);
  const monitorPrefix = options.deviceIdPrefix ?? 'monitor';
  const patients: SimulatedPatient[] = [];
  const devices: DeviceDescriptor[] = [];
  for (let i = 0; i < count; i++) {
    const number = String(i + 1).padStart(width, '0');
    const patientId = makePatientId(options.patientIdPrefix ?? 'patient', number);
    const baseline = Object.freeze(drawBaseline(seededRandom(stream(1 + 2 * i))));
    const course = courses[i] as ResolvedCourse;
    const scenario = Object.freeze({ ...course.scenario });
    const timeline = Object.freeze([...course.timeline]);
    const specs =
      typeof options.devices === 'function'
        ? options.devices({ index: i, patientId, scenario, timeline })
        : (options.devices ?? [{ kind: 'monitor' }]);
    const own = Object.freeze(
      resolveDevices(
        specs,
        { patientId, number },
        {
          periodMs,
          firstIndex: devices.length,
          monitorPrefix,
          where: typeof options.devices === 'function' ? `devices(patient ${i + 1})` : 'devices',
        },
      ),
    );
    for (const d of own) devices.push(d.descriptor);
    const first = own[0] as SimulatedDevice;
    patients.push(
      Object.freeze({
        index: i,
        patientId,
        deviceId: first.deviceId,
        scenario,
        timeline,
        baseline,
        devices: own,
      }),
    );
  }
  const config: EngineConfig = {
    seed,
    periodMs,
    patients: patients.map((p) => ({
      ...p,
      heartbeats: options.heartbeats ?? p.devices.some((d) => d.rrIntervals),
    })),
    noiseStreams: patients.map((p) => stream(2 + 2 * p.index)),
    physiology,
  };

  const now = (): number => {
    const value = clock === undefined ? scheduler.now() : clock.now();
    if (!Number.isFinite(value) || value < 0) {
      throw new HealthItError(
        'config/invalid',
        `The ${clock === undefined ? 'scheduler' : 'clock'} of the ward simulator returned ${value}; it must return epoch ms >= 0`,
        { detail: { now: value } },
      );
    }
    return Math.floor(value);
  };

  const createRun = (runOptions: { readonly startTs?: number } = {}): SimulationRun => {
    const start = runOptions.startTs ?? startTs;
    if (start !== undefined) assertInteger(start, 'startTs', 0, Number.MAX_SAFE_INTEGER);
    return createEngineRun(config, start ?? now());
  };

  const ticks$ = new Observable<SimulationTick>((subscriber) => {
    const run = createEngineRun(config, startTs ?? 0);
    const oxygen = options.oxygen$?.subscribe({
      next: (setting) => run.setOxygen(setting),
      error: (error: unknown) => run.reportOxygenInputError(error),
    });
    const ticking = interval(periodMs, scheduler).subscribe((i) => {
      let ts: number;
      try {
        ts = startTs === undefined ? now() : startTs + (i + 1) * periodMs;
      } catch (e) {
        subscriber.error(e);
        return;
      }
      subscriber.next(run.step(ts));
    });
    return () => {
      ticking.unsubscribe();
      oxygen?.unsubscribe();
    };
  });

  const readings$ = new Observable<Reading>((subscriber) =>
    ticks$.subscribe({
      next(tick) {
        for (const { sample } of tick.deliveries) {
          for (const reading of sample.readings) {
            subscriber.next(reading);
            if (subscriber.closed) return;
          }
        }
      },
      error: (e: unknown) => subscriber.error(e),
      complete: () => subscriber.complete(),
    }),
  );

  function* simulate(simulateOptions: SimulateOptions): Generator<SimulationTick, void, undefined> {
    const { toMs, fromMs = 0 } = simulateOptions;
    for (const [value, what] of [
      [toMs, 'toMs'],
      [fromMs, 'fromMs'],
    ] as const) {
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
        throw new RangeError(`simulate: ${what} must be a finite number of ms >= 0, got ${String(value)}`);
      }
    }
    const origin = simulateOptions.startTs ?? startTs ?? now();
    const run = createRun({ startTs: origin });
    const oxygen = [...(simulateOptions.oxygen ?? [])].sort((x, y) => x.ts - y.ts);
    let next = 0;
    const last = Math.floor(toMs / periodMs);
    for (let k = 1; k <= last; k++) {
      const ts = origin + k * periodMs;
      for (; next < oxygen.length && (oxygen[next] as OxygenSetting).ts <= ts; next++) {
        run.setOxygen(oxygen[next] as OxygenSetting);
      }
      const tick = run.step(ts);
      if (tick.elapsedMs > fromMs) yield tick;
    }
  }

  return Object.freeze({
    seed,
    periodMs,
    patients: Object.freeze(patients),
    devices: Object.freeze(devices),
    ticks$,
    readings$,
    createRun,
    simulate,
  });
}
