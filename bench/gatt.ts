/**
 * GATT health-characteristic decoding throughput, one core: frames decoded per second for each
 * characteristic (typical frames a device sends, with their optional fields), a mix of all of them,
 * and the mapping of decoded blood-pressure frames to core Readings. The ceiling of each is
 * {@link bareDecode}: the same fields read byte by byte, no checks, no typed result.
 */
import {
  decodeGatt,
  encodeGatt,
  GATT_CHARACTERISTIC_NAMES,
  type GattCharacteristicUuid,
  type GattMeasurement,
  gattToReadings,
} from '@healthit/device';
import { against, type Figure, medianRate } from './measure.js';

const FRAMES = 1_024;
const BARE = 'the same fields read byte by byte, no checks, no result object';
const ROUNDS = 200; // decodes per measured run: FRAMES × ROUNDS

/** A small deterministic generator, so every run decodes the same frames. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

type Int = (min: number, max: number) => number;
type Time = () => {
  year: number;
  month: number;
  day: number;
  hours: number;
  minutes: number;
  seconds: number;
};

/** Typical frames of each characteristic, as devices send them. */
const BUILDERS: { readonly [C in GattCharacteristicUuid]: (i: number, int: Int, time: Time) => Uint8Array } =
  {
    10807: (i, int) =>
      encodeGatt(0x2a37, {
        heartRate: int(45, 180),
        sensorContact: 'detected',
        ...(i % 4 === 0 ? { energyExpended: int(0, 3000) } : {}),
        rrIntervalsRaw1024: i % 2 === 0 ? [int(300, 1400), int(300, 1400)] : [],
      }),
    10805: (_i, int, time) =>
      encodeGatt(0x2a35, {
        unit: 'mmHg',
        systolic: int(90, 180),
        diastolic: int(50, 110),
        meanArterialPressure: int(65, 130),
        timestamp: time(),
        pulseRate: int(45, 140),
        userId: 1,
        measurementStatusRaw: 0,
      }),
    10780: (_i, int, time) =>
      encodeGatt(0x2a1c, {
        unit: 'Celsius',
        temperature: int(355, 400) / 10,
        timestamp: time(),
        temperatureType: 6,
      }),
    10776: (i, int, time) =>
      encodeGatt(0x2a18, {
        sequenceNumber: i,
        baseTime: time(),
        timeOffsetMinutes: 0,
        unit: 'kg/L',
        glucoseConcentration: int(60, 300) / 100_000,
        type: 1,
        sampleLocation: 1,
      }),
    10909: (_i, int, time) =>
      encodeGatt(0x2a9d, { unit: 'kg', weight: int(40_000, 120_000) / 1000, timestamp: time(), userId: 1 }),
    10846: (_i, int, time) =>
      encodeGatt(0x2a5e, {
        spo2: int(85, 100),
        pulseRate: int(45, 140),
        timestamp: time(),
        measurementStatusRaw: 0x0100,
      }),
    10847: (_i, int) =>
      encodeGatt(0x2a5f, {
        spo2: int(85, 100),
        pulseRate: int(45, 140),
        measurementStatusRaw: 0x0020,
        deviceAndSensorStatusRaw: 0,
        pulseAmplitudeIndex: int(5, 200) / 10,
      }),
  };

function framesOf(c: GattCharacteristicUuid): Uint8Array[] {
  const random = lcg(c);
  const int: Int = (min, max) => min + Math.floor(random() * (max - min + 1));
  const time: Time = () => ({
    year: 2025,
    month: int(1, 12),
    day: int(1, 28),
    hours: int(0, 23),
    minutes: int(0, 59),
    seconds: 0,
  });
  return Array.from({ length: FRAMES }, (_, i) => BUILDERS[c](i, int, time));
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1];

const u8 = (v: Uint8Array, at: number): number => v[at] as number;
const u16 = (v: Uint8Array, at: number): number => (v[at] as number) | ((v[at + 1] as number) << 8);

