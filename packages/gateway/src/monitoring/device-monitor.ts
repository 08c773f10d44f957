import type { Alert, Reading } from '@healthit/core';
import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';

/** What a device reports about itself between readings (or with them). */
export interface DeviceHeartbeat {
  readonly kind: 'heartbeat';
  readonly deviceId: string;
  /** Device time of the report (epoch ms). */
  readonly ts: number;
  /** Battery charge, 0–100 %. */
  readonly batteryPercent?: number;
  /** Radio signal strength, dBm. */
  readonly signalDbm?: number;
  readonly firmware?: string;
  /** Errors counted by the device since it started. */
  readonly errorCount?: number;
}

/** What the monitor knows of a device. */
export interface DeviceHealth {
  readonly deviceId: string;
  /** When the gateway last heard from it (gateway clock, epoch ms). */
  readonly lastSeen: number;
  readonly online: boolean;
  readonly batteryPercent?: number;
  readonly signalDbm?: number;
  readonly firmware?: string;
  readonly errorCount?: number;
}

/** What {@link monitorDevices} emits. */
export type DeviceMonitorEvent =
  /** The device was silent for `offlineAfterMs`: an alert was raised. */
  | { readonly type: 'offline'; readonly health: DeviceHealth; readonly alert: Alert }
  /** An offline device was heard again. */
  | { readonly type: 'online'; readonly health: DeviceHealth; readonly silentForMs: number }
  /** A heartbeat arrived: the device's latest health. */
  | { readonly type: 'heartbeat'; readonly health: DeviceHealth };

/** Options of {@link monitorDevices}. */
export interface DeviceMonitorOptions {
  /** A device heard from neither readings nor heartbeats for this long is offline (ms, ≥ 1). */
  readonly offlineAfterMs: number;
  /** How often silence is checked (default `offlineAfterMs / 4`, at least 1 ms). */
  readonly checkEveryMs?: number;
  /** Devices tracked at most (default 100 000); the least recently heard is forgotten first. */
  readonly maxDevices?: number;
  /** Runs the checks and gives the time (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
}

interface State {
  lastSeen: number;
  online: boolean;
  lastSignalId: string;
  batteryPercent?: number;
  signalDbm?: number;
  firmware?: string;
  errorCount?: number;
}

function isHeartbeat(x: Reading | DeviceHeartbeat): x is DeviceHeartbeat {
  return (x as DeviceHeartbeat).kind === 'heartbeat';
}

function healthOf(deviceId: string, s: State): DeviceHealth {
  return {
    deviceId,
    lastSeen: s.lastSeen,
    online: s.online,
    ...(s.batteryPercent === undefined ? {} : { batteryPercent: s.batteryPercent }),
    ...(s.signalDbm === undefined ? {} : { signalDbm: s.signalDbm }),
    ...(s.firmware === undefined ? {} : { firmware: s.firmware }),
    ...(s.errorCount === undefined ? {} : { errorCount: s.errorCount }),
  };
}

/**
 * Device monitoring at the gateway: last seen (gateway time of arrival, so a device's clock does not
 * matter), battery, signal, firmware and error counters from heartbeats, and an `offline` alert when
 * a device stays silent for `offlineAfterMs` — then `online` when it is heard again. Silence is
 * checked every `checkEveryMs` by walking the devices from the least recently heard and stopping
 * at the first that is not silent, so a check costs the number of offline devices, not the fleet.
 * @throws {RangeError} for invalid options.
 * @example
 * ```ts
 * merge(gateway.readings$, heartbeats$).pipe(monitorDevices({ offlineAfterMs: 60_000 })).subscribe(...)
 * ```
 */
export function monitorDevices(
  options: DeviceMonitorOptions,
): OperatorFunction<Reading | DeviceHeartbeat, DeviceMonitorEvent> {
  const { offlineAfterMs } = options;
  const checkEveryMs = options.checkEveryMs ?? Math.max(1, Math.floor(offlineAfterMs / 4));
  const maxDevices = options.maxDevices ?? 100_000;
  for (const [what, v] of [
    ['offlineAfterMs', offlineAfterMs],
    ['checkEveryMs', checkEveryMs],
    ['maxDevices', maxDevices],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${what} must be an integer ≥ 1, got ${v}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  return (source) =>
    new Observable<DeviceMonitorEvent>((subscriber) => {
      // least recently heard first: a device is moved to the end each time it is heard
      const devices = new Map<string, State>();
      const check = scheduler.schedule(function sweep() {
        const now = scheduler.now();
        for (const [deviceId, s] of devices) {
          if (now - s.lastSeen < offlineAfterMs) break;
          if (!s.online) continue;
          s.online = false;
          const health = healthOf(deviceId, s);
          subscriber.next({
            type: 'offline',
            health,
            alert: {
              id: `device-offline:${deviceId}:${s.lastSeen}`,
              rule: 'device-offline',
              severity: 'medium',
              message: `Device ${deviceId} has been silent for ${now - s.lastSeen} ms (expected within ${offlineAfterMs} ms)`,
              ts: now,
              deviceId: deviceId as Alert['deviceId'] & string,
              readingIds: [s.lastSignalId],
            },
          });
        }
        this.schedule(undefined, checkEveryMs);
      }, checkEveryMs);

      const sub = source.subscribe({
        next(input) {
          const now = scheduler.now();
          const deviceId = input.deviceId;
          let s = devices.get(deviceId);
          if (s === undefined) {
            if (devices.size >= maxDevices) {
              const oldest = devices.keys().next();
              if (oldest.done !== true) devices.delete(oldest.value);
            }
            s = { lastSeen: now, online: true, lastSignalId: '' };
          } else {
            devices.delete(deviceId);
          }
          devices.set(deviceId, s);
          const wasOffline = !s.online;
          const silentForMs = now - s.lastSeen;
          s.lastSeen = now;
          s.online = true;
          if (isHeartbeat(input)) {
            s.lastSignalId = `heartbeat:${deviceId}:${input.ts}`;
            if (input.batteryPercent !== undefined) s.batteryPercent = input.batteryPercent;
            if (input.signalDbm !== undefined) s.signalDbm = input.signalDbm;
            if (input.firmware !== undefined) s.firmware = input.firmware;
            if (input.errorCount !== undefined) s.errorCount = input.errorCount;
          } else {
            s.lastSignalId = input.id;
          }
          if (wasOffline) subscriber.next({ type: 'online', health: healthOf(deviceId, s), silentForMs });
          if (isHeartbeat(input)) subscriber.next({ type: 'heartbeat', health: healthOf(deviceId, s) });
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        check.unsubscribe();
        sub.unsubscribe();
      };
    });
}
