import {
  type ChannelContext,
  type ChannelDecoded,
  type ChannelDecoder,
  type ChannelNotice,
  DeviceId,
  HealthItError,
  isHealthItError,
  METRIC_IDS,
  PatientId,
  parse,
  type Reading,
  readingId,
} from '@healthit/core';
import { z } from 'zod';
import { type GattCharacteristicUuid, resolveCharacteristic } from './characteristics.js';
import type { GattDecodeOptions } from './frame.js';
import { decodeGatt, type GattMeasurement } from './gatt-codec.js';
import { gattToReadings } from './to-readings.js';

/** Metric slots per millisecond of the time-derived sequence numbers (as HL7 ORU's default seq). */
const SEQ_SLOTS_PER_MS = 32;

/**
 * Where the `seq` of a frame's readings comes from (reading ids are `${deviceId}:${seq}`; the
 * gateway drops a reading whose seq is not above the last one accepted from its device):
 *
 * - `auto` (default): a Glucose Measurement's own Sequence Number (the meter's record number, so
 *   a record store downloaded twice yields the same ids and de-duplicates); every other frame
 *   `receive-time`.
 * - `receive-time`: a per-device counter anchored to the receive time,
 *   `max(last + 1, receivedAt × 32)`: strictly increasing while the gateway's clock does not go
 *   back, also across restarts (no counter to persist). A frame delivered twice gets new ids.
 * - `frame-time`: derived from the measurement's own time stamp, `ts × 32 + metric index`, so a
 *   stored measurement the device sends again (after a reconnection) gets the same ids and
 *   de-duplicates. Needs `utcOffsetMinutes` and a device clock that is set; a frame whose time
 *   stamp is absent or not usable falls back to `receive-time`.
 */
export const GattSeqPolicy = z.enum(['auto', 'receive-time', 'frame-time']);
/** One of {@link GattSeqPolicy}. */
export type GattSeqPolicy = z.infer<typeof GattSeqPolicy>;

const CharacteristicText = z.union([z.number(), z.string()]).superRefine((c, ctx) => {
  try {
    resolveCharacteristic(c);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e) });
  }
});

/**
 * Options of {@link gattChannelDecoder}: data, so they may come from a configuration file.
 *
 * @example
 * ```json
 * { "patients": { "hr-1": "P-1", "bp-1": "P-1" }, "utcOffsetMinutes": 60, "seq": "auto" }
 * ```
 */
export const GattChannelDecoderOptions = z.strictObject({
  /** The decoder's name in gateway events. Default `ble-gatt`. */
  name: z.string().min(1).max(64).optional(),
  /**
   * The characteristic of every frame, for inputs whose topic has no `{characteristic}` level
   * (`0x2a37`, `'2a37'`, `'0x2A37'` or the 128-bit UUID). A topic that names another one is refused.
   */
  characteristic: CharacteristicText.optional(),
  /** The patient each device is bound to (device id → patient id); else the topic's `{patientId}`, else none. */
  patients: z.record(z.string(), PatientId).optional(),
  /** The UTC offset of the devices' clocks, minutes; without it frames' own time stamps are not used. */
  utcOffsetMinutes: z.number().int().min(-1440).max(1440).optional(),
  /** Bytes after the last field the flags announce: `reject` (default) or `ignore`. */
  trailingBytes: z.enum(['reject', 'ignore']).optional(),
  /** The connection's ATT_MTU (23…517): longer notifications are refused. */
  attMtu: z.number().int().min(23).max(517).optional(),
  /** Where sequence numbers come from; see {@link GattSeqPolicy}. Default `auto`. */
  seq: GattSeqPolicy.optional(),
  /**
   * Devices whose last `seq` the decoder remembers (default 10 000; the least recently heard is
   * forgotten first, and its next seq restarts from the receive time, which is still above it).
   */
  maxDevices: z.number().int().min(1).max(10_000_000).optional(),
});
/** Options of {@link gattChannelDecoder}. */
export type GattChannelDecoderOptions = z.input<typeof GattChannelDecoderOptions>;

/** The topic levels the GATT decoder reads. */
export const GATT_TOPIC_PARAMS = {
  deviceId: 'deviceId',
  characteristic: 'characteristic',
  patientId: 'patientId',
} as const;

function frameTimeOf(m: GattMeasurement): boolean {
  switch (m.characteristic) {
    case 0x2a37:
    case 0x2a5f:
      return false;
    case 0x2a18:
      return true;
    default:
      return m.timestamp !== null;
  }
}

function notice(event: { readonly type: string; readonly message: string }): ChannelNotice {
  const { type, message, ...detail } = event;
  return { type, message, detail };
}

