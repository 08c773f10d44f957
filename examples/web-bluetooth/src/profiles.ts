/**
 * The Bluetooth health profiles the page can connect to: which GATT service to ask the browser for,
 * which characteristic notifies measurements, and its 16-bit UUID for `@healthit/device`'s codecs.
 */

/** One profile. */
export interface HealthProfile {
  /** The profile's key, used in element ids. */
  readonly id: ProfileId;
  /** What the connect button says. */
  readonly label: string;
  /** The service, by its Web Bluetooth name (a GATT assigned-number name). */
  readonly service: string;
  /** The 16-bit UUID of the service. */
  readonly serviceUuid16: number;
  /** The measurement characteristic, by its Web Bluetooth name. */
  readonly characteristic: string;
  /** The characteristic's 16-bit UUID (what `decodeGatt` takes). */
  readonly characteristicUuid16: number;
}

/** The ids of {@link PROFILES}. */
export type ProfileId = 'pulse-oximeter' | 'heart-rate';

/** Pulse Oximeter Service (PLX Continuous Measurement) and Heart Rate Service. */
export const PROFILES = {
  'pulse-oximeter': {
    id: 'pulse-oximeter',
    label: 'Connect pulse oximeter',
    service: 'pulse_oximeter',
    serviceUuid16: 0x1822,
    characteristic: 'plx_continuous_measurement',
    characteristicUuid16: 0x2a5f,
  },
  'heart-rate': {
    id: 'heart-rate',
    label: 'Connect heart-rate sensor',
    service: 'heart_rate',
    serviceUuid16: 0x180d,
    characteristic: 'heart_rate_measurement',
    characteristicUuid16: 0x2a37,
  },
} as const satisfies Record<ProfileId, HealthProfile>;

/** The 128-bit UUID of a 16-bit one (on the Bluetooth Base UUID), as Web Bluetooth reports UUIDs. */
export function uuid128(uuid16: number): string {
  return `0000${uuid16.toString(16).padStart(4, '0')}-0000-1000-8000-00805f9b34fb`;
}

/**
 * A core `DeviceId` for a Web Bluetooth device id. Browsers give an opaque base64 string (`+`, `/`
 * and `=` are not allowed in core ids), so every character outside `[A-Za-z0-9.:-]` is written
 * as `_` and its hex code: distinct browser ids stay distinct.
 */
export function deviceIdOf(webBluetoothId: string): string {
  const escaped = webBluetoothId.replace(/[^A-Za-z0-9.:-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
  return `ble-${escaped}`.slice(0, 128);
}
