import type { JsonValue, LedgerRecord } from '@healthit/core';
import {
  type CampaignDecision,
  type CampaignPhase,
  ROLLOUT_CAMPAIGN_RECORD_TYPE,
  ROLLOUT_DEVICE_STATE_RECORD_TYPE,
} from '@healthit/core/updates';
import type { DeviceUpdateState, StateCounts } from './states.js';

export {
  ROLLOUT_CAMPAIGN_RECORD_TYPE,
  ROLLOUT_DEVICE_STATE_RECORD_TYPE,
  RolloutCampaignBody,
  RolloutDeviceStateBody,
} from '@healthit/core/updates';

/** The actor of automatic decisions (wave advance, abort or pause on failure rate, completion). */
export const ROLLOUT_SYSTEM_ACTOR = 'system:rollouts';

/** Builds a `firmware.rollout.device-state` record. @internal */
export function deviceStateRecord(fields: {
  readonly campaign: string;
  readonly device: string;
  readonly cause: 'assigned' | 'report' | 'timeout';
  readonly from: DeviceUpdateState;
  readonly to: DeviceUpdateState;
  readonly wave: number;
  readonly at: number;
  readonly reportedAt?: number | undefined;
  readonly detail?: string | undefined;
  readonly version?: string | undefined;
  readonly rejection?: string | undefined;
}): LedgerRecord {
  const body: Record<string, JsonValue> = {
    campaign: fields.campaign,
    device: fields.device,
    cause: fields.cause,
    from: fields.from,
    to: fields.to,
    wave: fields.wave,
    at: fields.at,
  };
  if (fields.reportedAt !== undefined) body.reportedAt = fields.reportedAt;
  if (fields.detail !== undefined) body.detail = fields.detail.slice(0, 1_024);
  if (fields.version !== undefined) body.version = fields.version;
  if (fields.rejection !== undefined) body.rejection = fields.rejection;
  return { type: ROLLOUT_DEVICE_STATE_RECORD_TYPE, body };
}

/** Builds a `firmware.rollout.campaign` record. @internal */
export function campaignRecord(fields: {
  readonly campaign: string;
  readonly decision: CampaignDecision;
  readonly phase: CampaignPhase;
  readonly wave: number;
  readonly waveCount: number;
  readonly at: number;
  readonly by: string;
  readonly reason?: string | undefined;
  readonly population: number;
  readonly assigned: number;
  readonly counts: StateCounts;
  readonly definition?: unknown;
  readonly excludedBusy?: number | undefined;
}): LedgerRecord {
  const body: Record<string, JsonValue> = {
    campaign: fields.campaign,
    decision: fields.decision,
    phase: fields.phase,
    wave: fields.wave,
    waveCount: fields.waveCount,
    at: fields.at,
    by: fields.by,
    population: fields.population,
    assigned: fields.assigned,
    counts: { ...fields.counts },
  };
  if (fields.reason !== undefined) body.reason = fields.reason.slice(0, 1_024);
  if (fields.definition !== undefined) body.definition = JSON.parse(JSON.stringify(fields.definition));
  if (fields.excludedBusy !== undefined) body.excludedBusy = fields.excludedBusy;
  return { type: ROLLOUT_CAMPAIGN_RECORD_TYPE, body };
}
