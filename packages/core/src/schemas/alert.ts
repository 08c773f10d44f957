import { z } from 'zod';
import { MetricId } from '../metrics/catalogue.js';
import { DeviceId, EpochMs, PatientId } from './ids.js';

/**
 * Alert severities, in increasing order; `low`, `low-medium`, `medium`, `high` are the NEWS2
 * clinical-risk bands of the Royal College of Physicians.
 */
export const ALERT_SEVERITIES = ['info', 'low', 'low-medium', 'medium', 'high', 'critical'] as const;
/** zod schema of an {@link AlertSeverity}: one of {@link ALERT_SEVERITIES}. */
export const AlertSeverity = z.enum(ALERT_SEVERITIES);
/** How urgent an alert is, one of {@link ALERT_SEVERITIES}, from `info` (least) to `critical` (most). */
export type AlertSeverity = z.infer<typeof AlertSeverity>;

/** Compares severities: negative when `a` is less severe than `b`. */
export function compareSeverity(a: AlertSeverity, b: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(a) - ALERT_SEVERITIES.indexOf(b);
}

/** Something a person should know about, with the readings that caused it. */
export const Alert = z.strictObject({
  id: z.string().min(1).max(300),
  /** The rule that raised it, e.g. `threshold:spo2-low`, `news2`. */
  rule: z.string().min(1),
  severity: AlertSeverity,
  message: z.string().min(1),
  ts: EpochMs,
  patientId: PatientId.optional(),
  deviceId: DeviceId.optional(),
  metric: MetricId.optional(),
  value: z.number().optional(),
  /** The ids of the readings that caused the alert (at least one). */
  readingIds: z.array(z.string().min(1)).min(1),
});
export type Alert = z.infer<typeof Alert>;
