import {
  DeviceId,
  METRICS,
  type MetricId,
  PatientId,
  parse,
  type Reading,
  type ReadingQuality,
  readingId,
  toCanonicalUnit,
} from '@healthit/core';
import { formatUuid16, isGattCharacteristicUuid } from './characteristics.js';
import { checkUtcOffset, type GattDateTime, gattDateTimeToEpochMs } from './date-time.js';
import type { GattMeasurement } from './gatt-codec.js';
import type { Ieee11073Special, MeasuredValue } from './ieee11073.js';
import type { PlxDeviceAndSensorStatusFlag, PlxMeasurementStatusFlag, PlxStatus } from './plx.js';

/** What {@link gattToReadings} needs to know beyond the frame. */
export interface GattReadingContext {
  /** The device the frame came from (a core `DeviceId`). */
  readonly deviceId: string;
  /** The patient wearing it, if known (a core `PatientId`). */
  readonly patientId?: string;
  /**
   * Sequence numbers of the readings: the first one (the readings get `seq`, `seq + 1`, …), or an
   * allocator called once per reading, in order. Each must be a non-negative safe integer,
   * strictly increasing per device (the reading id is `${deviceId}:${seq}`).
   */
  readonly seq: number | (() => number);
  /**
   * The time of the measurement, in epoch ms, when the frame carries no usable time stamp
   * (usually the time the frame was received).
   */
  readonly fallbackTs: number;
  /**
   * The UTC offset of the device's clock in minutes (device local time = UTC + offset; 0 for a
   * device set to UTC, 60 for CET, -300 for EST). GATT Date Time fields carry no zone, so a frame's
   * own time stamp is used only when this is given; otherwise `fallbackTs` is used and a
   * `timestamp-fallback` event says why.
   */
  readonly utcOffsetMinutes?: number;
}

/** Why {@link gattToReadings} used `fallbackTs` although the frame carries a time stamp. */
export type TimestampFallbackReason =
  /** The context has no `utcOffsetMinutes`, so the zone-less time cannot be placed. */
  | 'no-utc-offset'
  /** A field is unknown (0) or out of range, or the day does not exist. */
  | 'incomplete-or-invalid'
  /** The time lies before 1970 (epoch ms must be non-negative). */
  | 'before-epoch'
  /** PLX flag "Device Clock is Not Set". */
  | 'clock-not-set'
  /** Glucose Sensor Status "time fault: time may be inaccurate". */
  | 'time-fault';

/** Why {@link gattToReadings} made no reading of a frame at all. */
export type MeasurementSkippedReason =
  /** Weight 0xFFFF, "Measurement Unsuccessful". */
  | 'measurement-unsuccessful'
  /** A glucose control-solution test (type 10 or sample location 4): quality control, not the patient. */
  | 'control-solution'
  /** PLX status "Data for Demonstration" or "Data for Testing": not the patient's data. */
  | 'demonstration-or-test-data';

/** Something {@link gattToReadings} reports beside the readings: never a NaN reading. */
export type GattReadingEvent =
  | {
      /** A FLOAT/SFLOAT field held a special value, so it became no reading. */
      readonly type: 'special-value';
      /** The device the frame came from, as given in the context. */
      readonly deviceId: string;
      /** The 16-bit UUID of the frame's characteristic, e.g. `0x2a35`. */
      readonly characteristic: number;
      /** The measurement field, e.g. `systolic`. */
      readonly field: string;
      /** The core metric the field would have become, e.g. `bp-systolic`. */
      readonly metric: MetricId;
      /** The special value the field held, e.g. `NaN` or `NRes`. */
      readonly special: Ieee11073Special;
      /** One line for logs naming the characteristic, device, field and special value. */
      readonly message: string;
    }
  | {
      /** The whole frame became no reading (every other field of it too). */
      readonly type: 'measurement-skipped';
      /** The device the frame came from, as given in the context. */
      readonly deviceId: string;
      /** The 16-bit UUID of the frame's characteristic, e.g. `0x2a9d`. */
      readonly characteristic: number;
      /** Why no reading was made, e.g. `measurement-unsuccessful`. */
      readonly reason: MeasurementSkippedReason;
      /** One line for logs naming the characteristic, device and reason. */
      readonly message: string;
    }
  | {
      /** The frame carries a time stamp that was not used: the readings are stamped with `fallbackTs`. */
      readonly type: 'timestamp-fallback';
      /** The device the frame came from, as given in the context. */
      readonly deviceId: string;
      /** The 16-bit UUID of the frame's characteristic, e.g. `0x2a1c`. */
      readonly characteristic: number;
      /** Why the frame's time stamp was not used, e.g. `no-utc-offset`. */
      readonly reason: TimestampFallbackReason;
      /** The frame's time stamp that was not used. */
      readonly frameTime: GattDateTime;
      /** One line for logs naming the characteristic, device, reason and the `fallbackTs` used. */
      readonly message: string;
    };

