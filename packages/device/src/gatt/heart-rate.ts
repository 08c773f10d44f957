import { GattCharacteristic } from './characteristics.js';
import { GattDecodeError } from './errors.js';
import { checkFrame, end, FrameWriter, type GattDecodeOptions, need, present, u16 } from './frame.js';

const UUID = GattCharacteristic.heartRateMeasurement;

/**
 * Sensor Contact Status (flags bits 1–2): 0b00 and 0b01 mean the feature is not supported, 0b10
 * supported but no contact, 0b11 contact detected.
 */
export type SensorContact = 'not_supported' | 'not_detected' | 'detected';

/** A decoded Heart Rate Measurement (0x2A37). */
export interface HeartRateMeasurement {
  /** The characteristic's 16-bit UUID, 0x2A37 (discriminates {@link GattMeasurement}). */
  readonly characteristic: typeof UUID;
  /** Beats per minute (uint8 or uint16 on the wire, per flags bit 0). */
  readonly heartRate: number;
  /**
   * Sensor Contact Status from flags bits 1–2: whether skin contact is detected, or the feature is
   * unsupported.
   */
  readonly sensorContact: SensorContact;
  /** Energy Expended since the last reset, kJ (uint16; 0xFFFF = at least 65 535 kJ); null when absent. */
  readonly energyExpended: number | null;
  /**
   * RR-Intervals in units of 1/1024 s, oldest first; empty when absent. Use
   * {@link rrIntervalMs} for milliseconds.
   */
  readonly rrIntervalsRaw1024: readonly number[];
}

/** The input of {@link encodeHeartRateMeasurement}; absent optional fields are not sent. */
export interface HeartRateMeasurementInit {
  /** The characteristic's UUID, 0x2A37, if given; {@link encodeGatt} refuses a measurement naming another. */
  readonly characteristic?: typeof UUID;
  /** 0…65 535 bpm; values above 255 are sent as uint16. */
  readonly heartRate: number;
  /** Default `'not_supported'`. */
  readonly sensorContact?: SensorContact;
  /**
   * Energy Expended since the last reset, kJ (an integer 0…65 535); sets flags bit 3 when present (not null
   * or undefined).
   */
  readonly energyExpended?: number | null;
  /** At least one value to send the RR-Interval field. */
  readonly rrIntervalsRaw1024?: readonly number[];
}

const CONTACT: readonly SensorContact[] = ['not_supported', 'not_supported', 'not_detected', 'detected'];
const NO_RR: readonly number[] = Object.freeze([]);

/** An RR-Interval in milliseconds (exact: 1000/1024 is a power-of-two fraction). */
export function rrIntervalMs(raw1024: number): number {
  return (raw1024 * 1000) / 1024;
}

/**
 * Decodes a Heart Rate Measurement (0x2A37) characteristic value.
 *
 * @throws {GattDecodeError} when the frame is truncated, announces RR-Intervals but carries none
 *   or half of one, or has trailing bytes.
 * @example
 * ```ts
 * decodeHeartRateMeasurement(Uint8Array.of(0x16, 0x48, 0x00, 0x04));
 * // { characteristic: 0x2a37, heartRate: 72, sensorContact: 'detected', energyExpended: null, rrIntervalsRaw1024: [1024] }
 * ```
 */
export function decodeHeartRateMeasurement(
  bytes: Uint8Array,
  options?: GattDecodeOptions,
): HeartRateMeasurement {
  checkFrame(UUID, bytes, options);
  const length = bytes.length;
  need(UUID, bytes, 0, 1, 'Flags');
  const flags = bytes[0] as number;
  let offset = 1;
  let heartRate: number;
  if (flags & 0x01) {
    need(UUID, bytes, offset, 2, 'Heart Rate Measurement Value (uint16, flags bit 0)');
    heartRate = u16(bytes, offset);
    offset += 2;
  } else {
    need(UUID, bytes, offset, 1, 'Heart Rate Measurement Value (uint8)');
    heartRate = bytes[offset] as number;
    offset += 1;
  }
  let energyExpended: number | null = null;
  if (flags & 0x08) {
    need(UUID, bytes, offset, 2, 'Energy Expended (flags bit 3)');
    energyExpended = u16(bytes, offset);
    offset += 2;
  }
  let rrIntervalsRaw1024 = NO_RR;
  if (flags & 0x10) {
    const remaining = length - offset;
    if (remaining === 0) {
      throw new GattDecodeError(UUID, offset, 'flags bit 4 announces RR-Intervals but none follow', length);
    }
    if (remaining % 2 === 1 && options?.trailingBytes !== 'ignore') {
      throw new GattDecodeError(
        UUID,
        length - 1,
        `RR-Intervals are uint16 but ${remaining} byte(s) follow (half an interval at the end)`,
        length,
      );
    }
    const count = remaining >> 1;
    const rr: number[] = new Array(count);
    for (let i = 0; i < count; i++) rr[i] = u16(bytes, offset + 2 * i);
    rrIntervalsRaw1024 = rr;
    offset += 2 * count;
  }
  if (!(flags & 0x10)) end(UUID, bytes, offset, options);
  return {
    characteristic: UUID,
    heartRate,
    sensorContact: CONTACT[(flags >> 1) & 0x03] as SensorContact,
    energyExpended,
    rrIntervalsRaw1024,
  };
}

const CONTACT_BITS: Readonly<Record<SensorContact, number>> = {
  not_supported: 0b00,
  not_detected: 0b10,
  detected: 0b11,
};

/**
 * Encodes a Heart Rate Measurement (0x2A37) characteristic value.
 *
 * @throws {GattEncodeError} when a field is out of range.
 */
export function encodeHeartRateMeasurement(m: HeartRateMeasurementInit): Uint8Array {
  const w: FrameWriter = new FrameWriter(UUID);
  let flags = 0;
  if (typeof m.heartRate === 'number' && m.heartRate > 0xff) {
    flags |= 0x01;
    w.u16('heartRate', m.heartRate);
  } else w.u8('heartRate', m.heartRate);
  const contact = m.sensorContact ?? 'not_supported';
  if (!Object.hasOwn(CONTACT_BITS, contact)) {
    w.fail('sensorContact', `must be 'not_supported', 'not_detected' or 'detected', got ${String(contact)}`);
  }
  flags |= CONTACT_BITS[contact] << 1;
  if (present(m.energyExpended)) {
    flags |= 0x08;
    w.u16('energyExpended', m.energyExpended);
  }
  const rr = m.rrIntervalsRaw1024 ?? NO_RR;
  if (rr.length > 0) {
    flags |= 0x10;
    rr.forEach((v, i) => {
      w.u16(`rrIntervalsRaw1024[${i}]`, v);
    });
  }
  return w.finish(flags);
}
