import { GattCharacteristic } from './characteristics.js';
import { DATE_TIME_BYTES, type GattDateTime, readDateTime } from './date-time.js';
import { checkFrame, end, FrameWriter, type GattDecodeOptions, need, present, u16 } from './frame.js';
import { type MeasuredValue, readSfloat } from './ieee11073.js';
import { type BitTable, bitsOfNames, definedMask, namesOfBits } from './status-bits.js';

const SPOT = GattCharacteristic.plxSpotCheckMeasurement;
const CONTINUOUS = GattCharacteristic.plxContinuousMeasurement;

/** PLX Measurement Status flags (bits 5–15; 0–4 reserved). */
export type PlxMeasurementStatusFlag =
  | 'measurementOngoing'
  | 'earlyEstimatedData'
  | 'validatedData'
  | 'fullyQualifiedData'
  | 'dataFromMeasurementStorage'
  | 'dataForDemonstration'
  | 'dataForTesting'
  | 'calibrationOngoing'
  | 'measurementUnavailable'
  | 'questionableMeasurementDetected'
  | 'invalidMeasurementDetected';

/** PLX Measurement Status bits. */
export const PLX_MEASUREMENT_STATUS_BITS: BitTable<PlxMeasurementStatusFlag> = [
  [5, 'measurementOngoing'],
  [6, 'earlyEstimatedData'],
  [7, 'validatedData'],
  [8, 'fullyQualifiedData'],
  [9, 'dataFromMeasurementStorage'],
  [10, 'dataForDemonstration'],
  [11, 'dataForTesting'],
  [12, 'calibrationOngoing'],
  [13, 'measurementUnavailable'],
  [14, 'questionableMeasurementDetected'],
  [15, 'invalidMeasurementDetected'],
];

/** PLX Device and Sensor Status flags (bits 0–15 of 24; 16–23 reserved). */
export type PlxDeviceAndSensorStatusFlag =
  | 'extendedDisplayUpdateOngoing'
  | 'equipmentMalfunctionDetected'
  | 'signalProcessingIrregularityDetected'
  | 'inadequateSignalDetected'
  | 'poorSignalDetected'
  | 'lowPerfusionDetected'
  | 'erraticSignalDetected'
  | 'nonpulsatileSignalDetected'
  | 'questionablePulseDetected'
  | 'signalAnalysisOngoing'
  | 'sensorInterferenceDetected'
  | 'sensorUnconnectedToUser'
  | 'unknownSensorConnected'
  | 'sensorDisplaced'
  | 'sensorMalfunctioning'
  | 'sensorDisconnected';

/** PLX Device and Sensor Status bits (bit 10 is spelt "Sensor Interface Detected" in the GATT XML). */
export const PLX_DEVICE_AND_SENSOR_STATUS_BITS: BitTable<PlxDeviceAndSensorStatusFlag> = [
  [0, 'extendedDisplayUpdateOngoing'],
  [1, 'equipmentMalfunctionDetected'],
  [2, 'signalProcessingIrregularityDetected'],
  [3, 'inadequateSignalDetected'],
  [4, 'poorSignalDetected'],
  [5, 'lowPerfusionDetected'],
  [6, 'erraticSignalDetected'],
  [7, 'nonpulsatileSignalDetected'],
  [8, 'questionablePulseDetected'],
  [9, 'signalAnalysisOngoing'],
  [10, 'sensorInterferenceDetected'],
  [11, 'sensorUnconnectedToUser'],
  [12, 'unknownSensorConnected'],
  [13, 'sensorDisplaced'],
  [14, 'sensorMalfunctioning'],
  [15, 'sensorDisconnected'],
];

const MEASUREMENT_STATUS_MASK = definedMask(PLX_MEASUREMENT_STATUS_BITS);
const DEVICE_STATUS_MASK = definedMask(PLX_DEVICE_AND_SENSOR_STATUS_BITS);

/** The status fields both PLX measurements share. */
export interface PlxStatus {
  /** The 16-bit Measurement Status as sent (reserved bits included), or null. */
  readonly measurementStatusRaw: number | null;
  /** The set flags of the Measurement Status, in bit order, or null. */
  readonly measurementStatus: readonly PlxMeasurementStatusFlag[] | null;
  /** The 24-bit Device and Sensor Status as sent (reserved bits included), or null. */
  readonly deviceAndSensorStatusRaw: number | null;
  /** The set flags of the Device and Sensor Status, in bit order, or null. */
  readonly deviceAndSensorStatus: readonly PlxDeviceAndSensorStatusFlag[] | null;
  /** Pulse Amplitude Index in %, or null. */
  readonly pulseAmplitudeIndex: MeasuredValue | null;
}

