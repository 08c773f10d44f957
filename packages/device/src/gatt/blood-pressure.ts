import { GattCharacteristic } from './characteristics.js';
import { DATE_TIME_BYTES, type GattDateTime, readDateTime } from './date-time.js';
import { checkFrame, end, FrameWriter, type GattDecodeOptions, need, present, u16 } from './frame.js';
import { type MeasuredValue, readSfloat } from './ieee11073.js';

const UUID = GattCharacteristic.bloodPressureMeasurement;

/** Pulse Rate Range Detection (Measurement Status bits 3–4); 3 is reserved for future use. */
export type PulseRateRange = 'within_range' | 'exceeds_upper_limit' | 'below_lower_limit' | 'reserved';

/** The Blood Pressure Measurement Status field, flag by flag. */
export interface BloodPressureStatus {
  /** Bit 0: body movement during measurement. */
  readonly bodyMovementDetected: boolean;
  /** Bit 1: cuff too loose. */
  readonly cuffTooLoose: boolean;
  /** Bit 2: irregular pulse detected. */
  readonly irregularPulseDetected: boolean;
  /** Bits 3–4. */
  readonly pulseRateRange: PulseRateRange;
  /** Bit 5: improper measurement position. */
  readonly improperMeasurementPosition: boolean;
}

/** A decoded Blood Pressure Measurement (0x2A35). Pressures are in `unit`. */
export interface BloodPressureMeasurement {
  /** The characteristic's 16-bit UUID, 0x2A35 (discriminates {@link GattMeasurement}). */
  readonly characteristic: typeof UUID;
  /** Flags bit 0: the unit of systolic, diastolic and mean arterial pressure. */
  readonly unit: 'mmHg' | 'kPa';
  /** Systolic pressure (SFLOAT), in `unit`. */
  readonly systolic: MeasuredValue;
  /** Diastolic pressure (SFLOAT), in `unit`. */
  readonly diastolic: MeasuredValue;
  /** Mean arterial pressure; devices that do not compute it send NaN. */
  readonly meanArterialPressure: MeasuredValue;
  /** Device-local time of the measurement (no zone), or null. */
  readonly timestamp: GattDateTime | null;
  /** Beats per minute, or null. */
  readonly pulseRate: MeasuredValue | null;
  /** 0…254 per the service, 255 = unknown user; null when absent. */
  readonly userId: number | null;
  /** The 16-bit Measurement Status as sent (reserved bits included), or null. */
  readonly measurementStatusRaw: number | null;
  /** The flags of `measurementStatusRaw` by name, or null when the status is absent. */
  readonly measurementStatus: BloodPressureStatus | null;
}

/**
 * The input of {@link encodeBloodPressureMeasurement}. Give the status as `measurementStatusRaw`
 * or `measurementStatus` (or both, if they agree).
 */
export interface BloodPressureMeasurementInit {
  /** The characteristic's UUID, 0x2A35, if given; {@link encodeGatt} refuses a measurement naming another. */
  readonly characteristic?: typeof UUID;
  /** Flags bit 0: the unit of the three pressures (`mmHg` or `kPa`). */
  readonly unit: 'mmHg' | 'kPa';
  /** Systolic pressure in `unit`, encoded as SFLOAT (a special value is sent as such). */
  readonly systolic: MeasuredValue;
  /** Diastolic pressure in `unit`, encoded as SFLOAT. */
  readonly diastolic: MeasuredValue;
  /** Mean arterial pressure in `unit`, encoded as SFLOAT; send `SPECIAL_VALUES.NaN` when not computed. */
  readonly meanArterialPressure: MeasuredValue;
  /** Device-local time of the measurement; sets flags bit 1 when present (not null or undefined). */
  readonly timestamp?: GattDateTime | null;
  /** Pulse rate in beats per minute, encoded as SFLOAT; sets flags bit 2 when present. */
  readonly pulseRate?: MeasuredValue | null;
  /** User ID, an integer 0…255 (255 = unknown user); sets flags bit 3 when present. */
  readonly userId?: number | null;
  /** The 16-bit Measurement Status to send (reserved bits included); sets flags bit 4 when present. */
  readonly measurementStatusRaw?: number | null;
  /**
   * The Measurement Status by name (bits 0–5); must agree with `measurementStatusRaw` when both are given.
   */
  readonly measurementStatus?: BloodPressureStatus | null;
}

const RANGES: readonly PulseRateRange[] = [
  'within_range',
  'exceeds_upper_limit',
  'below_lower_limit',
  'reserved',
];

/** The named flags of a raw Blood Pressure Measurement Status. */
export function bloodPressureStatus(raw: number): BloodPressureStatus {
  return {
    bodyMovementDetected: (raw & 0x01) !== 0,
    cuffTooLoose: (raw & 0x02) !== 0,
    irregularPulseDetected: (raw & 0x04) !== 0,
    pulseRateRange: RANGES[(raw >> 3) & 0x03] as PulseRateRange,
    improperMeasurementPosition: (raw & 0x20) !== 0,
  };
}

