import { HealthItError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { findHl7Segments, firstHl7Segment, hl7Field, hl7Repetitions, hl7Value } from './access.js';
import { Hl7ParseError } from './errors.js';
import type { Hl7Segment } from './message.js';
import { parseHl7, parseHl7Header } from './parse.js';

const MSH = 'MSH|^~\\&|MON^0123456789ABCDEF^EUI-64|WARD|||20250101120000+0000||ORU^R01^ORU_R01|MSG-1|P|2.6';

function parseError(text: string): Hl7ParseError {
  try {
    parseHl7(text);
  } catch (e) {
    expect(e).toBeInstanceOf(Hl7ParseError);
    expect(e).toBeInstanceOf(HealthItError);
    expect((e as Hl7ParseError).code).toBe('codec/decode');
    expect((e as Hl7ParseError).retryable).toBe(false);
    return e as Hl7ParseError;
  }
  throw new Error(`expected a parse error for ${JSON.stringify(text)}`);
}

describe('parseHl7: structure', () => {
  const m = parseHl7(
    `${MSH}\rPID|||p-1~p-2^^^HOSP^MR||Doe^John&Jr\rOBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC||97\r`,
  );

  it('numbers MSH fields the HL7 way: MSH-1 is the field separator, MSH-2 the encoding characters', () => {
    const msh = m.segments[0] as Hl7Segment;
    expect(hl7Field(msh, 1)).toBe('|');
    expect(hl7Field(msh, 2)).toBe('^~\\&');
    expect(hl7Field(msh, 3)).toBe('MON^0123456789ABCDEF^EUI-64');
    expect(hl7Value(m, msh, 3, 2)).toBe('0123456789ABCDEF');
    expect(hl7Value(m, msh, 1)).toBe('|');
    expect(hl7Value(m, msh, 2)).toBe('^~\\&');
    expect(hl7Field(msh, 10)).toBe('MSG-1');
  });

  it('reads the header', () => {
    expect(m.header).toEqual({
      sendingApplication: 'MON',
      sendingFacility: 'WARD',
      receivingApplication: '',
      receivingFacility: '',
      dateTime: '20250101120000+0000',
      messageCode: 'ORU',
      triggerEvent: 'R01',
      messageStructure: 'ORU_R01',
      messageType: 'ORU^R01',
      controlId: 'MSG-1',
      processingId: 'P',
      version: '2.6',
    });
    expect(m.delimiters).toEqual({
      field: '|',
      component: '^',
      repetition: '~',
      escape: '\\',
      subComponent: '&',
    });
    expect(m.charset).toBe('');
  });

  it('splits repetitions, components and sub-components on access', () => {
    const pid = firstHl7Segment(m, 'PID') as Hl7Segment;
    expect(hl7Value(m, pid, 3)).toBe('p-1');
    expect(hl7Value(m, pid, 3, 1, 1, 2)).toBe('p-2');
    expect(hl7Value(m, pid, 3, 4, 1, 2)).toBe('HOSP');
    expect(hl7Value(m, pid, 3, 4, 1, 3)).toBe('');
    expect(hl7Value(m, pid, 5, 2)).toBe('John');
    expect(hl7Value(m, pid, 5, 2, 2)).toBe('Jr');
    expect(hl7Value(m, pid, 99)).toBe('');
    expect(hl7Repetitions(m, pid, 3)).toEqual([[['p-1']], [['p-2'], [''], [''], ['HOSP'], ['MR']]]);
    expect(hl7Repetitions(m, pid, 5)).toEqual([[['Doe'], ['John', 'Jr']]]);
    expect(hl7Repetitions(m, pid, 7)).toEqual([]);
  });

  it('finds segments by id and keeps their index', () => {
    expect(findHl7Segments(m, 'OBX').map((s) => s.index)).toEqual([2]);
    expect(firstHl7Segment(m, 'NTE')).toBeUndefined();
    expect(m.segments.map((s) => s.id)).toEqual(['MSH', 'PID', 'OBX']);
  });

  it('accepts CR, LF and CRLF segment ends, mixed, and skips blank lines', () => {
    const a = parseHl7(`${MSH}\rPID|||1\rOBX|1`);
    const b = parseHl7(`\r\n${MSH}\r\nPID|||1\n\nOBX|1\r\n\r\n`);
    expect(b.segments).toEqual(a.segments);
    expect(b.segments.map((s) => s.fields)).toEqual(a.segments.map((s) => s.fields));
    expect(b.segments.map((s) => s.index)).toEqual([0, 1, 2]);
  });

  it('takes any delimiters MSH-1/MSH-2 declare', () => {
    const m2 = parseHl7(
      'MSH#*!%$#MON#WARD#####ORU*R01#M1#P#2.6\rPID###a!b*c$d*\\%S%%T%\rOBX#1#ST#x##%F%%S%%R%%E%%T%',
    );
    expect(m2.delimiters).toEqual({
      field: '#',
      component: '*',
      repetition: '!',
      escape: '%',
      subComponent: '$',
    });
    expect(m2.header.messageType).toBe('ORU^R01');
    const pid = m2.segments[1] as Hl7Segment;
    expect(hl7Value(m2, pid, 3, 1, 1, 1)).toBe('a');
    expect(hl7Value(m2, pid, 3, 1, 1, 2)).toBe('b');
    expect(hl7Value(m2, pid, 3, 2, 2, 2)).toBe('d');
    expect(hl7Value(m2, pid, 3, 3, 1, 2)).toBe('\\*$');
    expect(hl7Value(m2, m2.segments[2] as Hl7Segment, 5)).toBe('#*!%$');
  });

  it('knows the v2.7 truncation character', () => {
    const m3 = parseHl7('MSH|^~\\&#|A||||||ADT^A01|1|P|2.7\rNTE|1||cut\\P\\here');
    expect(m3.delimiters.truncation).toBe('#');
    expect(hl7Value(m3, m3.segments[1] as Hl7Segment, 3)).toBe('cut#here');
  });

  it('reads MSH-18', () => {
    expect(parseHl7(`${MSH}||||||UNICODE UTF-8~8859/1`).charset).toBe('UNICODE UTF-8');
  });
});

describe('parseHl7: strictness', () => {
  it.each([
    ['', 'empty message', 0, 0, 100],
    ['\r\n\r\n', 'empty message', 0, 0, 100],
    ['PID|||1', 'must start with an MSH segment', 0, 0, 100],
    ['MSH', 'field separator (MSH-1) missing', 0, 1, 102],
    ['MSHa^~\\&|X', 'field separator (MSH-1) "a" is a letter or digit', 0, 1, 102],
    ['MSH ^~\\&', 'not a printable ASCII character', 0, 1, 102],
    ['MSH|^~\\|X', 'MSH-2) must be 4 characters', 0, 2, 102],
    ['MSH|^~\\&#!|X', 'MSH-2) must be 4 characters', 0, 2, 102],
    ['MSH|^~^&|X', 'declared twice', 0, 2, 102],
    ['MSH|^~\\||X', 'must be 4 characters', 0, 2, 102],
    ['MSH|^~\\&|A||||||||P|2.6', 'MSH-9 message type, MSH-10 message control id', 0, 9, 101],
    ['MSH|^~\\&|A||||||ORU^R01||P|2.6', 'MSH-10', 0, 10, 101],
    ['MSH|^~\\&|A||||||ORU^R01|1||2.6', 'MSH-11', 0, 11, 101],
    ['MSH|^~\\&|A||||||ORU^R01|1|P', 'MSH-12', 0, 12, 101],
  ])('rejects %j: %s', (text, reason, segmentIndex, field, code) => {
    const e = parseError(text);
    expect(e.message).toContain(reason);
    expect(e.segmentIndex).toBe(segmentIndex);
    expect(e.field).toBe(field);
    expect(e.hl7ErrorCode).toBe(code);
  });

  it.each([
    [`${MSH}\rpid|||1`, 'a segment must start with a 3-character id', 1, ''],
    [`${MSH}\rPI`, 'a segment must start with a 3-character id', 1, ''],
    [`${MSH}\r1AB|x`, 'a segment must start with a 3-character id', 1, ''],
    [`${MSH}\rPIDX|1`, 'must be followed by the field separator', 1, 'PID'],
    [`${MSH}\rPID|1\rMSH|^~\\&|x`, 'MSH inside a message', 2, 'MSH'],
    [`${MSH}\rBHS|^~\\&`, 'batches are not supported', 1, 'BHS'],
  ])('rejects segment problems: %j', (text, reason, segmentIndex, segmentId) => {
    const e = parseError(text);
    expect(e.message).toContain(reason);
    expect(e.segmentIndex).toBe(segmentIndex);
    expect(e.segmentId).toBe(segmentId);
    expect(e.hl7ErrorCode).toBe(100);
  });

  it.each([
    ['\\Q\\', 'unknown escape sequence "Q"'],
    ['a\\F', 'unterminated escape sequence'],
    ['\\\\', 'empty escape sequence'],
    ['\\X0\\', 'pairs of hex digits'],
    ['\\XZZ\\', 'pairs of hex digits'],
    ['\\X\\', 'pairs of hex digits'],
    ['\\XC3\\', 'not valid UTF-8'],
    ['\\P\\', 'declares no truncation character'],
    ['\\S^T\\', 'contains a delimiter'],
  ])('rejects the escape %j naming segment and field', (value, reason) => {
    const e = parseError(`${MSH}\rPID|1\rOBX|1|ST|x^y^L||${value}`);
    expect(e.message).toContain(reason);
    expect(e.segmentIndex).toBe(2);
    expect(e.segmentId).toBe('OBX');
    expect(e.segmentSequence).toBe(1);
    expect(e.field).toBe(5);
    expect(e.hl7ErrorCode).toBe(102);
    expect(e.message).toMatch(/^HL7 v2: segment index 2 \(OBX\), field OBX-5: /);
  });

  it('counts the occurrence of the segment for ERR-2', () => {
    const e = parseError(`${MSH}\rOBX|1\rNTE|1\rOBX|2\rOBX|3|ST|x||\\Q\\`);
    expect([e.segmentIndex, e.segmentId, e.segmentSequence, e.field]).toEqual([4, 'OBX', 3, 5]);
  });

  it('checks escapes in MSH too', () => {
    const e = parseError('MSH|^~\\&|A\\Q\\||||||ORU^R01|1|P|2.6');
    expect([e.segmentId, e.field]).toEqual(['MSH', 3]);
  });

  it('throws TypeError for a non-string', () => {
    expect(() => parseHl7(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('parseHl7Header', () => {
  it('reads MSH alone, even when the body is malformed or MSH-11/12 are missing', () => {
    const h = parseHl7Header('MSH|^~\\&|A|B|C|D|20250101||ORU^R01|CTL-9\rOBX|1||\\Q\\');
    expect(h.header.controlId).toBe('CTL-9');
    expect(h.header.version).toBe('');
    expect(h.segment.fields[5]).toBe('C');
  });

  it('still rejects a malformed MSH', () => {
    expect(() => parseHl7Header('MSH|^~')).toThrow(Hl7ParseError);
    expect(() => parseHl7Header('')).toThrow(Hl7ParseError);
  });
});
