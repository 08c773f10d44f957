import { z } from 'zod';
import { DeviceId, EpochMs } from '../../schemas/ids.js';
import { signMessage, UpdateMessageSignature, type UpdateMessageSigner } from './signed-message.js';
import { UpdateRejectionSchema, UpdateState } from './update-state.js';

/** The signing domain of update reports. */
export const UPDATE_REPORT_DOMAIN = 'healthit-update-report/v1\n';

const UpdateReportBody = z.strictObject({
  v: z.literal(1),
  campaignId: z.string().min(1).max(128),
  deviceId: DeviceId,
  state: UpdateState,
  /** What happened, in words a biomedical engineer can act on (may be empty). */
  detail: z.string().max(1024),
  /** When the device entered `state` (its clock, epoch ms). */
  at: EpochMs,
  /** Per device, strictly increasing over all its reports, from 1 (the replay counter). */
  counter: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  /** The firmware version the state is about (the target, or the one running after a rollback). */
  version: z.string().min(1).max(64).optional(),
  /** For `failed`: the check that refused the image, as `UpdateRejectedError.reason`. */
  reason: UpdateRejectionSchema.optional(),
});

/**
 * A device's report of its update progress to the platform, signed with the device's own key
 * (Ed25519 over RFC 8785 JSON of every member but `sig`, domain {@link UPDATE_REPORT_DOMAIN}).
 * `counter` increases with every report the device signs (across campaigns and reboots), so the
 * platform accepts each report once and never an older one.
 */
export const UpdateReport = UpdateReportBody.extend({ sig: UpdateMessageSignature });
export type UpdateReport = z.infer<typeof UpdateReport>;

/** What {@link signUpdateReport} signs: the report's members but `v` and `sig`. */
export interface UpdateReportFields {
  /** The update campaign reported on (1 to 128 characters). */
  readonly campaignId: string;
  /** The reporting device: its key signs the report. */
  readonly deviceId: string;
  /** The state the device entered. */
  readonly state: UpdateState;
  /** What happened, in words a biomedical engineer can act on; at most 1 024 characters, may be empty. */
  readonly detail: string;
  /** When the device entered `state`, epoch ms by the device's clock. */
  readonly at: number;
  /** Per device, strictly increasing over all its reports, from 1: the platform's replay counter. */
  readonly counter: number;
  /**
   * The firmware version the state is about (the target, or the one running after a rollback);
   * undefined when not known.
   */
  readonly version?: string;
  /** For `failed`: the check that refused the image, as `UpdateRejectedError.reason`; undefined otherwise. */
  readonly reason?: z.infer<typeof UpdateRejectionSchema>;
}

/**
 * Signs an update report with the device's key.
 * @throws {ZodError} when a field is malformed.
 * @example
 * ```ts
 * const report = signUpdateReport(
 *   { campaignId: 'c-7', deviceId: 'po-12', state: 'updated', detail: 'running 2.4.1', at: now, counter: 31 },
 *   { keyId: device.keyId, secretKey: device.signing.secretKey },
 * );
 * ```
 */
export function signUpdateReport(fields: UpdateReportFields, signer: UpdateMessageSigner): UpdateReport {
  const body = UpdateReportBody.parse({
    v: 1,
    campaignId: fields.campaignId,
    deviceId: fields.deviceId,
    state: fields.state,
    detail: fields.detail,
    at: fields.at,
    counter: fields.counter,
    ...(fields.version === undefined ? {} : { version: fields.version }),
    ...(fields.reason === undefined ? {} : { reason: fields.reason }),
  });
  return { ...body, sig: signMessage(UPDATE_REPORT_DOMAIN, body, signer) };
}
