import { z } from 'zod';
import { METRICS, MetricId } from '../metrics/catalogue.js';
import { isUnitForMetric } from '../units/ucum.js';
import { DeviceId, EpochMs, PatientId } from './ids.js';

/** How far a reading can be trusted. */
export const ReadingQuality = z.enum(['good', 'questionable', 'bad']);
export type ReadingQuality = z.infer<typeof ReadingQuality>;

/**
 * One measurement from one device. Exactly these fields; unknown fields are rejected.
 *
 * - `id` is stable: the same reading always has the same id (`${deviceId}:${seq}`, see {@link readingId}),
 *   so every store and the ledger can de-duplicate it.
 * - `unit` is a UCUM code that can express `metric` (it converts to the metric's canonical unit).
 * - `ts` is the time of measurement in epoch milliseconds; `seq` is strictly increasing per device.
 */
export const Reading = z
  .strictObject({
    id: z.string().min(1).max(300),
    deviceId: DeviceId,
    patientId: PatientId.optional(),
    metric: MetricId,
    value: z.number(),
    unit: z.string().min(1),
    ts: EpochMs,
    seq: z.number().int().nonnegative(),
    quality: ReadingQuality.optional(),
  })
  .superRefine((r, ctx) => {
    if (!isUnitForMetric(r.metric, r.unit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['unit'],
        message: `"${r.unit}" is not a UCUM unit for ${r.metric} (canonical unit ${METRICS[r.metric].unit})`,
      });
    }
  });
export type Reading = z.infer<typeof Reading>;

/** The stable id of a device's reading number `seq`. */
export function readingId(deviceId: string, seq: number): string {
  return `${deviceId}:${seq}`;
}
