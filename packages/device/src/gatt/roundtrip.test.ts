/**
 * `decodeGatt(c, encodeGatt(c, x))` round-trips for arbitrary valid measurements of every
 * characteristic (fast-check), and the encoders refuse what they cannot represent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isHealthItError } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GATT_CHARACTERISTIC_NAMES, type GattCharacteristicUuid } from './characteristics.js';
import type { GattDateTime } from './date-time.js';
import { GattEncodeError } from './errors.js';
import { decodeGatt, encodeGatt, type GattMeasurementInitMap } from './gatt-codec.js';
import { decodeFloat, decodeSfloat, type MeasuredValue, SPECIAL_VALUES } from './ieee11073.js';

/** Any SFLOAT: every code, numbers and special values alike. */
const sfloat: fc.Arbitrary<MeasuredValue> = fc.integer({ min: 0, max: 0xffff }).map((bits) => {
  const v = decodeSfloat(bits);
  return v.type === 'number' ? v.value : v;
});

/** Any FLOAT. */
const float: fc.Arbitrary<MeasuredValue> = fc.integer({ min: 0, max: 0xffffffff }).map((bits) => {
  const v = decodeFloat(bits);
  return v.type === 'number' ? v.value : v;
});

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });

/** A Date Time the standard allows (0 = unknown in year, month, day). */
const dateTime: fc.Arbitrary<GattDateTime> = fc.record({
  year: fc.oneof(fc.constant(0), fc.integer({ min: 1582, max: 9999 })),
  month: fc.integer({ min: 0, max: 12 }),
  day: fc.integer({ min: 0, max: 31 }),
  hours: fc.integer({ min: 0, max: 23 }),
  minutes: fc.integer({ min: 0, max: 59 }),
  seconds: fc.integer({ min: 0, max: 59 }),
});

const opt = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { nil: null });
const pair = fc.record({ spo2: sfloat, pulseRate: sfloat });

/** Valid encoder inputs of every characteristic, with every optional field present or `null`. */
const initArbitraries: { readonly [C in GattCharacteristicUuid]: fc.Arbitrary<GattMeasurementInitMap[C]> } = {
  10807: fc.record({
    heartRate: u16,
    sensorContact: fc.constantFrom('not_supported', 'not_detected', 'detected'),
    energyExpended: opt(u16),
    rrIntervalsRaw1024: fc.array(u16, { maxLength: 12 }),
  }),
  10805: fc.record({
    unit: fc.constantFrom('mmHg', 'kPa'),
    systolic: sfloat,
    diastolic: sfloat,
    meanArterialPressure: sfloat,
    timestamp: opt(dateTime),
    pulseRate: opt(sfloat),
    userId: opt(u8),
    measurementStatusRaw: opt(u16),
  }),
  10780: fc.record({
    unit: fc.constantFrom('Celsius', 'Fahrenheit'),
    temperature: float,
    timestamp: opt(dateTime),
    temperatureType: opt(u8),
  }),
  10776: fc.oneof(
    fc.record({
      sequenceNumber: u16,
      baseTime: dateTime,
      timeOffsetMinutes: opt(fc.integer({ min: -0x8000, max: 0x7fff })),
      sensorStatusRaw: opt(u16),
      contextInformationFollows: fc.boolean(),
    }),
    fc.record({
      sequenceNumber: u16,
      baseTime: dateTime,
      timeOffsetMinutes: opt(fc.integer({ min: -0x8000, max: 0x7fff })),
      unit: fc.constantFrom('kg/L', 'mol/L'),
      glucoseConcentration: sfloat,
      type: fc.integer({ min: 0, max: 15 }),
      sampleLocation: fc.integer({ min: 0, max: 15 }),
      sensorStatusRaw: opt(u16),
      contextInformationFollows: fc.boolean(),
    }),
  ),
  10909: fc.oneof(
    fc.record({
      unit: fc.constantFrom('kg', 'lb'),
      weightRaw: fc.integer({ min: 0, max: 0xfffe }),
      timestamp: opt(dateTime),
      userId: opt(u8),
      bmiRaw: u16,
      heightRaw: u16,
    }),
    fc.record({
      unit: fc.constantFrom('kg', 'lb'),
      weightRaw: u16,
      timestamp: opt(dateTime),
      userId: opt(u8),
    }),
  ),
  10846: fc.record({
    spo2: sfloat,
    pulseRate: sfloat,
    timestamp: opt(dateTime),
    measurementStatusRaw: opt(u16),
    deviceAndSensorStatusRaw: opt(u24),
    pulseAmplitudeIndex: opt(sfloat),
    deviceClockNotSet: fc.boolean(),
  }),
  10847: fc.record({
    spo2: sfloat,
    pulseRate: sfloat,
    spo2prFast: opt(pair),
    spo2prSlow: opt(pair),
    measurementStatusRaw: opt(u16),
    deviceAndSensorStatusRaw: opt(u24),
    pulseAmplitudeIndex: opt(sfloat),
  }),
};

