/**
 * A staged firmware rollout over the ward's devices, run by the platform's rollout engine
 * (`@healthit/platform/rollouts`): the inventory comes from what the gateway's device monitoring
 * heard (firmware from each device's heartbeats, online or not), a campaign updates the pulse
 * oximeters to {@link OXIMETER_RELEASE} in waves, each assign command is carried out by the
 * device's own update agent (`@healthit/device` firmware: download, checks, install into the
 * inactive slot, trial boot with a sensor self-test, confirm or roll back), and every state the
 * device reports feeds the engine. The dashboard shows the engine as it is (`RolloutSource`).
 *
 * Kept light for the quick start: commands and reports travel in process (as JSON), unsigned, and
 * the image comes from a fixed, already-verified update. `examples/ota-rollout` runs the full secure
 * chain (signed commands and reports, TUF + Uptane, SUIT, ledger authorisation).
 */
import type { VerifiedUpdate } from '@healthit/core/updates';
import {
  type CampaignStatus,
  createRolloutEngine,
  type FleetEntry,
  type RolloutCommand,
  type RolloutEngine,
} from '@healthit/platform/rollouts';
import type { Subscription } from 'rxjs';
import { WARD_ID } from './constants.js';
import type { WardDeviceStatus } from './devices.js';
import { OXIMETER_RELEASE, oximeterReleaseUpdate, type WardFleet } from './fleet.js';

/** Options of the ward's rollout (`WardOptions.rollout`). */
export interface WardRolloutOptions {
  /** When the campaign is created, ms after the ward starts (default 3 000). */
  readonly startAfterMs?: number;
  /**
   * How long a device takes to download the image, ms (default: 1 000–2 500, seeded per device,
   * so that the waves are seen progressing).
   */
  readonly downloadMs?: number;
  /** How long a wave must hold its success rate before the next starts, ms (default 3 000). */
  readonly soakMs?: number;
  /** Cumulative percentages of the oximeters per wave (default `[10, 50, 100]`). */
  readonly waves?: readonly number[];
}

/** The campaign in a {@link WardSummary} (`ward.ts`). */
export interface WardRolloutSummary {
  readonly campaignId: string;
  readonly version: string;
  /** Absent when the run ended before the campaign was created. */
  readonly status?: CampaignStatus;
  /** Reports the engine took, and refused. */
  readonly reports: number;
  readonly refusedReports: number;
  /** Devices per firmware version, by the engine's fleet view at the end. */
  readonly fleetVersions: Readonly<Record<string, number>>;
}

/** The ward's rollout: the engine, fed by the gateway's device view, driving the devices. */
export interface WardRollout {
  /** The platform's rollout engine (a `RolloutSource` for the dashboard). */
  readonly engine: RolloutEngine;
  readonly campaignId: string;
  /** A device's status as the gateway knows it: its inventory entry (firmware, online). */
  onDevice(device: WardDeviceStatus): void;
  /** Starts the clock: the campaign is created `startAfterMs` later. */
  start(): void;
  /** A device's fleet entry (its state in the campaign). */
  entry(deviceId: string): FleetEntry | undefined;
  /**
   * Stops: no campaign after this; waits (at most `timeoutMs`) for updates already under way to
   * end, closes the engine and resolves with the summary.
   */
  stop(timeoutMs?: number): Promise<WardRolloutSummary>;
}

/** The in-flight update states of a device (assigned, not settled). */
export const UPDATING_STATES: ReadonlySet<string> = new Set([
  'downloading',
  'verifying',
  'installing',
  'confirming',
]);

function downloadMsOf(deviceId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < deviceId.length; i++) {
    h ^= deviceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return 1_000 + (h % 1_501);
}

/**
 * Creates the ward's rollout over `fleet`. The campaign (id `sim-oximeter-<version>`) targets the
 * ward's devices whose hardware the release is built for (the pulse oximeters) and that do not run
 * it yet.
 */
