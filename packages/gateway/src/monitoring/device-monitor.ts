import { type Alert, HealthItError, type Reading } from '@healthit/core';
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';

/** What a device reports about itself between readings (or with them). */
export interface DeviceHeartbeat {
  /** Tells a heartbeat from a `Reading` in the monitor's input: always `heartbeat`. */
  readonly kind: 'heartbeat';
  /** The id of the reporting device. */
  readonly deviceId: string;
  /** Device time of the report (epoch ms). */
  readonly ts: number;
  /** Battery charge, 0–100 %. */
  readonly batteryPercent?: number;
  /** Radio signal strength, dBm. */
  readonly signalDbm?: number;
  /** The firmware version the device runs, as it names it (e.g. `2.4.1`). */
  readonly firmware?: string;
  /** Errors counted by the device since it started. */
  readonly errorCount?: number;
  /**
   * The silence after which the device itself says it is offline (ms, finite > 0), e.g. three of
   * its reporting periods, as an LwM2M client registers a lifetime. It stays declared until a later
   * heartbeat declares another. By default it applies only when shorter than the monitor's
   * `offlineAfterMs` (a device may ask to be watched more closely, not less); `offlineAfterMsOf`
   * decides otherwise. An invalid value is ignored and reported (`interval-rejected`).
   */
  readonly offlineAfterMs?: number;
}

/** What the monitor knows of a device. */
export interface DeviceHealth {
  /** The id of the device. */
  readonly deviceId: string;
  /** When the gateway last heard from it (gateway clock, epoch ms). */
  readonly lastSeen: number;
  /** `false` once the device has been silent for `offlineAfterMs`, until it is heard again. */
  readonly online: boolean;
  /** The silence after which this device is offline, ms: its own interval. */
  readonly offlineAfterMs: number;
  /**
   * Where `offlineAfterMs` comes from: `offlineAfterMsOf` (`configured`), the device's heartbeat
   * (`declared`), or the monitor's `offlineAfterMs` (`default`).
   */
  readonly offlineAfterFrom: 'configured' | 'declared' | 'default';
  /** The interval the device declared in its heartbeats (ms), whether or not it applies. */
  readonly declaredOfflineAfterMs?: number;
  /**
   * Battery charge, 0–100 %, from the latest heartbeat that reported it; undefined until one did.
   */
  readonly batteryPercent?: number;
  /**
   * Radio signal strength in dBm, from the latest heartbeat that reported it; undefined until one
   * did.
   */
  readonly signalDbm?: number;
  /** The firmware version from the latest heartbeat that reported it; undefined until one did. */
  readonly firmware?: string;
  /**
   * The device's error count since it started, from the latest heartbeat that reported it;
   * undefined until one did.
   */
  readonly errorCount?: number;
}

/** What {@link monitorDevices} emits. */
export type DeviceMonitorEvent =
  /** The device was silent for its `offlineAfterMs`: an alert was raised. */
  | {
      /** Discriminant: always `offline`. */
      readonly type: 'offline';
      /** The device's health when it was declared offline (`online` false). */
      readonly health: DeviceHealth;
      /**
       * The alert: id `device-offline:<deviceId>:<lastSeen>`, rule `device-offline`, severity
       * `medium`, naming the last reading or heartbeat heard.
       */
      readonly alert: Alert;
    }
  /** An offline device was heard again. */
  | {
      /** Discriminant: always `online`. */
      readonly type: 'online';
      /** The device's health now that it was heard (`online` true). */
      readonly health: DeviceHealth;
      /** How long the device had been silent, in ms (scheduler time). */
      readonly silentForMs: number;
    }
  /** A heartbeat arrived: the device's latest health. */
  | {
      /** Discriminant: always `heartbeat`. */
      readonly type: 'heartbeat';
      /** The device's health with the heartbeat applied. */
      readonly health: DeviceHealth;
    }
  /**
   * A heartbeat declared an invalid `offlineAfterMs` (not a finite number > 0): it was ignored, the
   * device keeps its interval; the rest of the heartbeat applies.
   */
  | {
      /** Discriminant: always `interval-rejected`. */
      readonly type: 'interval-rejected';
      /** The device's health with the rest of the heartbeat applied. */
      readonly health: DeviceHealth;
      /** The `offlineAfterMs` the heartbeat declared, as received. */
      readonly declaredOfflineAfterMs: unknown;
      /** Why it was ignored and the interval the device keeps, for people. */
      readonly reason: string;
    };

