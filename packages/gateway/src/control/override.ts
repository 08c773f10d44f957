import { DeviceId, PatientId } from '@healthit/core';
import { z } from 'zod';

/** Default of `maxOverrides` of the control loop. */
export const DEFAULT_MAX_OVERRIDES = 10_000;

/**
 * A clinician taking over (or handing back) an actuator, or every actuator of a patient. While an
 * override is on, the control loop sends nothing to the actuators it covers; the rules keep
 * evaluating, and commands already sent are still tracked.
 *
 * Give exactly one of `deviceId` and `patientId`. When handing an actuator back (`active: false`
 * with `deviceId`), `setPoint` tells the loop the output the clinician left it at, so that the
 * loop steps on from there (otherwise it assumes the last output it commanded).
 *
 * @example
 * ```ts
 * overrides$.next({ active: true, deviceId: 'o2-001', clinicianId: 'rn-42', reason: 'weaning by hand' });
 * overrides$.next({ active: false, deviceId: 'o2-001', setPoint: 1 });
 * ```
 */
export const ControlOverride = z
  .strictObject({
    active: z.boolean(),
    deviceId: DeviceId.optional(),
    patientId: PatientId.optional(),
    /** Who, for the event trail. */
    clinicianId: z.string().min(1).max(128).optional(),
    /** Why, for the event trail. */
    reason: z.string().min(1).max(500).optional(),
    /** On hand-back of one actuator: its output now. */
    setPoint: z.number().finite().optional(),
  })
  .superRefine((o, ctx) => {
    if ((o.deviceId === undefined) === (o.patientId === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'give exactly one of "deviceId" or "patientId"' });
    }
    if (o.setPoint !== undefined && (o.active || o.deviceId === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['setPoint'],
        message: 'setPoint is only for handing one actuator back ({ active: false, deviceId, setPoint })',
      });
    }
  });
/** A validated override. */
export type ControlOverride = z.infer<typeof ControlOverride>;

/** The key of an override's target in the loop's override table. */
export function overrideKey(target: {
  readonly deviceId?: string | undefined;
  readonly patientId?: string | undefined;
}): string {
  return target.deviceId !== undefined ? `device:${target.deviceId}` : `patient:${target.patientId ?? ''}`;
}

/** What the loop's `overrides$` input accepts: an override before validation (plain string ids). */
export type ControlOverrideInput = z.input<typeof ControlOverride>;
