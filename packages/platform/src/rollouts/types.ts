import type { DeviceId } from '@healthit/core';
import type { CampaignPhase } from '@healthit/core/updates';
import type { CampaignRelease } from './campaign.js';
import type { DeviceUpdateState, StateCounts } from './states.js';

export {
  CAMPAIGN_DECISIONS,
  CAMPAIGN_PHASES,
  type CampaignDecision,
  type CampaignPhase,
} from '@healthit/core/updates';

/** What moved a device: the engine assigned it, it reported, or it was silent past the timeout. */
export type DeviceChangeCause = 'assigned' | 'report' | 'timeout';

/**
 * A command to issue: assign `deviceId` to campaign `campaignId`, i.e. tell it (through its
 * gateway) to fetch and install `release`. Unsigned: whoever sends it signs it. `commandId` is
 * stable (`<campaignId>/<deviceId>`), so a re-send is recognisable as the same command.
 */
export interface RolloutCommand {
  /** Discriminant: `assign`, the only command the engine issues. */
  readonly type: 'assign';
  /** Stable command id, `<campaignId>/<deviceId>`: a re-send of the same assignment carries the same id. */
  readonly commandId: string;
  /** The campaign that assigns the device. */
  readonly campaignId: string;
  /** The device to update. */
  readonly deviceId: DeviceId;
  /** The campaign's release: version, hardware ids and TUF target path(s). */
  readonly release: CampaignRelease;
  /** The TUF target this device installs: the release's image for its hardware. */
  readonly targetPath: string;
  /** The wave that assigned it (1-based). */
  readonly wave: number;
  /** Install even during therapy. */
  readonly urgent: boolean;
  /** Epoch ms (the engine's clock). */
  readonly issuedAt: number;
  /** The device counts as failed if silent this long. */
  readonly timeoutMs: number;
  /**
   * `issuedAt + timeoutMs`: by then the engine counts a silent device as failed, so the signed
   * command should not be acted on after it (the `expiresAt` of `UpdateCommand`).
   */
  readonly expiresAt: number;
}

/** One wave's progress. */
export interface WaveStatus {
  /** 1-based. */
  readonly wave: number;
  /** The cumulative percentage of the definition. */
  readonly percent: number;
  /** Devices the wave adds to the previous ones (its planned size). */
  readonly planned: number;
  /** Devices assigned while this wave was current. */
  readonly assigned: number;
  /** Devices assigned in this wave that reached `updated`. */
  readonly updated: number;
  /** `failed` or `rolled-back`. */
  readonly failed: number;
}

/** A campaign's state, as emitted on `status$` after every change. */
export interface CampaignStatus {
  /** The campaign's id, as in its definition. */
  readonly campaignId: string;
  /** Epoch ms of this status. */
  readonly ts: number;
  /** `running`, `paused`, `aborted`, `cancelled` or `completed`. */
  readonly phase: CampaignPhase;
  /** Why it was paused, aborted, cancelled or completed. */
  readonly reason?: string;
  /** What the campaign rolls out: the TUF target(s), the firmware version and the hardware ids. */
  readonly release: CampaignRelease;
  /** Whether the campaign installs even on devices in active therapy (a safety fix). */
  readonly urgent: boolean;
  /** When the campaign was created, epoch ms (the engine's clock). */
  readonly createdAt: number;
  /** The current wave, 1-based. */
  readonly wave: number;
  /** Number of waves in the definition (the last one reaches 100 %). */
  readonly waveCount: number;
  /** Devices the current wave allows to be assigned in all. */
  readonly allowed: number;
  /** Devices targeted (fixed at creation). `counts` always sums to it. */
  readonly population: number;
  /** Devices assigned so far. */
  readonly assigned: number;
  /** Assigned and not yet `updated`, `failed` or `rolled-back`. */
  readonly inFlight: number;
  /** Devices of the population per update state; sums to `population`. */
  readonly counts: StateCounts;
  /** Per-wave progress, wave 1 first. */
  readonly waves: readonly WaveStatus[];
}

/** A device in the fleet view: the inventory's facts plus its latest campaign state. */
export interface FleetEntry {
  /** The device's id, as in the inventory. */
  readonly deviceId: DeviceId;
  /** Commercial model, from the inventory, e.g. `IntelliVue MX450`. */
  readonly model: string;
  /** Hardware model and revision the images are built for, from the inventory, e.g. `po-200.rev-a`. */
  readonly hardwareId: string;
  /** The ward the device is on, from the inventory (selects its maintenance windows). */
  readonly ward: string;
  /** The version it runs: the inventory's, or the release's once it reported `updated`. */
  readonly version: string;
  /** Delivering therapy now, from the inventory: a non-urgent campaign does not assign it. */
  readonly inTherapy: boolean;
  /** Reachable through its gateway now, from the inventory: an offline device is not assigned. */
  readonly online: boolean;
  /** The latest campaign that targeted it. */
  readonly campaignId?: string;
  /** Its state in that campaign. */
  readonly state?: DeviceUpdateState;
  /** Whether that campaign assigned it. */
  readonly assigned?: boolean;
  /** The wave that assigned it (1-based). */
  readonly wave?: number;
  /** The device time (`at`) of its last accepted report. */
  readonly lastReportAt?: number;
  /** Engine time of its last state change or assignment. */
  readonly lastChangeAt?: number;
  /** How it failed: it said so (`report`) or went silent (`timeout`). */
  readonly failure?: 'report' | 'timeout';
  /** The last report's detail, as text. */
  readonly detail?: string;
  /** For a device that reported `failed`: the check that refused the image (`UpdateRejectedError` reason). */
  readonly rejection?: string;
}

/**
 * A fleet query; every field narrows it. Without `campaignId`: every inventory device with its
 * latest campaign, in inventory order. With it: that campaign's population, each device with its
 * state in that campaign (even if a later campaign has targeted it since), in assignment order;
 * empty for a campaign the engine no longer holds.
 */
export interface FleetQuery {
  /** Only devices of this campaign's population, each with its state in it. */
  readonly campaignId?: string;
  /**
   * Only devices in this state (or any of these) in their campaign; devices no campaign targeted
   * never match.
   */
  readonly state?: DeviceUpdateState | readonly DeviceUpdateState[];
  /** Only devices on this ward. */
  readonly ward?: string;
  /** Only devices of this commercial model. */
  readonly model?: string;
  /** Only devices of this hardware id. */
  readonly hardwareId?: string;
  /** Skip this many matches (default 0). */
  readonly offset?: number;
  /** At most this many (default {@link DEFAULT_FLEET_QUERY_LIMIT}). */
  readonly limit?: number;
}

/** The default `limit` of a fleet query. */
export const DEFAULT_FLEET_QUERY_LIMIT = 1_000;
