import {
  type Command,
  type CommandStatus,
  HealthItError,
  type JsonValue,
  deviceId as toDeviceId,
} from '@healthit/core';
import { type Observable, Subject } from 'rxjs';

/** A device's configuration: a flat map of setting → JSON value. */
export type DeviceConfig = Readonly<Record<string, JsonValue>>;

/** Desired and reported configuration of one device, each with its version (like a device twin). */
export interface ConfigTwin {
  /** The id of the device the twin describes. */
  readonly deviceId: string;
  /** What the platform wants; its version grows by one with every accepted change. */
  readonly desired: DeviceConfig;
  /** The version of `desired`: 0 before any change, then one more per accepted `desire`. */
  readonly desiredVersion: number;
  /** What the device last confirmed, and the desired version it confirmed. */
  readonly reported: DeviceConfig;
  /**
   * The desired version the device last confirmed as `completed` (0 before any); never decreases.
   */
  readonly reportedVersion: number;
}

/** A change of a twin, for the audit trail (`config-change` records through a `LedgerSink`). */
export type ConfigChange =
  | {
      /** The desired configuration changed (`ConfigTwins.desire`). */
      readonly type: 'desired';
      /** The id of the device whose twin changed. */
      readonly deviceId: string;
      /** The new desired version. */
      readonly version: number;
      /** The settings changed, as given (merged into the desired configuration). */
      readonly set: DeviceConfig;
      /** Who asked for the change, as passed to `desire` (e.g. a user or service id). */
      readonly by: string;
      /** When the change was accepted, in ms since the epoch by the twins' clock. */
      readonly at: number;
    }
  | {
      /** The device confirmed a configuration (`ConfigTwins.acknowledge`). */
      readonly type: 'reported';
      /** The id of the device whose twin changed. */
      readonly deviceId: string;
      /** The desired version the device confirmed: the new `reportedVersion`. */
      readonly version: number;
      /** When the confirmation was applied, in ms since the epoch by the twins' clock. */
      readonly at: number;
    };

/** The action of the commands that carry configuration to devices. */
export const CONFIG_SET_ACTION = 'config.set';

function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Device configuration twins (see {@link createConfigTwins}). */
export interface ConfigTwins {
  /** The twin of a device, or `undefined` when no change was ever desired for it. */
  get(deviceId: string): ConfigTwin | undefined;
  /**
   * Changes settings of the desired configuration, only if `expectedVersion` is the current desired
   * version (optimistic concurrency: of two concurrent updates from the same version, the second is
   * refused with `state/invalid` reason `version-conflict`). Returns the new twin.
   */
  desire(deviceId: string, set: DeviceConfig, expectedVersion: number, by: string): ConfigTwin;
  /** The settings desired and not yet reported: what the device must still be told. */
  delta(deviceId: string): DeviceConfig;
  /** The command carrying the delta at the current desired version, or undefined when in sync. */
  command(deviceId: string, issuedBy: string): Command | undefined;
  /**
   * A device's status for a `config.set` command: `completed` makes the configuration of that
   * version the reported one (an older version than already reported is ignored). Returns whether
   * it changed the twin.
   */
  acknowledge(status: CommandStatus): boolean;
  /** Every accepted change of a twin, as it happens (hot: no replay for late subscribers). */
  readonly changes$: Observable<ConfigChange>;
}

/**
 * Desired / reported configuration per device with versions, as device twins and shadows do: the
 * difference becomes a `config.set` command (id `config:<device>:<version>`), the device's
 * `completed` status updates the reported state, and conflicting concurrent updates are refused by
 * version. Bounded by `maxDevices` (default 100 000; more: `buffer/overflow`).
 */
export function createConfigTwins(
  options: { readonly maxDevices?: number; readonly clock?: { now(): number } } = {},
): ConfigTwins {
  const maxDevices = options.maxDevices ?? 100_000;
  const clock = options.clock ?? { now: () => Date.now() };
  const twins = new Map<string, ConfigTwin>();
  /** Per device, the settings each command sent carried, by desired version (the latest 16). */
  const sent = new Map<string, Map<number, DeviceConfig>>();
  const changes = new Subject<ConfigChange>();

  const twinOf = (deviceId: string): ConfigTwin => {
    const t = twins.get(deviceId);
    if (t !== undefined) return t;
    if (twins.size >= maxDevices) {
      throw new HealthItError(
        'buffer/overflow',
        `${maxDevices} devices have configuration twins (maxDevices)`,
        { detail: { maxDevices } },
      );
    }
    return { deviceId, desired: {}, desiredVersion: 0, reported: {}, reportedVersion: 0 };
  };
  const delta = (t: ConfigTwin): DeviceConfig => {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(t.desired)) if (!same(v, t.reported[k])) out[k] = v;
    return out;
  };

  return {
    changes$: changes.asObservable(),
    get: (deviceId) => twins.get(deviceId),
    desire(deviceId, set, expectedVersion, by) {
      const t = twinOf(deviceId);
      if (expectedVersion !== t.desiredVersion) {
        throw new HealthItError(
          'state/invalid',
          `Configuration of "${deviceId}" is at version ${t.desiredVersion}, not ${expectedVersion}: re-read it and apply the change again`,
          {
            detail: {
              reason: 'version-conflict',
              deviceId,
              expectedVersion,
              desiredVersion: t.desiredVersion,
            },
          },
        );
      }
      const next: ConfigTwin = {
        ...t,
        desired: { ...t.desired, ...set },
        desiredVersion: t.desiredVersion + 1,
      };
      twins.set(deviceId, next);
      changes.next({ type: 'desired', deviceId, version: next.desiredVersion, set, by, at: clock.now() });
      return next;
    },
    delta: (deviceId) => delta(twins.get(deviceId) ?? twinOf(deviceId)),
    command(deviceId, issuedBy) {
      const t = twins.get(deviceId);
      if (t === undefined) return undefined;
      const d = delta(t);
      if (Object.keys(d).length === 0) return undefined;
      let carried = sent.get(deviceId);
      if (carried === undefined) {
        carried = new Map();
        sent.set(deviceId, carried);
      }
      carried.set(t.desiredVersion, d);
      if (carried.size > 16) carried.delete(carried.keys().next().value as number);
      return {
        id: `config:${deviceId}:${t.desiredVersion}`,
        deviceId: toDeviceId(deviceId),
        action: CONFIG_SET_ACTION,
        params: { version: t.desiredVersion, settings: { ...d } },
        issuedBy,
        issuedAt: clock.now(),
      };
    },
    acknowledge(status) {
      if (status.state !== 'completed') return false;
      const match = /^config:(.+):(\d+)$/.exec(status.commandId);
      if (match === null) return false;
      const [, deviceId, v] = match as unknown as [string, string, string];
      const version = Number(v);
      const t = twins.get(deviceId);
      const settings = sent.get(deviceId)?.get(version);
      if (t === undefined || settings === undefined || version <= t.reportedVersion) return false;
      // what that command carried is now confirmed; changes desired since stay pending
      const next: ConfigTwin = { ...t, reported: { ...t.reported, ...settings }, reportedVersion: version };
      const carried = sent.get(deviceId);
      for (const v of [...(carried?.keys() ?? [])]) if (v <= version) carried?.delete(v);
      twins.set(deviceId, next);
      changes.next({ type: 'reported', deviceId, version, at: clock.now() });
      return true;
    },
  };
}