/** An SpO2 and pulse rate pair. */
export interface SpO2PulseRate {
  /** SpO2 in %. */
  readonly spo2: MeasuredValue;
  /** Pulse rate in beats per minute. */
  readonly pulseRate: MeasuredValue;
}

/** A decoded PLX Spot-Check Measurement (0x2A5E). */
export interface PlxSpotCheckMeasurement extends SpO2PulseRate, PlxStatus {
  /** The characteristic's 16-bit UUID, 0x2A5E (discriminates {@link GattMeasurement}). */
  readonly characteristic: typeof SPOT;
  /** Device-local time of the measurement (no zone), or null. */
  readonly timestamp: GattDateTime | null;
  /** Flags bit 4: the device's clock is not set, so `timestamp` cannot be trusted. */
  readonly deviceClockNotSet: boolean;
}

/** A decoded PLX Continuous Measurement (0x2A5F): `spo2`/`pulseRate` are SpO2PR-Normal. */
export interface PlxContinuousMeasurement extends SpO2PulseRate, PlxStatus {
  /** The characteristic's 16-bit UUID, 0x2A5F (discriminates {@link GattMeasurement}). */
  readonly characteristic: typeof CONTINUOUS;
  /** SpO2PR-Fast (shorter averaging), or null. */
  readonly spo2prFast: SpO2PulseRate | null;
  /** SpO2PR-Slow (longer averaging), or null. */
  readonly spo2prSlow: SpO2PulseRate | null;
}

/** The status part of the PLX encoder inputs: each field raw or named (both if they agree). */
export interface PlxStatusInit {
  /**
   * The 16-bit Measurement Status to send (reserved bits included); sent when present (not null or
   * undefined).
   */
  readonly measurementStatusRaw?: number | null;
  /** The set Measurement Status flags by name; must agree with `measurementStatusRaw` when both are given. */
  readonly measurementStatus?: readonly PlxMeasurementStatusFlag[] | null;
  /** The 24-bit Device and Sensor Status to send (reserved bits included); sent when present. */
  readonly deviceAndSensorStatusRaw?: number | null;
  /**
   * The set Device and Sensor Status flags by name; must agree with `deviceAndSensorStatusRaw` when both are
   * given.
   */
  readonly deviceAndSensorStatus?: readonly PlxDeviceAndSensorStatusFlag[] | null;
  /** Pulse Amplitude Index in %, encoded as SFLOAT; sent when present. */
  readonly pulseAmplitudeIndex?: MeasuredValue | null;
}

/** The input of {@link encodePlxSpotCheckMeasurement}. */
export interface PlxSpotCheckMeasurementInit extends SpO2PulseRate, PlxStatusInit {
  /** The characteristic's UUID, 0x2A5E, if given; {@link encodeGatt} refuses a measurement naming another. */
  readonly characteristic?: typeof SPOT;
  /** Device-local time of the measurement; sets flags bit 0 when present (not null or undefined). */
  readonly timestamp?: GattDateTime | null;
  /** Sets flags bit 4: the device's clock is not set, so `timestamp` cannot be trusted. Default false. */
  readonly deviceClockNotSet?: boolean;
}

/** The input of {@link encodePlxContinuousMeasurement}. */
export interface PlxContinuousMeasurementInit extends SpO2PulseRate, PlxStatusInit {
  /** The characteristic's UUID, 0x2A5F, if given; {@link encodeGatt} refuses a measurement naming another. */
  readonly characteristic?: typeof CONTINUOUS;
  /** SpO2PR-Fast (shorter averaging), two SFLOATs; sets flags bit 0 when present (not null or undefined). */
  readonly spo2prFast?: SpO2PulseRate | null;
  /** SpO2PR-Slow (longer averaging), two SFLOATs; sets flags bit 1 when present. */
  readonly spo2prSlow?: SpO2PulseRate | null;
}

function u24(bytes: Uint8Array, offset: number): number {
  return u16(bytes, offset) | ((bytes[offset + 2] as number) << 16);
}

/**
 * Reads the status fields both PLX measurements end with — Measurement Status, Device and Sensor
 * Status, Pulse Amplitude Index — flagged by three consecutive bits from `firstBit` (1 for
 * Spot-Check, 2 for Continuous), starting at `offset`; `end` is the offset after them.
 */
