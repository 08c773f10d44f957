import { type DeviceId, METRIC_IDS, Reading } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { Hl7UnsupportedMessageError } from './errors.js';
import {
  type OruEvent,
  type OruToReadingsOptions,
  oruToReadings,
  SEQ_SLOTS_PER_MS,
} from './oru-to-readings.js';
import { parseHl7 } from './parse.js';

const MSH = 'MSH|^~\\&|GW^0123456789ABCDEF^EUI-64|ICU|||20250101120500+0100||ORU^R01^ORU_R01|M-1|P|2.6';
const OBR = 'OBR|1|||182777000^monitoring of patient^SCT|||20250101120000+0100';
/** MSH-7 and OBR-7 are local +0100 times: 11:05 and 11:00 UTC. */
const T_OBR = Date.UTC(2025, 0, 1, 11, 0);

function obx(fields: Record<number, string>): string {
  const max = Math.max(...Object.keys(fields).map(Number));
  const out: string[] = [];
  for (let i = 1; i <= max; i++) out.push(fields[i] ?? '');
  return `OBX|${out.join('|')}`;
}

/** An NM OBX of SpO2 97 % from device mon-1, status F, with overrides. */
function spo2(over: Record<number, string> = {}): string {
  return obx({
    1: '1',
    2: 'NM',
    3: '150456^MDC_PULS_OXIM_SAT_O2^MDC',
    4: '1.1.1.1',
    5: '97',
    6: '262688^MDC_DIM_PERCENT^MDC',
    11: 'F',
    18: 'mon-1',
    ...over,
  });
}

function run(segments: readonly string[], options: OruToReadingsOptions = {}) {
  const result = oruToReadings(parseHl7(segments.join('\r')), options);
  for (const r of result.readings) expect(Reading.safeParse(r).success, JSON.stringify(r)).toBe(true);
  return result;
}

const types = (events: readonly OruEvent[]): string[] => events.map((e) => e.type);
function rejection(events: readonly OruEvent[]) {
  const e = events[0];
  if (e?.type !== 'observation-rejected')
    throw new Error(`expected a rejection, got ${JSON.stringify(events)}`);
  return e.error;
}

