import { GattCharacteristic } from './characteristics.js';
import { DATE_TIME_BYTES, type GattDateTime, readDateTime } from './date-time.js';
import { GattDecodeError } from './errors.js';
import { checkFrame, end, FrameWriter, type GattDecodeOptions, need, present, u16 } from './frame.js';

const UUID = GattCharacteristic.weightMeasurement;

/** The raw weight 0xFFFF: "Measurement Unsuccessful" (Weight Scale Service). */
export const WEIGHT_MEASUREMENT_UNSUCCESSFUL = 0xffff;

/** A decoded Weight Measurement (0x2A9D). */
export interface WeightMeasurement {
  /** The characteristic's 16-bit UUID, 0x2A9D (discriminates {@link GattMeasurement}). */
  readonly characteristic: typeof UUID;
  /** Flags bit 0: SI (kg, m) or Imperial (lb, in). */
  readonly unit: 'kg' | 'lb';
  /** In `unit` (raw × 0.005 kg or raw × 0.01 lb); null when the measurement was unsuccessful. */
  readonly weight: number | null;
  /** The uint16 as sent. */
  readonly weightRaw: number;
  /** True when the raw weight is 0xFFFF, "Measurement Unsuccessful". */
  readonly measurementUnsuccessful: boolean;
  /** Device-local time of the measurement (no zone), or null. */
  readonly timestamp: GattDateTime | null;
  /** 0…254 per the service, 255 = unknown user; null when absent. */
  readonly userId: number | null;
  /** Body mass index (raw × 0.1), or null. */
  readonly bmi: number | null;
  /** The BMI uint16 as sent (units of 0.1), or null when absent. */
  readonly bmiRaw: number | null;
  /** Height in `heightUnit` (raw × 0.001 m or raw × 0.1 in), or null. */
  readonly height: number | null;
  /** The height uint16 as sent (units of 0.001 m or 0.1 in), or null when absent. */
  readonly heightRaw: number | null;
  /** The unit of `height`: `m` when `unit` is `kg`, `in` when it is `lb`; null when height is absent. */
  readonly heightUnit: 'm' | 'in' | null;
}

/**
 * The input of {@link encodeWeightMeasurement}. Give the weight as `weight` (rounded to the
 * resolution: 0.005 kg or 0.01 lb), `weightRaw`, or `measurementUnsuccessful: true`; BMI and height
 * likewise as values or raw, both or neither.
 */
export interface WeightMeasurementInit {
  /** The characteristic's UUID, 0x2A9D, if given; {@link encodeGatt} refuses a measurement naming another. */
  readonly characteristic?: typeof UUID;
  /** Flags bit 0: `kg` (SI: weight in kg, height in m) or `lb` (Imperial: weight in lb, height in in). */
  readonly unit: 'kg' | 'lb';
  /** The weight in `unit`, 0…327.67 kg or 0…655.34 lb, rounded to 0.005 kg or 0.01 lb. */
  readonly weight?: number | null;
  /** The weight uint16 to send (0.005 kg or 0.01 lb steps); must agree with `weight` when both are given. */
  readonly weightRaw?: number | null;
  /**
   * True to send 0xFFFF, "Measurement Unsuccessful", in place of a weight (then BMI and height must be
   * absent).
   */
  readonly measurementUnsuccessful?: boolean;
  /** Device-local time of the measurement; sets flags bit 1 when present (not null or undefined). */
  readonly timestamp?: GattDateTime | null;
  /** User ID, an integer 0…255 (255 = unknown user); sets flags bit 2 when present. */
  readonly userId?: number | null;
  /** Body mass index, rounded to 0.1; sent with the height (flags bit 3), never alone. */
  readonly bmi?: number | null;
  /** The BMI uint16 to send (units of 0.1); must agree with `bmi` when both are given. */
  readonly bmiRaw?: number | null;
  /**
   * Height in m (with `kg`) or in (with `lb`), rounded to 0.001 m or 0.1 in; sent with the BMI, never alone.
   */
  readonly height?: number | null;
  /** The height uint16 to send (units of 0.001 m or 0.1 in); must agree with `height` when both are given. */
  readonly heightRaw?: number | null;
}

/**
 * Decodes a Weight Measurement (0x2A9D) characteristic value.
 *
 * @throws {GattDecodeError} when the frame is truncated or has trailing bytes, or reports
 *   Measurement Unsuccessful (0xFFFF) together with BMI and Height, which the Weight Scale
 *   Service requires to be disabled then.
 * @example
 * ```ts
 * decodeWeightMeasurement(Uint8Array.of(0x00, 0xb0, 0x36)).weight; // 70 (kg)
 * ```
 */
