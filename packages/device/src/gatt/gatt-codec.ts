import {
  type BloodPressureMeasurement,
  type BloodPressureMeasurementInit,
  decodeBloodPressureMeasurement,
  encodeBloodPressureMeasurement,
} from './blood-pressure.js';
import {
  formatUuid16,
  type GattCharacteristicInput,
  type GattCharacteristicUuid,
  resolveCharacteristic,
} from './characteristics.js';
import { GattEncodeError } from './errors.js';
import { asBytes, type GattDecodeOptions } from './frame.js';
import {
  decodeGlucoseMeasurement,
  encodeGlucoseMeasurement,
  type GlucoseMeasurement,
  type GlucoseMeasurementInit,
} from './glucose.js';
import {
  decodeHeartRateMeasurement,
  encodeHeartRateMeasurement,
  type HeartRateMeasurement,
  type HeartRateMeasurementInit,
} from './heart-rate.js';
import {
  decodePlxContinuousMeasurement,
  decodePlxSpotCheckMeasurement,
  encodePlxContinuousMeasurement,
  encodePlxSpotCheckMeasurement,
  type PlxContinuousMeasurement,
  type PlxContinuousMeasurementInit,
  type PlxSpotCheckMeasurement,
  type PlxSpotCheckMeasurementInit,
} from './plx.js';
import {
  decodeTemperatureMeasurement,
  encodeTemperatureMeasurement,
  type TemperatureMeasurement,
  type TemperatureMeasurementInit,
} from './temperature.js';
import {
  decodeWeightMeasurement,
  encodeWeightMeasurement,
  type WeightMeasurement,
  type WeightMeasurementInit,
} from './weight.js';

/** The decoded measurement of each characteristic. */
export interface GattMeasurementMap {
  /** Heart Rate Measurement (0x2A37). */
  0x2a37: HeartRateMeasurement;
  /** Blood Pressure Measurement (0x2A35). */
  0x2a35: BloodPressureMeasurement;
  /** Temperature Measurement (0x2A1C). */
  0x2a1c: TemperatureMeasurement;
  /** Glucose Measurement (0x2A18). */
  0x2a18: GlucoseMeasurement;
  /** Weight Measurement (0x2A9D). */
  0x2a9d: WeightMeasurement;
  /** PLX Spot-Check Measurement (0x2A5E). */
  0x2a5e: PlxSpotCheckMeasurement;
  /** PLX Continuous Measurement (0x2A5F). */
  0x2a5f: PlxContinuousMeasurement;
}

/** The encoder input of each characteristic. */
export interface GattMeasurementInitMap {
  /** Heart Rate Measurement (0x2A37). */
  0x2a37: HeartRateMeasurementInit;
  /** Blood Pressure Measurement (0x2A35). */
  0x2a35: BloodPressureMeasurementInit;
  /** Temperature Measurement (0x2A1C). */
  0x2a1c: TemperatureMeasurementInit;
  /** Glucose Measurement (0x2A18). */
  0x2a18: GlucoseMeasurementInit;
  /** Weight Measurement (0x2A9D). */
  0x2a9d: WeightMeasurementInit;
  /** PLX Spot-Check Measurement (0x2A5E). */
  0x2a5e: PlxSpotCheckMeasurementInit;
  /** PLX Continuous Measurement (0x2A5F). */
  0x2a5f: PlxContinuousMeasurementInit;
}

/** Any decoded measurement; `characteristic` (the 16-bit UUID) discriminates. */
export type GattMeasurement = GattMeasurementMap[GattCharacteristicUuid];

/** Any encoder input. */
export type GattMeasurementInit = GattMeasurementInitMap[GattCharacteristicUuid];

/**
 * Decodes the value of a Bluetooth health characteristic into a plain measurement object (see
 * the `*Measurement` types; field names follow the project's GATT test vectors). Absent optional
 * fields are `null`; FLOAT/SFLOAT fields are numbers or special-value objects
 * ({@link MeasuredValue}).
 *
 * @param characteristic The 16-bit UUID: `0x2a35`, `'0x2A35'`, `'2a35'` or
 *   `'00002a35-0000-1000-8000-00805f9b34fb'`.
 * @param bytes The characteristic value as notified or read (a `DataView` from Web Bluetooth works).
 * @throws {GattDecodeError} (`codec/decode`) when the frame is truncated, has trailing bytes, or
 *   contradicts its flags; it names the characteristic, the byte offset and the reason.
 * @throws {HealthItError} `codec/unknown-content-type` for a well-formed but unsupported UUID.
 * @throws {TypeError} / {RangeError} for a malformed `characteristic`, `bytes` or `options`.
 * @example
 * ```ts
 * const m = decodeGatt(0x2a35, Uint8Array.of(0x00, 0x78, 0x00, 0x50, 0x00, 0x5d, 0x00));
 * if (typeof m.systolic === 'number') console.log(m.systolic, m.unit); // 120 mmHg
 * ```
 */
