import {
  type DeviceId,
  METRICS,
  type MetricId,
  type PatientId,
  Reading,
  ValidationError,
} from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateOmhDataPoint } from './data-point.js';
import { MAX_OMH_EPOCH_MS } from './date-time.js';
import { readingsToOmh } from './from-readings.js';
import { omhReadingId, omhToReadings } from './to-readings.js';

const T = Date.UTC(2025, 2, 1, 12, 0, 0);

function reading(metric: MetricId, value: number, extra: Partial<Reading> = {}): Reading {
  const seq = extra.seq ?? 1;
  const deviceId = (extra.deviceId ?? 'mon-1') as DeviceId;
  return {
    id: `${deviceId}:${seq}`,
    deviceId,
    metric,
    value,
    unit: METRICS[metric].unit,
    ts: T,
    seq,
    ...extra,
  };
}

describe('readingsToOmh', () => {
  it('writes a heart rate as an omh:heart-rate:2.0 data point', () => {
    const r = reading('heart-rate', 72, { patientId: 'pat-1' as PatientId });
    const { exported, unmapped } = readingsToOmh([r]);
    expect(unmapped).toEqual([]);
    expect(exported).toEqual([
      {
        schema: 'omh:heart-rate:2.0',
        readings: [r],
        dataPoint: {
          header: {
            id: 'mon-1:1',
            creation_date_time: '2025-03-01T12:00:00.000Z',
            schema_id: { namespace: 'omh', name: 'heart-rate', version: '2.0' },
            acquisition_provenance: {
              source_name: 'mon-1',
              source_creation_date_time: '2025-03-01T12:00:00.000Z',
              modality: 'sensed',
            },
            user_id: 'pat-1',
          },
          body: {
            heart_rate: { value: 72, unit: 'beats/min' },
            effective_time_frame: { date_time: '2025-03-01T12:00:00.000Z' },
          },
        },
      },
    ]);
  });

  it('pairs systolic and diastolic of the same device, patient and time into one blood-pressure point', () => {
    const sys = reading('bp-systolic', 118, { seq: 4 });
    const dia = reading('bp-diastolic', 76, { seq: 5 });
    const lone = reading('bp-systolic', 140, { seq: 6, ts: T + 60_000 });
    const other = reading('bp-diastolic', 90, { seq: 7, deviceId: 'mon-2' as DeviceId });
    const { exported, unmapped } = readingsToOmh([dia, reading('spo2', 96, { seq: 3 }), sys, lone, other], {
      createdAt: T + 5000,
      modality: 'self-reported',
    });
    expect(exported.map((e) => e.schema)).toEqual(['omh:blood-pressure:4.0', 'omh:oxygen-saturation:2.0']);
    expect(exported[0]?.readings).toEqual([sys, dia]);
    expect(exported[0]?.dataPoint.body).toEqual({
      systolic_blood_pressure: { value: 118, unit: 'mmHg' },
      diastolic_blood_pressure: { value: 76, unit: 'mmHg' },
      effective_time_frame: { date_time: '2025-03-01T12:00:00.000Z' },
    });
    expect(exported[0]?.dataPoint.header).toMatchObject({
      id: 'mon-1:4',
      creation_date_time: '2025-03-01T12:00:05.000Z',
      acquisition_provenance: { modality: 'self-reported' },
    });
    expect(exported[1]?.dataPoint.body).toEqual({
      oxygen_saturation: { value: 96, unit: '%' },
      effective_time_frame: { date_time: '2025-03-01T12:00:00.000Z' },
      system: 'peripheral capillary',
      measurement_method: 'pulse oximetry',
    });
    expect(unmapped).toEqual([
      { reading: lone, reason: 'unpaired-blood-pressure' },
      { reading: other, reason: 'unpaired-blood-pressure' },
    ]);
  });

  it('keeps units Open mHealth has and converts the others', () => {
    const cases: [Reading, Record<string, unknown>][] = [
      [
        { ...reading('body-temperature', 98.6), unit: '[degF]' },
        { body_temperature: { value: 98.6, unit: 'F' } },
      ],
      [
        { ...reading('body-temperature', 310.15), unit: 'K' },
        { body_temperature: { value: 310.15, unit: 'K' } },
      ],
      [{ ...reading('body-weight', 154), unit: '[lb_av]' }, { body_weight: { value: 154, unit: 'lb' } }],
      [{ ...reading('body-weight', 70_000), unit: 'g' }, { body_weight: { value: 70_000, unit: 'g' } }],
      [{ ...reading('glucose', 5.5), unit: 'mmol/L' }, { blood_glucose: { value: 5.5, unit: 'mmol/L' } }],
      [{ ...reading('glucose', 1), unit: 'g/L' }, { blood_glucose: { value: 100, unit: 'mg/dL' } }],
      [{ ...reading('heart-rate', 1.2), unit: '/s' }, { heart_rate: { value: 72, unit: 'beats/min' } }],
      [
        { ...reading('respiratory-rate', 14), unit: '{breaths}/min' },
        { respiratory_rate: { value: 14, unit: 'breaths/min' } },
      ],
      [{ ...reading('spo2', 0.97), unit: '1' }, { oxygen_saturation: { value: 97, unit: '%' } }],
    ];
    for (const [r, expected] of cases) {
      const body = readingsToOmh([r]).exported[0]?.dataPoint.body;
      const [key] = Object.keys(expected);
      expect(body?.[key!], `${r.metric} in ${r.unit}`).toEqual(expected[key!]);
    }
    const { exported } = readingsToOmh([
      { ...reading('bp-systolic', 16), unit: 'kPa' },
      { ...reading('bp-diastolic', 10, { seq: 2 }), unit: 'kPa' },
    ]);
    expect(exported[0]?.dataPoint.body.systolic_blood_pressure).toEqual({
      value: 16_000 / 133.322387415,
      unit: 'mmHg',
    });
  });

  it('reports what it cannot write', () => {
    const readings = [
      reading('pulse-rate', 70, { seq: 1 }),
      reading('bp-mean', 90, { seq: 2 }),
      reading('device-temperature', 4, { seq: 3 }),
      reading('spo2', 40, { seq: 4, quality: 'bad' }),
      reading('spo2', 97, { seq: 5, ts: MAX_OMH_EPOCH_MS + 1 }),
      reading('body-weight', 1e308, { seq: 6, unit: '[lb_av]' }),
      reading('heart-rate', 1e308, { seq: 7, unit: '/s' }),
    ];
    const { exported, unmapped } = readingsToOmh(readings);
    expect(exported.map((e) => e.readings[0]?.seq)).toEqual([6]); // 1e308 lb is written as it is
    expect(unmapped.map((u) => [u.reading.seq, u.reason])).toEqual([
      [1, 'no-omh-schema'],
      [2, 'no-omh-schema'],
      [3, 'no-omh-schema'],
      [4, 'bad-quality'],
      [5, 'not-representable'],
      [7, 'not-representable'],
    ]);
    expect(
      readingsToOmh([reading('spo2', 40, { quality: 'bad' })], { includeBadQuality: true }).exported,
    ).toHaveLength(1);
  });

  it('refuses invalid readings and options', () => {
    expect(() => readingsToOmh([{ ...reading('spo2', 97), unit: 'kg' }])).toThrow(ValidationError);
    expect(() => readingsToOmh([], { createdAt: -1 })).toThrow(RangeError);
  });
});

