import { type DeviceId, METRICS, type PatientId, type Reading, readingId } from '@healthit/core';
import type { DeviceKind, SimulatedDevice } from './devices.js';
import { type AppliedFault, inWindow, type ResolvedEpisodicFault } from './faults.js';
import type { PatientTruth } from './patient-model.js';
import type { SeededRandom } from './random.js';
import {
  MIN_REPORTED_PULSE_PRESSURE_MMHG,
  reportMeasurement,
  SIMULATED_METRICS,
  type SimulatedMetric,
  type VitalValues,
} from './vital-signs.js';

/**
 * What one device did at one tick when it was due to measure: the values it measured (as it
 * reports them, faults included), the readings it made of them, and the ground truth about faults.
 * A device that was due but could not measure (dropout, empty battery) has a sample with no values
 * and no readings, and the reason in `faults`.
 *
 * The fields are what a device encoding needs: e.g. a pulse oximeter's PLX frame carries
 * `values.spo2` and `values['pulse-rate']`, a heart-rate sensor's 0x2A37 frame `values['heart-rate']`
 * and `rrIntervalsMs`, a monitor's ORU^R01 message all of `values` at `ts`.
 */
export interface DeviceSample {
  /** The simulated device that measured, e.g. `spo2-001`. */
  readonly deviceId: DeviceId;
  /** The patient the device is attached to. */
  readonly patientId: PatientId;
  /** The device's kind, e.g. `pulse-oximeter`; decides its metrics and default encoding. */
  readonly kind: DeviceKind;
  /** The tick (1, 2, …) of the measurement. */
  readonly tick: number;
  /** The true time of the measurement, epoch ms. */
  readonly trueTs: number;
  /** The time the device stamps on it (its own clock: `trueTs` unless its clock drifts). */
  readonly ts: number;
  /** Counts the device's measurements from 1 (e.g. a GATT sequence number); 0 when nothing was measured. */
  readonly sampleSeq: number;
  /** The values as the device reports them (rounded, faults applied), in canonical units. */
  readonly values: Readonly<Partial<Record<SimulatedMetric, number>>>;
  /** RR intervals (ms) of the beats since its previous measurement, for devices that sense beats. */
  readonly rrIntervalsMs?: readonly number[];
  /** Battery level it reports, integer % (absent for mains power). */
  readonly batteryPct?: number;
  /** Ground truth: the faults that affected this measurement (empty when it is faithful). */
  readonly faults: readonly AppliedFault[];
  /** One core `Reading` per value, in the device's metric order, quality `good` (what the device claims). */
  readonly readings: readonly Reading[];
}

/** Something that happened in the simulation besides measurements. */
export type SimulationEvent =
  /** A device's battery fell to or below its low level. */
  | {
      /** Discriminates the event. */
      readonly type: 'battery-low';
      /** The device whose battery is low. */
      readonly deviceId: DeviceId;
      /** The patient the device is attached to. */
      readonly patientId: PatientId;
      /** The true time of the tick it happened at, epoch ms. */
      readonly ts: number;
      /** The level the device reports, integer %, at or below its low level. */
      readonly batteryPct: number;
    }
  /** A device's battery is empty: it measures nothing from now on. */
  | {
      /** Discriminates the event. */
      readonly type: 'battery-depleted';
      /** The device whose battery is empty. */
      readonly deviceId: DeviceId;
      /** The patient the device is attached to. */
      readonly patientId: PatientId;
      /** The true time of the tick it happened at, epoch ms. */
      readonly ts: number;
    }
  /** An oxygen setting was applied from this tick on. */
  | {
      /** Discriminates the event. */
      readonly type: 'oxygen-set';
      /** The patient who receives the oxygen. */
      readonly patientId: PatientId;
      /** The supplemental oxygen flow now in force, L/min (0 = room air). */
      readonly flowLpm: number;
      /** The setting's own `ts`. */
      readonly ts: number;
    }
  /** An oxygen setting was refused (unknown patient, bad flow): nothing changed. */
  | {
      /** Discriminates the event. */
      readonly type: 'oxygen-rejected';
      /** The setting as it was given (it may not even be an object). */
      readonly input: unknown;
      /** Why it was refused, e.g. `unknown patient "p-9"; the oxygen setting was ignored`. */
      readonly reason: string;
    }
  /** The `oxygen$` input errored; the last settings stay in force. */
  | {
      /** Discriminates the event. */
      readonly type: 'oxygen-input-failed';
      /** What the `oxygen$` input errored with. */
      readonly error: unknown;
    };

/** A measurement with its delivery decided. */
export interface Measurement {
  readonly sample: DeviceSample;
  /** Ticks it is held back (0: delivered now). */
  readonly delayTicks: number;
  /** True when it is delivered twice. */
  readonly duplicate: boolean;
}

/** One device's behaviour over a run. */
export interface DeviceProcess {
  /**
   * Called every tick with its patient's truth; returns the measurement when the device was due,
   * else `undefined`. Events (battery) are pushed onto `events`.
   */
  tick(
    tick: number,
    elapsedMs: number,
    trueTs: number,
    truth: PatientTruth,
    events: SimulationEvent[],
  ): Measurement | undefined;
}

