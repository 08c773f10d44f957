import {
  DeviceId,
  EpochMs,
  isUnitForMetric,
  METRICS,
  MetricId,
  PatientId,
  ReadingQuality,
} from '@healthit/core';
import { z } from 'zod';

/** The versions of the JSON device message this SDK reads and writes, oldest first. */
export const DEVICE_MESSAGE_VERSIONS = [1] as const;
/** A version of the JSON device message, see {@link DEVICE_MESSAGE_VERSIONS}. */
export type DeviceMessageVersion = (typeof DEVICE_MESSAGE_VERSIONS)[number];

/** At most this many measurements in one message (a bound on what one MQTT payload can make). */
export const MAX_MEASUREMENTS_PER_MESSAGE = 1024;

/**
 * One measurement in a version-1 device message.
 *
 * - `metric`: a metric of the core catalogue (`heart-rate`, `spo2`, `bp-systolic` ...);
 * - `value`: a finite number in `unit`;
 * - `unit`: a UCUM code that can express the metric (`/min`, `%`, `Cel`, `[degF]`, `kPa`, `mmol/L` ...);
 *   the codec converts the value to the metric's canonical unit;
 * - `ts`: when it was measured, epoch milliseconds; defaults to the message's `ts`;
 * - `quality`: the device's own verdict (`good`, `questionable`, `bad`), when it has one.
 */
export const DeviceMeasurementV1 = z
  .strictObject({
    metric: MetricId,
    value: z.number(),
    unit: z.string().min(1).max(64),
    ts: EpochMs.optional(),
    quality: ReadingQuality.optional(),
  })
  .superRefine((m, ctx) => {
    if (!isUnitForMetric(m.metric, m.unit)) {
      ctx.addIssue({
        code: 'custom',
        path: ['unit'],
        message: `"${m.unit}" is not a UCUM unit for ${m.metric} (canonical unit ${METRICS[m.metric].unit})`,
      });
    }
  });
export type DeviceMeasurementV1 = z.infer<typeof DeviceMeasurementV1>;

/**
 * Version 1 of the JSON message an MQTT device publishes: exactly these fields, unknown ones are
 * rejected (a new field means a new version).
 *
 * - `v`: `1`;
 * - `deviceId`: the device's id (also in its topic, but a payload must stand on its own);
 * - `patientId`: the patient the device is attached to, when the device knows it (home monitoring);
 * - `seq`: the sequence number of the FIRST measurement. Measurement `i` has sequence number
 *   `seq + i`, and its reading id is `${deviceId}:${seq + i}`. The next message must start above
 *   the last one used, i.e. at `seq + measurements.length` or later: a device counts measurements,
 *   not messages, so every reading has its own stable id and sequence numbers stay strictly
 *   increasing per device, as core `Reading`s require;
 * - `ts`: when the measurements were taken (epoch ms), for those that carry no `ts` of their own;
 *   required unless every measurement has one;
 * - `measurements`: 1 to {@link MAX_MEASUREMENTS_PER_MESSAGE} measurements;
 * - `batteryPct`: the battery's charge in percent (0–100), when the device reports it.
 *
 * @example
 * ```json
 * { "v": 1, "deviceId": "oxi-7", "seq": 120, "ts": 1735689600000, "batteryPct": 64,
 *   "measurements": [{ "metric": "spo2", "value": 97, "unit": "%" },
 *                    { "metric": "pulse-rate", "value": 72, "unit": "/min", "quality": "good" }] }
 * ```
 */
export const DeviceMessageV1 = z
  .strictObject({
    v: z.literal(1),
    deviceId: DeviceId,
    patientId: PatientId.optional(),
    seq: z.number().int().nonnegative(),
    ts: EpochMs.optional(),
    measurements: z.array(DeviceMeasurementV1).min(1).max(MAX_MEASUREMENTS_PER_MESSAGE),
    batteryPct: z.number().min(0).max(100).optional(),
  })
  .superRefine((msg, ctx) => {
    if (msg.seq > Number.MAX_SAFE_INTEGER - (msg.measurements.length - 1)) {
      ctx.addIssue({
        code: 'custom',
        path: ['seq'],
        message: `seq + measurements.length - 1 must be a safe integer (at most ${Number.MAX_SAFE_INTEGER})`,
      });
    }
    if (msg.ts !== undefined) return;
    msg.measurements.forEach((m, i) => {
      if (m.ts === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['measurements', i, 'ts'],
          message: 'missing: give each measurement a ts or give the message one',
        });
      }
    });
  });
export type DeviceMessageV1 = z.infer<typeof DeviceMessageV1>;

/** A JSON device message of any supported version (today only version 1). */
export type DeviceMessage = DeviceMessageV1;
