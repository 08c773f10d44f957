import { UPDATE_STATES, type UpdateState } from '@healthit/core/updates';

/**
 * The per-device update states of a rollout, in progress order. The names are fixed: devices
 * report them (see the device's `UpdateReport`) and the fleet view and audit records show them.
 *
 * - `pending`: targeted by the campaign; not assigned yet, or assigned and not started.
 * - `downloading`, `verifying`, `installing`, `confirming`: the device is working on it.
 * - `updated`: the new image booted and was confirmed.
 * - `failed`: the device gave up (or was silent past the campaign's timeout).
 * - `rolled-back`: the device went back to its previous image.
 */
export const DEVICE_UPDATE_STATES = UPDATE_STATES;

/** One of {@link DEVICE_UPDATE_STATES} (the core `UpdateState`). */
export type DeviceUpdateState = UpdateState;

/** States a device does not leave: the update is over for it. */
export const TERMINAL_STATES = ['updated', 'rolled-back'] as const satisfies readonly DeviceUpdateState[];

/** States that count as a failure of the update (for the campaign's failure thresholds). */
export const FAILURE_STATES = ['failed', 'rolled-back'] as const satisfies readonly DeviceUpdateState[];

/** The progress chain: a device may move forward along it, skipping states whose report was lost. */
const PROGRESS: readonly DeviceUpdateState[] = [
  'pending',
  'downloading',
  'verifying',
  'installing',
  'confirming',
  'updated',
];

/** True for `updated` and `rolled-back`. */
export function isTerminalState(state: DeviceUpdateState): boolean {
  return state === 'updated' || state === 'rolled-back';
}

/** True for `failed` and `rolled-back`. */
export function isFailureState(state: DeviceUpdateState): boolean {
  return state === 'failed' || state === 'rolled-back';
}

/** True when the update is over for the device as far as the campaign is concerned (terminal or `failed`). */
export function isSettledState(state: DeviceUpdateState): boolean {
  return isTerminalState(state) || state === 'failed';
}

/**
 * Whether a device may move from `from` to `to` (`from !== to`; a repeat is a duplicate, not a
 * transition):
 *
 * - forward along `pending → downloading → verifying → installing → confirming → updated`,
 *   skipping states (a report may be lost on the way);
 * - to `failed` from any state before `updated`;
 * - to `rolled-back` from `installing`, `confirming` or `failed` (only a device that wrote the
 *   new image can go back to the old one);
 * - never out of `updated` or `rolled-back`, never backwards, never to `pending` (the engine
 *   owns `pending`).
 *
 * @example
 * ```ts
 * canTransition('downloading', 'installing'); // true (verifying's report was lost)
 * canTransition('installing', 'downloading'); // false
 * canTransition('failed', 'rolled-back');     // true
 * ```
 */
export function canTransition(from: DeviceUpdateState, to: DeviceUpdateState): boolean {
  if (from === to || isTerminalState(from) || to === 'pending') return false;
  if (from === 'failed') return to === 'rolled-back';
  if (to === 'failed') return true;
  if (to === 'rolled-back') return from === 'installing' || from === 'confirming';
  return PROGRESS.indexOf(to) > PROGRESS.indexOf(from);
}

/** A count per state, every state present. */
export type StateCounts = { readonly [S in DeviceUpdateState]: number };

/** A fresh, mutable count of zero per state. @internal */
export function zeroCounts(): { [S in DeviceUpdateState]: number } {
  return {
    pending: 0,
    downloading: 0,
    verifying: 0,
    installing: 0,
    confirming: 0,
    updated: 0,
    failed: 0,
    'rolled-back': 0,
  };
}