/** The bits a {@link BloodPressureStatus} stands for (bits 0–5), or undefined when malformed. */
function statusBits(s: BloodPressureStatus): number | undefined {
  const range = RANGES.indexOf(s.pulseRateRange);
  if (range < 0) return undefined;
  return (
    (s.bodyMovementDetected ? 0x01 : 0) |
    (s.cuffTooLoose ? 0x02 : 0) |
    (s.irregularPulseDetected ? 0x04 : 0) |
    (range << 3) |
    (s.improperMeasurementPosition ? 0x20 : 0)
  );
}

/**
 * Decodes a Blood Pressure Measurement (0x2A35) characteristic value.
 *
 * @throws {GattDecodeError} when the frame is truncated or has trailing bytes.
 * @example
 * ```ts
 * decodeBloodPressureMeasurement(Uint8Array.of(0x00, 0x78, 0x00, 0x50, 0x00, 0x5d, 0x00));
 * // { unit: 'mmHg', systolic: 120, diastolic: 80, meanArterialPressure: 93, timestamp: null, ... }
 * ```
 */
export function decodeBloodPressureMeasurement(
  bytes: Uint8Array,
  options?: GattDecodeOptions,
): BloodPressureMeasurement {
  checkFrame(UUID, bytes, options);
  need(UUID, bytes, 0, 1, 'Flags');
  const flags = bytes[0] as number;
  need(UUID, bytes, 1, 2, 'Systolic (SFLOAT)');
  need(UUID, bytes, 3, 2, 'Diastolic (SFLOAT)');
  need(UUID, bytes, 5, 2, 'Mean Arterial Pressure (SFLOAT)');
  let offset = 7;
  let timestamp: GattDateTime | null = null;
  if (flags & 0x02) {
    need(UUID, bytes, offset, DATE_TIME_BYTES, 'Time Stamp (flags bit 1)');
    timestamp = readDateTime(bytes, offset);
    offset += DATE_TIME_BYTES;
  }
  let pulseRate: MeasuredValue | null = null;
  if (flags & 0x04) {
    need(UUID, bytes, offset, 2, 'Pulse Rate (SFLOAT, flags bit 2)');
    pulseRate = readSfloat(bytes, offset);
    offset += 2;
  }
  let userId: number | null = null;
  if (flags & 0x08) {
    need(UUID, bytes, offset, 1, 'User ID (flags bit 3)');
    userId = bytes[offset] as number;
    offset += 1;
  }
  let measurementStatusRaw: number | null = null;
  if (flags & 0x10) {
    need(UUID, bytes, offset, 2, 'Measurement Status (flags bit 4)');
    measurementStatusRaw = u16(bytes, offset);
    offset += 2;
  }
  end(UUID, bytes, offset, options);
  return {
    characteristic: UUID,
    unit: flags & 0x01 ? 'kPa' : 'mmHg',
    systolic: readSfloat(bytes, 1),
    diastolic: readSfloat(bytes, 3),
    meanArterialPressure: readSfloat(bytes, 5),
    timestamp,
    pulseRate,
    userId,
    measurementStatusRaw,
    measurementStatus: measurementStatusRaw === null ? null : bloodPressureStatus(measurementStatusRaw),
  };
}

/**
 * Encodes a Blood Pressure Measurement (0x2A35) characteristic value.
 *
 * @throws {GattEncodeError} when a field is missing, out of range or not representable, or the
 *   raw and named status disagree.
 */
export function encodeBloodPressureMeasurement(m: BloodPressureMeasurementInit): Uint8Array {
  const w: FrameWriter = new FrameWriter(UUID);
  if (m.unit !== 'mmHg' && m.unit !== 'kPa') w.fail('unit', `must be 'mmHg' or 'kPa', got ${String(m.unit)}`);
  let flags = m.unit === 'kPa' ? 0x01 : 0;
  w.sfloat('systolic', m.systolic).sfloat('diastolic', m.diastolic);
  w.sfloat('meanArterialPressure', m.meanArterialPressure);
  if (present(m.timestamp)) {
    flags |= 0x02;
    w.dateTime('timestamp', m.timestamp);
  }
  if (present(m.pulseRate)) {
    flags |= 0x04;
    w.sfloat('pulseRate', m.pulseRate);
  }
  if (present(m.userId)) {
    flags |= 0x08;
    w.u8('userId', m.userId);
  }
  let status = m.measurementStatusRaw;
  if (present(m.measurementStatus)) {
    const bits = statusBits(m.measurementStatus);
    if (bits === undefined) w.fail('measurementStatus', 'pulseRateRange is not a PulseRateRange');
    if (present(status) && (status & 0x3f) !== bits) {
      w.fail('measurementStatus', `disagrees with measurementStatusRaw 0x${Number(status).toString(16)}`);
    }
    status ??= bits;
  }
  if (present(status)) {
    flags |= 0x10;
    w.u16('measurementStatusRaw', status);
  }
  return w.finish(flags);
}
