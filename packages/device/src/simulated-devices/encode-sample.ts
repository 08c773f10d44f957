import { HealthItError } from '@healthit/core';
import type { GattDateTime } from '../gatt/date-time.js';
import { encodeGatt } from '../gatt/gatt-codec.js';
import { buildOruR01 } from '../hl7v2/build-oru.js';
import { encodeDeviceMessage, readingsToDeviceMessages } from '../json/device-json-codec.js';
import type { DeviceSample } from '../simulator/device-process.js';

/** How a simulated device sends a measurement. */
export type DeviceEncoding = 'ble-gatt' | 'hl7v2' | 'mqtt-json';

/** One measurement as it leaves a simulated device, in the device's own wire format. */
export type EncodedSample =
  /** A Bluetooth GATT characteristic value (a notification or indication). */
  | {
      /** Discriminates the wire format. */
      readonly encoding: 'ble-gatt';
      /** The 16-bit UUID of the characteristic, e.g. `0x2a5f` (see {@link GATT_CHARACTERISTIC_OF_KIND}). */
      readonly characteristic: number;
      /** The characteristic value, as {@link encodeGatt} writes it. */
      readonly bytes: Uint8Array;
      /** What the device measured, as the simulator produced it. */
      readonly sample: DeviceSample;
    }
  /** An HL7 v2 ORU^R01 (IHE PCD-01) message, as a bedside monitor sends it over MLLP. */
  | {
      /** Discriminates the wire format. */
      readonly encoding: 'hl7v2';
      /** The message text, CR-terminated segments, MSH-10 `<deviceId>-<sampleSeq>` (not MLLP-framed). */
      readonly message: string;
      /** What the device measured, as the simulator produced it. */
      readonly sample: DeviceSample;
    }
  /** A JSON device message (`application/vnd.healthit.device+json;v=1`), as an MQTT device publishes it. */
  | {
      /** Discriminates the wire format. */
      readonly encoding: 'mqtt-json';
      /** The UTF-8 JSON of the device message (an MQTT payload). */
      readonly bytes: Uint8Array;
      /** What the device measured, as the simulator produced it. */
      readonly sample: DeviceSample;
    };

/** The Bluetooth characteristic each simulated BLE device kind notifies. */
export const GATT_CHARACTERISTIC_OF_KIND = {
  'pulse-oximeter': 0x2a5f,
  'bp-cuff': 0x2a35,
  thermometer: 0x2a1c,
  'heart-rate-sensor': 0x2a37,
} as const;

/** The encoding each built-in kind speaks by default: BLE for the wearables, HL7 v2 for the bedside monitor. */
export const DEFAULT_ENCODING_OF_KIND = {
  monitor: 'hl7v2',
  'pulse-oximeter': 'ble-gatt',
  'bp-cuff': 'ble-gatt',
  thermometer: 'ble-gatt',
  'heart-rate-sensor': 'ble-gatt',
} as const satisfies Record<DeviceSample['kind'], DeviceEncoding>;

/** Options of {@link encodeDeviceSample}. */
export interface EncodeSampleOptions {
  /** Overrides the kind's default encoding (e.g. `mqtt-json` for any kind). */
  readonly encoding?: DeviceEncoding;
  /** The device clock's UTC offset for GATT time stamps and HL7 times (default 0: the device runs on UTC). */
  readonly utcOffsetMinutes?: number;
}

/** The GATT Date Time of `epochMs` on a clock `offsetMinutes` from UTC. */
function gattDateTime(epochMs: number, offsetMinutes: number): GattDateTime {
  const d = new Date(epochMs + offsetMinutes * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hours: d.getUTCHours(),
    minutes: d.getUTCMinutes(),
    seconds: d.getUTCSeconds(),
  };
}

