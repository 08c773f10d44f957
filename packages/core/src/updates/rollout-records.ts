import { z } from 'zod';
import { EpochMs } from '../schemas/ids.js';
import { UPDATE_STATES, type UpdateState } from './messages/update-state.js';

/**
 * The audit records of staged firmware rollouts, shared by the platform (which writes them) and
 * the ledger (which accepts them as entry kinds): one schema, so the two cannot drift apart.
 */

/** Ledger record type of a device's state change or assignment in a campaign. */
export const ROLLOUT_DEVICE_STATE_RECORD_TYPE = 'firmware.rollout.device-state';
/** Ledger record type of a campaign decision (created, wave advanced, paused, aborted ...). */
export const ROLLOUT_CAMPAIGN_RECORD_TYPE = 'firmware.rollout.campaign';

/** The phases of a campaign. `aborted`, `cancelled` and `completed` are final. */
export const CAMPAIGN_PHASES = ['running', 'paused', 'aborted', 'cancelled', 'completed'] as const;
/** One of {@link CAMPAIGN_PHASES}. */
export type CampaignPhase = (typeof CAMPAIGN_PHASES)[number];

/** The campaign decisions recorded in the audit trail. */
export const CAMPAIGN_DECISIONS = [
  'created',
  'wave-advanced',
  'paused',
  'resumed',
  'aborted',
  'cancelled',
  'completed',
] as const;
/** One of {@link CAMPAIGN_DECISIONS}. */
export type CampaignDecision = (typeof CAMPAIGN_DECISIONS)[number];

/**
 * A campaign id: 1-128 letters, digits, `.`, `_`, `-`, `:`, `/`, `+`, `@`, starting with a letter or
 * digit (the ledger's `Id`, so audit records carry it as it is).
 */
export const CampaignId = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._:/+@-]{0,127}$/,
    'must be 1-128 letters, digits, ".", "_", "-", ":", "/", "+", "@", starting with a letter or digit',
  );

const State = z.enum(UPDATE_STATES as readonly UpdateState[] as [UpdateState, ...UpdateState[]]);
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
    Object.fromEntries(UPDATE_STATES.map((s) => [s, Count])) as Record<UpdateState, typeof Count>,
  ),
  definition: z.record(z.string(), z.json()).optional(),
  excludedBusy: Count.optional(),
});
/** See {@link RolloutCampaignBody}. */
export type RolloutCampaignBody = z.infer<typeof RolloutCampaignBody>;
