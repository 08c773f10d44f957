import type { PatientId } from '@healthit/core';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import {
  createDeviceProcess,
  type DeviceProcess,
  type DeviceSample,
  type SimulationEvent,
} from './device-process.js';
import type { SimulatedDevice } from './devices.js';
import {
  circadianTable,
  createPatientPhysiology,
  type PatientPhysiology,
  type PatientTruth,
  type PhysiologyOptions,
} from './patient-model.js';
import { derivedStream, type SeededRandom, seededRandom } from './random.js';
import type { ResolvedPhase } from './timeline.js';
import type { VitalValues } from './vital-signs.js';

/** A supplemental-oxygen setting for one patient, as an oxygen concentrator reports it. */
export interface OxygenSetting {
  /**
   * The patient who receives the oxygen (a core patient id of a patient in the ward); other ids are rejected
   * with an `oxygen-rejected` event.
   */
  readonly patientId: string;
  /** Flow in L/min: finite, >= 0 (0 stops oxygen). */
  readonly flowLpm: number;
  /** When the setting took effect at the concentrator, epoch ms. */
  readonly ts: number;
}

/** How a measurement reached the wire in this tick. */
export interface Delivery {
  /** The sample delivered: its readings are what reached the wire. */
  readonly sample: DeviceSample;
  /** `on-time`; `late` (held back from an earlier tick); `duplicate` (the same sample again). */
  readonly delivery: 'on-time' | 'late' | 'duplicate';
}

/**
 * One tick of the simulation: the ground truth of every patient, what every due device measured
 * (with the faults that hit it), what reached the wire in this tick and in which order, and events.
 */
export interface SimulationTick {
  /** 1, 2, … */
  readonly tick: number;
  /** `tick · periodMs`: simulated time since the start of the run. */
  readonly elapsedMs: number;
  /** True time of the tick, epoch ms. */
  readonly ts: number;
  /** Ground truth, one per patient in ward order. */
  readonly patients: readonly PatientTruth[];
  /** Every device that was due this tick, patients in ward order, devices in patient order. */
  readonly samples: readonly DeviceSample[];
  /**
   * What was delivered this tick, in order: the on-time samples with readings (each followed by its
   * duplicate, if any), then samples held back from earlier ticks that fall due now. Flatten the
   * readings of these to get the reading stream.
   */
  readonly deliveries: readonly Delivery[];
  /**
   * What else happened this tick, in order: oxygen settings applied or refused since the previous tick first,
   * then battery events of the devices in ward order.
   */
  readonly events: readonly SimulationEvent[];
}

/** One patient as the engine runs them. */
export interface EnginePatient {
  readonly index: number;
  readonly patientId: PatientId;
  readonly baseline: VitalValues;
  readonly timeline: readonly ResolvedPhase[];
  readonly devices: readonly SimulatedDevice[];
  /** Generate this patient's heartbeats. */
  readonly heartbeats: boolean;
}

/** Everything a run needs, fixed when the simulator is created. */
export interface EngineConfig {
  readonly seed: number;
  readonly periodMs: number;
  readonly patients: readonly EnginePatient[];
  /** Per patient: its fluctuation stream, to be cloned for each run. */
  readonly noiseStreams: readonly JumpableRandomGenerator[];
  readonly physiology: PhysiologyOptions;
}

/** A run of the simulation that you step yourself, synchronously. */
export interface SimulationRun {
  /** Ticks completed so far. */
  readonly ticks: number;
  /**
   * Advances by one tick and returns it. `ts` is the tick's true time (epoch ms); by default the
   * run's `startTs + tick · periodMs`.
   */
  step(ts?: number): SimulationTick;
  /**
   * Sets a patient's supplemental oxygen flow from the next tick on (events `oxygen-set` or
   * `oxygen-rejected` appear on that tick). Returns what happened.
   */
  setOxygen(setting: OxygenSetting): SimulationEvent;
  /** Reports that the oxygen input failed (an `oxygen-input-failed` event on the next tick). */
  reportOxygenInputError(error: unknown): void;
}

/** Stream purposes for {@link derivedStream}. */
const BEATS_STREAM = 1;
const DEVICE_STREAM = 2;

function needsRandom(device: SimulatedDevice): boolean {
  const f = device.faults;
  return (
    f.dropout !== undefined ||
    f.stuck !== undefined ||
    f.motionArtefact !== undefined ||
    f.duplicate !== undefined ||
    f.outOfOrder !== undefined
  );
}

