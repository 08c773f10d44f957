import {
  type ChannelContext,
  type ChannelDecoded,
  type ChannelDecoder,
  type ChannelNotice,
  DeviceId,
  MetricId,
  PatientId,
  parse,
} from '@healthit/core';
import { z } from 'zod';
import { decodeHl7Bytes } from './charset.js';
import { type OruEvent, type OruToReadingsOptions, oruToReadings } from './oru-to-readings.js';
import { parseHl7 } from './parse.js';

/**
 * Options of {@link oruChannelDecoder}: data, so they may come from a configuration file. They are
 * those of `oruToReadings`, less `assignSeq` (the default, derived from time and metric, makes a
 * retransmitted message yield the same reading ids).
 *
 * @example
 * ```json
 * { "defaultUtcOffsetMinutes": 60, "ignore": ["observation-unmapped"] }
 * ```
 */
export const OruChannelDecoderOptions = z.strictObject({
  /** The decoder's name in gateway events. Default `hl7v2-oru`. */
  name: z.string().min(1).max(64).optional(),
  /** The UTC offset (minutes) of times sent without one. Default: MSH-7's offset, else 0. */
  defaultUtcOffsetMinutes: z.number().int().min(-1440).max(1440).optional(),
  /** The device of observations without OBX-18; else the topic's `{deviceId}`, if any. */
  deviceId: DeviceId.optional(),
  /** The patient of every reading instead of PID-3; else the topic's `{patientId}`, if any. */
  patientId: PatientId.optional(),
  /** Read observations with an empty OBX-11 as readings of no stated quality. Default false. */
  acceptMissingResultStatus: z.boolean().optional(),
  /** More MDC observation codes → metric. */
  mdcMetrics: z.record(z.string(), MetricId).optional(),
  /** More MDC dimension codes → UCUM unit. */
  mdcUnits: z.record(z.string(), z.string()).optional(),
  /**
   * `oruToReadings` event types not to report as notices, e.g. `observation-unmapped` for the
   * container rows (MDS, VMD, channel) a monitor sends with every message. Default: report all.
   */
  ignore: z
    .array(
      z.enum([
        'observation-unmapped',
        'observation-not-a-reading',
        'observation-rejected',
        'observation-duplicate',
        'patient-id-invalid',
      ]),
    )
    .optional(),
});
/** Options of {@link oruChannelDecoder}. */
export type OruChannelDecoderOptions = z.input<typeof OruChannelDecoderOptions>;

function describeOruEvent(e: OruEvent): ChannelNotice {
  switch (e.type) {
    case 'observation-unmapped': {
      const o = e.observation;
      return {
        type: e.type,
        message: `OBX ${o.setId || o.segmentIndex} (${o.code}^${o.text}^${o.codingSystem}) is not a mapped vital sign`,
        detail: { observation: e.observation },
      };
    }
    case 'observation-not-a-reading':
      return {
        type: e.type,
        message: `OBX ${e.observation.setId || e.observation.segmentIndex} is not a reading: ${e.reason}`,
        detail: { observation: e.observation, reason: e.reason },
      };
    case 'observation-rejected':
      return {
        type: e.type,
        message: e.error.message,
        detail: { observation: e.observation, error: e.error.toJSON() },
      };
    case 'observation-duplicate':
      return {
        type: e.type,
        message: `OBX ${e.observation.setId || e.observation.segmentIndex} repeats reading ${e.readingId} of this message`,
        detail: { observation: e.observation, readingId: e.readingId },
      };
    case 'patient-id-invalid':
      return {
        type: e.type,
        message: e.error.message,
        detail: { segmentIndex: e.segmentIndex, value: e.value, error: e.error.toJSON() },
      };
  }
}

/**
 * A gateway channel decoder (`ChannelDecoder` of `@healthit/core`) for HL7 v2 ORU^R01 messages
 * (IHE PCD-01), e.g. received over MLLP by `createMllpTransport` (`@healthit/device/mllp`) or
 * relayed on a broker: bytes (character set per MSH-18) → `parseHl7` → `oruToReadings`.
 *
 * The message carries its own device (OBX-18) and patient (PID-3); a topic level `{deviceId}` is
 * the device of observations without OBX-18, a level `{patientId}` overrides PID-3. Observations
 * that make no reading become notices. A malformed message or another message type throws, so the
 * gateway refuses the message with an event (over MLLP the sender has already had its AA: the
 * acknowledgement says the message was received, the gateway's events say what became of it).
 *
 * Stateless.
 *
 * @throws {ValidationError} when the options are invalid.
 * @example
 * ```ts
 * const mllp = createMllpTransport({ port: 2575, host: '0.0.0.0', acceptMessageTypes: ['ORU^R01'] });
 * const gw = createGateway({ inputs: [{ name: 'monitors', transport: mllp, topicFilter: 'mllp/#', decoder: oruChannelDecoder() }] });
 * ```
 */
export function oruChannelDecoder(options: OruChannelDecoderOptions = {}): ChannelDecoder {
  const o = parse(OruChannelDecoderOptions, 'OruChannelDecoderOptions', options, 'oruChannelDecoder');
  const ignored = new Set<string>(o.ignore ?? []);
  const base: OruToReadingsOptions = {
    ...(o.defaultUtcOffsetMinutes === undefined
      ? {}
      : { defaultUtcOffsetMinutes: o.defaultUtcOffsetMinutes }),
    ...(o.acceptMissingResultStatus === undefined
      ? {}
      : { acceptMissingResultStatus: o.acceptMissingResultStatus }),
    ...(o.mdcMetrics === undefined ? {} : { mdcMetrics: o.mdcMetrics }),
    ...(o.mdcUnits === undefined ? {} : { mdcUnits: o.mdcUnits }),
  };
  return {
    name: o.name ?? 'hl7v2-oru',
    decode(bytes: Uint8Array, context: ChannelContext): ChannelDecoded {
      const deviceId = o.deviceId ?? context.params.deviceId;
      const patientId = o.patientId ?? context.params.patientId;
      const { readings, events } = oruToReadings(parseHl7(decodeHl7Bytes(bytes)), {
        ...base,
        ...(deviceId === undefined ? {} : { deviceId }),
        ...(patientId === undefined ? {} : { patientId }),
      });
      const notices = events.filter((e) => !ignored.has(e.type)).map(describeOruEvent);
      return { readings, notices };
    },
  };
}