/** The result of {@link gattToReadings}. */
export interface GattReadings {
  /**
   * The readings made, one per usable field in field order, in the metric's canonical UCUM unit, with `seq`
   * allocated in order.
   */
  readonly readings: Reading[];
  /**
   * What did not become a reading, or a time stamp that was not used; empty when the frame mapped cleanly.
   */
  readonly events: GattReadingEvent[];
}

/** UCUM codes of the GATT units. */
const UCUM = {
  mmHg: 'mm[Hg]',
  kPa: 'kPa',
  Celsius: 'Cel',
  Fahrenheit: '[degF]',
  'kg/L': 'kg/L',
  'mol/L': 'mol/L',
  kg: 'kg',
  lb: '[lb_av]',
} as const;

const PLX_BAD_MEASUREMENT: readonly PlxMeasurementStatusFlag[] = [
  'invalidMeasurementDetected',
  'measurementUnavailable',
];
const PLX_QUESTIONABLE_MEASUREMENT: readonly PlxMeasurementStatusFlag[] = [
  'questionableMeasurementDetected',
  'earlyEstimatedData',
  'calibrationOngoing',
];
const PLX_BAD_DEVICE: readonly PlxDeviceAndSensorStatusFlag[] = [
  'equipmentMalfunctionDetected',
  'sensorUnconnectedToUser',
  'unknownSensorConnected',
  'sensorDisplaced',
  'sensorMalfunctioning',
  'sensorDisconnected',
];
const PLX_QUESTIONABLE_DEVICE: readonly PlxDeviceAndSensorStatusFlag[] = [
  'signalProcessingIrregularityDetected',
  'inadequateSignalDetected',
  'poorSignalDetected',
  'lowPerfusionDetected',
  'erraticSignalDetected',
  'nonpulsatileSignalDetected',
  'questionablePulseDetected',
  'sensorInterferenceDetected',
];

function plxQuality(m: PlxStatus): ReadingQuality | undefined {
  const ms = m.measurementStatus ?? [];
  const ds = m.deviceAndSensorStatus ?? [];
  if (ms.some((f) => PLX_BAD_MEASUREMENT.includes(f)) || ds.some((f) => PLX_BAD_DEVICE.includes(f)))
    return 'bad';
  if (
    ms.some((f) => PLX_QUESTIONABLE_MEASUREMENT.includes(f)) ||
    ds.some((f) => PLX_QUESTIONABLE_DEVICE.includes(f))
  ) {
    return 'questionable';
  }
  return undefined;
}

/** One value to turn into a reading: field name, metric, value, UCUM unit. */
type Candidate = readonly [field: string, metric: MetricId, value: MeasuredValue, unit: string];

/** What the mapping of one measurement found, before time and sequence numbers are applied. */
interface Mapped {
  readonly candidates: readonly Candidate[];
  readonly quality?: ReadingQuality | undefined;
  readonly frameTime: GattDateTime | null;
  readonly untrustedTime?: 'clock-not-set' | 'time-fault' | undefined;
  readonly skipped?: { readonly reason: MeasurementSkippedReason; readonly message: string } | undefined;
}

