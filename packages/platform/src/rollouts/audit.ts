import { EpochMs, type JsonValue, type LedgerRecord } from '@healthit/core';
import { z } from 'zod';
import { CampaignId } from './campaign.js';
import { DEVICE_UPDATE_STATES, type DeviceUpdateState, type StateCounts } from './states.js';
import { CAMPAIGN_DECISIONS, CAMPAIGN_PHASES, type CampaignDecision, type CampaignPhase } from './types.js';

/** Ledger record type of a device's state change or assignment in a campaign. */
export const ROLLOUT_DEVICE_STATE_RECORD_TYPE = 'firmware.rollout.device-state';
/** Ledger record type of a campaign decision (created, wave advanced, paused, aborted ...). */
export const ROLLOUT_CAMPAIGN_RECORD_TYPE = 'firmware.rollout.campaign';

const State = z.enum(DEVICE_UPDATE_STATES);
const Text = z.string().max(1_024);
const Count = z.number().int().nonnegative();

/**
 * The body of a `firmware.rollout.device-state` record: device `device` of campaign `campaign`
 * moved from `from` to `to` (for `cause: 'assigned'` both are `pending`: the engine issued the
 * assign command). `at` is the engine's time, `reportedAt` the device's.
 */
export const RolloutDeviceStateBody = z.strictObject({
  campaign: CampaignId,
  device: z.string().min(1).max(128),
  cause: z.enum(['assigned', 'report', 'timeout']),
  from: State,
  to: State,
  /** 1-based wave that assigned the device. */
  wave: z.number().int().positive(),
  at: EpochMs,
  reportedAt: EpochMs.optional(),
  detail: Text.optional(),
  /** The version the device reported running (after `updated` or `rolled-back`). */
  version: z.string().min(1).max(64).optional(),
  /** For `failed`: the check that refused the image (`UpdateRejectedError` reason). */
  rejection: z.string().min(1).max(64).optional(),
});
/** See {@link RolloutDeviceStateBody}. */
export type RolloutDeviceStateBody = z.infer<typeof RolloutDeviceStateBody>;

/**
 * The body of a `firmware.rollout.campaign` record: a decision about campaign `campaign`, who made
 * it (`by`: an operator, or `system:rollouts` for automatic ones) and why, with the counts at that
 * moment. `created` also carries the whole definition and how many matching devices were left out
 * because another open campaign held them.
 */
export const RolloutCampaignBody = z.strictObject({
  campaign: CampaignId,
  decision: z.enum(CAMPAIGN_DECISIONS),
  phase: z.enum(CAMPAIGN_PHASES),
  /** 1-based current wave after the decision. */
  wave: z.number().int().positive(),
  waveCount: z.number().int().positive(),
  at: EpochMs,
  by: z.string().min(1).max(128),
  reason: Text.optional(),
  population: Count,
  assigned: Count,
  counts: z.strictObject(
    Object.fromEntries(DEVICE_UPDATE_STATES.map((s) => [s, Count])) as Record<
      DeviceUpdateState,
      typeof Count
    >,
  ),
  definition: z.record(z.string(), z.json()).optional(),
  excludedBusy: Count.optional(),
});
/** See {@link RolloutCampaignBody}. */
export type RolloutCampaignBody = z.infer<typeof RolloutCampaignBody>;

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