function need(sample: DeviceSample, metric: keyof DeviceSample['values']): number {
  const value = sample.values[metric];
  if (value === undefined) {
    throw new HealthItError(
      'codec/encode',
      `${sample.kind} ${sample.deviceId} has no ${metric} value to encode`,
      {
        detail: { deviceId: sample.deviceId, metric },
      },
    );
  }
  return value;
}

/**
 * Encodes what a simulated device measured the way a real device of its kind sends it: a pulse
 * oximeter as a PLX Continuous Measurement (0x2A5F), a BP cuff as a Blood Pressure Measurement
 * (0x2A35, mmHg, with its time stamp), a thermometer as a Temperature Measurement (0x2A1C, Celsius,
 * with its time stamp), a heart-rate strap as a Heart Rate Measurement (0x2A37, with its RR
 * intervals in 1/1024 s), a bedside monitor as an HL7 v2 ORU^R01, and any device as a JSON device
 * message when asked. Returns undefined for a sample with nothing measured (dropout, empty battery).
 *
 * @throws {HealthItError} `codec/encode` when the sample lacks a value its encoding needs.
 */
export function encodeDeviceSample(
  sample: DeviceSample,
  options: EncodeSampleOptions = {},
): EncodedSample | undefined {
  if (sample.readings.length === 0) return undefined;
  const offset = options.utcOffsetMinutes ?? 0;
  const encoding = options.encoding ?? DEFAULT_ENCODING_OF_KIND[sample.kind];
  if (encoding === 'hl7v2') {
    const message = buildOruR01(sample.readings, {
      controlId: `${sample.deviceId}-${sample.sampleSeq}`,
      timestamp: sample.ts,
      utcOffsetMinutes: offset,
      sendingApplication: ['HEALTHIT_SIM', sample.deviceId, 'L'],
    });
    return { encoding, message, sample };
  }
  if (encoding === 'mqtt-json') {
    // The readings of one sample share a device, patient and consecutive seqs: one message.
    const [message] = readingsToDeviceMessages(
      sample.readings,
      sample.batteryPct === undefined ? {} : { batteryPct: sample.batteryPct },
    );
    if (message === undefined) return undefined;
    const bytes = encodeDeviceMessage(message);
    return { encoding, bytes, sample };
  }
  switch (sample.kind) {
    case 'pulse-oximeter':
      return {
        encoding,
        characteristic: 0x2a5f,
        bytes: encodeGatt(0x2a5f, { spo2: need(sample, 'spo2'), pulseRate: need(sample, 'pulse-rate') }),
        sample,
      };
    case 'bp-cuff': {
      const pulse = sample.values['pulse-rate'];
      return {
        encoding,
        characteristic: 0x2a35,
        bytes: encodeGatt(0x2a35, {
          unit: 'mmHg',
          systolic: need(sample, 'bp-systolic'),
          diastolic: need(sample, 'bp-diastolic'),
          meanArterialPressure: need(sample, 'bp-mean'),
          timestamp: gattDateTime(sample.ts, offset),
          ...(pulse === undefined ? {} : { pulseRate: pulse }),
        }),
        sample,
      };
    }
    case 'thermometer':
      return {
        encoding,
        characteristic: 0x2a1c,
        bytes: encodeGatt(0x2a1c, {
          unit: 'Celsius',
          temperature: need(sample, 'body-temperature'),
          timestamp: gattDateTime(sample.ts, offset),
        }),
        sample,
      };
    case 'heart-rate-sensor':
      return {
        encoding,
        characteristic: 0x2a37,
        bytes: encodeGatt(0x2a37, {
          heartRate: need(sample, 'heart-rate'),
          sensorContact: 'detected',
          rrIntervalsRaw1024: (sample.rrIntervalsMs ?? []).map((ms) =>
            Math.min(0xffff, Math.round((ms * 1024) / 1000)),
          ),
        }),
        sample,
      };
    case 'monitor':
      throw new HealthItError(
        'codec/encode',
        `A bedside monitor (${sample.deviceId}) has no GATT encoding; use hl7v2 or mqtt-json`,
      );
  }
}