describe('oruToReadings: one OBX', () => {
  it('maps an SpO2 OBX to a canonical reading with patient, device, time and quality', () => {
    const { readings, events, header } = run([MSH, 'PID|||P-1^^^H^MR~X-2', OBR, spo2()]);
    expect(events).toEqual([]);
    const seq = T_OBR * 32 + METRIC_IDS.indexOf('spo2');
    expect(readings).toEqual([
      {
        id: `mon-1:${seq}`,
        deviceId: 'mon-1',
        patientId: 'P-1',
        metric: 'spo2',
        value: 97,
        unit: '%',
        ts: T_OBR,
        seq,
        quality: 'good',
      },
    ]);
    expect(header).toEqual({
      controlId: 'M-1',
      messageType: 'ORU^R01',
      version: '2.6',
      processingId: 'P',
      sendingApplication: 'GW',
      sendingFacility: 'ICU',
      messageTs: Date.UTC(2025, 0, 1, 11, 5),
      defaultUtcOffsetMinutes: 60,
    });
  });

  it.each([
    ['147842^MDC_ECG_HEART_RATE^MDC', '72', '264864^MDC_DIM_BEAT_PER_MIN^MDC', 'heart-rate', 72, '/min'],
    ['149530^MDC_PULS_OXIM_PULS_RATE^MDC', '71', '264864^MDC_DIM_BEAT_PER_MIN^MDC', 'pulse-rate', 71, '/min'],
    ['149546^MDC_PULS_RATE_NON_INV^MDC', '63', '{beat}/min^{beat}/min^UCUM', 'heart-rate', 63, '/min'],
    ['151562^MDC_RESP_RATE^MDC', '16', '264928^MDC_DIM_RESP_PER_MIN^MDC', 'respiratory-rate', 16, '/min'],
    ['151562^MDC_RESP_RATE^MDC', '16', '{breaths}/min^^UCUM', 'respiratory-rate', 16, '/min'],
    ['150021^MDC_PRESS_BLD_NONINV_SYS^MDC', '120', '266016^MDC_DIM_MMHG^MDC', 'bp-systolic', 120, 'mm[Hg]'],
    [
      '150022^MDC_PRESS_BLD_NONINV_DIA^MDC',
      '10.666',
      '265987^MDC_DIM_KILO_PASCAL^MDC',
      'bp-diastolic',
      10.666 * (1000 / 133.322387415),
      'mm[Hg]',
    ],
    ['150023^MDC_PRESS_BLD_NONINV_MEAN^MDC', '93', 'mm[Hg]^mm[Hg]^UCUM', 'bp-mean', 93, 'mm[Hg]'],
    ['150364^MDC_TEMP_BODY^MDC', '37.2', '268192^MDC_DIM_DEGC^MDC', 'body-temperature', 37.2, 'Cel'],
    ['150364^MDC_TEMP_BODY^MDC', '98.6', '266560^MDC_DIM_FAHR^MDC', 'body-temperature', 37, 'Cel'],
    ['150364^MDC_TEMP_BODY^MDC', '310.15', 'K^kelvin^UCUM', 'body-temperature', 37, 'Cel'],
    ['8867-4^Heart rate^LN', '80', '/min^^UCUM', 'heart-rate', 80, '/min'],
    ['X1^local^L^59408-5^SpO2^LN', '95', '%^^UCUM', 'spo2', 95, '%'],
    ['150456^MDC_PULS_OXIM_SAT_O2^MDC', '96', '%', 'spo2', 96, '%'],
    ['150456^MDC_PULS_OXIM_SAT_O2^MDC', '96', '262688', 'spo2', 96, '%'],
  ])('%s %s %s → %s', (code, value, unit, metric, expected, canonical) => {
    const { readings, events } = run([MSH, OBR, spo2({ 3: code, 5: value, 6: unit })]);
    expect(events).toEqual([]);
    expect(readings).toHaveLength(1);
    expect(readings[0]?.metric).toBe(metric);
    expect(readings[0]?.value).toBeCloseTo(expected, 9);
    expect(readings[0]?.unit).toBe(canonical);
  });

  it('reads SN values without comparator or range, and rejects others', () => {
    expect(run([MSH, OBR, spo2({ 2: 'SN', 5: '=^95' })]).readings[0]?.value).toBe(95);
    expect(run([MSH, OBR, spo2({ 2: 'SN', 5: '^94' })]).readings[0]?.value).toBe(94);
    expect(rejection(run([MSH, OBR, spo2({ 2: 'SN', 5: '<^90' })]).events).reason).toMatch(
      /comparator or range/,
    );
    expect(rejection(run([MSH, OBR, spo2({ 2: 'SN', 5: '^90^-^95' })]).events).reason).toMatch(
      /comparator or range/,
    );
  });
});

describe('oruToReadings: result status (OBX-11) and measurement status (OBX-8)', () => {
  it.each([
    ['F', 'good'],
    ['U', 'good'],
    ['R', undefined],
    ['P', undefined],
    ['S', undefined],
  ])('OBX-11 %s → a reading of quality %s', (status, quality) => {
    const { readings } = run([MSH, OBR, spo2({ 11: status })]);
    expect(readings).toHaveLength(1);
    expect(readings[0]?.quality).toBe(quality);
  });

  it.each(['X', 'N', 'I', 'O', 'C', 'D', 'W'])(
    'OBX-11 %s → no reading, an event with the reason',
    (status) => {
      const { readings, events } = run([MSH, OBR, spo2({ 11: status })]);
      expect(readings).toEqual([]);
      expect(events).toHaveLength(1);
      const e = events[0];
      expect(e?.type).toBe('observation-not-a-reading');
      if (e?.type === 'observation-not-a-reading') {
        expect(e.reason).toMatch(new RegExp(`^OBX-11 ${status}:`));
        expect(e.observation).toMatchObject({
          code: '150456',
          value: '97',
          status,
          segmentIndex: 2,
          equipment: 'mon-1',
        });
      }
    },
  );

  it('an unknown or missing OBX-11 is rejected (table 0085 / required)', () => {
    expect(rejection(run([MSH, OBR, spo2({ 11: 'Q' })]).events)).toMatchObject({
      field: 11,
      hl7ErrorCode: 103,
    });
    expect(rejection(run([MSH, OBR, spo2({ 11: '' })]).events)).toMatchObject({
      field: 11,
      hl7ErrorCode: 101,
    });
    expect(run([MSH, OBR, spo2({ 11: '' })], { acceptMissingResultStatus: true }).readings).toHaveLength(1);
  });

  it.each([
    ['invalid', 'bad'],
    ['questionable', 'questionable'],
    ['calibration-ongoing', 'questionable'],
    ['early-indication', 'questionable'],
    ['L~questionable', 'questionable'],
    ['questionable~invalid', 'bad'],
    ['invalid~questionable', 'bad'],
    ['H', 'good'],
  ])('OBX-8 %s → quality %s', (flags, quality) => {
    expect(run([MSH, OBR, spo2({ 8: flags })]).readings[0]?.quality).toBe(quality);
  });

  it.each(['test-data', 'demo-data', 'not-available', 'msmt-ongoing', 'L~demo-data'])(
    'OBX-8 %s → no reading',
    (flags) => {
      const { readings, events } = run([MSH, OBR, spo2({ 8: flags })]);
      expect(readings).toEqual([]);
      expect(types(events)).toEqual(['observation-not-a-reading']);
    },
  );
});