function mapMeasurement(m: GattMeasurement): Mapped {
  switch (m.characteristic) {
    case 0x2a37:
      return {
        candidates: [['heartRate', 'heart-rate', m.heartRate, '/min']],
        quality: m.sensorContact === 'not_detected' ? 'questionable' : undefined,
        frameTime: null,
      };
    case 0x2a35: {
      const unit = UCUM[m.unit];
      const candidates: Candidate[] = [
        ['systolic', 'bp-systolic', m.systolic, unit],
        ['diastolic', 'bp-diastolic', m.diastolic, unit],
        ['meanArterialPressure', 'bp-mean', m.meanArterialPressure, unit],
      ];
      if (m.pulseRate !== null) candidates.push(['pulseRate', 'pulse-rate', m.pulseRate, '/min']);
      const s = m.measurementStatus;
      const doubtful =
        s !== null && (s.bodyMovementDetected || s.cuffTooLoose || s.improperMeasurementPosition);
      return { candidates, quality: doubtful ? 'questionable' : undefined, frameTime: m.timestamp };
    }
    case 0x2a1c:
      return {
        candidates: [['temperature', 'body-temperature', m.temperature, UCUM[m.unit]]],
        frameTime: m.timestamp,
      };
    case 0x2a18: {
      const s = m.sensorStatus;
      const base = {
        frameTime: m.effectiveTime ?? m.baseTime,
        untrustedTime: s?.timeFault === true ? ('time-fault' as const) : undefined,
      };
      if (m.glucoseConcentration === null || m.unit === null) return { ...base, candidates: [] };
      if (m.type === 10 || m.sampleLocation === 4) {
        return {
          ...base,
          candidates: [],
          skipped: {
            reason: 'control-solution',
            message: `glucose record ${m.sequenceNumber} is a control-solution test, not a patient sample`,
          },
        };
      }
      let quality: ReadingQuality | undefined;
      if (
        s !== null &&
        (s.sensorMalfunction ||
          s.sampleSizeInsufficient ||
          s.stripInsertionError ||
          s.stripTypeIncorrect ||
          s.sensorReadInterrupted ||
          s.generalDeviceFault)
      ) {
        quality = 'bad';
      } else if (
        s !== null &&
        (s.sensorResultTooHigh ||
          s.sensorResultTooLow ||
          s.sensorTemperatureTooHigh ||
          s.sensorTemperatureTooLow)
      ) {
        quality = 'questionable';
      }
      return {
        ...base,
        candidates: [['glucoseConcentration', 'glucose', m.glucoseConcentration, UCUM[m.unit]]],
        quality,
      };
    }
    case 0x2a9d:
      if (m.weight === null) {
        return {
          candidates: [],
          frameTime: m.timestamp,
          skipped: {
            reason: 'measurement-unsuccessful',
            message: 'the scale reported Measurement Unsuccessful (0xFFFF)',
          },
        };
      }
      return { candidates: [['weight', 'body-weight', m.weight, UCUM[m.unit]]], frameTime: m.timestamp };
    case 0x2a5e:
    case 0x2a5f: {
      const frameTime = m.characteristic === 0x2a5e ? m.timestamp : null;
      const untrustedTime =
        m.characteristic === 0x2a5e && m.deviceClockNotSet ? ('clock-not-set' as const) : undefined;
      const ms = m.measurementStatus ?? [];
      if (ms.includes('dataForDemonstration') || ms.includes('dataForTesting')) {
        return {
          candidates: [],
          frameTime,
          untrustedTime,
          skipped: {
            reason: 'demonstration-or-test-data',
            message: `the oximeter flags this measurement as ${ms.filter((f) => f.startsWith('dataFor')).join(' and ')}`,
          },
        };
      }
      return {
        candidates: [
          ['spo2', 'spo2', m.spo2, '%'],
          ['pulseRate', 'pulse-rate', m.pulseRate, '/min'],
        ],
        quality: plxQuality(m),
        frameTime,
        untrustedTime,
      };
    }
  }
}

/** Removes binary noise a unit conversion leaves (98.6 °F → 37, not 36.99999999999999). */
function clean(value: number): number {
  return Number(value.toPrecision(12));
}

function checkContext(context: GattReadingContext): void {
  if (typeof context !== 'object' || context === null)
    throw new TypeError('gattToReadings needs a context object');
  parse(DeviceId, 'DeviceId', context.deviceId, 'gattToReadings context.deviceId');
  if (context.patientId !== undefined) {
    parse(PatientId, 'PatientId', context.patientId, 'gattToReadings context.patientId');
  }
  if (!Number.isSafeInteger(context.fallbackTs) || context.fallbackTs < 0) {
    throw new RangeError(`fallbackTs must be epoch ms (a non-negative integer), got ${context.fallbackTs}`);
  }
  if (typeof context.seq !== 'function' && (!Number.isSafeInteger(context.seq) || context.seq < 0)) {
    throw new RangeError(
      `seq must be a non-negative safe integer or an allocator, got ${String(context.seq)}`,
    );
  }
  if (context.utcOffsetMinutes !== undefined) checkUtcOffset(context.utcOffsetMinutes);
}