/**
 * A gateway channel decoder (`ChannelDecoder` of `@healthit/core`) for raw Bluetooth GATT
 * characteristic values, as a BLE bridge forwards notifications: one frame per message on a topic
 * such as `ble/{deviceId}/{characteristic}`.
 *
 * - The device is the topic's `{deviceId}`; the characteristic is the topic's `{characteristic}`
 *   (`2a37`, `0x2A37` or the 128-bit UUID) or `options.characteristic`.
 * - The frame is decoded with `decodeGatt` and mapped with `gattToReadings` (canonical units;
 *   special values, skipped measurements and time-stamp fallbacks become notices). The receive
 *   time is the readings' time when the frame carries no usable time stamp.
 * - The patient comes from `options.patients`, else the topic's `{patientId}`.
 * - Sequence numbers follow `options.seq` ({@link GattSeqPolicy}).
 *
 * Keeps one number per device (bounded by `maxDevices`).
 *
 * @throws {ValidationError} when the options are invalid.
 * @example
 * ```ts
 * const gw = createGateway({
 *   transport: mqtt,
 *   inputs: [{ name: 'ble', topicFilter: 'ble/{deviceId}/{characteristic}',
 *              decoder: gattChannelDecoder({ patients: { 'hr-1': 'P-1' }, utcOffsetMinutes: 0 }) }],
 * });
 * ```
 */
export function gattChannelDecoder(options: GattChannelDecoderOptions = {}): ChannelDecoder {
  const o = parse(GattChannelDecoderOptions, 'GattChannelDecoderOptions', options, 'gattChannelDecoder');
  const fixed = o.characteristic === undefined ? undefined : resolveCharacteristic(o.characteristic);
  const policy = o.seq ?? 'auto';
  const maxDevices = o.maxDevices ?? 10_000;
  const decodeOptions: GattDecodeOptions = {
    ...(o.trailingBytes === undefined ? {} : { trailingBytes: o.trailingBytes }),
    ...(o.attMtu === undefined ? {} : { attMtu: o.attMtu }),
  };
  const patients = new Map(Object.entries(o.patients ?? {}));
  /** Last seq per device, least recently heard first. */
  const lastSeq = new Map<string, number>();

  const nextSeq = (deviceId: string, receivedAt: number): number => {
    const last = lastSeq.get(deviceId);
    const seq = Math.max(last === undefined ? 0 : last + 1, receivedAt * SEQ_SLOTS_PER_MS);
    lastSeq.delete(deviceId);
    lastSeq.set(deviceId, seq);
    if (lastSeq.size > maxDevices) {
      const oldest = lastSeq.keys().next().value;
      if (oldest !== undefined) lastSeq.delete(oldest);
    }
    return seq;
  };

  const characteristicOf = (context: ChannelContext): GattCharacteristicUuid => {
    const named = context.params[GATT_TOPIC_PARAMS.characteristic];
    if (named === undefined) {
      if (fixed !== undefined) return fixed;
      throw new HealthItError(
        'config/invalid',
        `GATT input "${context.inputName}": topic "${context.topic}" names no {characteristic} and none is configured`,
        { detail: { topic: context.topic } },
      );
    }
    let uuid: GattCharacteristicUuid;
    try {
      uuid = resolveCharacteristic(named);
    } catch (e) {
      if (isHealthItError(e)) throw e;
      throw new HealthItError(
        'codec/decode',
        `GATT: topic "${context.topic}" names characteristic "${named}": ${(e as Error).message}`,
        { cause: e, detail: { topic: context.topic, characteristic: named } },
      );
    }
    if (fixed !== undefined && uuid !== fixed) {
      throw new HealthItError(
        'validation/invalid',
        `GATT: topic "${context.topic}" names characteristic ${named}, but this input is configured for 0x${fixed.toString(16)}`,
        { detail: { topic: context.topic, characteristic: named } },
      );
    }
    return uuid;
  };

  return {
    name: o.name ?? 'ble-gatt',
    requiredParams: fixed === undefined ? ['deviceId', 'characteristic'] : ['deviceId'],
    decode(bytes: Uint8Array, context: ChannelContext): ChannelDecoded {
      const deviceId = context.params[GATT_TOPIC_PARAMS.deviceId];
      if (deviceId === undefined || !DeviceId.safeParse(deviceId).success) {
        throw new HealthItError(
          'validation/invalid',
          `GATT: topic "${context.topic}" does not name a valid device id in {deviceId} (got ${JSON.stringify(deviceId ?? null)})`,
          { detail: { topic: context.topic } },
        );
      }
      const measurement = decodeGatt(characteristicOf(context), bytes, decodeOptions);
      const patientId = patients.get(deviceId) ?? context.params[GATT_TOPIC_PARAMS.patientId];
      const own =
        policy === 'auto' && measurement.characteristic === 0x2a18 ? measurement.sequenceNumber : undefined;
      const { readings, events } = gattToReadings(measurement, {
        deviceId,
        ...(patientId === undefined ? {} : { patientId }),
        ...(o.utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes: o.utcOffsetMinutes }),
        fallbackTs: context.receivedAt,
        // frame-time renumbers below; a placeholder keeps gattToReadings from touching the counter.
        seq: own ?? (policy === 'frame-time' ? 0 : () => nextSeq(deviceId, context.receivedAt)),
      });
      const notices = events.map(notice);
      if (policy !== 'frame-time') return { readings, notices };
      const frameTime = frameTimeOf(measurement) && !events.some((e) => e.type === 'timestamp-fallback');
      const renumbered: Reading[] = readings.map((r) => {
        const seq = frameTime
          ? r.ts * SEQ_SLOTS_PER_MS + METRIC_IDS.indexOf(r.metric)
          : nextSeq(deviceId, context.receivedAt);
        return { ...r, id: readingId(deviceId, seq), seq };
      });
      renumbered.sort((a, b) => a.seq - b.seq);
      return { readings: renumbered, notices };
    },
  };
}