export function decodeWeightMeasurement(bytes: Uint8Array, options?: GattDecodeOptions): WeightMeasurement {
  checkFrame(UUID, bytes, options);
  need(UUID, bytes, 0, 1, 'Flags');
  const flags = bytes[0] as number;
  const imperial = (flags & 0x01) !== 0;
  need(UUID, bytes, 1, 2, 'Weight (uint16)');
  const weightRaw = u16(bytes, 1);
  const unsuccessful = weightRaw === WEIGHT_MEASUREMENT_UNSUCCESSFUL;
  let offset = 3;
  let timestamp: GattDateTime | null = null;
  if (flags & 0x02) {
    need(UUID, bytes, offset, DATE_TIME_BYTES, 'Time Stamp (flags bit 1)');
    timestamp = readDateTime(bytes, offset);
    offset += DATE_TIME_BYTES;
  }
  let userId: number | null = null;
  if (flags & 0x04) {
    need(UUID, bytes, offset, 1, 'User ID (flags bit 2)');
    userId = bytes[offset] as number;
    offset += 1;
  }
  let bmiRaw: number | null = null;
  let heightRaw: number | null = null;
  if (flags & 0x08) {
    if (unsuccessful) {
      throw new GattDecodeError(
        UUID,
        offset,
        'weight 0xFFFF (Measurement Unsuccessful) with BMI and Height (flags bit 3): the Weight Scale ' +
          'Service requires every optional field but Time Stamp and User ID to be disabled then',
        bytes.length,
      );
    }
    need(UUID, bytes, offset, 4, 'BMI and Height (2 × uint16, flags bit 3)');
    bmiRaw = u16(bytes, offset);
    heightRaw = u16(bytes, offset + 2);
    offset += 4;
  }
  end(UUID, bytes, offset, options);
  return {
    characteristic: UUID,
    unit: imperial ? 'lb' : 'kg',
    weight: unsuccessful ? null : imperial ? weightRaw / 100 : (weightRaw * 5) / 1000,
    weightRaw,
    measurementUnsuccessful: unsuccessful,
    timestamp,
    userId,
    bmi: bmiRaw === null ? null : bmiRaw / 10,
    bmiRaw,
    height: heightRaw === null ? null : imperial ? heightRaw / 10 : heightRaw / 1000,
    heightRaw,
    heightUnit: heightRaw === null ? null : imperial ? 'in' : 'm',
  };
}

/** The raw uint16 for `value` at `perUnit` raw steps per unit, checking it against `raw` if both are given. */
function rawOf(
  w: FrameWriter,
  field: string,
  value: number | null | undefined,
  raw: number | null | undefined,
  perUnit: number,
  max: number,
): number | undefined {
  if (!present(value)) return present(raw) ? raw : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    w.fail(field, `must be a finite number, got ${value}`);
  const rounded = Math.round(value * perUnit);
  if (rounded < 0 || rounded > max) {
    w.fail(field, `${value} is out of range (0…${max / perUnit} at a resolution of ${1 / perUnit})`);
  }
  if (present(raw) && raw !== rounded) w.fail(field, `${value} disagrees with ${field}Raw ${raw}`);
  return rounded;
}

/**
 * Encodes a Weight Measurement (0x2A9D) characteristic value. Weights, BMI and height are rounded
 * to the characteristic's resolution.
 *
 * @throws {GattEncodeError} when a field is missing, out of range, contradicts another, or BMI
 *   and height are given with an unsuccessful measurement or without each other.
 */
export function encodeWeightMeasurement(m: WeightMeasurementInit): Uint8Array {
  const w: FrameWriter = new FrameWriter(UUID);
  if (m.unit !== 'kg' && m.unit !== 'lb') w.fail('unit', `must be 'kg' or 'lb', got ${String(m.unit)}`);
  const imperial = m.unit === 'lb';
  let flags = imperial ? 0x01 : 0;
  let weightRaw = rawOf(w, 'weight', m.weight, m.weightRaw, imperial ? 100 : 200, 0xfffe);
  if (m.measurementUnsuccessful === true) {
    if (weightRaw !== undefined && weightRaw !== WEIGHT_MEASUREMENT_UNSUCCESSFUL) {
      w.fail('measurementUnsuccessful', `contradicts a weight of raw ${weightRaw}`);
    }
    weightRaw = WEIGHT_MEASUREMENT_UNSUCCESSFUL;
  } else if (weightRaw === WEIGHT_MEASUREMENT_UNSUCCESSFUL && m.measurementUnsuccessful === false) {
    w.fail('weightRaw', '0xFFFF means Measurement Unsuccessful but measurementUnsuccessful is false');
  }
  if (weightRaw === undefined) w.fail('weight', 'give weight, weightRaw or measurementUnsuccessful: true');
  w.u16('weightRaw', weightRaw);
  if (present(m.timestamp)) {
    flags |= 0x02;
    w.dateTime('timestamp', m.timestamp);
  }
  if (present(m.userId)) {
    flags |= 0x04;
    w.u8('userId', m.userId);
  }
  const bmiRaw = rawOf(w, 'bmi', m.bmi, m.bmiRaw, 10, 0xffff);
  const heightRaw = rawOf(w, 'height', m.height, m.heightRaw, imperial ? 10 : 1000, 0xffff);
  if ((bmiRaw === undefined) !== (heightRaw === undefined)) {
    w.fail(bmiRaw === undefined ? 'bmi' : 'height', 'BMI and height are sent together (flags bit 3)');
  }
  if (bmiRaw !== undefined && heightRaw !== undefined) {
    if (weightRaw === WEIGHT_MEASUREMENT_UNSUCCESSFUL) {
      w.fail('bmi', 'BMI and height must be absent when the measurement is unsuccessful');
    }
    flags |= 0x08;
    w.u16('bmiRaw', bmiRaw).u16('heightRaw', heightRaw);
  }
  return w.finish(flags);
}
