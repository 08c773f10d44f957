import type { LedgerRecord } from '@healthit/core';
import { recordingLedger } from '@healthit/core/testing';
import type { SchedulerLike, Subscription } from 'rxjs';
import type { CampaignDefinitionInput } from '../campaign.js';
import type { RolloutEngine } from '../engine.js';
import type { DeviceUpdateState } from '../states.js';
import type { CampaignStatus, FleetEntry, RolloutCommand } from '../types.js';

/** Test fixtures of the rollout engine: a fleet, a campaign, a ledger sink, simulated devices. */

export const MIN = 60_000;

/** The release the fixtures roll out. */
export const RELEASE = {
  targetPath: 'po-200/rev-a/2.4.1.bin',
  version: '2.4.1',
  hardwareIds: ['po-200.rev-a'],
} as const;

/** An inventory item as a registry would send it. */
export interface DeviceInput {
  deviceId: string;
  model: string;
  hardwareId: string;
  ward: string;
  firmwareVersion: string;
  inTherapy: boolean;
  online: boolean;
}

/** `n` pulse oximeters `po-000`… on 2.3.0, spread over four wards, online, not in therapy. */
export function makeFleet(n: number, over: (i: number) => Partial<DeviceInput> = () => ({})): DeviceInput[] {
  return Array.from({ length: n }, (_, i) => ({
    deviceId: `po-${String(i).padStart(3, '0')}`,
    model: 'PO-200',
    hardwareId: 'po-200.rev-a',
    ward: `ward-${(i % 4) + 1}`,
    firmwareVersion: '2.3.0',
    inTherapy: false,
    online: true,
    ...over(i),
  }));
}

/** A campaign of {@link RELEASE} over everything, with `over` applied. */
export function campaign(over: Partial<CampaignDefinitionInput> = {}): CampaignDefinitionInput {
  return { id: 'po-200-2.4.1', release: { ...RELEASE, hardwareIds: [...RELEASE.hardwareIds] }, ...over };
}

/** A recording ledger sink (or one that fails every append with "disk full"). */
export function memorySink(fail = false): ReturnType<typeof recordingLedger> {
  return recordingLedger(fail ? { fail: new Error('disk full') } : {});
}

/** Everything an engine emits, in order. */
export interface Collected {
  readonly commands: RolloutCommand[];
  readonly statuses: CampaignStatus[];
  readonly fleet: FleetEntry[];
  readonly errors: Error[];
  readonly audit: LedgerRecord[];
}

/** Subscribes to every output of `engine`. */
export function collect(engine: RolloutEngine): Collected {
  const out: Collected = { commands: [], statuses: [], fleet: [], errors: [], audit: [] };
  engine.commands$.subscribe((c) => out.commands.push(c));
  engine.status$.subscribe((s) => out.statuses.push(s));
  engine.fleet$.subscribe((f) => out.fleet.push(f));
  engine.errors$.subscribe((e) => out.errors.push(e));
  engine.audit$.subscribe((r) => out.audit.push(r));
  return out;
}

/** One report a simulated device sends, `afterMs` after it received its command. */
export interface Step {
  readonly afterMs: number;
  readonly state: DeviceUpdateState;
  readonly detail?: string;
  /** Report time relative to the scheduler's now (negative: a delayed, older report). */
  readonly atOffsetMs?: number;
}

/** A successful update: a report a minute apart, `updated` after 5 minutes. */
export const SUCCESS: readonly Step[] = [
  { afterMs: 1 * MIN, state: 'downloading' },
  { afterMs: 2 * MIN, state: 'verifying' },
  { afterMs: 3 * MIN, state: 'installing' },
  { afterMs: 4 * MIN, state: 'confirming' },
  { afterMs: 5 * MIN, state: 'updated' },
];

/**
 * Simulated devices: each command is answered by the reports `behaviour` returns, sent on
 * `scheduler` through `engine.report`.
 */
export function simulateDevices(
  engine: RolloutEngine,
  scheduler: SchedulerLike,
  behaviour: (command: RolloutCommand) => readonly Step[],
): Subscription {
  return engine.commands$.subscribe((command) => {
    for (const step of behaviour(command)) {
      scheduler.schedule(() => {
        engine.report({
          deviceId: command.deviceId,
          campaignId: command.campaignId,
          state: step.state,
          at: Math.max(0, scheduler.now() + (step.atOffsetMs ?? 0)),
          ...(step.detail === undefined ? {} : { detail: step.detail }),
        });
      }, step.afterMs);
    }
  });
}
