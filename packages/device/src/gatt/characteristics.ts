import { HealthItError } from '@healthit/core';

/**
 * The 16-bit UUIDs of the Bluetooth SIG health characteristics this package decodes
 * (Bluetooth SIG Assigned Numbers).
 */
export const GattCharacteristic = {
  /** Heart Rate Measurement (Heart Rate Service). */
  heartRateMeasurement: 0x2a37,
  /** Blood Pressure Measurement (Blood Pressure Service). */
  bloodPressureMeasurement: 0x2a35,
  /** Temperature Measurement (Health Thermometer Service). */
  temperatureMeasurement: 0x2a1c,
  /** Glucose Measurement (Glucose Service). */
  glucoseMeasurement: 0x2a18,
  /** Weight Measurement (Weight Scale Service). */
  weightMeasurement: 0x2a9d,
  /** PLX Spot-Check Measurement (Pulse Oximeter Service). */
  plxSpotCheckMeasurement: 0x2a5e,
  /** PLX Continuous Measurement (Pulse Oximeter Service). */
  plxContinuousMeasurement: 0x2a5f,
} as const;

/** The 16-bit UUID of a supported health characteristic. */
export type GattCharacteristicUuid = (typeof GattCharacteristic)[keyof typeof GattCharacteristic];

/** A characteristic as callers may name it: `0x2a37`, `'0x2A37'`, `'2a37'` or the 128-bit UUID. */
export type GattCharacteristicInput = number | string;

/** The characteristics' names as the Bluetooth SIG spells them. */
export const GATT_CHARACTERISTIC_NAMES: Readonly<Record<GattCharacteristicUuid, string>> = {
  10807: 'Heart Rate Measurement',
  10805: 'Blood Pressure Measurement',
  10780: 'Temperature Measurement',
  10776: 'Glucose Measurement',
  10909: 'Weight Measurement',
  10846: 'PLX Spot-Check Measurement',
  10847: 'PLX Continuous Measurement',
};

/** Every supported UUID, in the order of {@link GattCharacteristic}. */
export const GATT_CHARACTERISTIC_UUIDS: readonly GattCharacteristicUuid[] = Object.values(GattCharacteristic);

/** True when `uuid` is the 16-bit UUID of a supported characteristic. */
export function isGattCharacteristicUuid(uuid: unknown): uuid is GattCharacteristicUuid {
  return typeof uuid === 'number' && Object.hasOwn(GATT_CHARACTERISTIC_NAMES, uuid);
}

/** `0x2A37` (upper-case hex, four digits). */
export function formatUuid16(uuid: number): string {
  return `0x${uuid.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** `Heart Rate Measurement (0x2A37)`, or just the UUID for an unsupported one. */
export function describeCharacteristic(uuid: number): string {
  const name = isGattCharacteristicUuid(uuid) ? GATT_CHARACTERISTIC_NAMES[uuid] : 'characteristic';
  return `${name} (${formatUuid16(uuid)})`;
}

/** `0x2A37`, `2a37`, or `0000xxxx-0000-1000-8000-00805f9b34fb` (the Bluetooth Base UUID). */
const UUID_16 = /^(?:0x)?([0-9a-f]{4})$/i;
const UUID_128 = /^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$/i;

/** Parsed strings, so repeated decoding does not run the regular expressions again (bounded). */
const parsed = new Map<string, number>();
const MAX_PARSED = 256;

/**
 * The 16-bit UUID a caller names: a number, a hex string with or without `0x` (`'0x2A37'`,
 * `'2a37'`), or a 128-bit UUID built on the Bluetooth Base UUID (what Web Bluetooth reports,
 * `'00002a37-0000-1000-8000-00805f9b34fb'`). It does not check that the characteristic is
 * supported.
 *
 * @throws {TypeError} when `characteristic` is neither a number nor a string.
 * @throws {RangeError} when it is not a 16-bit UUID in one of those forms.
 * @example
 * ```ts
 * parseCharacteristicUuid('2a37'); // 0x2a37
 * ```
 */
export function parseCharacteristicUuid(characteristic: GattCharacteristicInput): number {
  if (typeof characteristic === 'number') {
    if (Number.isInteger(characteristic) && characteristic >= 0 && characteristic <= 0xffff)
      return characteristic;
    throw new RangeError(`A GATT characteristic UUID must be an integer 0…0xFFFF, got ${characteristic}`);
  }
  if (typeof characteristic !== 'string') {
    throw new TypeError(`A GATT characteristic must be a number or a string, got ${typeof characteristic}`);
  }
  const cached = parsed.get(characteristic);
  if (cached !== undefined) return cached;
  const match = UUID_16.exec(characteristic) ?? UUID_128.exec(characteristic);
  if (match === null) {
    throw new RangeError(
      `"${characteristic}" is not a 16-bit GATT UUID: use a number (0x2a37), '0x2A37', '2a37' or ` +
        `'00002a37-0000-1000-8000-00805f9b34fb'`,
    );
  }
  const uuid = Number.parseInt(match[1] as string, 16);
  if (parsed.size < MAX_PARSED) parsed.set(characteristic, uuid);
  return uuid;
}

/**
 * The supported characteristic a caller names.
 *
 * @throws {TypeError} / {RangeError} as {@link parseCharacteristicUuid}.
 * @throws {HealthItError} `codec/unknown-content-type` when the UUID is well-formed but not one of
 *   {@link GattCharacteristic}.
 */
export function resolveCharacteristic(characteristic: GattCharacteristicInput): GattCharacteristicUuid {
  const uuid = parseCharacteristicUuid(characteristic);
  if (isGattCharacteristicUuid(uuid)) return uuid;
  throw new HealthItError(
    'codec/unknown-content-type',
    `No GATT codec for characteristic ${formatUuid16(uuid)}; supported: ` +
      GATT_CHARACTERISTIC_UUIDS.map(describeCharacteristic).join(', '),
    { detail: { characteristic: formatUuid16(uuid) } },
  );
}