/** An IEEE 11073 SFLOAT without the special values: mantissa × 10^exponent. */
function sfloat(v: Uint8Array, at: number): number {
  const raw = (v[at] as number) | ((v[at + 1] as number) << 8);
  const m = raw & 0x0fff;
  return (m >= 0x0800 ? m - 0x1000 : m) * (POW10[raw >>> 12] as number);
}

/**
 * The ceiling: the Bluetooth SIG layout of each characteristic read the plainest way — flags, then
 * each present field read byte by byte — summed into one number, with no length, reserved-value or
 * range checks and no result object.
 */
function bareDecode(c: GattCharacteristicUuid, bytes: Uint8Array): number {
  const v = bytes;
  const f = u8(v, 0);
  let at = 1;
  let sum = 0;
  switch (c) {
    case 0x2a37: {
      sum += f & 1 ? u16(v, at) : u8(v, at);
      at += f & 1 ? 2 : 1;
      if (f & 8) {
        sum += u16(v, at);
        at += 2;
      }
      if (f & 16) for (; at + 1 < bytes.length; at += 2) sum += u16(v, at);
      return sum;
    }
    case 0x2a35:
      sum += sfloat(v, 1) + sfloat(v, 3) + sfloat(v, 5);
      at = 7;
      if (f & 2) {
        sum += u16(v, at) + u8(v, at + 2) + u8(v, at + 3);
        at += 7;
      }
      if (f & 4) {
        sum += sfloat(v, at);
        at += 2;
      }
      if (f & 8) sum += u8(v, at++);
      if (f & 16) sum += u16(v, at);
      return sum;
    case 0x2a1c: {
      const raw = (u16(v, 1) | (u16(v, 3) << 16)) >>> 0;
      const m = raw & 0xffffff;
      sum += (m >= 0x800000 ? m - 0x1000000 : m) * 10 ** ((raw >> 24) | 0);
      at = 5;
      if (f & 2) {
        sum += u16(v, at) + u8(v, at + 2);
        at += 7;
      }
      if (f & 4) sum += u8(v, at);
      return sum;
    }
    case 0x2a18:
      sum += u16(v, 1) + u16(v, 3) + u8(v, 5);
      at = 10;
      if (f & 1) {
        sum += (u16(v, at) << 16) >> 16;
        at += 2;
      }
      if (f & 2) {
        sum += sfloat(v, at) + u8(v, at + 2);
        at += 3;
      }
      if (f & 8) sum += u16(v, at);
      return sum;
    case 0x2a9d:
      sum += u16(v, 1) * 0.005;
      at = 3;
      if (f & 2) {
        sum += u16(v, at) + u8(v, at + 2);
        at += 7;
      }
      if (f & 4) sum += u8(v, at++);
      if (f & 8) sum += u16(v, at) + u16(v, at + 2);
      return sum;
    case 0x2a5e:
      sum += sfloat(v, 1) + sfloat(v, 3);
      at = 5;
      if (f & 1) {
        sum += u16(v, at) + u8(v, at + 2);
        at += 7;
      }
      if (f & 2) {
        sum += u16(v, at);
        at += 2;
      }
      if (f & 4) {
        sum += u16(v, at) + u8(v, at + 2);
        at += 3;
      }
      if (f & 8) sum += sfloat(v, at);
      return sum;
    default:
      sum += sfloat(v, 1) + sfloat(v, 3);
      at = 5;
      if (f & 1) {
        sum += sfloat(v, at) + sfloat(v, at + 2);
        at += 4;
      }
      if (f & 2) {
        sum += sfloat(v, at) + sfloat(v, at + 2);
        at += 4;
      }
      if (f & 4) {
        sum += u16(v, at);
        at += 2;
      }
      if (f & 8) {
        sum += u16(v, at) + u8(v, at + 2);
        at += 3;
      }
      if (f & 16) sum += sfloat(v, at);
      return sum;
  }
}

