import { GattCharacteristic } from './characteristics.js';
import { DATE_TIME_BYTES, type GattDateTime, readDateTime } from './date-time.js';
import { checkFrame, end, FrameWriter, type GattDecodeOptions, need, present } from './frame.js';
import { type MeasuredValue, readFloat } from './ieee11073.js';

const UUID = GattCharacteristic.temperatureMeasurement;

/** The Temperature Type characteristic (0x2A1D) values 1…9, as the Bluetooth SIG names them. */
export const TEMPERATURE_TYPES: Readonly<Record<number, string>> = {
  1: 'Armpit',
  2: 'Body (general)',
  3: 'Ear (usually ear lobe)',
  4: 'Finger',
  5: 'Gastro-intestinal Tract',
  6: 'Mouth',
  7: 'Rectum',
  8: 'Toe',
  9: 'Tympanum (ear drum)',
};

/** A decoded Temperature Measurement (0x2A1C). */
export interface TemperatureMeasurement {
  /** The characteristic's 16-bit UUID, 0x2A1C (discriminates {@link GattMeasurement}). */
  readonly characteristic: typeof UUID;
  /** Flags bit 0. */
  readonly unit: 'Celsius' | 'Fahrenheit';
  /** IEEE 11073 FLOAT in `unit`. */
  readonly temperature: MeasuredValue;
  /** Device-local time of the measurement (no zone), or null. */
  readonly timestamp: GattDateTime | null;
  /** Where it was measured (see {@link TEMPERATURE_TYPES}; other values are reserved), or null. */
  readonly temperatureType: number | null;
  /** The name of `temperatureType`, null when absent or reserved. */
  readonly temperatureTypeName: string | null;
}

/** The input of {@link encodeTemperatureMeasurement}. */
export interface TemperatureMeasurementInit {
  /** The characteristic's UUID, 0x2A1C, if given; {@link encodeGatt} refuses a measurement naming another. */
  readonly characteristic?: typeof UUID;
  /** Flags bit 0: the unit of `temperature`, `Celsius` or `Fahrenheit`. */
  readonly unit: 'Celsius' | 'Fahrenheit';
  /** The temperature in `unit`, encoded as IEEE 11073 FLOAT (a special value is sent as such). */
  readonly temperature: MeasuredValue;
  /** Device-local time of the measurement; sets flags bit 1 when present (not null or undefined). */
  readonly timestamp?: GattDateTime | null;
  /**
   * Where it was measured, an integer 0…255 (see {@link TEMPERATURE_TYPES}); sets flags bit 2 when present.
   */
  readonly temperatureType?: number | null;
}

/**
 * Decodes a Temperature Measurement (0x2A1C) characteristic value.
 *
 * @throws {GattDecodeError} when the frame is truncated or has trailing bytes.
 * @example
 * ```ts
 * decodeTemperatureMeasurement(Uint8Array.of(0x04, 0x72, 0x01, 0x00, 0xff, 0x06));
 * // { unit: 'Celsius', temperature: 37, timestamp: null, temperatureType: 6, temperatureTypeName: 'Mouth', ... }
 * ```
 */
export function decodeTemperatureMeasurement(
  bytes: Uint8Array,
  options?: GattDecodeOptions,
): TemperatureMeasurement {
  checkFrame(UUID, bytes, options);
  need(UUID, bytes, 0, 1, 'Flags');
  const flags = bytes[0] as number;
  need(UUID, bytes, 1, 4, 'Temperature Measurement Value (FLOAT)');
  let offset = 5;
  let timestamp: GattDateTime | null = null;
  if (flags & 0x02) {
    need(UUID, bytes, offset, DATE_TIME_BYTES, 'Time Stamp (flags bit 1)');
    timestamp = readDateTime(bytes, offset);
    offset += DATE_TIME_BYTES;
  }
  let temperatureType: number | null = null;
  if (flags & 0x04) {
    need(UUID, bytes, offset, 1, 'Temperature Type (flags bit 2)');
    temperatureType = bytes[offset] as number;
    offset += 1;
  }
  end(UUID, bytes, offset, options);
  return {
    characteristic: UUID,
    unit: flags & 0x01 ? 'Fahrenheit' : 'Celsius',
    temperature: readFloat(bytes, 1),
    timestamp,
    temperatureType,
    temperatureTypeName: temperatureType === null ? null : (TEMPERATURE_TYPES[temperatureType] ?? null),
  };
}

/**
 * Encodes a Temperature Measurement (0x2A1C) characteristic value.
 *
 * @throws {GattEncodeError} when a field is missing, out of range or not representable.
 */
export function encodeTemperatureMeasurement(m: TemperatureMeasurementInit): Uint8Array {
  const w: FrameWriter = new FrameWriter(UUID);
  if (m.unit !== 'Celsius' && m.unit !== 'Fahrenheit') {
    w.fail('unit', `must be 'Celsius' or 'Fahrenheit', got ${String(m.unit)}`);
  }
  let flags = m.unit === 'Fahrenheit' ? 0x01 : 0;
  w.float('temperature', m.temperature);
  if (present(m.timestamp)) {
    flags |= 0x02;
    w.dateTime('timestamp', m.timestamp);
  }
  if (present(m.temperatureType)) {
    flags |= 0x04;
    w.u8('temperatureType', m.temperatureType);
  }
  return w.finish(flags);
}