export function decodeGatt<C extends GattCharacteristicUuid>(
  characteristic: C,
  bytes: Uint8Array | DataView,
  options?: GattDecodeOptions,
): GattMeasurementMap[C];
export function decodeGatt(
  characteristic: GattCharacteristicInput,
  bytes: Uint8Array | DataView,
  options?: GattDecodeOptions,
): GattMeasurement;
export function decodeGatt(
  characteristic: GattCharacteristicInput,
  bytes: Uint8Array | DataView,
  options?: GattDecodeOptions,
): GattMeasurement {
  const frame = asBytes(bytes);
  switch (characteristic) {
    // The common case first, without parsing: a supported UUID as a number.
    case 0x2a37:
      return decodeHeartRateMeasurement(frame, options);
    case 0x2a35:
      return decodeBloodPressureMeasurement(frame, options);
    case 0x2a1c:
      return decodeTemperatureMeasurement(frame, options);
    case 0x2a18:
      return decodeGlucoseMeasurement(frame, options);
    case 0x2a9d:
      return decodeWeightMeasurement(frame, options);
    case 0x2a5e:
      return decodePlxSpotCheckMeasurement(frame, options);
    case 0x2a5f:
      return decodePlxContinuousMeasurement(frame, options);
    default: {
      const uuid = resolveCharacteristic(characteristic);
      return decodeGatt(uuid, frame, options);
    }
  }
}

/**
 * Encodes a measurement as the value of a Bluetooth health characteristic: the inverse of
 * {@link decodeGatt} (`decodeGatt(c, encodeGatt(c, m))` equals `m` for every decoded `m`). Flags
 * are derived from which optional fields are present (not `null`/`undefined`); numbers are
 * rounded to their wire format's resolution.
 *
 * @throws {GattEncodeError} (`codec/encode`) when a field is missing, out of range, not
 *   representable, or contradicts another (including a `characteristic` field naming another UUID).
 * @throws {HealthItError} `codec/unknown-content-type` for an unsupported UUID.
 * @example
 * ```ts
 * encodeGatt(0x2a1c, { unit: 'Celsius', temperature: 37.2, temperatureType: 6 });
 * ```
 */
export function encodeGatt<C extends GattCharacteristicUuid>(
  characteristic: C,
  measurement: GattMeasurementInitMap[C],
): Uint8Array;
export function encodeGatt(
  characteristic: GattCharacteristicInput,
  measurement: GattMeasurementInit,
): Uint8Array;
export function encodeGatt(
  characteristic: GattCharacteristicInput,
  measurement: GattMeasurementInit,
): Uint8Array {
  const uuid = resolveCharacteristic(characteristic);
  if (typeof measurement !== 'object' || measurement === null) {
    throw new GattEncodeError(uuid, '(measurement)', `expected an object, got ${String(measurement)}`);
  }
  const named = (measurement as { characteristic?: unknown }).characteristic;
  if (named !== undefined && named !== uuid) {
    throw new GattEncodeError(
      uuid,
      'characteristic',
      `the measurement is for ${typeof named === 'number' ? formatUuid16(named) : String(named)}`,
    );
  }
  switch (uuid) {
    case 0x2a37:
      return encodeHeartRateMeasurement(measurement as HeartRateMeasurementInit);
    case 0x2a35:
      return encodeBloodPressureMeasurement(measurement as BloodPressureMeasurementInit);
    case 0x2a1c:
      return encodeTemperatureMeasurement(measurement as TemperatureMeasurementInit);
    case 0x2a18:
      return encodeGlucoseMeasurement(measurement as GlucoseMeasurementInit);
    case 0x2a9d:
      return encodeWeightMeasurement(measurement as WeightMeasurementInit);
    case 0x2a5e:
      return encodePlxSpotCheckMeasurement(measurement as PlxSpotCheckMeasurementInit);
    case 0x2a5f:
      return encodePlxContinuousMeasurement(measurement as PlxContinuousMeasurementInit);
  }
}
