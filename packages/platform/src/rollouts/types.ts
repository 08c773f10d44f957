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
  readonly type: 'assign';
  readonly commandId: string;
  readonly campaignId: string;
  readonly deviceId: DeviceId;
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
  readonly updated: number;
  /** `failed` or `rolled-back`. */
  readonly failed: number;
}

/** A campaign's state, as emitted on `status$` after every change. */
export interface CampaignStatus {
  readonly campaignId: string;
  /** Epoch ms of this status. */
  readonly ts: number;
  readonly phase: CampaignPhase;
  /** Why it was paused, aborted, cancelled or completed. */
  readonly reason?: string;
  readonly release: CampaignRelease;
  readonly urgent: boolean;
  readonly createdAt: number;
  /** The current wave, 1-based. */
  readonly wave: number;
  readonly waveCount: number;
  /** Devices the current wave allows to be assigned in all. */
  readonly allowed: number;
  /** Devices targeted (fixed at creation). `counts` always sums to it. */
  readonly population: number;
  /** Devices assigned so far. */
  readonly assigned: number;
  /** Assigned and not yet `updated`, `failed` or `rolled-back`. */
  readonly inFlight: number;
  readonly counts: StateCounts;
  readonly waves: readonly WaveStatus[];
}

/** A device in the fleet view: the inventory's facts plus its latest campaign state. */
export interface FleetEntry {
  readonly deviceId: DeviceId;
  readonly model: string;
  readonly hardwareId: string;
  readonly ward: string;
  /** The version it runs: the inventory's, or the release's once it reported `updated`. */
  readonly version: string;
  readonly inTherapy: boolean;
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
  readonly campaignId?: string;
  readonly state?: DeviceUpdateState | readonly DeviceUpdateState[];
  readonly ward?: string;
  readonly model?: string;
  readonly hardwareId?: string;
  /** Skip this many matches (default 0). */
  readonly offset?: number;
  /** At most this many (default {@link DEFAULT_FLEET_QUERY_LIMIT}). */
  readonly limit?: number;
}

/** The default `limit` of a fleet query. */
export const DEFAULT_FLEET_QUERY_LIMIT = 1_000;