/** RR intervals kept between measurements at most (the oldest are dropped beyond it). */
export const MAX_PENDING_RR_INTERVALS = 1_024;

const HOUR_MS = 3_600_000;

/** `SIMULATED_METRICS` index → the true value a device measures for it. */
function cleanValue(code: number, v: VitalValues): number {
  switch (code) {
    case 0:
      return v['heart-rate'];
    case 1:
      return v['respiratory-rate'];
    case 2:
      return v.spo2;
    case 3:
      return v['body-temperature'];
    case 4:
      return v['bp-systolic'];
    case 5:
      return v['bp-diastolic'];
    case 6:
      return v['heart-rate'];
    default:
      return v['bp-diastolic'] + (v['bp-systolic'] - v['bp-diastolic']) / 3;
  }
}

const SCALE = Float64Array.from(SIMULATED_METRICS, (m) => (m === 'body-temperature' ? 10 : 1));
const MIN = Float64Array.from(SIMULATED_METRICS, (m) => METRICS[m].plausible.min);
const MAX = Float64Array.from(SIMULATED_METRICS, (m) => METRICS[m].plausible.max);

/** {@link reportMeasurement} by `SIMULATED_METRICS` index, without keyed lookups. */
function report(code: number, value: number): number {
  const scale = SCALE[code] as number;
  const rounded = Math.round(value * scale) / scale;
  return Math.min(MAX[code] as number, Math.max(MIN[code] as number, rounded));
}

function artefact(metric: SimulatedMetric, random: SeededRandom): number {
  const between = (lo: number, hi: number) => lo + (hi - lo) * random.uniform();
  switch (metric) {
    case 'heart-rate':
    case 'pulse-rate':
      return between(25, 70);
    case 'spo2':
      return -between(5, 25);
    case 'respiratory-rate':
      return between(8, 25);
    case 'body-temperature':
      return -between(1, 4);
    default: {
      const size = between(15, 50);
      return random.uniform() < 0.5 ? -size : size;
    }
  }
}

function keepPulsePressure(values: Partial<Record<SimulatedMetric, number>>): void {
  const s = values['bp-systolic'];
  const d = values['bp-diastolic'];
  if (s !== undefined && d !== undefined) {
    values['bp-diastolic'] = Math.max(
      METRICS['bp-diastolic'].plausible.min,
      Math.min(d, s - MIN_REPORTED_PULSE_PRESSURE_MMHG),
    );
  }
}

/** Episode state of one episodic fault. */
interface Episode {
  endMs: number;
}

function episodeActive(
  fault: ResolvedEpisodicFault,
  episode: Episode,
  elapsedMs: number,
  sinceLastMs: number,
  random: SeededRandom | undefined,
): boolean {
  if (inWindow(fault.windows, elapsedMs)) return true;
  if (elapsedMs < episode.endMs) return true;
  if (fault.ratePerHour > 0 && random !== undefined) {
    const p = 1 - Math.exp(-(fault.ratePerHour * sinceLastMs) / HOUR_MS);
    if (random.uniform() < p) {
      episode.endMs = elapsedMs - fault.meanDurationMs * Math.log(1 - random.uniform());
      return true;
    }
  }
  return false;
}

/**
 * A device's process over one run: when it is due, what it measures, which faults hit it, and
 * when its measurement is delivered. `random` (advanced in place, the device's own stream) is only
 * drawn from for random faults, so a device without them never consumes it.
 */
