import { GattCharacteristic } from './characteristics.js';
import { addMinutes, DATE_TIME_BYTES, type GattDateTime, readDateTime } from './date-time.js';
import { checkFrame, end, FrameWriter, type GattDecodeOptions, need, present, u16 } from './frame.js';
import { type MeasuredValue, readSfloat } from './ieee11073.js';
import { type BitTable, bitsOfRecord, definedMask, recordOfBits } from './status-bits.js';

const UUID = GattCharacteristic.glucoseMeasurement;

/** Glucose sample Type (low nibble) values, as the Bluetooth SIG names them; 0 and 11–15 are reserved. */
export const GLUCOSE_TYPES: Readonly<Record<number, string>> = {
  1: 'Capillary Whole blood',
  2: 'Capillary Plasma',
  3: 'Venous Whole blood',
  4: 'Venous Plasma',
  5: 'Arterial Whole blood',
  6: 'Arterial Plasma',
  7: 'Undetermined Whole blood',
  8: 'Undetermined Plasma',
  9: 'Interstitial Fluid (ISF)',
  10: 'Control Solution',
};

/** Glucose Sample Location (high nibble) values; 0 and 5–14 are reserved. */
export const GLUCOSE_SAMPLE_LOCATIONS: Readonly<Record<number, string>> = {
  1: 'Finger',
  2: 'Alternate Site Test (AST)',
  3: 'Earlobe',
  4: 'Control solution',
  15: 'Sample Location value not available',
};

/** The flag names of the Sensor Status Annunciation field (bits 0–11; 12–15 reserved). */
export type GlucoseSensorStatusFlag =
  | 'deviceBatteryLow'
  | 'sensorMalfunction'
  | 'sampleSizeInsufficient'
  | 'stripInsertionError'
  | 'stripTypeIncorrect'
  | 'sensorResultTooHigh'
  | 'sensorResultTooLow'
  | 'sensorTemperatureTooHigh'
  | 'sensorTemperatureTooLow'
  | 'sensorReadInterrupted'
  | 'generalDeviceFault'
  | 'timeFault';

/** Sensor Status Annunciation bits. */
export const GLUCOSE_SENSOR_STATUS_BITS: BitTable<GlucoseSensorStatusFlag> = [
  [0, 'deviceBatteryLow'],
  [1, 'sensorMalfunction'],
  [2, 'sampleSizeInsufficient'],
  [3, 'stripInsertionError'],
  [4, 'stripTypeIncorrect'],
  [5, 'sensorResultTooHigh'],
  [6, 'sensorResultTooLow'],
  [7, 'sensorTemperatureTooHigh'],
  [8, 'sensorTemperatureTooLow'],
  [9, 'sensorReadInterrupted'],
  [10, 'generalDeviceFault'],
  [11, 'timeFault'],
];
const SENSOR_STATUS_MASK = definedMask(GLUCOSE_SENSOR_STATUS_BITS);

/** The Sensor Status Annunciation field, flag by flag. */
export type GlucoseSensorStatus = Readonly<Record<GlucoseSensorStatusFlag, boolean>>;

/** A decoded Glucose Measurement (0x2A18). */
export interface GlucoseMeasurement {
  /** The characteristic's 16-bit UUID, 0x2A18 (discriminates {@link GattMeasurement}). */
  readonly characteristic: typeof UUID;
  /** The record's sequence number (uint16), as the device's record store numbers it. */
  readonly sequenceNumber: number;
  /** Device-local Base Time (no zone). */
  readonly baseTime: GattDateTime;
  /** Minutes to add to Base Time for the user-facing time (sint16), or null. */
  readonly timeOffsetMinutes: number | null;
  /**
   * Base Time + Time Offset (device-local, no zone): the time of the measurement. Null when Base
   * Time is incomplete or invalid.
   */
  readonly effectiveTime: GattDateTime | null;
  /** Flags bit 2, when a concentration is present; null otherwise. */
  readonly unit: 'kg/L' | 'mol/L' | null;
  /** SFLOAT in `unit`, or null. */
  readonly glucoseConcentration: MeasuredValue | null;
  /** Sample type (see {@link GLUCOSE_TYPES}), or null. */
  readonly type: number | null;
  /** The Bluetooth SIG name of `type` (e.g. `Capillary Whole blood`), or null when absent or reserved. */
  readonly typeName: string | null;
  /** Sample location (see {@link GLUCOSE_SAMPLE_LOCATIONS}), or null. */
  readonly sampleLocation: number | null;
  /** The Bluetooth SIG name of `sampleLocation` (e.g. `Finger`), or null when absent or reserved. */
  readonly sampleLocationName: string | null;
  /** The 16-bit Sensor Status Annunciation as sent (reserved bits included), or null. */
  readonly sensorStatusRaw: number | null;
  /** The flags of `sensorStatusRaw` by name (bits 0–11), or null when the status is absent. */
  readonly sensorStatus: GlucoseSensorStatus | null;
  /** Flags bit 4: a Glucose Measurement Context (0x2A34) with the same sequence number follows. */
  readonly contextInformationFollows: boolean;
}

