import { DeviceId, EpochMs } from '@healthit/core';
import { z } from 'zod';
import { CampaignId } from './campaign.js';
import { DEVICE_UPDATE_STATES } from './states.js';

/** The name used in `ValidationError`s for a device report. */
export const ROLLOUT_REPORT_SCHEMA_NAME = 'RolloutReport';
/** The longest `detail` a report may carry, as JSON text (UTF-16 code units). */
export const MAX_REPORT_DETAIL_CHARS = 1_024;

/**
 * A device's progress report for a campaign, **already verified** (signature, replay) by whoever
 * received it: the rollout engine trusts the fields and checks only their shape and the state
 * machine. Unknown fields are dropped, so a verified signed `UpdateReport` from
 * `@healthit/core/updates` can be passed as it is when it has these fields.
 *
 * `at` is the device's time of the report (epoch ms): a report older than the last one accepted
 * for the device is ignored. `detail` is free text or a small JSON object (e.g. the
 * `UpdateRejectedError` reason of a refused image), at most {@link MAX_REPORT_DETAIL_CHARS} as JSON;
 * an empty detail counts as none. `version` and `reason` are the `UpdateReport` members of the
 * same names.
 */
export const RolloutReport = z.object({
  deviceId: DeviceId,
  campaignId: CampaignId,
  state: z.enum(DEVICE_UPDATE_STATES),
  at: EpochMs,
  detail: z
    .union([z.string(), z.record(z.string(), z.json())])
    .refine(
      (d) => JSON.stringify(d).length <= MAX_REPORT_DETAIL_CHARS,
      `must be at most ${MAX_REPORT_DETAIL_CHARS} characters as JSON`,
    )
    .optional(),
  /** The firmware version the state is about (the running one after `updated` or `rolled-back`). */
  version: z.string().min(1).max(64).optional(),
  /** For `failed`: the check that refused the image, as an `UpdateRejectedError` reason (e.g. `digest`). */
  reason: z
    .string()
    .regex(/^[a-z][a-z-]{0,63}$/, 'must be an UpdateRejectedError reason, e.g. "digest"')
    .optional(),
});
/** A verified device report. */
export type RolloutReport = z.infer<typeof RolloutReport>;

/** A report's detail as one line of text for the fleet view and the audit record. @internal */
export function detailText(detail: RolloutReport['detail']): string | undefined {
  if (detail === undefined) return undefined;
  const text = typeof detail === 'string' ? detail : JSON.stringify(detail);
  return text.length === 0 ? undefined : text.slice(0, MAX_REPORT_DETAIL_CHARS);
}
