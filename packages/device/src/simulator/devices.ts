import { DeviceDescriptor, DeviceId, type DeviceProtocol, type PatientId, parse } from '@healthit/core';
import { SIMULATOR_MANUFACTURER } from './device-descriptor.js';
import { type DeviceFaults, type ResolvedFaults, resolveFaults } from './faults.js';
import { isSimulatedMetric, SIMULATED_METRICS, type SimulatedMetric, VITAL_METRICS } from './vital-signs.js';

/** A device's battery: level at the start of the run, how fast it drains, when it is low. */
export interface BatteryOptions {
  /** Level at the start of the run, in % (default 100). */
  readonly startPct?: number;
  /** Linear drain, in % per hour (default: the kind's). */
  readonly drainPctPerHour?: number;
  /** At or below this level the device raises a `battery-low` event, in % (default 20). */
  readonly lowPct?: number;
}

/** A battery with defaults applied. */
export interface ResolvedBattery {
  /** Level at the start of the run, in % (0…100). */
  readonly startPct: number;
  /** Linear drain, in % per hour (>= 0). */
  readonly drainPctPerHour: number;
  /** At or below this level the device raises a `battery-low` event, in % (0…100). */
  readonly lowPct: number;
}

/** What a kind of simulated device is. */
export interface DeviceKindDefinition {
  /** The kind's name, the key it has in {@link DEVICE_KINDS}, e.g. `pulse-oximeter`. */
  readonly kind: string;
  /** One line saying what the device is, e.g. `Body thermometer.` */
  readonly description: string;
  /** The model name its descriptor reports. */
  readonly model: string;
  /** The metrics it reports, in the order of its readings. */
  readonly metrics: readonly SimulatedMetric[];
  /** Default device id prefix (`${prefix}-001` …). */
  readonly idPrefix: string;
  /** Default time between measurements, in ms; absent: every tick. */
  readonly everyMs?: number;
  /** True when its samples carry the beat-to-beat RR intervals. */
  readonly rrIntervals: boolean;
  /** Default battery drain in % per hour; absent: mains powered (no battery level). */
  readonly drainPctPerHour?: number;
}

/**
 * The built-in kinds of simulated device. Each tick a device measures, its sample holds the values
 * a real device of that kind would send, ready for that device's encoding:
 *
 * - `monitor`: a bedside multi-parameter monitor (the HL7 v2 ORU^R01 sender): heart rate,
 *   respiratory rate, SpO2, temperature, systolic and diastolic pressure every tick. Mains powered.
 * - `pulse-oximeter`: SpO2 and pulse rate every tick (PLX GATT 0x2A5E/0x2A5F). Battery, 1 %/h.
 * - `bp-cuff`: systolic, diastolic and mean pressure and pulse rate every 15 min (GATT 0x2A35).
 *   Battery, 0.2 %/h.
 * - `thermometer`: body temperature every 30 min (GATT 0x2A1C). Battery, 0.05 %/h.
 * - `heart-rate-sensor`: heart rate and RR intervals every tick (GATT 0x2A37). Battery, 0.1 %/h.
 *
 * Battery drain rates are illustrative, not measured from any product.
 */
export const DEVICE_KINDS = {
  monitor: {
    kind: 'monitor',
    description: 'Bedside multi-parameter monitor.',
    model: 'Simulated vital-signs monitor',
    metrics: VITAL_METRICS,
    idPrefix: 'monitor',
    rrIntervals: false,
  },
  'pulse-oximeter': {
    kind: 'pulse-oximeter',
    description: 'Pulse oximeter: SpO2 and pulse rate.',
    model: 'Simulated pulse oximeter',
    metrics: ['spo2', 'pulse-rate'],
    idPrefix: 'oximeter',
    rrIntervals: false,
    drainPctPerHour: 1,
  },
  'bp-cuff': {
    kind: 'bp-cuff',
    description: 'Automatic blood-pressure cuff.',
    model: 'Simulated blood-pressure cuff',
    metrics: ['bp-systolic', 'bp-diastolic', 'bp-mean', 'pulse-rate'],
    idPrefix: 'bp-cuff',
    everyMs: 15 * 60_000,
    rrIntervals: false,
    drainPctPerHour: 0.2,
  },
  thermometer: {
    kind: 'thermometer',
    description: 'Body thermometer.',
    model: 'Simulated thermometer',
    metrics: ['body-temperature'],
    idPrefix: 'thermometer',
    everyMs: 30 * 60_000,
    rrIntervals: false,
    drainPctPerHour: 0.05,
  },
  'heart-rate-sensor': {
    kind: 'heart-rate-sensor',
    description: 'Heart-rate sensor (chest strap or patch) with beat-to-beat RR intervals.',
    model: 'Simulated heart-rate sensor',
    metrics: ['heart-rate'],
    idPrefix: 'hr-sensor',
    rrIntervals: true,
    drainPctPerHour: 0.1,
  },
} as const satisfies Record<string, DeviceKindDefinition>;