function readStatus(
  uuid: typeof SPOT | typeof CONTINUOUS,
  bytes: Uint8Array,
  offset: number,
  flags: number,
  firstBit: number,
): PlxStatus & { end: number } {
  let at = offset;
  let measurementStatusRaw: number | null = null;
  if (flags & (1 << firstBit)) {
    need(uuid, bytes, at, 2, `Measurement Status (flags bit ${firstBit})`);
    measurementStatusRaw = u16(bytes, at);
    at += 2;
  }
  let deviceAndSensorStatusRaw: number | null = null;
  if (flags & (1 << (firstBit + 1))) {
    need(uuid, bytes, at, 3, `Device and Sensor Status (24 bits, flags bit ${firstBit + 1})`);
    deviceAndSensorStatusRaw = u24(bytes, at);
    at += 3;
  }
  let pulseAmplitudeIndex: MeasuredValue | null = null;
  if (flags & (1 << (firstBit + 2))) {
    need(uuid, bytes, at, 2, `Pulse Amplitude Index (SFLOAT, flags bit ${firstBit + 2})`);
    pulseAmplitudeIndex = readSfloat(bytes, at);
    at += 2;
  }
  return {
    end: at,
    measurementStatusRaw,
    measurementStatus:
      measurementStatusRaw === null ? null : namesOfBits(measurementStatusRaw, PLX_MEASUREMENT_STATUS_BITS),
    deviceAndSensorStatusRaw,
    deviceAndSensorStatus:
      deviceAndSensorStatusRaw === null
        ? null
        : namesOfBits(deviceAndSensorStatusRaw, PLX_DEVICE_AND_SENSOR_STATUS_BITS),
    pulseAmplitudeIndex,
  };
}

/**
 * Decodes a PLX Spot-Check Measurement (0x2A5E) characteristic value.
 *
 * @throws {GattDecodeError} when the frame is truncated or has trailing bytes.
 */
export function decodePlxSpotCheckMeasurement(
  bytes: Uint8Array,
  options?: GattDecodeOptions,
): PlxSpotCheckMeasurement {
  checkFrame(SPOT, bytes, options);
  need(SPOT, bytes, 0, 1, 'Flags');
  const flags = bytes[0] as number;
  need(SPOT, bytes, 1, 4, 'SpO2PR-Spot-Check (2 × SFLOAT)');
  let offset = 5;
  let timestamp: GattDateTime | null = null;
  if (flags & 0x01) {
    need(SPOT, bytes, offset, DATE_TIME_BYTES, 'Timestamp (flags bit 0)');
    timestamp = readDateTime(bytes, offset);
    offset += DATE_TIME_BYTES;
  }
  const status = readStatus(SPOT, bytes, offset, flags, 1);
  end(SPOT, bytes, status.end, options);
  return {
    characteristic: SPOT,
    spo2: readSfloat(bytes, 1),
    pulseRate: readSfloat(bytes, 3),
    timestamp,
    measurementStatusRaw: status.measurementStatusRaw,
    measurementStatus: status.measurementStatus,
    deviceAndSensorStatusRaw: status.deviceAndSensorStatusRaw,
    deviceAndSensorStatus: status.deviceAndSensorStatus,
    pulseAmplitudeIndex: status.pulseAmplitudeIndex,
    deviceClockNotSet: (flags & 0x10) !== 0,
  };
}

/**
 * Decodes a PLX Continuous Measurement (0x2A5F) characteristic value.
 *
 * @throws {GattDecodeError} when the frame is truncated or has trailing bytes.
 */
export function decodePlxContinuousMeasurement(
  bytes: Uint8Array,
  options?: GattDecodeOptions,
): PlxContinuousMeasurement {
  checkFrame(CONTINUOUS, bytes, options);
  need(CONTINUOUS, bytes, 0, 1, 'Flags');
  const flags = bytes[0] as number;
  need(CONTINUOUS, bytes, 1, 4, 'SpO2PR-Normal (2 × SFLOAT)');
  let offset = 5;
  let spo2prFast: SpO2PulseRate | null = null;
  if (flags & 0x01) {
    need(CONTINUOUS, bytes, offset, 4, 'SpO2PR-Fast (2 × SFLOAT, flags bit 0)');
    spo2prFast = { spo2: readSfloat(bytes, offset), pulseRate: readSfloat(bytes, offset + 2) };
    offset += 4;
  }
  let spo2prSlow: SpO2PulseRate | null = null;
  if (flags & 0x02) {
    need(CONTINUOUS, bytes, offset, 4, 'SpO2PR-Slow (2 × SFLOAT, flags bit 1)');
    spo2prSlow = { spo2: readSfloat(bytes, offset), pulseRate: readSfloat(bytes, offset + 2) };
    offset += 4;
  }
  const status = readStatus(CONTINUOUS, bytes, offset, flags, 2);
  end(CONTINUOUS, bytes, status.end, options);
  return {
    characteristic: CONTINUOUS,
    spo2: readSfloat(bytes, 1),
    pulseRate: readSfloat(bytes, 3),
    spo2prFast,
    spo2prSlow,
    measurementStatusRaw: status.measurementStatusRaw,
    measurementStatus: status.measurementStatus,
    deviceAndSensorStatusRaw: status.deviceAndSensorStatusRaw,
    deviceAndSensorStatus: status.deviceAndSensorStatus,
    pulseAmplitudeIndex: status.pulseAmplitudeIndex,
  };
}

