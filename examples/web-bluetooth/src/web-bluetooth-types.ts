/**
 * The subset of the Web Bluetooth API (https://webbluetoothcg.github.io/web-bluetooth/) this example
 * uses, typed here because TypeScript's DOM library does not include it. The simulated device
 * implements exactly this subset.
 */

/** `navigator.bluetooth`. */
export interface Bluetooth {
  /** Shows the browser's device chooser; needs a user gesture and a secure context. */
  requestDevice(options: RequestDeviceOptions): Promise<BluetoothDevice>;
}

/** What `requestDevice` looks for: at least one filter must match. */
export interface RequestDeviceOptions {
  readonly filters: readonly { readonly services?: readonly (string | number)[]; readonly name?: string }[];
  readonly optionalServices?: readonly (string | number)[];
}

/** A device the user chose. Fires `gattserverdisconnected` when the link drops. */
export interface BluetoothDevice extends EventTarget {
  /** An opaque id, stable per origin (base64: not a valid core `DeviceId` as it is). */
  readonly id: string;
  readonly name?: string | undefined;
  readonly gatt?: BluetoothRemoteGATTServer | undefined;
}

/** The device's GATT server. */
export interface BluetoothRemoteGATTServer {
  readonly device: BluetoothDevice;
  readonly connected: boolean;
  connect(): Promise<BluetoothRemoteGATTServer>;
  disconnect(): void;
  getPrimaryService(service: string | number): Promise<BluetoothRemoteGATTService>;
}

/** A primary service. */
export interface BluetoothRemoteGATTService {
  readonly uuid: string;
  getCharacteristic(characteristic: string | number): Promise<BluetoothRemoteGATTCharacteristic>;
}

/** A characteristic. Fires `characteristicvaluechanged` on each notification, with the value in `value`. */
export interface BluetoothRemoteGATTCharacteristic extends EventTarget {
  /** The 128-bit UUID, lowercase. */
  readonly uuid: string;
  /** The last value read or notified. */
  readonly value?: DataView | undefined;
  startNotifications(): Promise<BluetoothRemoteGATTCharacteristic>;
  stopNotifications(): Promise<BluetoothRemoteGATTCharacteristic>;
}