describe('oruToReadings: rejected values', () => {
  it.each([
    [{ 5: '' }, 5, 101, /empty/],
    [{ 5: 'abc' }, 5, 102, /not an HL7 NM/],
    [{ 5: '1e2' }, 5, 102, /not an HL7 NM/],
    [{ 5: '97~98' }, 5, 102, /repeats/],
    [{ 2: 'ST' }, 2, 102, /value type "ST"/],
    [{ 2: '' }, 2, 102, /value type ""/],
    [{ 6: '' }, 6, 101, /OBX-6 units/],
    [{ 6: '264864^MDC_DIM_BEAT_PER_MIN^MDC' }, 6, 103, /not a unit of spo2/],
    [{ 6: '999999^MDC_DIM_X^MDC' }, 6, 103, /not a known MDC or UCUM unit/],
    [{ 6: 'pct^percent^99LOCAL' }, 6, 103, /not a known/],
    [{ 18: 'bad id!' }, 18, 102, /not a valid device id/],
    [{ 14: '2025' }, 14, 102, /only precise to the year/],
    [{ 14: '2025010112' }, 14, 102, /only precise to the hour/],
    [{ 14: '20251301' }, 14, 102, /month 13/],
    [{ 14: '19691231235959+0000' }, 14, 102, /before 1970/],
  ])('%j → rejected at OBX-%s', (over, field, code, reason) => {
    const { readings, events } = run([MSH, OBR, spo2(over as Record<number, string>)]);
    expect(readings).toEqual([]);
    const error = rejection(events);
    expect(error).toMatchObject({
      field,
      hl7ErrorCode: code,
      segmentIndex: 2,
      segmentId: 'OBX',
      code: 'codec/decode',
    });
    expect(error.reason).toMatch(reason);
  });

  it('needs an OBR before the OBX', () => {
    expect(rejection(run([MSH, spo2()]).events).hl7ErrorCode).toBe(100);
  });

  it('needs a device', () => {
    const error = rejection(run([MSH, OBR, spo2({ 18: '' })]).events);
    expect(error).toMatchObject({ field: 18, hl7ErrorCode: 101 });
    expect(run([MSH, OBR, spo2({ 18: '' })], { deviceId: 'bed-7' }).readings[0]?.deviceId).toBe('bed-7');
  });

  it('reports unmapped observations instead of dropping them', () => {
    const { readings, events } = run([
      MSH,
      OBR,
      spo2({ 3: '150448^MDC_PULS_OXIM_PERF_REL^MDC', 5: '3.9' }),
      spo2({ 3: '8867-4^HR^LOCAL' }),
    ]);
    expect(readings).toEqual([]);
    expect(types(events)).toEqual(['observation-unmapped', 'observation-unmapped']);
  });

  it('reports a duplicate reading in one message', () => {
    const { readings, events } = run([MSH, OBR, spo2(), spo2({ 5: '98' })]);
    expect(readings).toHaveLength(1);
    expect(types(events)).toEqual(['observation-duplicate']);
  });
});

