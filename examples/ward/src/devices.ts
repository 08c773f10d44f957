/**
 * What the gateway knows of the ward's devices: the heartbeats they send (battery, firmware) and
 * the readings it accepts, through the gateway's device monitoring (`monitorDevices`: last seen,
 * online or offline by each device's silence, battery and firmware from heartbeats). The devices
 * page of the dashboard and the gateway's status page read it.
 */
import type { Reading, TransportMessage } from '@healthit/core';
import type { DeviceHeartbeat, DeviceMonitorEvent } from '@healthit/gateway';
import { type Observable, Subject } from 'rxjs';
import type { WardFleet } from './fleet.js';

/** A device as the gateway sees it. */
export interface WardDeviceStatus {
  readonly deviceId: string;
  readonly patientId: string;
  /** In words, e.g. `pulse oximeter`. */
  readonly kind: string;
  /** Heard within its interval (the gateway's device monitor). */
  readonly online: boolean;
  /** When the gateway last heard from it (gateway clock, epoch ms); absent before. */
  readonly lastSeen?: number;
  /** The battery level of its latest heartbeat, % (absent for mains power). */
  readonly batteryPercent?: number;
  /** The firmware version of its latest heartbeat. */
  readonly firmware?: string;
}

/** The ward's devices in a {@link WardSummary} (`ward.ts`). */
export interface WardDevicesSummary {
  /** Devices at the beds, by kind in words. */
  readonly total: number;
  readonly byKind: Readonly<Record<string, number>>;
  /** Devices the gateway heard, and online at the end. */
  readonly heard: number;
  readonly online: number;
  /** Heartbeats the gateway took, and refused (malformed, or from a device not on the ward). */
  readonly heartbeats: number;
  readonly heartbeatsRefused: number;
  /** Offline alerts the device monitor raised. */
  readonly offlineAlerts: number;
  /** The lowest and highest battery reported (battery-powered devices only). */
  readonly battery?: { readonly min: number; readonly max: number; readonly devices: number };
  /** Devices per firmware version reported. */
  readonly firmware: Readonly<Record<string, number>>;
}

/** The gateway's view of the ward's devices. */
export interface WardDevices {
  /** A reading the gateway accepted. */
  onReading(reading: Reading): void;
  /** A heartbeat message from the transport: decoded and checked, or counted as refused. */
  decode(message: TransportMessage): DeviceHeartbeat | undefined;
  /** An event of the gateway's `monitorDevices`. */
  onMonitor(event: DeviceMonitorEvent): void;
  /** Every device the gateway heard, patients in ward order. */
  list(): WardDeviceStatus[];
  get(deviceId: string): WardDeviceStatus | undefined;
  /** Hot: the id of a device whose state, battery or firmware changed. */
  readonly changes$: Observable<string>;
  summary(): WardDevicesSummary;
  close(): void;
}

/** The ward's device kinds in words. */
const KIND_WORDS: Readonly<Record<string, string>> = {
  monitor: 'bedside monitor',
  'pulse-oximeter': 'pulse oximeter',
  'bp-cuff': 'blood-pressure cuff',
  thermometer: 'thermometer',
  'heart-rate-sensor': 'heart-rate sensor',
};

interface Known {
  readonly deviceId: string;
  readonly patientId: string;
  readonly kind: string;
  heard: boolean;
  online: boolean;
  lastSeen?: number;
  batteryPercent?: number;
  firmware?: string;
}

/**
 * The gateway's view of `fleet`'s devices (the devices enrolled at the beds; anything else is not
 * listed, so the view is bounded by the ward).
 */
