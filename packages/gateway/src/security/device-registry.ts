import { HealthItError, isStrictEd25519PublicKey, keyIdOf, verifyOwnershipVoucher } from '@healthit/core';
import { type Observable, Subject } from 'rxjs';

/** A device's lifecycle state. Only `active` devices are heard. */
export type DeviceState = 'pending' | 'active' | 'suspended' | 'decommissioned';

/** The lifecycle: pending → active ⇄ suspended; any state → decommissioned (final). */
export const DEVICE_TRANSITIONS: Readonly<Record<DeviceState, readonly DeviceState[]>> = {
  pending: ['active', 'decommissioned'],
  active: ['suspended', 'decommissioned'],
  suspended: ['active', 'decommissioned'],
  decommissioned: [],
};

/** One of a device's signing keys. */
export interface DeviceKey {
  /** The key's id: the lowercase hex SHA-256 of its 32 public-key bytes (`keyIdOf` of core). */
  readonly keyId: string;
  /** Ed25519 public key, 32 bytes. */
  readonly publicKey: Uint8Array;
  /** Epoch ms from which the key is revoked (messages are refused from then on, whatever their ts). */
  readonly revokedAt?: number;
}

/** What the registry knows of a device. */
export interface RegisteredDevice {
  /** The device's id, as its envelopes name it in `source`. */
  readonly deviceId: string;
  /** Where the device is in its lifecycle; only `active` devices are heard. */
  readonly state: DeviceState;
  /** Its signing keys, newest last; revoked ones are kept (with `revokedAt`) for the record. */
  readonly keys: readonly DeviceKey[];
  /** X25519 public key for sealing messages to the device (commands), when known. */
  readonly sealingKey?: Uint8Array;
  /** The organisation that owns the device, when known. */
  readonly owner?: string;
}

/** A change of the registry, with who made it and why: an audit record. */
export type RegistryChange =
  | {
      /** A device was registered. */
      readonly type: 'registered';
      /** The id of the device registered. */
      readonly deviceId: string;
      /** The state it was registered in: `pending` (the default) or `active`. */
      readonly state: DeviceState;
      /** Who made the change, as given in its {@link ChangeAuthor}. */
      readonly by: string;
      /** Why, as given in its {@link ChangeAuthor}. */
      readonly reason: string;
      /** When the change was made, in ms since the epoch by the registry's clock. */
      readonly at: number;
    }
  | {
      /** A device changed lifecycle state. */
      readonly type: 'state-changed';
      /** The id of the device. */
      readonly deviceId: string;
      /** Its state before the change. */
      readonly from: DeviceState;
      /** Its state after the change. */
      readonly to: DeviceState;
      /** Who made the change, as given in its {@link ChangeAuthor}. */
      readonly by: string;
      /** Why, as given in its {@link ChangeAuthor}. */
      readonly reason: string;
      /** When the change was made, in ms since the epoch by the registry's clock. */
      readonly at: number;
    }
  | {
      /** A signing key was added to a device, or revoked. */
      readonly type: 'key-added' | 'key-revoked';
      /** The id of the device. */
      readonly deviceId: string;
      /** The id of the key added or revoked (see {@link DeviceKey}). */
      readonly keyId: string;
      /** Who made the change, as given in its {@link ChangeAuthor}. */
      readonly by: string;
      /** Why, as given in its {@link ChangeAuthor}. */
      readonly reason: string;
      /** When the change was made, in ms since the epoch by the registry's clock. */
      readonly at: number;
    }
  | {
      /** A device moved to another organisation on an ownership voucher. */
      readonly type: 'owner-changed';
      /** The id of the device. */
      readonly deviceId: string;
      /** The organisation that owned it (the voucher's `from`). */
      readonly from: string;
      /** The organisation that owns it now (the voucher's `to`). */
      readonly to: string;
      /** The previous owner, who signed the voucher. */
      readonly by: string;
      /** Always `ownership voucher`. */
      readonly reason: string;
      /** When the transfer was made, in ms since the epoch by the registry's clock. */
      readonly at: number;
    };

/** Who made a change and why (kept in the audit record). */
export interface ChangeAuthor {
  /** Who makes the change: a person or service id, e.g. `biomed:ana`. */
  readonly by: string;
  /** Why, in words, e.g. `onboarded`. */
  readonly reason: string;
}