/**
 * Turns a decoded GATT measurement into core `Reading`s in the metric's canonical UCUM unit
 * (kPa → mm[Hg], °F → Cel, lb → kg, glucose kg/L or mol/L → mg/dL with the catalogue's molar
 * mass), with events for what did not become a reading:
 *
 * | characteristic | fields → metrics |
 * | --- | --- |
 * | 0x2A37 | heartRate → heart-rate |
 * | 0x2A35 | systolic, diastolic, meanArterialPressure → bp-systolic, bp-diastolic, bp-mean; pulseRate → pulse-rate |
 * | 0x2A1C | temperature → body-temperature |
 * | 0x2A18 | glucoseConcentration → glucose (control-solution tests are skipped) |
 * | 0x2A9D | weight → body-weight (Measurement Unsuccessful is skipped) |
 * | 0x2A5E, 0x2A5F | spo2 → spo2, pulseRate → pulse-rate (SpO2PR-Normal; demonstration/test data skipped) |
 *
 * A special value (NaN, NRes, ±INFINITY, reserved) yields no reading and a `special-value` event.
 * The time of the readings is the frame's own time stamp (Glucose: Base Time + Time Offset) placed
 * with `context.utcOffsetMinutes`, else `context.fallbackTs`. Quality is `questionable` or `bad`
 * when the frame's status flags say so (e.g. cuff too loose, low perfusion, sensor malfunction)
 * and left out otherwise. Plausibility is not checked here: that is the gateway's job.
 *
 * @throws {ValidationError} when `deviceId` or `patientId` is malformed.
 * @throws {RangeError} when `fallbackTs`, `seq` (or a number it allocates) or `utcOffsetMinutes`
 *   is out of range.
 * @example
 * ```ts
 * const m = decodeGatt(0x2a1c, frame);
 * const { readings, events } = gattToReadings(m, { deviceId: 'thermo-1', seq: 1, fallbackTs: Date.now(), utcOffsetMinutes: 60 });
 * ```
 */
export function gattToReadings(measurement: GattMeasurement, context: GattReadingContext): GattReadings {
  checkContext(context);
  const characteristic = (measurement as { characteristic?: unknown } | null)?.characteristic;
  if (!isGattCharacteristicUuid(characteristic)) {
    throw new TypeError(
      `gattToReadings needs a measurement from decodeGatt, got characteristic ${String(characteristic)}`,
    );
  }
  const { deviceId } = context;
  const mapped = mapMeasurement(measurement);
  const events: GattReadingEvent[] = [];
  const where = `${formatUuid16(characteristic)} from ${deviceId}`;

  let ts = context.fallbackTs;
  const frameTime = mapped.frameTime;
  if (frameTime !== null) {
    let reason: TimestampFallbackReason | undefined = mapped.untrustedTime;
    if (reason === undefined) {
      if (context.utcOffsetMinutes === undefined) reason = 'no-utc-offset';
      else {
        const ms = gattDateTimeToEpochMs(frameTime, context.utcOffsetMinutes);
        if (ms === undefined) reason = 'incomplete-or-invalid';
        else if (ms < 0) reason = 'before-epoch';
        else ts = ms;
      }
    }
    if (reason !== undefined) {
      events.push({
        type: 'timestamp-fallback',
        deviceId,
        characteristic,
        reason,
        frameTime,
        message: `${where}: frame time stamp not used (${reason}); used fallbackTs ${context.fallbackTs}`,
      });
    }
  }
  if (mapped.skipped !== undefined) {
    events.push({
      type: 'measurement-skipped',
      deviceId,
      characteristic,
      reason: mapped.skipped.reason,
      message: `${where}: no reading: ${mapped.skipped.message}`,
    });
  }

  const readings: Reading[] = [];
  let counter = typeof context.seq === 'number' ? context.seq : 0;
  const allocate =
    typeof context.seq === 'function'
      ? context.seq
      : () => {
          const s = counter;
          counter += 1;
          return s;
        };
  for (const [field, metric, value, unit] of mapped.candidates) {
    if (typeof value !== 'number') {
      events.push({
        type: 'special-value',
        deviceId,
        characteristic,
        field,
        metric,
        special: value.special,
        message: `${where}: ${field} is the special value ${value.special}: no ${metric} reading`,
      });
      continue;
    }
    const seq = allocate();
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new RangeError(`the seq allocator returned ${seq}; it must return non-negative safe integers`);
    }
    const canonical = toCanonicalUnit(metric, value, unit);
    readings.push({
      id: readingId(deviceId, seq),
      deviceId: deviceId as DeviceId,
      ...(context.patientId === undefined ? {} : { patientId: context.patientId as PatientId }),
      metric,
      value: canonical === value ? value : clean(canonical),
      unit: METRICS[metric].unit,
      ts,
      seq,
      ...(mapped.quality === undefined ? {} : { quality: mapped.quality }),
    });
  }
  return { readings, events };
}
