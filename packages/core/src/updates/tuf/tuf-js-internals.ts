/// <reference types="node" />
import type { Metadata, Root, Snapshot, Targets, Timestamp } from '@tufjs/models';
import type { Updater } from 'tuf-js';
import { HealthItError } from '../../errors/health-it-error.js';

/**
 * Every use of tuf-js 4.1 internals lives in this file (`Updater.trustedSet`, the
 * `TrustedMetadataStore`, `Updater.loadTargets`), so a tuf-js upgrade is checked in one place. They
 * serve four purposes the public API does not:
 * - the reference time of an update cycle comes from an injected clock (TUF §5.1);
 * - the original error of a failed check is recorded before tuf-js wraps it into a message;
 * - fetched metadata is screened (distinct keys) before tuf-js counts signatures;
 * - TUF §5.3.11 (delete trusted timestamp and snapshot after their keys rotate), which tuf-js omits.
 * @internal
 */

/** The slice of tuf-js's `TrustedMetadataStore` used here. @internal */
export interface TrustedStore {
  referenceTime: Date;
  readonly root: Metadata<Root>;
  readonly timestamp: Metadata<Timestamp> | undefined;
  readonly snapshot: Metadata<Snapshot> | undefined;
  readonly targets: Metadata<Targets> | undefined;
  getRole(name: string): Metadata<Targets> | undefined;
  updateRoot(bytes: Buffer): Metadata<Root>;
  updateTimestamp(bytes: Buffer): Metadata<Timestamp>;
  updateSnapshot(bytes: Buffer, trusted?: boolean): Metadata<Snapshot>;
  updateDelegatedTargets(bytes: Buffer, roleName: string, delegatorName: string): void;
}

interface UpdaterInternals {
  readonly trustedSet: TrustedStore;
  loadTargets(role: string, parentRole: string): Promise<Metadata<Targets> | undefined>;
}

/** Which metadata a store method was checking. @internal */
export type StoreCheck = 'root' | 'timestamp' | 'snapshot' | 'targets';

/** Hooks around the store's checks. @internal */
export interface StoreHooks {
  /** Before tuf-js verifies `bytes` as `role`'s metadata; may throw to refuse them. */
  screen(check: StoreCheck, role: string, bytes: Buffer): void;
  /** A check failed with `error` (the original, unwrapped). */
  failed(error: unknown, role: string, bytes: Buffer): void;
  /** A new root became trusted. */
  rootUpdated(previous: Metadata<Root>, next: Metadata<Root>): void;
}

function internals(updater: Updater): UpdaterInternals {
  const u = updater as unknown as Partial<UpdaterInternals>;
  const store = u.trustedSet as Partial<TrustedStore> | undefined;
  if (
    typeof u.loadTargets !== 'function' ||
    typeof store?.updateRoot !== 'function' ||
    typeof store.updateTimestamp !== 'function' ||
    typeof store.updateSnapshot !== 'function' ||
    typeof store.updateDelegatedTargets !== 'function' ||
    !(store.referenceTime instanceof Date)
  )
    throw new HealthItError(
      'state/invalid',
      'The installed tuf-js does not have the internals this client relies on (written for tuf-js 4.1.x)',
    );
  return u as UpdaterInternals;
}

/** The trusted metadata of an update cycle. @internal */
export function trustedStore(updater: Updater): TrustedStore {
  return internals(updater).trustedSet;
}

/**
 * Sets the update cycle's reference time (TUF §5.1: "record the time at which the update began")
 * and installs `hooks` on the store's checks. Call right after `new Updater(...)`.
 * @internal
 */
export function instrumentUpdater(updater: Updater, referenceTime: Date, hooks: StoreHooks): void {
  const store = internals(updater).trustedSet;
  store.referenceTime = referenceTime;
  const guard =
    <A extends [Buffer, ...unknown[]], R>(
      check: StoreCheck,
      fn: (...args: A) => R,
      roleOf: (args: NoInfer<A>) => string = () => check,
    ) =>
    (...args: A): R => {
      const role = roleOf(args);
      try {
        hooks.screen(check, role, args[0]);
        return fn(...args);
      } catch (error) {
        hooks.failed(error, role, args[0]);
        throw error;
      }
    };
  const updateRoot = store.updateRoot.bind(store);
  store.updateRoot = guard('root', (bytes: Buffer) => {
    const previous = store.root;
    const next = updateRoot(bytes);
    hooks.rootUpdated(previous, next);
    return next;
  });
  store.updateTimestamp = guard('timestamp', store.updateTimestamp.bind(store));
  store.updateSnapshot = guard('snapshot', store.updateSnapshot.bind(store));
  store.updateDelegatedTargets = guard(
    'targets',
    store.updateDelegatedTargets.bind(store),
    ([, role]) => role,
  );
}

/**
 * Loads (fetching and verifying it as tuf-js does) the metadata of a targets role delegated by
 * `parentRole`, through tuf-js's own loader.
 * @internal
 */
export function loadTargetsRole(
  updater: Updater,
  role: string,
  parentRole: string,
): Promise<Metadata<Targets> | undefined> {
  const u = internals(updater);
  return u.loadTargets.call(u, role, parentRole);
}
