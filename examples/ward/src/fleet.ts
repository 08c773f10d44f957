/**
 * The ward's devices as devices (beyond their readings): at each bed a mains-powered bedside
 * monitor and a battery-powered pulse oximeter (the simulator's `monitor` and `pulse-oximeter`
 * kinds; each oximeter's battery starts at a seeded level and drains as the simulator's battery
 * model says), each with simulated A/B firmware storage and the device package's update agent
 * (install into the inactive slot, trial boot, sensor self-test, confirm or roll back).
 *
 * Every device sends a heartbeat — the battery level its simulated samples report and the firmware
 * version its update agent runs — on `devices/{id}/heartbeat` when either changes and every
 * `heartbeatEveryMs` otherwise; the gateway's `monitorDevices` reads them (see `devices.ts`).
 */
import type { VerifiedUpdate } from '@healthit/core/updates';
import {
  createFirmwareStorage,
  createUpdateAgent,
  DEVICE_KINDS,
  type DeviceKind,
  type DeviceSpec,
  firmwareDigest,
  type PatientInfo,
  provisionFirmware,
  type SelfTestReading,
  type SimulatedMetric,
  type SimulationTick,
  sensorSelfTest,
  type UpdateAgent,
  type UpdateRequest,
  type UpdateSource,
  type UpdateStateChange,
  type WardSimulator,
} from '@healthit/device';
import { lastValueFrom, type Observable } from 'rxjs';

/** What one kind of the ward's devices runs from the factory. */
export interface FactoryFirmware {
  /** The hardware the images are built for (the rollout engine's `hardwareId`). */
  readonly hardwareId: string;
  readonly version: string;
  /** Its SUIT sequence number (the anti-rollback counter starts here). */
  readonly sequence: number;
}

/** The factory firmware of the ward's device kinds (simulated hardware, illustrative versions). */
export const WARD_FACTORY_FIRMWARE = {
  monitor: { hardwareId: 'sim-monitor.rev-a', version: '3.1.0', sequence: 310 },
  'pulse-oximeter': { hardwareId: 'sim-oximeter.rev-a', version: '2.4.0', sequence: 240 },
} as const satisfies Partial<Record<DeviceKind, FactoryFirmware>>;

/** The pulse oximeters' new firmware, which the ward's rollout campaign installs (`rollout.ts`). */
export const OXIMETER_RELEASE = {
  hardwareId: WARD_FACTORY_FIRMWARE['pulse-oximeter'].hardwareId,
  version: '2.5.0',
  sequence: 250,
  targetPath: 'sim-oximeter/rev-a/2.5.0.bin',
} as const;

/** A heartbeat as a ward device sends it (JSON on {@link heartbeatTopic}). */
export interface WardHeartbeat {
  readonly kind: 'heartbeat';
  readonly deviceId: string;
  /** Device time, epoch ms. */
  readonly ts: number;
  /** The battery level the device measures, integer % (absent for mains power). */
  readonly batteryPercent?: number;
  /** The firmware version running. */
  readonly firmware?: string;
}

/** Where a ward device sends its heartbeats. */
export const heartbeatTopic = (deviceId: string): string => `devices/${deviceId}/heartbeat`;
/** Matches every device's heartbeat topic. */
export const HEARTBEAT_TOPICS = 'devices/+/heartbeat';

/** One device of the ward, as a device. */
export interface WardDevice {
  readonly deviceId: string;
  readonly patientId: string;
  readonly kind: DeviceKind;
  /** The model its descriptor reports, e.g. `Simulated pulse oximeter`. */
  readonly model: string;
  readonly hardwareId: string;
  readonly agent: UpdateAgent;
}

/** The ward's devices. */
export interface WardFleet {
  /** Every device, patients in ward order. */
  readonly devices: ReadonlyMap<string, WardDevice>;
  /**
   * Device side of one simulation tick: each device that measured notes its values (for a
   * self-test) and battery; returns the heartbeats due (battery or firmware changed, or
   * `heartbeatEveryMs` since the last one). A device whose battery is empty sends none.
   */
  heartbeats(tick: SimulationTick): WardHeartbeat[];
  /**
   * Runs one firmware update on a device with its update agent: the image comes from `update`
   * after `downloadMs` (the download over the ward's radio link; the agent then checks hardware,
   * target, anti-rollback and digest itself), the trial boot self-tests the sensors with the
   * device's latest measurement. Cold; the update runs to its end once subscribed.
   * @throws {RangeError} for an unknown device.
   */
  update(
    deviceId: string,
    update: VerifiedUpdate,
    request: UpdateRequest,
    downloadMs: number,
  ): Observable<UpdateStateChange>;
}

/** Options of {@link createWardFleet}. */
export interface WardFleetOptions {
  /** Heartbeat period of each device when nothing changes, ms (default 5 000). */
  readonly heartbeatEveryMs?: number;
}