/** The name of a built-in device kind. */
export type DeviceKind = keyof typeof DEVICE_KINDS;

/** Every built-in device kind. */
export const DEVICE_KIND_NAMES = Object.keys(DEVICE_KINDS) as readonly DeviceKind[];

/** One device attached to each patient (or to one patient, when given per patient). */
export interface DeviceSpec {
  /** Which built-in kind the device is; its defaults fill every option left out. */
  readonly kind: DeviceKind;
  /** Device ids are `${idPrefix}-001` …, numbered by patient (default: the kind's). */
  readonly idPrefix?: string;
  /** The metrics it reports, in reading order (default: the kind's; any simulated metric). */
  readonly metrics?: readonly SimulatedMetric[];
  /**
   * Time between measurements, in ms: it measures on the first tick and then on each tick at least
   * `everyMs` after its previous measurement (default: the kind's, else every tick).
   */
  readonly everyMs?: number;
  /** The protocol its descriptor declares (default `simulator`). */
  readonly protocol?: DeviceProtocol;
  /** Its battery (default: the kind's; `false` for mains power). */
  readonly battery?: BatteryOptions | false;
  /** Its sensor faults (default none). */
  readonly faults?: DeviceFaults;
}

/** One simulated device, resolved. */
export interface SimulatedDevice {
  /** 0-based position among all the ward's devices (and in `WardSimulator.devices`). */
  readonly index: number;
  /** 0-based position among its patient's devices. */
  readonly slot: number;
  /** The device's id, `${idPrefix}-${patient number}`, e.g. `oximeter-001`. */
  readonly deviceId: DeviceId;
  /** The patient the device is attached to. */
  readonly patientId: PatientId;
  /** Which built-in kind the device is. */
  readonly kind: DeviceKind;
  /** The metrics it reports, in the order of its readings. */
  readonly metrics: readonly SimulatedMetric[];
  /** Time between measurements, in ms. */
  readonly everyMs: number;
  /** True when its samples carry RR intervals. */
  readonly rrIntervals: boolean;
  /** Absent for mains power. */
  readonly battery?: ResolvedBattery;
  /** Its sensor faults, checked and with defaults applied (empty when it has none). */
  readonly faults: ResolvedFaults;
  /**
   * The core device descriptor it announces: role `sensor`, its protocol, model and metrics, and its patient.
   */
  readonly descriptor: DeviceDescriptor;
}

/** The most devices one patient may have. */
export const MAX_DEVICES_PER_PATIENT = 16;

function percent(value: unknown, what: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 100)) {
    throw new RangeError(`${what} must be a percentage in [0, 100], got ${String(value)}`);
  }
  return value;
}

/**
 * Resolves one patient's device specs into devices.
 *
 * @throws {TypeError} when `specs` is not an array.
 * @throws {RangeError} for an unknown kind or metric, a bad period, battery or fault option, an id
 *   prefix that makes invalid ids, no devices, too many, or two devices with the same id.
 */