/**
 * Starts a run: fresh copies of every random stream, so each run with the same config (and the same
 * oxygen settings at the same ticks) is identical.
 */
export function createEngineRun(config: EngineConfig, startTs: number): SimulationRun {
  const { periodMs, seed } = config;
  const physiologies: PatientPhysiology[] = [];
  const processes: DeviceProcess[][] = [];
  const byId = new Map<string, number>();
  const circadian = circadianTable(config.physiology.circadian);
  for (const patient of config.patients) {
    byId.set(patient.patientId, patient.index);
    const noise = config.noiseStreams[patient.index] as JumpableRandomGenerator;
    const beats: SeededRandom | undefined =
      patient.heartbeats && config.physiology.rhythms !== undefined
        ? seededRandom(derivedStream(seed, BEATS_STREAM, patient.index))
        : undefined;
    physiologies.push(
      createPatientPhysiology({
        patientId: patient.patientId,
        index: patient.index,
        baseline: patient.baseline,
        timeline: patient.timeline,
        stepMs: periodMs,
        noise: seededRandom(noise.clone()),
        ...(beats === undefined ? {} : { beats }),
        options: config.physiology,
        circadian,
      }),
    );
    processes.push(
      patient.devices.map((device) =>
        createDeviceProcess(
          device,
          needsRandom(device)
            ? seededRandom(derivedStream(seed, DEVICE_STREAM, patient.index, device.slot))
            : undefined,
        ),
      ),
    );
  }
  let ticks = 0;
  let pendingEvents: SimulationEvent[] = [];
  /** Held-back deliveries by the tick they fall due. Bounded by devices × maxDelayTicks. */
  const late = new Map<number, Delivery[]>();

  return {
    get ticks() {
      return ticks;
    },
    setOxygen(setting) {
      const index = typeof setting?.patientId === 'string' ? byId.get(setting.patientId) : undefined;
      let event: SimulationEvent;
      if (index === undefined) {
        event = {
          type: 'oxygen-rejected',
          input: setting,
          reason: `unknown patient "${String(setting?.patientId)}"; the oxygen setting was ignored`,
        };
      } else if (
        typeof setting.flowLpm !== 'number' ||
        !Number.isFinite(setting.flowLpm) ||
        setting.flowLpm < 0
      ) {
        event = {
          type: 'oxygen-rejected',
          input: setting,
          reason: `flowLpm must be a finite number >= 0, got ${String(setting.flowLpm)}; the oxygen setting was ignored`,
        };
      } else {
        (physiologies[index] as PatientPhysiology).setOxygenFlow(setting.flowLpm);
        const patient = config.patients[index] as EnginePatient;
        event = {
          type: 'oxygen-set',
          patientId: patient.patientId,
          flowLpm: setting.flowLpm,
          ts: setting.ts,
        };
      }
      pendingEvents.push(event);
      return event;
    },
    reportOxygenInputError(error) {
      pendingEvents.push({ type: 'oxygen-input-failed', error });
    },
    step(ts) {
      ticks += 1;
      const tick = ticks;
      const elapsedMs = tick * periodMs;
      const trueTs = ts ?? startTs + elapsedMs;
      const events = pendingEvents;
      pendingEvents = [];
      const patients: PatientTruth[] = [];
      const samples: DeviceSample[] = [];
      const deliveries: Delivery[] = [];
      for (const patient of config.patients) {
        const truth = (physiologies[patient.index] as PatientPhysiology).advance(elapsedMs, trueTs);
        patients.push(truth);
        for (const process of processes[patient.index] as DeviceProcess[]) {
          const measurement = process.tick(tick, elapsedMs, trueTs, truth, events);
          if (measurement === undefined) continue;
          const { sample } = measurement;
          samples.push(sample);
          if (sample.readings.length === 0) continue;
          if (measurement.delayTicks > 0) {
            const due = tick + measurement.delayTicks;
            const queue = late.get(due) ?? [];
            queue.push({ sample, delivery: 'late' });
            if (measurement.duplicate) queue.push({ sample, delivery: 'duplicate' });
            late.set(due, queue);
          } else {
            deliveries.push({ sample, delivery: 'on-time' });
            if (measurement.duplicate) deliveries.push({ sample, delivery: 'duplicate' });
          }
        }
      }
      const due = late.get(tick);
      if (due !== undefined) {
        late.delete(tick);
        for (const d of due) deliveries.push(d);
      }
      return { tick, elapsedMs, ts: trueTs, patients, samples, deliveries, events };
    },
  };
}
