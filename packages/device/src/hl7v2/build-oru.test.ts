import { METRICS, type MetricId, Reading, readingId } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildOruR01 } from './build-oru.js';
import { formatNm } from './encode.js';
import { METRIC_TO_MDC } from './mdc.js';
import { oruToReadings } from './oru-to-readings.js';
import { parseHl7 } from './parse.js';

const T = Date.UTC(2025, 0, 1, 12);

interface ReadingInit {
  readonly metric: MetricId;
  readonly value: number;
  readonly deviceId?: string;
  readonly patientId?: string | undefined;
  readonly unit?: string;
  readonly ts?: number;
  readonly seq?: number;
  readonly quality?: Reading['quality'];
}

function reading(over: ReadingInit): Reading {
  const deviceId = over.deviceId ?? 'mon-1';
  const seq = over.seq ?? 1;
  return Reading.parse({
    id: readingId(deviceId, seq),
    deviceId,
    patientId: 'P-1',
    unit: METRICS[over.metric].unit,
    ts: T,
    seq,
    quality: 'good',
    ...over,
  });
}

describe('buildOruR01', () => {
  it('writes an IHE PCD-01 ORU^R01', () => {
    const text = buildOruR01(
      [
        reading({ metric: 'spo2', value: 97, seq: 1 }),
        reading({ metric: 'body-temperature', value: 37.25, seq: 2, ts: T + 250, quality: 'questionable' }),
        reading({ metric: 'bp-systolic', value: 118, seq: 9, deviceId: 'cuff-2', quality: 'bad' }),
      ],
      {
        controlId: 'MSG-1',
        timestamp: T + 1000,
        sendingApplication: ['MON_GW', '0123456789ABCDEF', 'EUI-64'],
        sendingFacility: 'ICU',
      },
    );
    expect(text.split('\r')).toEqual([
      'MSH|^~\\&|MON_GW^0123456789ABCDEF^EUI-64|ICU|||20250101120001+0000||ORU^R01^ORU_R01|MSG-1|P|2.6|||AL|NE||UNICODE UTF-8|||IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO',
      'PID|||P-1',
      'OBR|1|MSG-1^MON_GW|MSG-1^MON_GW|182777000^monitoring of patient^SCT|||20250101120000+0000',
      'OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.0.0.1|97|262688^MDC_DIM_PERCENT^MDC|||||F|||20250101120000+0000||||mon-1|||mon-1:1',
      'OBX|2|NM|150364^MDC_TEMP_BODY^MDC|1.0.0.2|37.25|268192^MDC_DIM_DEGC^MDC||questionable|||R|||20250101120000.250+0000||||mon-1|||mon-1:2',
      'OBX|3|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|2.0.0.1|118|266016^MDC_DIM_MMHG^MDC||invalid|||R|||20250101120000+0000||||cuff-2|||cuff-2:9',
      '',
    ]);
  });

  it('converts other units to the canonical one and writes times in the given offset', () => {
    const text = buildOruR01(
      [reading({ metric: 'body-temperature', value: 98.6, unit: '[degF]', patientId: undefined })],
      {
        controlId: 'M',
        timestamp: T,
        utcOffsetMinutes: 120,
      },
    );
    expect(text).not.toContain('PID');
    expect(text).toContain('|37|268192^MDC_DIM_DEGC^MDC|');
    expect(text).toContain('|20250101140000+0200|');
    const [r] = oruToReadings(parseHl7(text)).readings;
    expect(r).toMatchObject({ value: 37, unit: 'Cel', ts: T });
    expect(r?.patientId).toBeUndefined();
  });

  it('refuses what it cannot write', () => {
    const base = { controlId: 'M', timestamp: T };
    expect(() => buildOruR01([], base)).toThrow(RangeError);
    expect(() => buildOruR01([reading({ metric: 'spo2', value: 97 })], { ...base, controlId: '' })).toThrow(
      RangeError,
    );
    expect(() => buildOruR01([reading({ metric: 'glucose', value: 90 })], base)).toThrow(
      expect.objectContaining({ code: 'codec/encode' }),
    );
    expect(() =>
      buildOruR01(
        [
          reading({ metric: 'spo2', value: 97 }),
          reading({ metric: 'spo2', value: 96, seq: 2, patientId: 'P-2' }),
        ],
        base,
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'codec/encode',
        message: expect.stringMatching(/one message per patient/),
      }),
    );
    const nan = { ...reading({ metric: 'spo2', value: 97 }), value: Number.NaN } as Reading;
    expect(() => buildOruR01([nan], base)).toThrow(expect.objectContaining({ code: 'codec/encode' }));
  });

  const metrics = Object.keys(METRIC_TO_MDC) as MetricId[];
  const readingsArb = fc
    .record({
      patientId: fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,20}$/), { nil: undefined }),
      devices: fc.uniqueArray(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,30}$/), {
        minLength: 1,
        maxLength: 3,
      }),
      items: fc.array(
        fc.record({
          device: fc.nat(2),
          metric: fc.constantFrom(...metrics),
          value: fc.double({ noNaN: true, noDefaultInfinity: true }),
          ts: fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }),
          gap: fc.integer({ min: 1, max: 1000 }),
          quality: fc.constantFrom(undefined, 'good', 'questionable', 'bad'),
        }),
        { minLength: 1, maxLength: 12 },
      ),
    })
    .map(({ patientId, devices, items }) => {
      const seqs = new Map<string, number>();
      return items.map((item) => {
        const deviceId = devices[item.device % devices.length] as string;
        const seq = (seqs.get(deviceId) ?? 0) + item.gap;
        seqs.set(deviceId, seq);
        return Reading.parse({
          id: readingId(deviceId, seq),
          deviceId,
          ...(patientId === undefined ? {} : { patientId }),
          metric: item.metric,
          value: item.value,
          unit: METRICS[item.metric].unit,
          ts: item.ts,
          seq,
          ...(item.quality === undefined ? {} : { quality: item.quality }),
        });
      });
    });

  it('round-trips through parseHl7 and oruToReadings to the same readings (property)', () => {
    fc.assert(
      fc.property(readingsArb, fc.integer({ min: -720, max: 840 }), (readings, offset) => {
        const text = buildOruR01(readings, { controlId: 'RT-1', timestamp: T, utcOffsetMinutes: offset });
        const back = oruToReadings(parseHl7(text));
        expect(back.events).toEqual([]);
        expect(back.readings).toEqual(readings);
      }),
      { numRuns: 500 },
    );
  });
});

describe('formatNm', () => {
  it.each([
    [0, '0'],
    [-0, '-0'],
    [97, '97'],
    [-12.5, '-12.5'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e-10, '-0.00000000025'],
    [1.2345e25, '12345000000000000000000000'],
    [Number.MAX_VALUE, `17976931348623157${'0'.repeat(292)}`],
    [Number.MIN_VALUE, `0.${'0'.repeat(323)}5`],
  ])('%s → %s', (value, text) => {
    expect(formatNm(value)).toBe(text);
  });

  it('is an HL7 NM that reads back exactly (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => {
        const text = formatNm(v);
        expect(text).toMatch(/^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$/);
        expect(Object.is(Number(text), v)).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('refuses non-finite numbers', () => {
    expect(() => formatNm(Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