/** Readings of the metrics Open mHealth has, in canonical units, blood pressure in pairs. */
const arbReadings = fc
  .record({
    deviceId: fc.constantFrom('mon-1', 'cuff.2', 'oxi_3'),
    patientId: fc.option(fc.constantFrom('p1', 'pat-22'), { nil: undefined }),
    seq: fc.nat({ max: 1e12 }),
    ts: fc.integer({ min: 0, max: MAX_OMH_EPOCH_MS }),
    kind: fc.constantFrom<MetricId | 'bp'>(
      'heart-rate',
      'respiratory-rate',
      'spo2',
      'body-temperature',
      'body-weight',
      'glucose',
      'bp',
    ),
    a: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
    b: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
  })
  .map(({ deviceId, patientId, seq, ts, kind, a, b }): Reading[] => {
    const make = (metric: MetricId, value: number, s: number): Reading => ({
      id: `${deviceId}:${s}`,
      deviceId: deviceId as DeviceId,
      ...(patientId === undefined ? {} : { patientId: patientId as PatientId }),
      metric,
      value,
      unit: METRICS[metric].unit,
      ts,
      seq: s,
    });
    return kind === 'bp'
      ? [make('bp-systolic', a, seq), make('bp-diastolic', b, seq + 1)]
      : [make(kind, a, seq)];
  });

describe('round trips (fast-check)', () => {
  it('Reading → OMH data point → Reading gives the reading back, with the header-derived id', () => {
    fc.assert(
      fc.property(arbReadings, (readings) => {
        const { exported, unmapped } = readingsToOmh(readings);
        expect(unmapped).toEqual([]);
        expect(exported).toHaveLength(1);
        const point = exported[0]!.dataPoint;
        // What is written is valid Open mHealth.
        validateOmhDataPoint(JSON.parse(JSON.stringify(point)));
        const result = omhToReadings(JSON.parse(JSON.stringify(point)), { seq: readings[0]!.seq });
        expect(result.type).toBe('readings');
        const back = result.type === 'readings' ? result.readings : [];
        expect(back).toEqual(
          readings.map((r) => ({ ...r, id: omhReadingId(r.deviceId, readings[0]!.id, r.metric) })),
        );
        for (const r of back) expect(Reading.parse(r)).toEqual(r);
      }),
      { seed: 0x0a11, numRuns: 3000 },
    );
  });

  it('Reading → OMH body → Reading is the identity (ids <deviceId>:<seq>)', () => {
    fc.assert(
      fc.property(arbReadings, (readings) => {
        const [out] = readingsToOmh(readings).exported;
        const first = readings[0]!;
        const result = omhToReadings(JSON.parse(JSON.stringify(out!.dataPoint.body)), {
          schema: out!.schema,
          seq: first.seq,
          deviceId: first.deviceId,
          ...(first.patientId === undefined ? {} : { patientId: first.patientId }),
        });
        expect(result).toEqual({ type: 'readings', schema: out!.schema, readings });
      }),
      { seed: 0x0b0d, numRuns: 3000 },
    );
  });

  it('quality does not survive: Open mHealth has no field for it', () => {
    const r = reading('spo2', 91, { quality: 'questionable' });
    const point = readingsToOmh([r]).exported[0]!.dataPoint;
    const result = omhToReadings(point, { seq: 1 });
    expect(result.type === 'readings' && result.readings[0]).not.toHaveProperty('quality');
  });
});