describe('oruToReadings: time', () => {
  it('OBX-14 wins over OBR-7 and MSH-7', () => {
    expect(run([MSH, OBR, spo2({ 14: '20250101115959.5+0000' })]).readings[0]?.ts).toBe(
      Date.UTC(2025, 0, 1, 11, 59, 59, 500),
    );
  });

  it('then the OBX-14 of the nearest containing OBX (OBX-4 tree), then OBR-7, then MSH-7', () => {
    const container = (subId: string, time: string) =>
      obx({ 1: '9', 3: '70686^MDC_DEV_PRESS_BLD_NONINV_VMD^MDC', 4: subId, 11: 'X', 14: time });
    const inherited = run([
      MSH,
      OBR,
      container('1.0.0.0', '20250101100000+0000'),
      container('1.1.0.0', '20250101103000+0000'),
      spo2(),
    ]);
    expect(inherited.readings[0]?.ts).toBe(Date.UTC(2025, 0, 1, 10, 30));
    const sibling = run([MSH, OBR, container('1.2.0.0', '20250101103000+0000'), spo2()]);
    expect(sibling.readings[0]?.ts).toBe(T_OBR);
    const fromMsh = run([MSH, 'OBR|1', spo2()]);
    expect(fromMsh.readings[0]?.ts).toBe(Date.UTC(2025, 0, 1, 11, 5));
    const none = run(['MSH|^~\\&|GW||||||ORU^R01|M|P|2.6', 'OBR|1', spo2()]);
    expect(rejection(none.events).reason).toMatch(/no time/);
  });

  it('a time without a zone is in defaultUtcOffsetMinutes, else in the zone of MSH-7, else UTC', () => {
    const local = spo2({ 14: '20250101120000' });
    expect(run([MSH, OBR, local]).readings[0]?.ts).toBe(Date.UTC(2025, 0, 1, 11));
    expect(run([MSH, OBR, local], { defaultUtcOffsetMinutes: -300 }).readings[0]?.ts).toBe(
      Date.UTC(2025, 0, 1, 17),
    );
    const noZone = 'MSH|^~\\&|GW||||20250101120500||ORU^R01|M|P|2.6';
    expect(run([noZone, OBR, local]).readings[0]?.ts).toBe(Date.UTC(2025, 0, 1, 12));
    expect(() => run([MSH, OBR, local], { defaultUtcOffsetMinutes: 1000 })).toThrow(RangeError);
  });

  it('reports a malformed OBR-7 on the OBX that needs it', () => {
    const error = rejection(run([MSH, 'OBR|1||||||2025013', spo2()]).events);
    expect(error.field).toBe(7);
  });
});

