/**
 * A simulated Bluetooth health device behind a small implementation of the Web Bluetooth API subset
 * the page uses (`requestDevice`, `gatt.connect`, `getPrimaryService`, `getCharacteristic`,
 * `startNotifications`, `characteristicvaluechanged`, `gattserverdisconnected`), installed as
 * `navigator.bluetooth` before the page's own script runs. It notifies real GATT frames, produced
 * by the project's simulator and encoders (see `simulated-frames.ts`).
 *
 * Bundled as a classic script (`SimulatedBluetooth.install(options)`) so that it can be injected
 * with playwright's `addInitScript` or a `<script>` tag ahead of the app. Like Chrome it refuses
 * `requestDevice` without a user gesture.
 *
 * `window.simulatedBluetooth` lets a test drive it: `notify()` sends the next frame, `send(hex)` any
 * frame, `dropLink()` simulates the device walking out of range, `requests` lists what the page
 * asked for.
 */
import type {
  Bluetooth,
  BluetoothDevice,
  BluetoothRemoteGATTCharacteristic,
  BluetoothRemoteGATTServer,
  BluetoothRemoteGATTService,
  RequestDeviceOptions,
} from './web-bluetooth-types.js';

/** One simulated device. */
export interface SimulatedDeviceOptions {
  /** The opaque id the browser would give it (base64, as Chrome's). */
  readonly id: string;
  readonly name: string;
  /** The service it offers (a Web Bluetooth name such as `pulse_oximeter`, or a 16-bit UUID). */
  readonly service: string | number;
  /** The characteristic that notifies (`plx_continuous_measurement`, `heart_rate_measurement`...). */
  readonly characteristic: string | number;
  /** The frames to notify, in hex, in order (repeated from the start when exhausted). */
  readonly frames: readonly string[];
}

/** What {@link install} takes. */
export interface SimulatedBluetoothOptions {
  readonly devices: readonly SimulatedDeviceOptions[];
  /** Notify on a timer while notifications are on (ms); without it, only `notify()` sends frames. */
  readonly intervalMs?: number;
  /** Require a user gesture for `requestDevice`, as browsers do (default true). */
  readonly requireUserGesture?: boolean;
  /** Behave as if the user closed the chooser without picking a device. */
  readonly userCancels?: boolean;
}

/** The test's handle, on `window.simulatedBluetooth`. */
export interface SimulatedBluetoothControl {
  /** Every `requestDevice` options object the page passed. */
  readonly requests: RequestDeviceOptions[];
  /** How many frames were notified. */
  readonly notified: () => number;
  /** Whether a device is connected. */
  readonly connected: () => boolean;
  /** Notifies the next frame of the connected device; false when nothing listens. */
  notify(): boolean;
  /** Notifies `hex` (any frame, e.g. a malformed one); false when nothing listens. */
  send(hex: string): boolean;
  /** The link drops (device out of range or switched off). */
  dropLink(): void;
}

const NAMES: Readonly<Record<string, number>> = {
  pulse_oximeter: 0x1822,
  heart_rate: 0x180d,
  health_thermometer: 0x1809,
  blood_pressure: 0x1810,
  plx_continuous_measurement: 0x2a5f,
  plx_spot_check_measurement: 0x2a5e,
  heart_rate_measurement: 0x2a37,
  temperature_measurement: 0x2a1c,
  blood_pressure_measurement: 0x2a35,
};

/** The canonical 128-bit UUID of a Web Bluetooth name, 16-bit alias or UUID string. */
function canonicalUuid(name: string | number): string {
  const alias = typeof name === 'number' ? name : NAMES[name];
  if (alias !== undefined) return `0000${alias.toString(16).padStart(4, '0')}-0000-1000-8000-00805f9b34fb`;
  const text = String(name).toLowerCase();
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(text)) return text;
  throw new TypeError(`Failed to execute 'getPrimaryService': Invalid Service name: '${String(name)}'.`);
}

function notifiedValue(hex: string): DataView {
  const bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  return new DataView(bytes.buffer);
}

class SimulatedCharacteristic extends EventTarget implements BluetoothRemoteGATTCharacteristic {
  value: DataView | undefined;
  notifying = false;
  constructor(readonly uuid: string) {
    super();
  }
  async startNotifications(): Promise<BluetoothRemoteGATTCharacteristic> {
    this.notifying = true;
    return this;
  }
  async stopNotifications(): Promise<BluetoothRemoteGATTCharacteristic> {
    this.notifying = false;
    return this;
  }
  emit(hex: string): void {
    this.value = notifiedValue(hex);
    this.dispatchEvent(new Event('characteristicvaluechanged', { bubbles: true }));
  }
}