/**
 * The input of {@link encodeGlucoseMeasurement}. A concentration needs `unit`, `type` and
 * `sampleLocation` (they share flags bit 1). Give the status as `sensorStatusRaw` or
 * `sensorStatus` (missing flags are false), or both if they agree.
 */
export interface GlucoseMeasurementInit {
  /** The characteristic's UUID, 0x2A18, if given; {@link encodeGatt} refuses a measurement naming another. */
  readonly characteristic?: typeof UUID;
  /** The record's sequence number, an integer 0…65535. */
  readonly sequenceNumber: number;
  /** Device-local Base Time of the measurement (no zone). */
  readonly baseTime: GattDateTime;
  /**
   * Minutes to add to Base Time, an integer -32768…32767; sets flags bit 0 when present (not null or
   * undefined).
   */
  readonly timeOffsetMinutes?: number | null;
  /**
   * The unit of `glucoseConcentration`: `kg/L` or `mol/L` (sets flags bit 2); required with a concentration.
   */
  readonly unit?: 'kg/L' | 'mol/L' | null;
  /** Glucose concentration in `unit`, encoded as SFLOAT; sets flags bit 1 when present. */
  readonly glucoseConcentration?: MeasuredValue | null;
  /** Sample type 0…15 (see {@link GLUCOSE_TYPES}); required with a concentration, refused without one. */
  readonly type?: number | null;
  /**
   * Sample location 0…15 (see {@link GLUCOSE_SAMPLE_LOCATIONS}); required with a concentration, refused
   * without one.
   */
  readonly sampleLocation?: number | null;
  /**
   * The 16-bit Sensor Status Annunciation to send (reserved bits included); sets flags bit 3 when present.
   */
  readonly sensorStatusRaw?: number | null;
  /**
   * The Sensor Status Annunciation by name (missing flags are false); must agree with `sensorStatusRaw` when
   * both are given.
   */
  readonly sensorStatus?: Partial<GlucoseSensorStatus> | null;
  /**
   * Sets flags bit 4: a Glucose Measurement Context (0x2A34) with the same sequence number follows. Default
   * false.
   */
  readonly contextInformationFollows?: boolean;
}

/**
 * Decodes a Glucose Measurement (0x2A18) characteristic value.
 *
 * @throws {GattDecodeError} when the frame is truncated or has trailing bytes.
 */