/** Options of {@link monitorDevices}. */
export interface DeviceMonitorOptions {
  /**
   * A device heard from neither readings nor heartbeats for this long is offline (ms, finite > 0):
   * the default, for devices without an interval of their own.
   */
  readonly offlineAfterMs: number;
  /**
   * Each device's own offline interval (ms, finite > 0), e.g. by model: a bedside monitor that
   * reports every second offline after 5 s, a weight scale used once a day after 36 h. Called when
   * a device is first heard and after each of its heartbeats, with its health so far (whose
   * `offlineAfterMs` is what applies without you: its declared interval when shorter than the
   * default, else the default); return `undefined` to keep that. A value that is not a finite
   * number > 0, or a throw, is a configuration error: the stream errors with a `HealthItError`
   * `config/invalid`.
   * @example
   * ```ts
   * const perModel = new Map([['scale', 36 * 3_600_000], ['bedside', 5_000]]);
   * monitorDevices({ offlineAfterMs: 60_000, offlineAfterMsOf: (id) => perModel.get(registry.modelOf(id)) });
   * ```
   */
  readonly offlineAfterMsOf?: (deviceId: string, health: DeviceHealth) => number | undefined;
  /**
   * Least time between two checks (ms, integer ≥ 1; default 1). Each device is checked at its own
   * deadline (last heard + its interval); a larger value batches the checks of a large fleet, and an
   * alert may then come up to `checkEveryMs` after the deadline.
   */
  readonly checkEveryMs?: number;
  /** Devices tracked at most (default 100 000); the least recently heard is forgotten first. */
  readonly maxDevices?: number;
  /** Runs the checks and gives the time (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
}

/** The longest delay a timer can take (2³¹ − 1 ms); longer ones fire at once in Node and browsers. */
const MAX_TIMER_DELAY_MS = 2_147_483_647;

interface State {
  lastSeen: number;
  online: boolean;
  lastSignalId: string;
  offlineAfterMs: number;
  offlineAfterFrom: DeviceHealth['offlineAfterFrom'];
  declaredOfflineAfterMs?: number;
  batteryPercent?: number;
  signalDbm?: number;
  firmware?: string;
  errorCount?: number;
}

function isHeartbeat(x: Reading | DeviceHeartbeat): x is DeviceHeartbeat {
  return (x as DeviceHeartbeat).kind === 'heartbeat';
}

const isInterval = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

function invalidOption(option: string, value: unknown, expected: string, cause?: unknown): HealthItError {
  return new HealthItError(
    'config/invalid',
    `monitorDevices: ${option} must be ${expected}, got ${typeof value === 'number' ? value : typeof value}`,
    { detail: { option, value }, ...(cause === undefined ? {} : { cause }) },
  );
}

function healthOf(deviceId: string, s: State): DeviceHealth {
  return {
    deviceId,
    lastSeen: s.lastSeen,
    online: s.online,
    offlineAfterMs: s.offlineAfterMs,
    offlineAfterFrom: s.offlineAfterFrom,
    ...(s.declaredOfflineAfterMs === undefined ? {} : { declaredOfflineAfterMs: s.declaredOfflineAfterMs }),
    ...(s.batteryPercent === undefined ? {} : { batteryPercent: s.batteryPercent }),
    ...(s.signalDbm === undefined ? {} : { signalDbm: s.signalDbm }),
    ...(s.firmware === undefined ? {} : { firmware: s.firmware }),
    ...(s.errorCount === undefined ? {} : { errorCount: s.errorCount }),
  };
}

/**
 * Device monitoring at the gateway: last seen (gateway time of arrival, so a device's clock does not
 * matter), battery, signal, firmware and error counters from heartbeats, and an `offline` alert when
 * a device stays silent for its own interval — then `online` when it is heard again. Each device's
 * interval is `offlineAfterMsOf(deviceId, health)` if given, else the interval its heartbeats
 * declare when shorter than `offlineAfterMs`, else `offlineAfterMs`.
 *
 * A device is checked at its deadline (last heard + its interval), to the millisecond unless
 * `checkEveryMs` batches the checks. Devices are kept by interval, least recently heard first, so a
 * check walks each interval's devices from the front and stops at the first that is not silent:
 * it costs the number of devices going offline plus the number of distinct intervals, not the
 * fleet; hearing a device is O(1).
 * @throws {HealthItError} `config/invalid` for an invalid option (an interval that is not a finite
 *   number > 0, a `checkEveryMs` or `maxDevices` that is not an integer ≥ 1, an
 *   `offlineAfterMsOf` that is not a function). An invalid interval returned later by
 *   `offlineAfterMsOf` errors the stream with the same error.
 * @example
 * ```ts
 * merge(gateway.readings$, heartbeats$).pipe(monitorDevices({ offlineAfterMs: 60_000 })).subscribe(...)
 * ```
 */
export function monitorDevices(
  options: DeviceMonitorOptions,
): OperatorFunction<Reading | DeviceHeartbeat, DeviceMonitorEvent> {
  const { offlineAfterMs, offlineAfterMsOf } = options;
  const checkEveryMs = options.checkEveryMs ?? 1;
  const maxDevices = options.maxDevices ?? 100_000;
  if (!isInterval(offlineAfterMs)) {
    throw invalidOption('offlineAfterMs', offlineAfterMs, 'a finite number of ms > 0');
  }
  for (const [what, v] of [
    ['checkEveryMs', checkEveryMs],
    ['maxDevices', maxDevices],
  ] as const) {
    if (!Number.isSafeInteger(v) || v < 1) throw invalidOption(what, v, 'an integer ≥ 1');
  }
  if (offlineAfterMsOf !== undefined && typeof offlineAfterMsOf !== 'function') {
    throw invalidOption(
      'offlineAfterMsOf',
      offlineAfterMsOf,
      'a function (deviceId, health) => ms | undefined',
    );
  }
  const scheduler = options.scheduler ?? asyncScheduler;

  /** Sets `s`'s interval: configured, else declared when shorter than the default, else the default. */
  function assignInterval(deviceId: string, s: State): void {
    const declared = s.declaredOfflineAfterMs;
    const useDeclared = declared !== undefined && declared < offlineAfterMs;
    s.offlineAfterMs = useDeclared ? declared : offlineAfterMs;
    s.offlineAfterFrom = useDeclared ? 'declared' : 'default';
    if (offlineAfterMsOf === undefined) return;
    const option = `offlineAfterMsOf("${deviceId}")`;
    let configured: number | undefined;
    try {
      configured = offlineAfterMsOf(deviceId, healthOf(deviceId, s));
    } catch (e) {
      throw invalidOption(option, undefined, 'a function that does not throw', e);
    }
    if (configured === undefined) return;
    if (!isInterval(configured))
      throw invalidOption(option, configured, 'a finite number of ms > 0 (or undefined)');
    s.offlineAfterMs = configured;
    s.offlineAfterFrom = 'configured';
  }

  return (source) =>
    new Observable<DeviceMonitorEvent>((subscriber) => {
      // Every device, least recently heard first (moved to the end each time it is heard): eviction.
      const devices = new Map<string, State>();
      // The online devices by interval, each least recently heard first, so in deadline order.
      const byInterval = new Map<number, Map<string, State>>();
      let timer: Subscription | undefined;
      let dueAt = Number.POSITIVE_INFINITY;
      let lastCheckAt = Number.NEGATIVE_INFINITY;

      /** Makes sure a check runs at `deadline` (or `checkEveryMs` after the last check). */
      function plan(deadline: number): void {
        const at = Math.max(deadline, lastCheckAt + checkEveryMs);
        if (at >= dueAt) return;
        timer?.unsubscribe();
        dueAt = at;
        timer = scheduler.schedule(check, Math.min(Math.max(0, at - scheduler.now()), MAX_TIMER_DELAY_MS));
      }

      function check(): void {
        timer = undefined;
        dueAt = Number.POSITIVE_INFINITY;
        const now = scheduler.now();
        lastCheckAt = now;
        let next = Number.POSITIVE_INFINITY;
        for (const [intervalMs, group] of byInterval) {
          for (const [deviceId, s] of group) {
            const deadline = s.lastSeen + intervalMs;
            if (now < deadline) {
              next = Math.min(next, deadline);
              break;
            }
            group.delete(deviceId);
            s.online = false;
            subscriber.next({
              type: 'offline',
              health: healthOf(deviceId, s),
              alert: {
                id: `device-offline:${deviceId}:${s.lastSeen}`,
                rule: 'device-offline',
                severity: 'medium',
                message: `Device ${deviceId} has been silent for ${now - s.lastSeen} ms (expected within ${intervalMs} ms)`,
                ts: now,
                deviceId: deviceId as Alert['deviceId'] & string,
                readingIds: [s.lastSignalId],
              },
            });
            if (subscriber.closed) return;
          }
          if (group.size === 0) byInterval.delete(intervalMs);
        }
        if (next !== Number.POSITIVE_INFINITY) plan(next);
      }

      const watch = (deviceId: string, s: State): void => {
        let group = byInterval.get(s.offlineAfterMs);
        if (group === undefined) {
          group = new Map();
          byInterval.set(s.offlineAfterMs, group);
        }
        group.set(deviceId, s);
      };
      const unwatch = (deviceId: string, s: State): void => {
        const group = byInterval.get(s.offlineAfterMs);
        if (group?.delete(deviceId) === true && group.size === 0) byInterval.delete(s.offlineAfterMs);
      };

      const sub = source.subscribe({
        next(input) {
          if (subscriber.closed) return;
          const now = scheduler.now();
          const deviceId = input.deviceId;
          let s = devices.get(deviceId);
          const isNew = s === undefined;
          if (s === undefined) {
            if (devices.size >= maxDevices) {
              const oldest = devices.entries().next();
              if (oldest.done !== true) {
                devices.delete(oldest.value[0]);
                if (oldest.value[1].online) unwatch(...oldest.value);
              }
            }
            s = {
              lastSeen: now,
              online: true,
              lastSignalId: '',
              offlineAfterMs,
              offlineAfterFrom: 'default',
            };
          } else {
            devices.delete(deviceId);
            if (s.online) unwatch(deviceId, s);
          }
          devices.set(deviceId, s);
          const wasOffline = !s.online;
          const silentForMs = now - s.lastSeen;
          s.lastSeen = now;
          s.online = true;
          let rejected: { readonly value: unknown } | undefined;
          const heartbeat = isHeartbeat(input);
          if (heartbeat) {
            s.lastSignalId = `heartbeat:${deviceId}:${input.ts}`;
            if (input.batteryPercent !== undefined) s.batteryPercent = input.batteryPercent;
            if (input.signalDbm !== undefined) s.signalDbm = input.signalDbm;
            if (input.firmware !== undefined) s.firmware = input.firmware;
            if (input.errorCount !== undefined) s.errorCount = input.errorCount;
            if (input.offlineAfterMs !== undefined) {
              if (isInterval(input.offlineAfterMs)) s.declaredOfflineAfterMs = input.offlineAfterMs;
              else rejected = { value: input.offlineAfterMs };
            }
          } else {
            s.lastSignalId = input.id;
          }
          if (isNew || heartbeat) {
            try {
              assignInterval(deviceId, s);
            } catch (e) {
              subscriber.error(e);
              return;
            }
          }
          watch(deviceId, s);
          plan(now + s.offlineAfterMs);
          if (wasOffline) subscriber.next({ type: 'online', health: healthOf(deviceId, s), silentForMs });
          if (rejected !== undefined) {
            subscriber.next({
              type: 'interval-rejected',
              health: healthOf(deviceId, s),
              declaredOfflineAfterMs: rejected.value,
              reason: `Heartbeat of ${deviceId} declared offlineAfterMs ${String(rejected.value)}: not a finite number of ms > 0; ignored, the device keeps ${s.offlineAfterMs} ms`,
            });
          }
          if (heartbeat) subscriber.next({ type: 'heartbeat', health: healthOf(deviceId, s) });
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => subscriber.complete(),
      });
      return () => {
        timer?.unsubscribe();
        sub.unsubscribe();
      };
    });
}