describe('oruToReadings: devices, patients and ids', () => {
  it('device from OBX-18 EI.1, else EI.3, else the nearest container, else options.deviceId', () => {
    expect(run([MSH, OBR, spo2({ 18: '^^AABBCCDDEEFF0011^EUI-64' })]).readings[0]?.deviceId).toBe(
      'AABBCCDDEEFF0011',
    );
    expect(run([MSH, OBR, spo2({ 18: '~0011223344556677^EUI-64' })]).readings[0]?.deviceId).toBe(
      '0011223344556677',
    );
    const mds = obx({
      1: '1',
      3: '69965^MDC_DEV_MON_PHYSIO_MULTI_PARAM_MDS^MDC',
      4: '1',
      11: 'X',
      18: 'MDS-1^EUI-64',
    });
    expect(run([MSH, OBR, mds, spo2({ 18: '' })]).readings[0]?.deviceId).toBe('MDS-1');
  });

  it('patient from the PID before the observation; none when PID-3 is invalid (reported)', () => {
    const { readings, events } = run([
      MSH,
      'PID|||A-1',
      OBR,
      spo2(),
      'PID|||has space',
      OBR,
      spo2({ 18: 'mon-2' }),
      'PID|||B-2',
      OBR,
      spo2({ 18: 'mon-3' }),
    ]);
    expect(readings.map((r) => [r.deviceId, r.patientId])).toEqual([
      ['mon-1', 'A-1'],
      ['mon-2', undefined],
      ['mon-3', 'B-2'],
    ]);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'patient-id-invalid', segmentIndex: 4, value: 'has space' });
    expect(run([MSH, 'PID|||A-1', OBR, spo2()], { patientId: 'fixed-9' }).readings[0]?.patientId).toBe(
      'fixed-9',
    );
    expect(() => run([MSH, OBR, spo2()], { patientId: 'no good' })).toThrow(RangeError);
  });

  it('seq: OBX-21 when it is this device’s reading id, else assignSeq, else derived from time and metric', () => {
    expect(run([MSH, OBR, spo2({ 21: 'mon-1:42' })]).readings[0]).toMatchObject({ id: 'mon-1:42', seq: 42 });
    expect(run([MSH, OBR, spo2({ 21: 'mon-2:42' })]).readings[0]?.seq).toBe(
      T_OBR * 32 + METRIC_IDS.indexOf('spo2'),
    );
    expect(run([MSH, OBR, spo2({ 21: 'mon-1:x' })]).readings[0]?.seq).toBe(
      T_OBR * 32 + METRIC_IDS.indexOf('spo2'),
    );
    const calls: [DeviceId, string, number][] = [];
    const counted = run([MSH, OBR, spo2()], {
      assignSeq: (device, metric, ts) => {
        calls.push([device, metric, ts]);
        return 7;
      },
    });
    expect(counted.readings[0]).toMatchObject({ id: 'mon-1:7', seq: 7 });
    expect(calls).toEqual([['mon-1', 'spo2', T_OBR]]);
    expect(() => run([MSH, OBR, spo2()], { assignSeq: () => -1 })).toThrow(RangeError);
  });

  it('the default seq has a slot for every catalogue metric and stays a safe integer', () => {
    expect(METRIC_IDS.length).toBeLessThanOrEqual(SEQ_SLOTS_PER_MS);
    expect(
      Number.isSafeInteger(Date.UTC(9999, 11, 31, 23, 59, 59, 999) * SEQ_SLOTS_PER_MS + SEQ_SLOTS_PER_MS),
    ).toBe(true);
  });

  it('keeps message order unless a device’s seq would go backwards, then sorts by seq', () => {
    const hr = spo2({ 3: '147842^MDC_ECG_HEART_RATE^MDC', 6: '264864^MDC_DIM_BEAT_PER_MIN^MDC', 5: '70' });
    const inOrder = run([MSH, OBR, hr, spo2()]).readings.map((r) => r.metric);
    expect(inOrder).toEqual(['heart-rate', 'spo2']);
    const reversed = run([MSH, OBR, spo2(), hr]).readings.map((r) => r.metric);
    expect(reversed).toEqual(['heart-rate', 'spo2']);
    const otherDevices = run([MSH, OBR, spo2(), hr.replace('mon-1', 'mon-2')]).readings.map((r) => r.metric);
    expect(otherDevices).toEqual(['spo2', 'heart-rate']);
  });

  it('takes extra MDC codes and units', () => {
    const art = spo2({ 3: '150017^MDC_PRESS_BLD_ART_SYS^MDC', 6: '999001^MDC_DIM_LOCAL^MDC', 5: '118' });
    expect(types(run([MSH, OBR, art]).events)).toEqual(['observation-unmapped']);
    const { readings } = run([MSH, OBR, art], {
      mdcMetrics: { '150017': 'bp-systolic' },
      mdcUnits: { '999001': 'mm[Hg]' },
    });
    expect(readings[0]).toMatchObject({ metric: 'bp-systolic', value: 118, unit: 'mm[Hg]' });
  });
});

describe('oruToReadings: message types', () => {
  it('accepts only ORU^R01', () => {
    for (const [type, code] of [
      ['ADT^A01', 200],
      ['ORU^R40^ORU_R40', 201],
      ['ORU', 201],
    ] as const) {
      const m = parseHl7(`MSH|^~\\&|A||||||${type}|1|P|2.6`);
      expect(() => oruToReadings(m)).toThrow(Hl7UnsupportedMessageError);
      try {
        oruToReadings(m);
      } catch (e) {
        expect((e as Hl7UnsupportedMessageError).hl7ErrorCode).toBe(code);
      }
    }
  });
});
