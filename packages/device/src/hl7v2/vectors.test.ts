import { readFileSync } from 'node:fs';
import { Reading } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { findHl7Segments, firstHl7Segment, hl7Field, hl7Value } from './access.js';
import { Hl7UnsupportedMessageError } from './errors.js';
import type { Hl7Message, Hl7Segment } from './message.js';
import { oruToReadings } from './oru-to-readings.js';
import { parseHl7 } from './parse.js';

const dir = new URL('../../test/vectors/hl7v2/', import.meta.url);

interface ObxCase {
  setId: string;
  valueType: string;
  code: string;
  text: string;
  codingSystem: string;
  subId_OBX4: string;
  value_OBX5: string;
  unitCode: string;
  unitText: string;
  unitSystem: string;
  referenceRange_OBX7: string;
  abnormalFlags_OBX8: string;
  OBX10: string;
  resultStatus_OBX11: string;
  observationTime_OBX14: string;
  equipmentId_OBX18: string;
  numericValue?: number;
}
interface MessageCase {
  file: string;
  MSH: Record<string, string>;
  PID: Record<string, string>;
  OBR: { OBR4: string; OBR7_observationDateTime: string }[];
  OBX: ObxCase[];
}

const cases = (JSON.parse(readFileSync(new URL('cases.json', dir), 'utf8')) as { messages: MessageCase[] })
  .messages;
const load = (file: string): string => readFileSync(new URL(file, dir), 'latin1');

/**
 * `cases.json` extracted MSH-21 of the ORU^R40 example as `…^ISO\nPID`: the file has a CR segment
 * terminator there (and no LF anywhere), so the field ends at `ISO`. The standard wins.
 */
const CORRECTIONS: Record<string, Record<string, string>> = {
  'ihe-pcd-tf2-E.3.1-spo2-low-alarm-oru-r40.hl7': {
    profile_MSH21: 'IHE_PCD_ACM_001^IHE PCD^1.3.6.1.4.1.19376.1.6.4.4.1^ISO',
  },
};

describe('shared HL7 v2 vectors (cases.json)', () => {
  it('has the 5 messages the README lists', () => {
    expect(cases.map((c) => c.file)).toHaveLength(5);
  });

  for (const c of cases) {
    describe(c.file, () => {
      const text = load(c.file);
      const m: Hl7Message = parseHl7(text);
      const msh = m.segments[0] as Hl7Segment;

      it('has CR segment terminators and no LF', () => {
        expect(text).toContain('\r');
        expect(text).not.toContain('\n');
      });

      it('MSH fields are the literal values of cases.json', () => {
        const expected = { ...c.MSH, ...CORRECTIONS[c.file] };
        expect({
          sendingApplication: hl7Field(msh, 3),
          sendingFacility: hl7Field(msh, 4),
          dateTime: hl7Field(msh, 7),
          messageType: hl7Field(msh, 9),
          controlId: hl7Field(msh, 10),
          processingId: hl7Field(msh, 11),
          version: hl7Field(msh, 12),
          profile_MSH21: hl7Field(msh, 21),
        }).toEqual(expected);
        expect(m.header.controlId).toBe(c.MSH.controlId);
        expect(m.header.version).toBe('2.6');
      });

      it('PID fields match', () => {
        const pid = firstHl7Segment(m, 'PID') as Hl7Segment;
        expect({
          PID3_patientId: hl7Field(pid, 3),
          PID5_name: hl7Field(pid, 5),
          PID7_dob: hl7Field(pid, 7),
          PID8_sex: hl7Field(pid, 8),
        }).toEqual(c.PID);
      });

      it('OBR fields match', () => {
        expect(
          findHl7Segments(m, 'OBR').map((obr) => ({
            OBR4: hl7Field(obr, 4),
            OBR7_observationDateTime: hl7Field(obr, 7),
          })),
        ).toEqual(c.OBR);
      });

      it(`all ${c.OBX.length} OBX match field by field, component by component`, () => {
        const obx = findHl7Segments(m, 'OBX');
        expect(obx).toHaveLength(c.OBX.length);
        obx.forEach((seg, i) => {
          const expected = c.OBX[i] as ObxCase;
          const { numericValue, ...fields } = expected;
          expect({
            setId: hl7Value(m, seg, 1),
            valueType: hl7Value(m, seg, 2),
            code: hl7Value(m, seg, 3, 1),
            text: hl7Value(m, seg, 3, 2),
            codingSystem: hl7Value(m, seg, 3, 3),
            subId_OBX4: hl7Field(seg, 4),
            value_OBX5: hl7Field(seg, 5),
            unitCode: hl7Value(m, seg, 6, 1),
            unitText: hl7Value(m, seg, 6, 2),
            unitSystem: hl7Value(m, seg, 6, 3),
            referenceRange_OBX7: hl7Field(seg, 7),
            abnormalFlags_OBX8: hl7Field(seg, 8),
            OBX10: hl7Field(seg, 10),
            resultStatus_OBX11: hl7Field(seg, 11),
            observationTime_OBX14: hl7Field(seg, 14),
            equipmentId_OBX18: hl7Field(seg, 18),
          }).toEqual(fields);
          if (numericValue !== undefined) expect(Number(hl7Value(m, seg, 5))).toBe(numericValue);
        });
      });
    });
  }
});

