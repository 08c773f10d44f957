/**
 * From a decoded Masimo ASCII 1 line to core `Reading`s, and the `ChannelDecoder` that plugs the
 * codec into the gateway's acquisition.
 * @packageDocumentation
 */
import {
  type ChannelDecoder,
  type ChannelNotice,
  DeviceId,
  HealthItError,
  PatientId,
  type Reading,
  type ReadingQuality,
  readingId,
} from '@healthit/core';
import {
  decodeMasimoAscii,
  exceptionNames,
  MASIMO_EXCEPTIONS,
  type MasimoAsciiFrame,
  type MasimoException,
} from './masimo-ascii.js';

/** Exceptions under which the device shows no valid number: no reading is made. */
export const MASIMO_FAULTS: readonly MasimoException[] = [
  'noSensor',
  'defectiveSensor',
  'sensorOff',
  'unrecognizedSensor',
];
/** Exceptions under which the numbers are shown but less trustworthy: readings are `questionable`. */
export const MASIMO_DOUBTS: readonly MasimoException[] = [
  'lowPerfusion',
  'pulseSearch',
  'interference',
  'ambientLight',
  'lowSignalIq',
];

const mask = (names: readonly MasimoException[]): number =>
  names.reduce((m, n) => m | MASIMO_EXCEPTIONS[n], 0);
const FAULT_MASK = mask(MASIMO_FAULTS);
const DOUBT_MASK = mask(MASIMO_DOUBTS);

/** Where a frame came from: what the line itself does not say. */
export interface MasimoContext {
  readonly deviceId: string;
  readonly patientId?: string | undefined;
  /** When the gateway received the line, epoch ms. */
  readonly receivedAt: number;
  /**
   * The UTC offset of the oximeter's clock, minutes (e.g. 60 for CET). With it, readings carry the
   * line's own time; without it, the receive time (the line's clock has no zone).
   */
  readonly utcOffsetMinutes?: number | undefined;
}

/** What {@link masimoToReadings} made of one frame. */
export interface MasimoReadings {
  readonly readings: Reading[];
  readonly notices: ChannelNotice[];
}

/**
 * Maps a frame to `spo2` (LOINC 59408-5 / 2708-6, `%`) and `pulse-rate` (LOINC 8889-8, `/min`)
 * readings. Sequence numbers come from the line's own clock — `seconds × 2 + 0` for SpO2, `+ 1` for
 * the pulse rate — so a line delivered twice gives the same ids and de-duplicates, and one line a
 * second keeps them increasing. The perfusion index and the other parameters have no metric in
 * the catalogue and are not mapped.
 *
 * Notices: `no-value` (dashes, e.g. while the sensor searches), `sensor-fault` (no sensor,
 * defective, off, unrecognised: no reading at all), `device-alarm` (the `ALARM` field is not 0).
 */
export function masimoToReadings(frame: MasimoAsciiFrame, context: MasimoContext): MasimoReadings {
  const device = DeviceId.safeParse(context.deviceId);
  if (!device.success) {
    throw new HealthItError(
      'codec/decode',
      `"${context.deviceId}" is not a valid device id for a Masimo line`,
    );
  }
  const patient = context.patientId === undefined ? undefined : PatientId.safeParse(context.patientId);
  if (patient !== undefined && !patient.success) {
    throw new HealthItError('codec/decode', `"${context.patientId}" is not a valid patient id`);
  }
  const notices: ChannelNotice[] = [];
  if (frame.alarm !== 0) {
    notices.push({
      type: 'device-alarm',
      message: `the oximeter reports alarm bits 0x${frame.alarm.toString(16)}`,
      detail: { alarm: frame.alarm },
    });
  }
  const faults = frame.exceptions & FAULT_MASK;
  if (faults !== 0) {
    notices.push({
      type: 'sensor-fault',
      message: `no reading: ${exceptionNames(faults).join(', ')}`,
      detail: { exceptions: exceptionNames(frame.exceptions) },
    });
    return { readings: [], notices };
  }
  const quality: ReadingQuality = (frame.exceptions & DOUBT_MASK) === 0 ? 'good' : 'questionable';
  const localMs = Date.UTC(frame.year, frame.month - 1, frame.day, frame.hour, frame.minute, frame.second);
  const ts =
    context.utcOffsetMinutes === undefined ? context.receivedAt : localMs - context.utcOffsetMinutes * 60_000;
  const base = (localMs / 1000) * 2;
  const readings: Reading[] = [];
  const make = (metric: 'spo2' | 'pulse-rate', value: number, unit: string, index: number): void => {
    const seq = base + index;
    readings.push({
      id: readingId(device.data, seq),
      deviceId: device.data,
      ...(patient === undefined ? {} : { patientId: patient.data }),
      metric,
      value,
      unit,
      ts,
      seq,
      quality,
    });
  };
  const missing: string[] = [];
  if (frame.spo2Percent === undefined) missing.push('SPO2');
  else make('spo2', frame.spo2Percent, '%', 0);
  if (frame.pulseRatePerMin === undefined) missing.push('BPM');
  else make('pulse-rate', frame.pulseRatePerMin, '/min', 1);
  if (missing.length > 0) {
    notices.push({
      type: 'no-value',
      message: `the oximeter shows no ${missing.join(' and ')}`,
      detail: { missing, exceptions: exceptionNames(frame.exceptions) },
    });
  }
  return { readings, notices };
}

/** Options of {@link masimoChannelDecoder}. */
export interface MasimoChannelDecoderOptions {
  /** The decoder's name in gateway events. Default `masimo-ascii1`. */
  readonly name?: string;
  /** The patient each oximeter is bound to (device id → patient id); else the topic's `{patientId}`. */
  readonly patients?: Readonly<Record<string, string>>;
  /** The UTC offset of the oximeters' clocks, minutes; see {@link MasimoContext.utcOffsetMinutes}. */
  readonly utcOffsetMinutes?: number;
}

/**
 * The gateway's way in: a core `ChannelDecoder` for inputs whose topic names the oximeter,
 * e.g. `serial/{deviceId}` (a serial-to-network bridge publishes each line it reads there).
 *
 * @example
 * ```ts
 * const gateway = createGateway({
 *   inputs: [{ name: 'oximeters', transport: tcp, topicFilter: 'serial/{deviceId}',
 *              decoder: masimoChannelDecoder({ patients: { 'rad7-1': 'P-1' } }) }],
 * });
 * ```
 */
export function masimoChannelDecoder(options: MasimoChannelDecoderOptions = {}): ChannelDecoder {
  const offset = options.utcOffsetMinutes;
  if (offset !== undefined && !(Number.isInteger(offset) && Math.abs(offset) <= 1440)) {
    throw new RangeError(`utcOffsetMinutes must be an integer in -1440…1440, got ${offset}`);
  }
  return {
    name: options.name ?? 'masimo-ascii1',
    requiredParams: ['deviceId'],
    decode(bytes, { params, receivedAt }) {
      const deviceId = params.deviceId as string;
      const frame = decodeMasimoAscii(bytes);
      return masimoToReadings(frame, {
        deviceId,
        patientId: options.patients?.[deviceId] ?? params.patientId,
        receivedAt,
        utcOffsetMinutes: offset,
      });
    },
  };
}
