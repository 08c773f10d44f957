import { isHealthItError, parse, Reading, ValidationError } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeGatt, encodeGatt } from './gatt-codec.js';
import { decodeSfloat, SPECIAL_VALUES } from './ieee11073.js';
import { gattToReadings } from './to-readings.js';

const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
const RECEIVED = Date.UTC(2025, 0, 1, 12, 0, 0);
const ctx = { deviceId: 'ble-01', seq: 10, fallbackTs: RECEIVED } as const;
const t = { year: 2024, month: 11, day: 29, hours: 23, minutes: 8, seconds: 57 };

function valid(readings: readonly Reading[]): void {
  for (const r of readings) {
    expect(parse(Reading, 'Reading', r)).toEqual(r);
    expect(Number.isFinite(r.value)).toBe(true);
  }
}

describe('gattToReadings', () => {
  it('maps a kPa blood pressure frame to mm[Hg] readings, numbered from seq, at the frame time', () => {
    const m = decodeGatt(
      0x2a35,
      encodeGatt(0x2a35, {
        unit: 'kPa',
        systolic: 16,
        diastolic: 10.7,
        meanArterialPressure: 12.4,
        pulseRate: 64,
        timestamp: t,
      }),
    );
    const { readings, events } = gattToReadings(m, { ...ctx, patientId: 'pat-7', utcOffsetMinutes: 60 });
    expect(events).toEqual([]);
    valid(readings);
    expect(readings.map((r) => [r.id, r.metric, r.value, r.unit, r.seq])).toEqual(
      [
        ['ble-01:10', 'bp-systolic', 120.009852, 'mm[Hg]', 10],
        ['ble-01:11', 'bp-diastolic', 80.256589, 'mm[Hg]', 11],
        ['ble-01:12', 'bp-mean', 93.007635, 'mm[Hg]', 12],
        ['ble-01:13', 'pulse-rate', 64, '/min', 13],
      ].map(([id, metric, value, unit, seq]) => [id, metric, expect.closeTo(value as number, 5), unit, seq]),
    );
    for (const r of readings) {
      expect(r.ts).toBe(Date.UTC(2024, 10, 29, 22, 8, 57));
      expect(r.patientId).toBe('pat-7');
      expect(r.deviceId).toBe('ble-01');
      expect(r).not.toHaveProperty('quality');
    }
  });

  it('turns a special value into an event, never a NaN reading', () => {
    const m = decodeGatt(0x2a35, hex('00780050000008')); // MAP = 0x0800 NRes
    expect(m.meanArterialPressure).toBe(SPECIAL_VALUES.NRes);
    const { readings, events } = gattToReadings(m, ctx);
    expect(readings.map((r) => [r.metric, r.value, r.seq])).toEqual([
      ['bp-systolic', 120, 10],
      ['bp-diastolic', 80, 11],
    ]);
    expect(events).toEqual([
      {
        type: 'special-value',
        deviceId: 'ble-01',
        characteristic: 0x2a35,
        field: 'meanArterialPressure',
        metric: 'bp-mean',
        special: 'NRes',
        message: expect.stringContaining('meanArterialPressure is the special value NRes'),
      },
    ]);
  });

  it('converts °F to Cel without binary noise and marks cuff problems questionable', () => {
    const temp = decodeGatt(0x2a1c, encodeGatt(0x2a1c, { unit: 'Fahrenheit', temperature: 98.6 }));
    expect(gattToReadings(temp, ctx).readings[0]).toMatchObject({
      metric: 'body-temperature',
      value: 37,
      unit: 'Cel',
    });
    const bp = decodeGatt(
      0x2a35,
      encodeGatt(0x2a35, {
        unit: 'mmHg',
        systolic: 150,
        diastolic: 95,
        meanArterialPressure: 113,
        measurementStatusRaw: 0x02,
      }),
    );
    expect(gattToReadings(bp, ctx).readings.every((r) => r.quality === 'questionable')).toBe(true);
  });

  it('maps heart rate at the fallback time, questionable without skin contact', () => {
    const contact = gattToReadings(decodeGatt(0x2a37, hex('1E5532002100')), ctx);
    expect(contact).toEqual({
      readings: [
        {
          id: 'ble-01:10',
          deviceId: 'ble-01',
          metric: 'heart-rate',
          value: 85,
          unit: '/min',
          ts: RECEIVED,
          seq: 10,
        },
      ],
      events: [],
    });
    const noContact = gattToReadings(decodeGatt(0x2a37, hex('04FF')), ctx);
    expect(noContact.readings[0]?.quality).toBe('questionable');
  });

  it('converts glucose from kg/L and mol/L to mg/dL with the molar mass of glucose', () => {
    const base = { sequenceNumber: 3, baseTime: t, type: 1, sampleLocation: 1 };
    const kgPerL = decodeGatt(
      0x2a18,
      encodeGatt(0x2a18, { ...base, unit: 'kg/L', glucoseConcentration: 0.00099 }),
    );
    expect(gattToReadings(kgPerL, ctx).readings[0]).toMatchObject({
      metric: 'glucose',
      value: 99,
      unit: 'mg/dL',
    });
    const molPerL = decodeGatt(
      0x2a18,
      encodeGatt(0x2a18, { ...base, unit: 'mol/L', glucoseConcentration: 0.0055 }),
    );
    expect(gattToReadings(molPerL, ctx).readings[0]?.value).toBeCloseTo(99.0858, 10);
  });

  it('stamps glucose with Base Time + Time Offset', () => {
    const m = decodeGatt(0x2a18, hex('1B0100E307021B0B0A1EFBFF1E00120501'));
    const { readings, events } = gattToReadings(m, { ...ctx, utcOffsetMinutes: 0 });
    expect(events).toEqual([]);
    expect(readings[0]).toMatchObject({
      ts: Date.UTC(2019, 1, 27, 11, 5, 30),
      value: 3_000_000,
      quality: 'bad',
    });
  });

  it('skips control-solution glucose tests with an event', () => {
    const m = decodeGatt(0x2a18, hex('020100D007010203040534111A')); // type 10 Control Solution
    const { readings, events } = gattToReadings(m, { ...ctx, utcOffsetMinutes: 0 });
    expect(readings).toEqual([]);
    expect(events).toEqual([
      expect.objectContaining({ type: 'measurement-skipped', reason: 'control-solution' }),
    ]);
  });

  it('does not trust a glucose time with a time fault, nor a PLX time with the clock not set', () => {
    const glucose = decodeGatt(
      0x2a18,
      encodeGatt(0x2a18, {
        sequenceNumber: 1,
        baseTime: t,
        unit: 'kg/L',
        glucoseConcentration: 0.001,
        type: 1,
        sampleLocation: 1,
        sensorStatus: { timeFault: true },
      }),
    );
    const g = gattToReadings(glucose, { ...ctx, utcOffsetMinutes: 0 });
    expect(g.readings[0]?.ts).toBe(RECEIVED);
    expect(g.events).toEqual([
      expect.objectContaining({ type: 'timestamp-fallback', reason: 'time-fault', frameTime: t }),
    ]);

    const plx = decodeGatt(
      0x2a5e,
      encodeGatt(0x2a5e, { spo2: 95, pulseRate: 80, timestamp: t, deviceClockNotSet: true }),
    );
    const p = gattToReadings(plx, { ...ctx, utcOffsetMinutes: 0 });
    expect(p.readings.map((r) => r.ts)).toEqual([RECEIVED, RECEIVED]);
    expect(p.events).toEqual([expect.objectContaining({ reason: 'clock-not-set' })]);
  });

  it.each([
    ['no UTC offset in the context', t, undefined, 'no-utc-offset'],
    ['an unknown year', { ...t, year: 0 }, 0, 'incomplete-or-invalid'],
    ['31 April', { ...t, month: 4, day: 31 }, 0, 'incomplete-or-invalid'],
    ['a time before 1970', { ...t, year: 1969 }, 0, 'before-epoch'],
  ] as const)('falls back to fallbackTs for %s', (_what, timestamp, utcOffsetMinutes, reason) => {
    const m = decodeGatt(0x2a1c, encodeGatt(0x2a1c, { unit: 'Celsius', temperature: 37, timestamp }));
    const { readings, events } = gattToReadings(m, {
      ...ctx,
      ...(utcOffsetMinutes === undefined ? {} : { utcOffsetMinutes }),
    });
    expect(readings[0]?.ts).toBe(RECEIVED);
    expect(events).toEqual([
      expect.objectContaining({ type: 'timestamp-fallback', reason, frameTime: timestamp }),
    ]);
  });

  it('maps weight in lb to kg and skips an unsuccessful measurement', () => {
    const lb = gattToReadings(decodeGatt(0x2a9d, hex('01543D')), ctx);
    expect(lb.readings[0]).toMatchObject({ metric: 'body-weight', unit: 'kg' });
    expect(lb.readings[0]?.value).toBeCloseTo(157 * 0.45359237, 9);
    const failed = gattToReadings(decodeGatt(0x2a9d, hex('00FFFF')), ctx);
    expect(failed.readings).toEqual([]);
    expect(failed.events).toEqual([expect.objectContaining({ reason: 'measurement-unsuccessful' })]);
  });

  it('maps pulse oximetry (SpO2PR-Normal only) with quality from the status fields', () => {
    const continuous = gattToReadings(
      decodeGatt(0x2a5f, hex('1FDEF3CAF3CAF35AF5D4F3B2F220010000007AE3')),
      ctx,
    );
    expect(continuous.readings.map((r) => [r.metric, r.value, r.unit, r.quality])).toEqual([
      ['spo2', 99, '%', undefined],
      ['pulse-rate', 97, '/min', undefined],
    ]);
    const spot = gattToReadings(decodeGatt(0x2a5e, hex('0FACF3BEF5E8070B1D170839204022000066E3')), {
      ...ctx,
      utcOffsetMinutes: -300,
    });
    // Equipment malfunction (device status bit 1) makes the readings bad.
    expect(spot.readings.map((r) => [r.metric, r.value, r.quality, r.ts])).toEqual([
      ['spo2', 94, 'bad', Date.UTC(2024, 10, 30, 4, 8, 57)],
      ['pulse-rate', 147, 'bad', Date.UTC(2024, 10, 30, 4, 8, 57)],
    ]);
    const lowPerfusion = decodeGatt(
      0x2a5f,
      encodeGatt(0x2a5f, { spo2: 93, pulseRate: 88, deviceAndSensorStatus: ['lowPerfusionDetected'] }),
    );
    expect(gattToReadings(lowPerfusion, ctx).readings.map((r) => r.quality)).toEqual([
      'questionable',
      'questionable',
    ]);
    const demo = decodeGatt(
      0x2a5f,
      encodeGatt(0x2a5f, { spo2: 93, pulseRate: 88, measurementStatus: ['dataForTesting'] }),
    );
    expect(gattToReadings(demo, ctx)).toEqual({
      readings: [],
      events: [
        expect.objectContaining({ type: 'measurement-skipped', reason: 'demonstration-or-test-data' }),
      ],
    });
  });

  it('calls a seq allocator once per reading, in order', () => {
    let next = 100;
    const m = decodeGatt(0x2a5f, encodeGatt(0x2a5f, { spo2: 97, pulseRate: SPECIAL_VALUES['+INFINITY'] }));
    const { readings, events } = gattToReadings(m, { ...ctx, seq: () => next++ });
    expect(readings.map((r) => r.id)).toEqual(['ble-01:100']);
    expect(next).toBe(101);
    expect(events[0]).toMatchObject({ field: 'pulseRate', metric: 'pulse-rate', special: '+INFINITY' });
    expect(() => gattToReadings(m, { ...ctx, seq: () => -1 })).toThrow(RangeError);
  });

  it('refuses malformed contexts and measurements', () => {
    const m = decodeGatt(0x2a37, hex('0055'));
    expect(() => gattToReadings(m, { ...ctx, deviceId: 'bad id' })).toThrow(ValidationError);
    expect(() => gattToReadings(m, { ...ctx, patientId: '' })).toThrow(ValidationError);
    expect(() => gattToReadings(m, { ...ctx, fallbackTs: -1 })).toThrow(RangeError);
    expect(() => gattToReadings(m, { ...ctx, seq: 1.5 })).toThrow(RangeError);
    expect(() => gattToReadings(m, { ...ctx, utcOffsetMinutes: 2000 })).toThrow(RangeError);
    expect(() => gattToReadings({ heartRate: 1 } as never, ctx)).toThrow(TypeError);
    try {
      gattToReadings(m, { ...ctx, deviceId: 'bad id' });
    } catch (e) {
      expect(isHealthItError(e, 'validation/invalid')).toBe(true);
    }
  });

  it('yields valid readings or special-value events for every SFLOAT a blood pressure frame can carry', () => {
    const sfloat = fc.integer({ min: 0, max: 0xffff }).map((bits) => {
      const v = decodeSfloat(bits);
      return v.type === 'number' ? v.value : v;
    });
    fc.assert(
      fc.property(
        sfloat,
        sfloat,
        sfloat,
        fc.option(sfloat, { nil: null }),
        fc.constantFrom('mmHg', 'kPa'),
        (s, d, map, pr, unit) => {
          const m = decodeGatt(
            0x2a35,
            encodeGatt(0x2a35, { unit, systolic: s, diastolic: d, meanArterialPressure: map, pulseRate: pr }),
          );
          const { readings, events } = gattToReadings(m, ctx);
          valid(readings);
          const fields = [s, d, map, ...(pr === null ? [] : [pr])];
          expect(readings.length + events.length).toBe(fields.length);
          expect(events.length).toBe(fields.filter((v) => typeof v !== 'number').length);
          expect(readings.map((r) => r.seq)).toEqual(readings.map((_, i) => 10 + i));
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