export function createDeviceProcess(
  device: SimulatedDevice,
  random: SeededRandom | undefined,
): DeviceProcess {
  const { faults, battery, metrics } = device;
  const codes = metrics.map((m) => SIMULATED_METRICS.indexOf(m));
  const units = metrics.map((m) => METRICS[m].unit);
  const hasBloodPressure = metrics.includes('bp-systolic') && metrics.includes('bp-diastolic');
  let lastDueMs = Number.NEGATIVE_INFINITY;
  let sampleSeq = 0;
  let readingSeq = 0;
  let lastValues: Partial<Record<SimulatedMetric, number>> | undefined;
  let frozen: Partial<Record<SimulatedMetric, number>> | undefined;
  let lowNotified = false;
  let depletedNotified = false;
  let pendingRr: number[] = [];
  const dropoutEpisode: Episode = { endMs: Number.NEGATIVE_INFINITY };
  const stuckEpisode: Episode = { endMs: Number.NEGATIVE_INFINITY };

  const empty = (tick: number, trueTs: number, ts: number, fault: AppliedFault): Measurement => ({
    sample: {
      deviceId: device.deviceId,
      patientId: device.patientId,
      kind: device.kind,
      tick,
      trueTs,
      ts,
      sampleSeq: 0,
      values: {},
      faults: [fault],
      readings: [],
    },
    delayTicks: 0,
    duplicate: false,
  });

  return {
    tick(tick, elapsedMs, trueTs, truth, events) {
      if (device.rrIntervals) {
        for (const rr of truth.rrIntervalsMs) pendingRr.push(rr);
        if (pendingRr.length > MAX_PENDING_RR_INTERVALS)
          pendingRr.splice(0, pendingRr.length - MAX_PENDING_RR_INTERVALS);
      }
      if (elapsedMs - lastDueMs < device.everyMs) return undefined;
      const sinceLastMs = Number.isFinite(lastDueMs) ? elapsedMs - lastDueMs : device.everyMs;
      lastDueMs = elapsedMs;

      const drift = faults.clockDrift;
      const skewMs = drift === undefined ? 0 : drift.offsetMs + drift.ppm * 1e-6 * elapsedMs;
      const ts = Math.max(0, Math.round(trueTs + skewMs));

      let batteryPct: number | undefined;
      if (battery !== undefined) {
        const level = battery.startPct - (battery.drainPctPerHour * elapsedMs) / HOUR_MS;
        if (level <= 0) {
          pendingRr = [];
          if (!depletedNotified) {
            depletedNotified = true;
            events.push({
              type: 'battery-depleted',
              deviceId: device.deviceId,
              patientId: device.patientId,
              ts: trueTs,
            });
          }
          return empty(tick, trueTs, ts, { kind: 'battery-depleted' });
        }
        batteryPct = Math.ceil(level);
        if (level <= battery.lowPct && !lowNotified) {
          lowNotified = true;
          events.push({
            type: 'battery-low',
            deviceId: device.deviceId,
            patientId: device.patientId,
            ts: trueTs,
            batteryPct,
          });
        }
      }

      if (
        faults.dropout !== undefined &&
        episodeActive(faults.dropout, dropoutEpisode, elapsedMs, sinceLastMs, random)
      ) {
        pendingRr = [];
        return empty(tick, trueTs, ts, { kind: 'dropout' });
      }

      const applied: AppliedFault[] = [];
      const values: Partial<Record<SimulatedMetric, number>> = {};
      for (let i = 0; i < metrics.length; i++) {
        const code = codes[i] as number;
        values[metrics[i] as SimulatedMetric] = report(code, cleanValue(code, truth.vitals));
      }
      if (hasBloodPressure) keepPulsePressure(values);

      let stuckMetrics: readonly SimulatedMetric[] = [];
      if (
        faults.stuck !== undefined &&
        episodeActive(faults.stuck, stuckEpisode, elapsedMs, sinceLastMs, random)
      ) {
        frozen ??= { ...(lastValues ?? values) };
        stuckMetrics = faults.stuck.metrics;
      } else {
        frozen = undefined;
      }

      const motion = faults.motionArtefact;
      if (motion !== undefined) {
        const hit =
          inWindow(motion.windows, elapsedMs) ||
          (motion.probability > 0 && random !== undefined && random.uniform() < motion.probability);
        const spiked = hit ? motion.metrics.filter((m) => !stuckMetrics.includes(m)) : [];
        if (spiked.length > 0 && random !== undefined) {
          for (const metric of spiked) {
            values[metric] = reportMeasurement(metric, (values[metric] as number) + artefact(metric, random));
          }
          keepPulsePressure(values);
          applied.push({ kind: 'motion-artefact', metrics: spiked });
        }
      }

      if (stuckMetrics.length > 0 && frozen !== undefined) {
        for (const metric of stuckMetrics) values[metric] = frozen[metric] ?? (values[metric] as number);
        applied.push({ kind: 'stuck', metrics: stuckMetrics });
      }
      lastValues = values;

      if (drift !== undefined) applied.push({ kind: 'clock-drift', skewMs: ts - trueTs });

      let duplicate = false;
      if (
        faults.duplicate !== undefined &&
        random !== undefined &&
        random.uniform() < faults.duplicate.probability
      ) {
        duplicate = true;
        applied.push({ kind: 'duplicate' });
      }
      let delayTicks = 0;
      const late = faults.outOfOrder;
      if (late !== undefined && random !== undefined && random.uniform() < late.probability) {
        delayTicks = random.int(1, late.maxDelayTicks);
        applied.push({ kind: 'out-of-order', delayTicks });
      }

      sampleSeq += 1;
      const readings: Reading[] = [];
      for (let i = 0; i < metrics.length; i++) {
        const metric = metrics[i] as SimulatedMetric;
        readingSeq += 1;
        readings.push({
          id: readingId(device.deviceId, readingSeq),
          deviceId: device.deviceId,
          patientId: device.patientId,
          metric,
          value: values[metric] as number,
          unit: units[i] as string,
          ts,
          seq: readingSeq,
          quality: 'good',
        });
      }
      let rrIntervalsMs: number[] | undefined;
      if (device.rrIntervals) {
        rrIntervalsMs = pendingRr;
        pendingRr = [];
      }
      const sample: { -readonly [K in keyof DeviceSample]: DeviceSample[K] } = {
        deviceId: device.deviceId,
        patientId: device.patientId,
        kind: device.kind,
        tick,
        trueTs,
        ts,
        sampleSeq,
        values,
        faults: applied,
        readings,
      };
      if (rrIntervalsMs !== undefined) sample.rrIntervalsMs = rrIntervalsMs;
      if (batteryPct !== undefined) sample.batteryPct = batteryPct;
      return { sample, delayTicks, duplicate };
    },
  };
}