/** The gateway's device registry (see {@link createDeviceRegistry}). */
export interface DeviceRegistry {
  /** What the registry knows of a device (frozen), or `undefined` when it is not registered. */
  get(deviceId: string): RegisteredDevice | undefined;
  /**
   * The public key with `keyId` of `deviceId` when the device is `active` and the key is not
   * revoked: what message authentication asks. Undefined otherwise.
   */
  activeKey(deviceId: string, keyId: string): Uint8Array | undefined;
  /**
   * Registers a device with its first Ed25519 signing key, in state `pending` (default) or
   * `active`, and returns it.
   * @throws {HealthItError} `state/invalid` when the id is already registered,
   *   `validation/invalid` for a public key that is not a usable Ed25519 key, `buffer/overflow`
   *   when the registry holds `maxDevices` devices.
   */
  register(
    device: {
      readonly deviceId: string;
      readonly publicKey: Uint8Array;
      readonly sealingKey?: Uint8Array;
      readonly owner?: string;
      readonly state?: 'pending' | 'active';
    },
    author: ChangeAuthor,
  ): RegisteredDevice;
  /**
   * Transfers a device to another organisation on a voucher signed by its current owner
   * (`issueOwnershipVoucher` of core): the voucher must verify under `orgKey` (the owner's key by
   * id), be valid now, name this device, and come from its current owner — so a voucher cannot be
   * replayed once the device has moved on.
   * @throws {HealthItError} `security/unauthenticated` (`detail.reason`: a `VoucherFailure` or
   *   `not-owner`), or `state/invalid` for an unknown or decommissioned device.
   */
  transferOwnership(
    voucher: unknown,
    orgKey: (org: string, kid: string) => Uint8Array | undefined,
  ): RegisteredDevice;
  /**
   * Moves a device along {@link DEVICE_TRANSITIONS} and returns it; decommissioning also revokes
   * every key not yet revoked.
   * @throws {HealthItError} `state/invalid` for an unknown device or a transition the lifecycle
   *   does not allow.
   */
  setState(deviceId: string, to: DeviceState, author: ChangeAuthor): RegisteredDevice;
  /** Adds a signing key (rotation): both keys verify until the old one is revoked. */
  addKey(deviceId: string, publicKey: Uint8Array, author: ChangeAuthor): DeviceKey;
  /** Revokes a key from now on: the next message signed with it is refused. */
  revokeKey(deviceId: string, keyId: string, author: ChangeAuthor): void;
  /** Every change, as it happens (hot): record them through a `LedgerSink` for the audit trail. */
  readonly changes$: Observable<RegistryChange>;
  /** How many devices are registered (decommissioned ones included). */
  readonly size: number;
}

/** Options of {@link createDeviceRegistry}. */
export interface DeviceRegistryOptions {
  /** Devices at most (default 100 000): registering more throws `buffer/overflow`. */
  readonly maxDevices?: number;
  /** Time source (ms since the epoch) for change records and key revocation. Default `Date.now`. */
  readonly clock?: { now(): number };
}

function unknownDevice(deviceId: string): HealthItError {
  return new HealthItError('state/invalid', `Device "${deviceId}" is not registered`, {
    detail: { deviceId },
  });
}

function checkKey(publicKey: Uint8Array, deviceId: string): void {
  if (!isStrictEd25519PublicKey(publicKey)) {
    throw new HealthItError('validation/invalid', `Device "${deviceId}": not a usable Ed25519 public key`, {
      detail: { deviceId },
    });
  }
}

/**
 * An in-memory device registry with the lifecycle `pending → active ⇄ suspended → decommissioned`,
 * signing keys with rotation and revocation, and an audit stream of every change (who, why, when).
 * Decommissioning is final: the device's keys are revoked with it.
 * @throws {RangeError} for an invalid `maxDevices`.
 * @example
 * ```ts
 * const registry = createDeviceRegistry();
 * registry.register({ deviceId: 'monitor-7', publicKey, state: 'active' }, { by: 'biomed:ana', reason: 'onboarded' });
 * registry.setState('monitor-7', 'suspended', { by: 'biomed:ana', reason: 'sent from the wrong ward' });
 * ```
 */