export function decodeGlucoseMeasurement(bytes: Uint8Array, options?: GattDecodeOptions): GlucoseMeasurement {
  checkFrame(UUID, bytes, options);
  need(UUID, bytes, 0, 1, 'Flags');
  const flags = bytes[0] as number;
  need(UUID, bytes, 1, 2, 'Sequence Number (uint16)');
  need(UUID, bytes, 3, DATE_TIME_BYTES, 'Base Time');
  const baseTime = readDateTime(bytes, 3);
  let offset = 10;
  let timeOffsetMinutes: number | null = null;
  if (flags & 0x01) {
    need(UUID, bytes, offset, 2, 'Time Offset (sint16, flags bit 0)');
    timeOffsetMinutes = (u16(bytes, offset) << 16) >> 16;
    offset += 2;
  }
  let glucoseConcentration: MeasuredValue | null = null;
  let type: number | null = null;
  let sampleLocation: number | null = null;
  if (flags & 0x02) {
    need(UUID, bytes, offset, 3, 'Glucose Concentration (SFLOAT) and Type-Sample Location (flags bit 1)');
    glucoseConcentration = readSfloat(bytes, offset);
    const typeLocation = bytes[offset + 2] as number;
    type = typeLocation & 0x0f;
    sampleLocation = typeLocation >> 4;
    offset += 3;
  }
  let sensorStatusRaw: number | null = null;
  if (flags & 0x08) {
    need(UUID, bytes, offset, 2, 'Sensor Status Annunciation (flags bit 3)');
    sensorStatusRaw = u16(bytes, offset);
    offset += 2;
  }
  end(UUID, bytes, offset, options);
  return {
    characteristic: UUID,
    sequenceNumber: u16(bytes, 1),
    baseTime,
    timeOffsetMinutes,
    effectiveTime: addMinutes(baseTime, timeOffsetMinutes ?? 0),
    unit: glucoseConcentration === null ? null : flags & 0x04 ? 'mol/L' : 'kg/L',
    glucoseConcentration,
    type,
    typeName: type === null ? null : (GLUCOSE_TYPES[type] ?? null),
    sampleLocation,
    sampleLocationName: sampleLocation === null ? null : (GLUCOSE_SAMPLE_LOCATIONS[sampleLocation] ?? null),
    sensorStatusRaw,
    sensorStatus: sensorStatusRaw === null ? null : recordOfBits(sensorStatusRaw, GLUCOSE_SENSOR_STATUS_BITS),
    contextInformationFollows: (flags & 0x10) !== 0,
  };
}

/**
 * Encodes a Glucose Measurement (0x2A18) characteristic value.
 *
 * @throws {GattEncodeError} when a field is missing, out of range or not representable, a
 *   concentration lacks its unit, type or sample location, or the raw and named status disagree.
 */
export function encodeGlucoseMeasurement(m: GlucoseMeasurementInit): Uint8Array {
  const w: FrameWriter = new FrameWriter(UUID);
  let flags = 0;
  w.u16('sequenceNumber', m.sequenceNumber);
  w.dateTime('baseTime', m.baseTime);
  if (present(m.timeOffsetMinutes)) {
    flags |= 0x01;
    w.s16('timeOffsetMinutes', m.timeOffsetMinutes);
  }
  if (present(m.glucoseConcentration)) {
    flags |= 0x02;
    if (m.unit === 'mol/L') flags |= 0x04;
    else if (m.unit !== 'kg/L')
      w.fail('unit', `must be 'kg/L' or 'mol/L' with a concentration, got ${String(m.unit)}`);
    w.sfloat('glucoseConcentration', m.glucoseConcentration);
    const { type, sampleLocation } = m;
    if (!present(type) || !Number.isInteger(type) || type < 0 || type > 15) {
      w.fail('type', `must be an integer 0…15 with a concentration, got ${String(type)}`);
    }
    if (
      !present(sampleLocation) ||
      !Number.isInteger(sampleLocation) ||
      sampleLocation < 0 ||
      sampleLocation > 15
    ) {
      w.fail('sampleLocation', `must be an integer 0…15 with a concentration, got ${String(sampleLocation)}`);
    }
    w.u8('type', type | (sampleLocation << 4));
  } else if (present(m.type) || present(m.sampleLocation)) {
    w.fail(
      'glucoseConcentration',
      'type and sampleLocation are sent only with a concentration (flags bit 1)',
    );
  }
  let status = m.sensorStatusRaw;
  if (present(m.sensorStatus)) {
    const result = bitsOfRecord(m.sensorStatus, GLUCOSE_SENSOR_STATUS_BITS);
    if ('unknown' in result) w.fail('sensorStatus', `unknown flag "${result.unknown}"`);
    if (present(status) && (status & SENSOR_STATUS_MASK) !== result.bits) {
      w.fail('sensorStatus', `disagrees with sensorStatusRaw 0x${Number(status).toString(16)}`);
    }
    status ??= result.bits;
  }
  if (present(status)) {
    flags |= 0x08;
    w.u16('sensorStatusRaw', status);
  }
  if (m.contextInformationFollows === true) flags |= 0x10;
  return w.finish(flags);
}