/** Writes the status fields and returns their presence bits (measurement, device, PAI). */
function writeStatus(w: FrameWriter, m: PlxStatusInit): { ms: boolean; ds: boolean; pai: boolean } {
  let ms = m.measurementStatusRaw;
  if (present(m.measurementStatus)) {
    const r = bitsOfNames(m.measurementStatus, PLX_MEASUREMENT_STATUS_BITS);
    if ('unknown' in r) w.fail('measurementStatus', `unknown flag "${r.unknown}"`);
    if (present(ms) && (ms & MEASUREMENT_STATUS_MASK) !== r.bits) {
      w.fail('measurementStatus', `disagrees with measurementStatusRaw 0x${Number(ms).toString(16)}`);
    }
    ms ??= r.bits;
  }
  if (present(ms)) w.u16('measurementStatusRaw', ms);
  let ds = m.deviceAndSensorStatusRaw;
  if (present(m.deviceAndSensorStatus)) {
    const r = bitsOfNames(m.deviceAndSensorStatus, PLX_DEVICE_AND_SENSOR_STATUS_BITS);
    if ('unknown' in r) w.fail('deviceAndSensorStatus', `unknown flag "${r.unknown}"`);
    if (present(ds) && (ds & DEVICE_STATUS_MASK) !== r.bits) {
      w.fail('deviceAndSensorStatus', `disagrees with deviceAndSensorStatusRaw 0x${Number(ds).toString(16)}`);
    }
    ds ??= r.bits;
  }
  if (present(ds)) w.u24('deviceAndSensorStatusRaw', ds);
  if (present(m.pulseAmplitudeIndex)) w.sfloat('pulseAmplitudeIndex', m.pulseAmplitudeIndex);
  return { ms: present(ms), ds: present(ds), pai: present(m.pulseAmplitudeIndex) };
}

/**
 * Encodes a PLX Spot-Check Measurement (0x2A5E) characteristic value.
 *
 * @throws {GattEncodeError} when a field is missing, out of range or not representable, or a raw
 *   and a named status disagree.
 */
export function encodePlxSpotCheckMeasurement(m: PlxSpotCheckMeasurementInit): Uint8Array {
  const w: FrameWriter = new FrameWriter(SPOT);
  w.sfloat('spo2', m.spo2).sfloat('pulseRate', m.pulseRate);
  let flags = 0;
  if (present(m.timestamp)) {
    flags |= 0x01;
    w.dateTime('timestamp', m.timestamp);
  }
  const s = writeStatus(w, m);
  if (s.ms) flags |= 0x02;
  if (s.ds) flags |= 0x04;
  if (s.pai) flags |= 0x08;
  if (m.deviceClockNotSet === true) flags |= 0x10;
  return w.finish(flags);
}

/**
 * Encodes a PLX Continuous Measurement (0x2A5F) characteristic value.
 *
 * @throws {GattEncodeError} when a field is missing, out of range or not representable, or a raw
 *   and a named status disagree.
 */
export function encodePlxContinuousMeasurement(m: PlxContinuousMeasurementInit): Uint8Array {
  const w: FrameWriter = new FrameWriter(CONTINUOUS);
  w.sfloat('spo2', m.spo2).sfloat('pulseRate', m.pulseRate);
  let flags = 0;
  if (present(m.spo2prFast)) {
    flags |= 0x01;
    w.sfloat('spo2prFast.spo2', m.spo2prFast.spo2).sfloat('spo2prFast.pulseRate', m.spo2prFast.pulseRate);
  }
  if (present(m.spo2prSlow)) {
    flags |= 0x02;
    w.sfloat('spo2prSlow.spo2', m.spo2prSlow.spo2).sfloat('spo2prSlow.pulseRate', m.spo2prSlow.pulseRate);
  }
  const s = writeStatus(w, m);
  if (s.ms) flags |= 0x04;
  if (s.ds) flags |= 0x08;
  if (s.pai) flags |= 0x10;
  return w.finish(flags);
}