export function createDeviceRegistry(options: DeviceRegistryOptions = {}): DeviceRegistry {
  const maxDevices = options.maxDevices ?? 100_000;
  if (!Number.isSafeInteger(maxDevices) || maxDevices < 1) {
    throw new RangeError(`maxDevices must be an integer ≥ 1, got ${maxDevices}`);
  }
  const clock = options.clock ?? { now: () => Date.now() };
  const devices = new Map<string, RegisteredDevice>();
  const changes = new Subject<RegistryChange>();

  const need = (deviceId: string): RegisteredDevice => {
    const d = devices.get(deviceId);
    if (d === undefined) throw unknownDevice(deviceId);
    return d;
  };
  const put = (d: RegisteredDevice): RegisteredDevice => {
    const frozen = Object.freeze({ ...d, keys: Object.freeze([...d.keys]) });
    devices.set(d.deviceId, frozen);
    return frozen;
  };

  return {
    changes$: changes.asObservable(),
    get size() {
      return devices.size;
    },
    get: (deviceId) => devices.get(deviceId),
    activeKey(deviceId, keyId) {
      const d = devices.get(deviceId);
      if (d === undefined || d.state !== 'active') return undefined;
      const now = clock.now();
      for (const k of d.keys) {
        if (k.keyId === keyId)
          return k.revokedAt !== undefined && k.revokedAt <= now ? undefined : k.publicKey;
      }
      return undefined;
    },
    register(device, author) {
      if (devices.has(device.deviceId)) {
        throw new HealthItError('state/invalid', `Device "${device.deviceId}" is already registered`, {
          detail: { deviceId: device.deviceId },
        });
      }
      if (devices.size >= maxDevices) {
        throw new HealthItError('buffer/overflow', `The registry holds ${maxDevices} devices (maxDevices)`, {
          detail: { maxDevices },
        });
      }
      checkKey(device.publicKey, device.deviceId);
      const state = device.state ?? 'pending';
      const registered = put({
        deviceId: device.deviceId,
        state,
        keys: [{ keyId: keyIdOf(device.publicKey), publicKey: device.publicKey.slice() }],
        ...(device.sealingKey === undefined ? {} : { sealingKey: device.sealingKey.slice() }),
        ...(device.owner === undefined ? {} : { owner: device.owner }),
      });
      changes.next({ type: 'registered', deviceId: device.deviceId, state, ...author, at: clock.now() });
      return registered;
    },
    setState(deviceId, to, author) {
      const d = need(deviceId);
      if (!DEVICE_TRANSITIONS[d.state].includes(to)) {
        throw new HealthItError('state/invalid', `Device "${deviceId}" cannot go from ${d.state} to ${to}`, {
          detail: { deviceId, from: d.state, to },
        });
      }
      const at = clock.now();
      const keys =
        to === 'decommissioned'
          ? d.keys.map((k) => (k.revokedAt === undefined ? { ...k, revokedAt: at } : k))
          : d.keys;
      const updated = put({ ...d, state: to, keys });
      changes.next({ type: 'state-changed', deviceId, from: d.state, to, ...author, at });
      return updated;
    },
    addKey(deviceId, publicKey, author) {
      const d = need(deviceId);
      if (d.state === 'decommissioned')
        throw new HealthItError('state/invalid', `Device "${deviceId}" is decommissioned`);
      checkKey(publicKey, deviceId);
      const key: DeviceKey = { keyId: keyIdOf(publicKey), publicKey: publicKey.slice() };
      if (d.keys.some((k) => k.keyId === key.keyId)) {
        throw new HealthItError('state/invalid', `Device "${deviceId}" already has key ${key.keyId}`);
      }
      put({ ...d, keys: [...d.keys, key] });
      changes.next({ type: 'key-added', deviceId, keyId: key.keyId, ...author, at: clock.now() });
      return key;
    },
    transferOwnership(input, orgKey) {
      const refuse = (reason: string, message: string): never => {
        throw new HealthItError('security/unauthenticated', `Ownership transfer refused: ${message}`, {
          detail: { reason },
        });
      };
      const verdict = verifyOwnershipVoucher(input, orgKey, clock.now());
      if (!verdict.ok) return refuse(verdict.reason, `the voucher is ${verdict.reason}`);
      const v = verdict.voucher;
      const d = need(v.deviceId);
      if (d.state === 'decommissioned')
        throw new HealthItError('state/invalid', `Device "${v.deviceId}" is decommissioned`);
      if (d.owner !== v.from)
        return refuse(
          'not-owner',
          `"${v.from}" does not own "${v.deviceId}" (owner: ${d.owner ?? 'unknown'})`,
        );
      const updated = put({ ...d, owner: v.to });
      changes.next({
        type: 'owner-changed',
        deviceId: v.deviceId,
        from: v.from,
        to: v.to,
        by: v.from,
        reason: 'ownership voucher',
        at: clock.now(),
      });
      return updated;
    },
    revokeKey(deviceId, keyId, author) {
      const d = need(deviceId);
      if (!d.keys.some((k) => k.keyId === keyId)) {
        throw new HealthItError('state/invalid', `Device "${deviceId}" has no key ${keyId}`);
      }
      const at = clock.now();
      put({
        ...d,
        keys: d.keys.map((k) =>
          k.keyId === keyId && k.revokedAt === undefined ? { ...k, revokedAt: at } : k,
        ),
      });
      changes.next({ type: 'key-revoked', deviceId, keyId, ...author, at });
    },
  };
}