export function resolveDevices(
  specs: readonly DeviceSpec[],
  patient: { readonly patientId: PatientId; readonly number: string },
  context: {
    readonly periodMs: number;
    readonly firstIndex: number;
    readonly monitorPrefix: string;
    readonly where: string;
  },
): SimulatedDevice[] {
  const { where } = context;
  if (!Array.isArray(specs as unknown)) throw new TypeError(`${where} must be an array of device specs`);
  if (specs.length === 0 || specs.length > MAX_DEVICES_PER_PATIENT) {
    throw new RangeError(`${where} must list 1…${MAX_DEVICES_PER_PATIENT} devices, got ${specs.length}`);
  }
  const seen = new Set<string>();
  return specs.map((spec, slot) => {
    const at = `${where}[${slot}]`;
    if (!Object.hasOwn(DEVICE_KINDS, String(spec?.kind))) {
      throw new RangeError(
        `${at}: unknown device kind "${String(spec?.kind)}"; use one of ${DEVICE_KIND_NAMES.join(', ')}`,
      );
    }
    const definition: DeviceKindDefinition = DEVICE_KINDS[spec.kind];
    const prefix = spec.idPrefix ?? (spec.kind === 'monitor' ? context.monitorPrefix : definition.idPrefix);
    const id = `${prefix}-${patient.number}`;
    const parsed = DeviceId.safeParse(id);
    if (!parsed.success) {
      const option =
        spec.idPrefix !== undefined
          ? `${at}.idPrefix`
          : spec.kind === 'monitor'
            ? 'deviceIdPrefix'
            : `${at}: id prefix`;
      throw new RangeError(
        `${option} "${prefix}" makes the invalid id "${id}"; ids are 1-128 letters, digits, ".", "_", "-", ":" starting with a letter or digit`,
      );
    }
    if (seen.has(id))
      throw new RangeError(`${at}: a second device with id "${id}"; give it another idPrefix`);
    seen.add(id);
    const metrics = spec.metrics ?? definition.metrics;
    if (!Array.isArray(metrics) || metrics.length === 0) {
      throw new RangeError(`${at}.metrics must list at least one metric`);
    }
    for (const m of metrics) {
      if (!isSimulatedMetric(m)) {
        throw new RangeError(
          `${at}.metrics: "${String(m)}" is not simulated; use one of ${SIMULATED_METRICS.join(', ')}`,
        );
      }
    }
    if (new Set(metrics).size !== metrics.length) throw new RangeError(`${at}.metrics lists a metric twice`);
    const everyMs = spec.everyMs ?? definition.everyMs ?? context.periodMs;
    if (!Number.isInteger(everyMs) || everyMs < 1) {
      throw new RangeError(`${at}.everyMs must be an integer >= 1, got ${everyMs}`);
    }
    let battery: ResolvedBattery | undefined;
    if (spec.battery !== false && (spec.battery !== undefined || definition.drainPctPerHour !== undefined)) {
      const options = spec.battery ?? {};
      const drain = options.drainPctPerHour ?? definition.drainPctPerHour ?? 0;
      if (!Number.isFinite(drain) || drain < 0) {
        throw new RangeError(`${at}.battery.drainPctPerHour must be a finite number >= 0, got ${drain}`);
      }
      battery = Object.freeze({
        startPct: percent(options.startPct ?? 100, `${at}.battery.startPct`),
        drainPctPerHour: drain,
        lowPct: percent(options.lowPct ?? 20, `${at}.battery.lowPct`),
      });
    }
    const faults = Object.freeze(resolveFaults(spec.faults, metrics, `${at}.faults`));
    const descriptor = Object.freeze(
      parse(DeviceDescriptor, 'DeviceDescriptor', {
        id: parsed.data,
        role: 'sensor',
        protocol: spec.protocol ?? 'simulator',
        manufacturer: SIMULATOR_MANUFACTURER,
        model: definition.model,
        metrics: [...metrics],
        patientId: patient.patientId,
      }),
    );
    return Object.freeze({
      index: context.firstIndex + slot,
      slot,
      deviceId: parsed.data,
      patientId: patient.patientId,
      kind: spec.kind,
      metrics: Object.freeze([...metrics]),
      everyMs,
      rrIntervals: definition.rrIntervals,
      ...(battery === undefined ? {} : { battery }),
      faults,
      descriptor,
    });
  });
}