/** 32-bit FNV-1a of a text: a seeded, stable draw per device. */
function fnv(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The battery level a patient's pulse oximeter starts the run with: 15–100 %, seeded. */
export function oximeterBatteryAtStart(seed: number, patientIndex: number): number {
  return 15 + (fnv(`${seed}:oximeter:${patientIndex}`) % 86);
}

/**
 * The devices at each bed, for `createWardSimulator({ devices })`: the bedside monitor first (it
 * stays the patient's `deviceId`), then a pulse oximeter whose battery starts at a seeded level
 * ({@link oximeterBatteryAtStart}) and drains at the kind's 1 %/h.
 */
export function wardDeviceSpecs(seed: number): (patient: PatientInfo) => DeviceSpec[] {
  return (patient) => [
    { kind: 'monitor' },
    { kind: 'pulse-oximeter', battery: { startPct: oximeterBatteryAtStart(seed, patient.index) } },
  ];
}

/** A firmware image: a header naming hardware and version, then filler (2 KiB in all). */
export function firmwareImage(hardwareId: string, version: string): Uint8Array {
  const image = new Uint8Array(2048);
  const header = new TextEncoder().encode(`HEALTHIT-SIM ${hardwareId} ${version}\n`);
  image.set(header);
  for (let i = header.length; i < image.length; i++) image[i] = (i * 31 + version.length) & 0xff;
  return image;
}

/** The verified update of {@link OXIMETER_RELEASE} (what a verifying update source would hand over). */
export async function oximeterReleaseUpdate(): Promise<VerifiedUpdate> {
  const image = firmwareImage(OXIMETER_RELEASE.hardwareId, OXIMETER_RELEASE.version);
  return {
    targetPath: OXIMETER_RELEASE.targetPath,
    version: OXIMETER_RELEASE.version,
    sequence: OXIMETER_RELEASE.sequence,
    hardwareId: OXIMETER_RELEASE.hardwareId,
    sha256: await firmwareDigest(image),
    length: image.length,
    image,
  };
}

function factoryOf(kind: DeviceKind): FactoryFirmware {
  return (
    (WARD_FACTORY_FIRMWARE as Partial<Record<DeviceKind, FactoryFirmware>>)[kind] ?? {
      hardwareId: `sim-${kind}.rev-a`,
      version: '1.0.0',
      sequence: 100,
    }
  );
}

interface DeviceState {
  values: Readonly<Partial<Record<SimulatedMetric, number>>>;
  batteryPercent: number | undefined;
  sentAt: number;
  sentBattery: number | undefined;
  sentFirmware: string | undefined;
}

/**
 * Provisions every device of `simulator` with its factory firmware and boots it (an update agent
 * per device), ready to send heartbeats and take updates.
 */
export async function createWardFleet(
  simulator: WardSimulator,
  options: WardFleetOptions = {},
): Promise<WardFleet> {
  const heartbeatEveryMs = options.heartbeatEveryMs ?? 5_000;
  const devices = new Map<string, WardDevice>();
  const states = new Map<string, DeviceState>();
  const factoryImages = new Map<string, Uint8Array>();
  for (const patient of simulator.patients) {
    for (const d of patient.devices) {
      const factory = factoryOf(d.kind);
      const key = `${factory.hardwareId} ${factory.version}`;
      let image = factoryImages.get(key);
      if (image === undefined) {
        image = firmwareImage(factory.hardwareId, factory.version);
        factoryImages.set(key, image);
      }
      const storage = createFirmwareStorage();
      await provisionFirmware(storage, { image, version: factory.version, sequence: factory.sequence });
      const state: DeviceState = {
        values: {},
        batteryPercent: undefined,
        sentAt: Number.NEGATIVE_INFINITY,
        sentBattery: undefined,
        sentFirmware: undefined,
      };
      // The trial boot of a new image measures with the device's sensors: its latest measurement.
      const selfTest = sensorSelfTest(() =>
        Object.entries(state.values).map(
          ([metric, value]): SelfTestReading => ({ metric: metric as SimulatedMetric, value }),
        ),
      );
      const agent = createUpdateAgent({ storage, hardwareId: factory.hardwareId, selfTest });
      await lastValueFrom(agent.start(), { defaultValue: undefined });
      devices.set(d.deviceId, {
        deviceId: d.deviceId,
        patientId: d.patientId,
        kind: d.kind,
        model: DEVICE_KINDS[d.kind].model,
        hardwareId: factory.hardwareId,
        agent,
      });
      states.set(d.deviceId, state);
    }
  }

  return {
    devices,
    heartbeats(tick) {
      const due: WardHeartbeat[] = [];
      for (const sample of tick.samples) {
        const state = states.get(sample.deviceId);
        const device = devices.get(sample.deviceId);
        if (state === undefined || device === undefined) continue;
        if (sample.faults.some((f) => f.kind === 'battery-depleted')) continue; // powered off
        if (Object.keys(sample.values).length > 0) state.values = sample.values;
        if (sample.batteryPct !== undefined) state.batteryPercent = sample.batteryPct;
        const firmware = device.agent.running()?.version;
        if (
          state.batteryPercent === state.sentBattery &&
          firmware === state.sentFirmware &&
          sample.ts - state.sentAt < heartbeatEveryMs
        ) {
          continue;
        }
        state.sentAt = sample.ts;
        state.sentBattery = state.batteryPercent;
        state.sentFirmware = firmware;
        due.push({
          kind: 'heartbeat',
          deviceId: sample.deviceId,
          ts: sample.ts,
          ...(state.batteryPercent === undefined ? {} : { batteryPercent: state.batteryPercent }),
          ...(firmware === undefined ? {} : { firmware }),
        });
      }
      return due;
    },
    update(deviceId, update, request, downloadMs) {
      const device = devices.get(deviceId);
      if (device === undefined) throw new RangeError(`No ward device ${deviceId}`);
      const source: UpdateSource = {
        fetch: () => new Promise((resolve) => setTimeout(() => resolve(update), downloadMs)),
      };
      return device.agent.update(source, request);
    },
  };
}