export async function createWardRollout(
  fleet: WardFleet,
  options: WardRolloutOptions = {},
): Promise<WardRollout> {
  const engine = createRolloutEngine();
  const update: VerifiedUpdate = await oximeterReleaseUpdate();
  const campaignId = `sim-oximeter-${OXIMETER_RELEASE.version}`;
  const inventory = new Map<string, string>(); // deviceId → what was upserted last
  const inFlight = new Set<Promise<void>>();
  let reports = 0;
  let refusedReports = 0;
  let created = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  // Platform side of a report: the device's state change, as it arrives through the gateway.
  const receive = (wire: string): void => {
    const result = engine.report(JSON.parse(wire));
    if (result.ok) reports += 1;
    else refusedReports += 1;
  };

  // Device side of an assign command: the device's update agent runs it and reports each state.
  const carryOut = (command: RolloutCommand): void => {
    if (stopped || !fleet.devices.has(command.deviceId)) return; // silent: the engine times it out
    const { deviceId, campaignId: campaign, targetPath } = command;
    const version = command.release.version;
    const downloadMs = options.downloadMs ?? downloadMsOf(deviceId);
    const run = new Promise<void>((done) => {
      fleet.update(deviceId, update, { campaignId: campaign, targetPath, version }, downloadMs).subscribe({
        next: (change) =>
          receive(
            JSON.stringify({
              deviceId,
              campaignId: campaign,
              state: change.state,
              at: change.at,
              detail: change.detail.slice(0, 1_000),
              ...(change.version === undefined ? {} : { version: change.version }),
              ...(change.reason === undefined ? {} : { reason: change.reason }),
            }),
          ),
        // A device that cannot update (busy, power loss) stays silent: the engine times it out.
        error: () => done(),
        complete: () => done(),
      });
    });
    inFlight.add(run);
    void run.finally(() => inFlight.delete(run));
  };

  const subscriptions: Subscription[] = [
    // Deferred: the engine emits commands while it changes state.
    engine.commands$.subscribe((command) => setTimeout(() => carryOut(command), 0)),
  ];

  const createCampaign = (): void => {
    if (created || stopped) return;
    created = true;
    engine.createCampaign(
      {
        id: campaignId,
        title: `Pulse oximeter firmware ${OXIMETER_RELEASE.version}`,
        release: {
          targetPath: OXIMETER_RELEASE.targetPath,
          version: OXIMETER_RELEASE.version,
          hardwareIds: [OXIMETER_RELEASE.hardwareId],
        },
        target: { wards: [WARD_ID] },
        waves: [...(options.waves ?? [10, 50, 100])],
        successPercent: 95,
        soakMs: options.soakMs ?? 3_000,
        abortAtFailurePercent: 20,
        deviceTimeoutMs: 60_000,
      },
      'biomed-demo',
    );
  };

  return {
    engine,
    campaignId,
    onDevice(d) {
      const device = fleet.devices.get(d.deviceId);
      if (device === undefined || d.firmware === undefined) return;
      const item = {
        deviceId: d.deviceId,
        model: device.model,
        hardwareId: device.hardwareId,
        ward: WARD_ID,
        firmwareVersion: d.firmware,
        inTherapy: false,
        online: d.online,
      };
      const key = `${item.firmwareVersion} ${item.online}`;
      if (inventory.get(d.deviceId) === key) return;
      inventory.set(d.deviceId, key);
      engine.upsertDevices(item);
    },
    start() {
      timer = setTimeout(createCampaign, options.startAfterMs ?? 3_000);
    },
    entry: (deviceId) => engine.device(deviceId),
    async stop(timeoutMs = 10_000) {
      stopped = true;
      clearTimeout(timer);
      const deadline = Date.now() + timeoutMs;
      while (inFlight.size > 0 && Date.now() < deadline) {
        await Promise.race([
          Promise.allSettled([...inFlight]),
          new Promise((resolve) => setTimeout(resolve, Math.max(0, deadline - Date.now()))),
        ]);
      }
      const status = engine.campaign(campaignId);
      const fleetVersions: Record<string, number> = {};
      for (const f of engine.fleet({ limit: 100_000 })) {
        fleetVersions[f.version] = (fleetVersions[f.version] ?? 0) + 1;
      }
      for (const s of subscriptions) s.unsubscribe();
      engine.close();
      return {
        campaignId,
        version: OXIMETER_RELEASE.version,
        ...(status === undefined ? {} : { status }),
        reports,
        refusedReports,
        fleetVersions,
      };
    },
  };
}