/** Decoded GATT frames per second, per characteristic and mixed; readings per second from BP frames. */
export async function benchGatt(): Promise<Figure[]> {
  const uuids = Object.keys(GATT_CHARACTERISTIC_NAMES).map(Number) as GattCharacteristicUuid[];
  const figures: Figure[] = [];
  let sink = 0;
  /** A value that depends on the decoded bytes, so the decoding cannot be optimised away. */
  const probe = (m: GattMeasurement): number => {
    switch (m.characteristic) {
      case 0x2a37:
        return m.heartRate + m.rrIntervalsRaw1024.length;
      case 0x2a18:
        return m.sequenceNumber;
      case 0x2a9d:
        return m.weightRaw;
      case 0x2a35:
        return typeof m.systolic === 'number' ? m.systolic : 0;
      case 0x2a1c:
        return typeof m.temperature === 'number' ? m.temperature : 0;
      default:
        return typeof m.spo2 === 'number' ? m.spo2 : 0;
    }
  };
  for (const c of uuids) {
    const frames = framesOf(c);
    const rate = await medianRate(5, FRAMES * ROUNDS, () => {
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < FRAMES; i++) sink += probe(decodeGatt(c, frames[i] as Uint8Array));
      }
    });
    const bare = await medianRate(5, FRAMES * ROUNDS, () => {
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < FRAMES; i++) sink += bareDecode(c, frames[i] as Uint8Array);
      }
    });
    const size = frames.reduce((n, f) => n + f.length, 0) / FRAMES;
    figures.push({
      name: `decode 0x${c.toString(16).toUpperCase()} ${GATT_CHARACTERISTIC_NAMES[c]}`,
      value: rate,
      unit: 'frames/s',
      note: `${size.toFixed(1)} bytes/frame`,
      ...against(rate, 'frames/s', BARE, bare),
    });
  }

  const mixed = uuids.flatMap((c) =>
    framesOf(c)
      .slice(0, FRAMES / 8)
      .map((bytes) => ({ c, bytes })),
  );
  const mixedRate = await medianRate(5, mixed.length * ROUNDS, () => {
    for (let r = 0; r < ROUNDS; r++) for (const { c, bytes } of mixed) sink += probe(decodeGatt(c, bytes));
  });
  const mixedBare = await medianRate(5, mixed.length * ROUNDS, () => {
    for (let r = 0; r < ROUNDS; r++) for (const { c, bytes } of mixed) sink += bareDecode(c, bytes);
  });
  figures.push({
    name: 'decode, all seven characteristics mixed',
    value: mixedRate,
    unit: 'frames/s',
    ...against(mixedRate, 'frames/s', BARE, mixedBare),
  });

  const bp = framesOf(0x2a35).map((bytes) => decodeGatt(0x2a35, bytes));
  let seq = 0;
  const context = {
    deviceId: 'bench-cuff',
    seq: () => seq++,
    fallbackTs: Date.UTC(2025, 0, 1),
    utcOffsetMinutes: 0,
  };
  const readingRate = await medianRate(5, bp.length * 20 * 4, () => {
    for (let r = 0; r < 20; r++) for (const m of bp) sink += gattToReadings(m, context).readings.length;
  });
  // Ceiling: four plain reading objects per decoded frame, with ids, no unit or range checks.
  const bareReadings = await medianRate(5, bp.length * 20 * 4, () => {
    for (let r = 0; r < 20; r++) {
      for (const m of bp) {
        if (m.characteristic !== 0x2a35) continue;
        const ts = context.fallbackTs;
        const out = [m.systolic, m.diastolic, m.meanArterialPressure, m.pulseRate].map((value) => {
          const s = seq++;
          return { id: `${context.deviceId}:${s}`, deviceId: context.deviceId, value, ts, seq: s };
        });
        sink += out.length;
      }
    }
  });
  figures.push({
    name: 'gattToReadings, 0x2A35 with time stamp and pulse rate',
    value: readingRate,
    unit: 'readings/s',
    note: '4 readings/frame',
    ...against(
      readingRate,
      'readings/s',
      'four plain objects with ids per decoded frame, no checks',
      bareReadings,
    ),
  });
  if (sink === 0) throw new Error('gatt bench decoded nothing');
  return figures;
}