class SimulatedServer implements BluetoothRemoteGATTServer {
  connected = false;
  /** The characteristics handed out since the last connect (a reconnect invalidates them, as in Chrome). */
  characteristics: SimulatedCharacteristic[] = [];
  constructor(
    readonly device: SimulatedDevice,
    private readonly options: SimulatedDeviceOptions,
  ) {}
  async connect(): Promise<BluetoothRemoteGATTServer> {
    this.connected = true;
    return this;
  }
  disconnect(): void {
    if (!this.connected) return;
    this.connected = false;
    for (const c of this.characteristics) c.notifying = false;
    this.characteristics = [];
    this.device.dispatchEvent(new Event('gattserverdisconnected', { bubbles: true }));
  }
  async getPrimaryService(service: string | number): Promise<BluetoothRemoteGATTService> {
    if (!this.connected) throw new DOMException('GATT Server is disconnected.', 'NetworkError');
    const uuid = canonicalUuid(service);
    if (uuid !== canonicalUuid(this.options.service)) {
      throw new DOMException(`No Services matching UUID ${uuid} found in Device.`, 'NotFoundError');
    }
    return {
      uuid,
      getCharacteristic: async (characteristic) => {
        const wanted = canonicalUuid(characteristic);
        if (wanted !== canonicalUuid(this.options.characteristic)) {
          throw new DOMException(
            `No Characteristics matching UUID ${wanted} found in Service.`,
            'NotFoundError',
          );
        }
        const c = new SimulatedCharacteristic(wanted);
        this.characteristics.push(c);
        return c;
      },
    };
  }
}

class SimulatedDevice extends EventTarget implements BluetoothDevice {
  readonly id: string;
  readonly name: string;
  readonly gatt: SimulatedServer;
  constructor(readonly options: SimulatedDeviceOptions) {
    super();
    this.id = options.id;
    this.name = options.name;
    this.gatt = new SimulatedServer(this, options);
  }
}

/** Installs the simulated devices as `navigator.bluetooth` and returns the test's handle. */
export function install(options: SimulatedBluetoothOptions): SimulatedBluetoothControl {
  const devices = options.devices.map((d) => new SimulatedDevice(d));
  const requests: RequestDeviceOptions[] = [];
  let chosen: SimulatedDevice | undefined;
  let next = 0;
  let notified = 0;

  const listening = () =>
    chosen?.gatt.connected ? chosen.gatt.characteristics.filter((c) => c.notifying) : [];

  const send = (hex: string): boolean => {
    const targets = listening();
    for (const c of targets) c.emit(hex);
    if (targets.length > 0) notified++;
    return targets.length > 0;
  };

  const bluetooth: Bluetooth = {
    async requestDevice(request) {
      requests.push(JSON.parse(JSON.stringify(request)) as RequestDeviceOptions);
      if (options.requireUserGesture !== false && !navigator.userActivation?.isActive) {
        throw new DOMException(
          "Failed to execute 'requestDevice' on 'Bluetooth': Must be handling a user gesture to show a permission request.",
          'SecurityError',
        );
      }
      const wanted = request.filters.flatMap((f) => (f.services ?? []).map(canonicalUuid));
      const match = devices.find((d) => wanted.includes(canonicalUuid(d.options.service)));
      if (options.userCancels || !match) {
        throw new DOMException('User cancelled the requestDevice() chooser.', 'NotFoundError');
      }
      chosen = match;
      next = 0;
      return match;
    },
  };
  Object.defineProperty(Navigator.prototype, 'bluetooth', { configurable: true, get: () => bluetooth });

  if (options.intervalMs !== undefined) {
    setInterval(() => control.notify(), options.intervalMs);
  }

  const control: SimulatedBluetoothControl = {
    requests,
    notified: () => notified,
    connected: () => chosen?.gatt.connected ?? false,
    notify() {
      const frames = chosen?.options.frames ?? [];
      const hex = frames[next % Math.max(frames.length, 1)];
      if (hex === undefined || listening().length === 0) return false;
      next++;
      return send(hex);
    },
    send,
    dropLink() {
      chosen?.gatt.disconnect();
    },
  };
  (globalThis as { simulatedBluetooth?: SimulatedBluetoothControl }).simulatedBluetooth = control;
  return control;
}