describe('the vectors as readings (oruToReadings)', () => {
  const read = (file: string, options = {}) => oruToReadings(parseHl7(load(file)), options);

  it('E.1.1: every vital sign has OBX-11 X, so no reading — each one reported with its value', () => {
    const { readings, events } = read('ihe-pcd-tf2-E.1.1-physio-monitor-oru-r01.hl7');
    expect(readings).toEqual([]);
    const notReadings = events.flatMap((e) => (e.type === 'observation-not-a-reading' ? [e] : []));
    expect(notReadings.map((e) => [e.observation.code, e.observation.value])).toEqual([
      ['150021', '117'],
      ['150022', '82'],
      ['150023', '90'],
      ['147842', '80'],
      ['151562', '30'],
      ['150456', '99'],
    ]);
    expect(notReadings.every((e) => e.reason.startsWith('OBX-11 X'))).toBe(true);
    // Every other OBX (containers, QT, rhythm, perfusion) is an unmapped event: 17 OBX, 17 events.
    expect(events).toHaveLength(17);
    expect(events.filter((e) => e.type === 'observation-unmapped').map((e) => e.observation.code)).toEqual([
      '69965',
      '70686',
      '70675',
      '4262',
      '4263',
      '147232',
      '147236',
      '184327',
      '69642',
      '70771',
      '150448',
    ]);
  });

  it('E.1.2: NIBP and cuff pulse rate in UCUM units, device from OBX-18, time from OBX-14', () => {
    const { readings, events, header } = read('ihe-pcd-tf2-E.1.2-episodic-nibp-oru-r01.hl7');
    const ts = Date.UTC(2011, 5, 2, 4, 58, 42); // 20110602045842, zone of MSH-7 (+0000)
    const device = '080019FFFE3ED02D172.16.172.135';
    expect(header.defaultUtcOffsetMinutes).toBe(0);
    expect(
      readings.map((r) => [r.metric, r.value, r.unit, r.ts, r.deviceId, r.patientId, r.quality]),
    ).toEqual([
      ['heart-rate', 63, '/min', ts, device, '12345', undefined],
      ['bp-systolic', 111, 'mm[Hg]', ts, device, '12345', undefined],
      ['bp-diastolic', 60, 'mm[Hg]', ts, device, '12345', undefined],
      ['bp-mean', 80, 'mm[Hg]', ts, device, '12345', undefined],
    ]);
    for (const r of readings) expect(Reading.safeParse(r).success).toBe(true);
    expect(events.map((e) => e.type)).toEqual([
      'observation-unmapped',
      'observation-unmapped',
      'observation-unmapped',
    ]);
  });

  it('HAPI copy of the BP message: device and time inherited down the OBX-4 tree', () => {
    const { readings, events } = read('hapi-MessageValidatorTest-bp-device-oru-r01.hl7');
    const ts = Date.UTC(2009, 7, 13, 9, 57, 15);
    expect(readings.map((r) => [r.metric, r.value, r.unit, r.ts, r.deviceId, r.patientId])).toEqual([
      ['bp-systolic', 120, 'mm[Hg]', ts, '0123456789ABCDEF', '1'],
      ['bp-diastolic', 80, 'mm[Hg]', ts, '0123456789ABCDEF', '1'],
      ['bp-mean', 100, 'mm[Hg]', ts, '0123456789ABCDEF', '1'],
    ]);
    expect(events.map((e) => [e.type, e.type === 'patient-id-invalid' ? '' : e.observation.code])).toEqual([
      ['observation-unmapped', '68220'],
      ['observation-unmapped', '528391'],
      ['observation-unmapped', '150020'],
      ['observation-unmapped', '67975'],
    ]);
  });

  it('J.2 as the TF prints it: OBX-11 is empty (R slipped into OBX-10), so the BP is rejected and reported', () => {
    const { readings, events } = read('ihe-pcd-tf2-J.2-bp-oru-r01.hl7');
    expect(readings).toEqual([]);
    const rejected = events.flatMap((e) => (e.type === 'observation-rejected' ? [e] : []));
    expect(rejected.map((e) => [e.observation.code, e.error.field, e.error.hl7ErrorCode])).toEqual([
      ['150021', 11, 101],
      ['150022', 11, 101],
      ['150023', 11, 101],
    ]);
  });

  it('J.2 with acceptMissingResultStatus: the readings, at OBR-7 in its own +0500 zone', () => {
    const { readings } = read('ihe-pcd-tf2-J.2-bp-oru-r01.hl7', { acceptMissingResultStatus: true });
    const ts = Date.UTC(2009, 7, 13, 4, 57, 15); // 20090813095715+0500
    expect(readings.map((r) => [r.metric, r.value, r.ts, r.deviceId, r.patientId, r.quality])).toEqual([
      ['bp-systolic', 120, ts, '0123456789ABCDEF', '789567', undefined],
      ['bp-diastolic', 80, ts, '0123456789ABCDEF', '789567', undefined],
      ['bp-mean', 100, ts, '0123456789ABCDEF', '789567', undefined],
    ]);
  });

  it('the ORU^R40 alarm is not an ORU^R01', () => {
    expect(() => read('ihe-pcd-tf2-E.3.1-spo2-low-alarm-oru-r40.hl7')).toThrow(Hl7UnsupportedMessageError);
    try {
      read('ihe-pcd-tf2-E.3.1-spo2-low-alarm-oru-r40.hl7');
    } catch (e) {
      expect((e as Hl7UnsupportedMessageError).messageType).toBe('ORU^R40^ORU_R40');
      expect((e as Hl7UnsupportedMessageError).hl7ErrorCode).toBe(201);
      expect((e as Hl7UnsupportedMessageError).code).toBe('codec/decode');
    }
  });

  it('the same message with CRLF or LF terminators parses to the same segments', () => {
    for (const c of cases) {
      const text = load(c.file);
      const base = parseHl7(text).segments;
      expect(parseHl7(text.replaceAll('\r', '\r\n')).segments).toEqual(base);
      expect(parseHl7(`${text.replaceAll('\r', '\n')}\n`).segments).toEqual(base);
    }
  });
});