const UUIDS = Object.keys(initArbitraries).map(Number) as GattCharacteristicUuid[];

describe('decodeGatt(encodeGatt(x)) round-trips', () => {
  it.each(UUIDS.map((c) => [c.toString(16), GATT_CHARACTERISTIC_NAMES[c], c] as const))(
    '0x%s %s',
    (_hex, _name, c) => {
      fc.assert(
        fc.property(initArbitraries[c] as fc.Arbitrary<GattMeasurementInitMap[typeof c]>, (x) => {
          const bytes = encodeGatt(c, x);
          const m = decodeGatt(c, bytes);
          // Every field given comes back unchanged…
          expect(m).toMatchObject(x as object);
          expect(m.characteristic).toBe(c);
          // …and the full decoded measurement encodes to the same bytes and decodes to itself.
          const again = encodeGatt(c, m);
          expect(again).toEqual(bytes);
          expect(decodeGatt(c, again)).toEqual(m);
        }),
        { numRuns: 1_000 },
      );
    },
  );
});

const vectors = JSON.parse(
  readFileSync(join(import.meta.dirname, '../../test/vectors/gatt/gatt-vectors.json'), 'utf8'),
) as { vectors: { id: string; characteristic: string; hex: string; valid: boolean }[] };

describe('re-encoding the valid vector frames', () => {
  const frames = vectors.vectors.filter((v) => v.valid && v.characteristic.startsWith('0x'));
  it.each(frames.map((v) => [v.id, v] as const))(
    '%s decodes the same after encode(decode(frame))',
    (_id, v) => {
      const c = Number.parseInt(v.characteristic.slice(2, 6), 16) as GattCharacteristicUuid;
      const bytes = Uint8Array.from(v.hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
      const m = decodeGatt(c, bytes);
      if (v.id === 'gatt-055') {
        // A synthetic frame with year 772: decodable, but the encoder writes only standard dates.
        expect(() => encodeGatt(c, m)).toThrow(/timestamp: year must be 0 \(unknown\) or 1582…9999/);
        return;
      }
      expect(decodeGatt(c, encodeGatt(c, m))).toEqual(m);
    },
  );

  it("reproduces encoders' bytes where they chose the same SFLOAT exponents (Nordic BP frame)", () => {
    const hex = '1E8A00580078000000041114293B3C00012700';
    const bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
    expect(encodeGatt(0x2a35, decodeGatt(0x2a35, bytes))).toEqual(bytes);
  });
});

describe('encodeGatt', () => {
  const t = { year: 2025, month: 1, day: 2, hours: 3, minutes: 4, seconds: 5 };

  it('derives flags from the fields present and chooses uint16 heart rates above 255', () => {
    expect(encodeGatt(0x2a37, { heartRate: 72 })).toEqual(Uint8Array.of(0x00, 72));
    expect(
      encodeGatt('2a37', { heartRate: 300, sensorContact: 'detected', rrIntervalsRaw1024: [1024] }),
    ).toEqual(Uint8Array.of(0x17, 0x2c, 0x01, 0x00, 0x04));
    expect(
      encodeGatt(0x2a35, { unit: 'mmHg', systolic: 120, diastolic: 80, meanArterialPressure: 93 }),
    ).toEqual(Uint8Array.of(0x00, 0x78, 0x00, 0x50, 0x00, 0x5d, 0x00));
    expect(encodeGatt(0x2a1c, { unit: 'Celsius', temperature: 37.6, temperatureType: 6 })).toEqual(
      Uint8Array.of(0x04, 0x78, 0x01, 0x00, 0xff, 0x06),
    );
  });

  it('accepts named status flags instead of raw bits, and checks them against raw bits', () => {
    const bp = {
      unit: 'mmHg',
      systolic: 120,
      diastolic: 80,
      meanArterialPressure: SPECIAL_VALUES.NaN,
      measurementStatus: {
        bodyMovementDetected: false,
        cuffTooLoose: true,
        irregularPulseDetected: false,
        pulseRateRange: 'below_lower_limit',
        improperMeasurementPosition: false,
      },
    } as const;
    expect(decodeGatt(0x2a35, encodeGatt(0x2a35, bp)).measurementStatusRaw).toBe(18);
    expect(
      decodeGatt(0x2a35, encodeGatt(0x2a35, { ...bp, measurementStatusRaw: 18 | 0x8000 }))
        .measurementStatusRaw,
    ).toBe(0x8012);
    expect(() => encodeGatt(0x2a35, { ...bp, measurementStatusRaw: 1 })).toThrow(/disagrees/);

    const plx = {
      spo2: 97,
      pulseRate: 70,
      measurementStatus: ['measurementOngoing', 'validatedData'],
    } as const;
    expect(decodeGatt(0x2a5f, encodeGatt(0x2a5f, plx)).measurementStatusRaw).toBe(0xa0);
    expect(() =>
      encodeGatt(0x2a5e, { ...plx, measurementStatus: ['nope'] as unknown as ['measurementOngoing'] }),
    ).toThrow(/unknown flag "nope"/);
    expect(
      decodeGatt(
        0x2a18,
        encodeGatt(0x2a18, { sequenceNumber: 1, baseTime: t, sensorStatus: { timeFault: true } }),
      ).sensorStatusRaw,
    ).toBe(0x0800);
  });

  it('rounds weights to the resolution and accepts raw or named weights', () => {
    expect(decodeGatt(0x2a9d, encodeGatt(0x2a9d, { unit: 'kg', weight: 70.1234 })).weight).toBe(70.125);
    expect(decodeGatt(0x2a9d, encodeGatt(0x2a9d, { unit: 'lb', weight: 154.321 })).weight).toBe(154.32);
    const full = decodeGatt(0x2a9d, encodeGatt(0x2a9d, { unit: 'kg', weight: 70, bmi: 22.9, height: 1.748 }));
    expect(full).toMatchObject({ weightRaw: 14000, bmiRaw: 229, heightRaw: 1748, heightUnit: 'm' });
    expect(
      decodeGatt(0x2a9d, encodeGatt(0x2a9d, { unit: 'kg', measurementUnsuccessful: true })),
    ).toMatchObject({
      weight: null,
      weightRaw: 0xffff,
      measurementUnsuccessful: true,
    });
  });

  const refusals: [string, GattCharacteristicUuid, unknown, RegExp][] = [
    ['heart rate above uint16', 0x2a37, { heartRate: 70_000 }, /heartRate: must be an integer 0…65535/],
    ['fractional heart rate', 0x2a37, { heartRate: 72.5 }, /heartRate/],
    ['unknown sensor contact', 0x2a37, { heartRate: 72, sensorContact: 'yes' }, /sensorContact/],
    [
      'RR-interval out of range',
      0x2a37,
      { heartRate: 72, rrIntervalsRaw1024: [1, -1] },
      /rrIntervalsRaw1024\[1\]/,
    ],
    [
      'NaN systolic as a number',
      0x2a35,
      { unit: 'mmHg', systolic: Number.NaN, diastolic: 80, meanArterialPressure: 90 },
      /systolic: NaN is not finite/,
    ],
    [
      'systolic out of SFLOAT range',
      0x2a35,
      { unit: 'mmHg', systolic: 3e10, diastolic: 80, meanArterialPressure: 90 },
      /systolic: .*out of the SFLOAT range/,
    ],
    ['unknown BP unit', 0x2a35, { unit: 'psi', systolic: 1, diastolic: 1, meanArterialPressure: 1 }, /unit/],
    [
      'month 13',
      0x2a1c,
      { unit: 'Celsius', temperature: 37, timestamp: { ...t, month: 13 } },
      /timestamp: month/,
    ],
    [
      'concentration without type',
      0x2a18,
      { sequenceNumber: 1, baseTime: t, unit: 'kg/L', glucoseConcentration: 0.001, sampleLocation: 1 },
      /type: must be an integer 0…15/,
    ],
    [
      'concentration without unit',
      0x2a18,
      { sequenceNumber: 1, baseTime: t, glucoseConcentration: 0.001, type: 1, sampleLocation: 1 },
      /unit/,
    ],
    [
      'type without concentration',
      0x2a18,
      { sequenceNumber: 1, baseTime: t, type: 1 },
      /only with a concentration/,
    ],
    [
      'time offset beyond sint16',
      0x2a18,
      { sequenceNumber: 1, baseTime: t, timeOffsetMinutes: 40_000 },
      /timeOffsetMinutes/,
    ],
    ['no weight at all', 0x2a9d, { unit: 'kg' }, /give weight, weightRaw or measurementUnsuccessful/],
    ['weight above 327.67 kg', 0x2a9d, { unit: 'kg', weight: 400 }, /weight: 400 is out of range/],
    ['weight and raw disagree', 0x2a9d, { unit: 'kg', weight: 70, weightRaw: 1 }, /disagrees with weightRaw/],
    ['BMI without height', 0x2a9d, { unit: 'kg', weight: 70, bmi: 22 }, /sent together/],
    [
      'BMI with an unsuccessful measurement',
      0x2a9d,
      { unit: 'kg', measurementUnsuccessful: true, bmi: 22, height: 1.7 },
      /must be absent/,
    ],
    [
      'unsuccessful but a weight',
      0x2a9d,
      { unit: 'kg', weight: 70, measurementUnsuccessful: true },
      /contradicts/,
    ],
    [
      'device status beyond 24 bits',
      0x2a5e,
      { spo2: 97, pulseRate: 70, deviceAndSensorStatusRaw: 0x1000000 },
      /deviceAndSensorStatusRaw/,
    ],
    [
      'a measurement for another characteristic',
      0x2a5f,
      { characteristic: 0x2a5e, spo2: 97, pulseRate: 70 },
      /characteristic: the measurement is for 0x2A5E/,
    ],
  ];
  it.each(refusals)('refuses %s with a GattEncodeError', (_what, c, input, message) => {
    let error: unknown;
    try {
      encodeGatt(c, input as GattMeasurementInitMap[typeof c]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GattEncodeError);
    expect(isHealthItError(error, 'codec/encode')).toBe(true);
    expect((error as GattEncodeError).characteristic).toBe(c);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses unsupported characteristics and non-objects', () => {
    expect(() => encodeGatt(0x2a00 as GattCharacteristicUuid, { heartRate: 1 } as never)).toThrow(
      expect.objectContaining({ code: 'codec/unknown-content-type' }),
    );
    expect(() => encodeGatt(0x2a37, null as never)).toThrow(GattEncodeError);
  });
});