export function createWardDevices(fleet: WardFleet): WardDevices {
  const known = new Map<string, Known>();
  for (const d of fleet.devices.values()) {
    known.set(d.deviceId, {
      deviceId: d.deviceId,
      patientId: d.patientId,
      kind: KIND_WORDS[d.kind] ?? d.kind,
      heard: false,
      online: false,
    });
  }
  const changes$ = new Subject<string>();
  let heartbeats = 0;
  let refused = 0;
  let offlineAlerts = 0;

  const status = (k: Known): WardDeviceStatus => ({
    deviceId: k.deviceId,
    patientId: k.patientId,
    kind: k.kind,
    online: k.online,
    ...(k.lastSeen === undefined ? {} : { lastSeen: k.lastSeen }),
    ...(k.batteryPercent === undefined ? {} : { batteryPercent: k.batteryPercent }),
    ...(k.firmware === undefined ? {} : { firmware: k.firmware }),
  });

  return {
    changes$: changes$.asObservable(),
    onReading(r) {
      const k = known.get(r.deviceId);
      if (k === undefined) return;
      k.lastSeen = Date.now();
      if (!k.heard) {
        k.heard = true;
        k.online = true;
        changes$.next(k.deviceId);
      }
    },
    decode(message) {
      const deviceId = message.topic.split('/')[1] ?? '';
      let h: Partial<DeviceHeartbeat> | undefined;
      try {
        h = JSON.parse(new TextDecoder().decode(message.payload)) as Partial<DeviceHeartbeat>;
      } catch {
        h = undefined;
      }
      const valid =
        h !== undefined &&
        h !== null &&
        known.has(deviceId) &&
        h.kind === 'heartbeat' &&
        h.deviceId === deviceId &&
        typeof h.ts === 'number' &&
        Number.isFinite(h.ts) &&
        (h.batteryPercent === undefined ||
          (typeof h.batteryPercent === 'number' && h.batteryPercent >= 0 && h.batteryPercent <= 100)) &&
        (h.firmware === undefined ||
          (typeof h.firmware === 'string' && h.firmware.length > 0 && h.firmware.length <= 64));
      if (!valid) {
        refused += 1;
        return undefined;
      }
      heartbeats += 1;
      return {
        kind: 'heartbeat',
        deviceId,
        ts: h?.ts as number,
        ...(h?.batteryPercent === undefined ? {} : { batteryPercent: h.batteryPercent }),
        ...(h?.firmware === undefined ? {} : { firmware: h.firmware }),
      };
    },
    onMonitor(e) {
      const k = known.get(e.health.deviceId);
      if (k === undefined) return;
      const before = `${k.online} ${k.batteryPercent} ${k.firmware}`;
      if (e.type === 'offline') offlineAlerts += 1;
      k.heard = true;
      k.online = e.health.online;
      k.lastSeen = Math.max(k.lastSeen ?? 0, e.health.lastSeen);
      if (e.health.batteryPercent !== undefined) k.batteryPercent = e.health.batteryPercent;
      if (e.health.firmware !== undefined) k.firmware = e.health.firmware;
      if (`${k.online} ${k.batteryPercent} ${k.firmware}` !== before) changes$.next(k.deviceId);
    },
    list: () => [...known.values()].filter((k) => k.heard).map(status),
    get(deviceId) {
      const k = known.get(deviceId);
      return k?.heard ? status(k) : undefined;
    },
    summary() {
      const all = [...known.values()];
      const byKind: Record<string, number> = {};
      const firmware: Record<string, number> = {};
      const batteries: number[] = [];
      for (const k of all) {
        byKind[k.kind] = (byKind[k.kind] ?? 0) + 1;
        if (k.firmware !== undefined) firmware[k.firmware] = (firmware[k.firmware] ?? 0) + 1;
        if (k.batteryPercent !== undefined) batteries.push(k.batteryPercent);
      }
      return {
        total: all.length,
        byKind,
        heard: all.filter((k) => k.heard).length,
        online: all.filter((k) => k.heard && k.online).length,
        heartbeats,
        heartbeatsRefused: refused,
        offlineAlerts,
        ...(batteries.length === 0
          ? {}
          : {
              battery: {
                min: Math.min(...batteries),
                max: Math.max(...batteries),
                devices: batteries.length,
              },
            }),
        firmware,
      };
    },
    close() {
      changes$.complete();
    },
  };
}
