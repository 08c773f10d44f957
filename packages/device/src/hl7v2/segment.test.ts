import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hl7Field, hl7Value } from './access.js';
import { parseHl7 } from './parse.js';
import { rawField } from './segment.js';

const MSH = 'MSH|^~\\&|MON|WARD|||20250101120000+0000||ORU^R01^ORU_R01|1|P|2.6';

/** Field text without escapes (a line with an escape is split by the parser, not indexed). */
const fieldText = fc.string({
  unit: fc.constantFrom('a', 'Z', '0', '.', ' ', '^', '~', '&', '-'),
  maxLength: 6,
});
const segmentLine = (id: string) =>
  fc.array(fieldText, { maxLength: 30 }).map((fields) => [id, ...fields].join('|'));

describe('parsed segments (lazy fields)', () => {
  it('reads any field of any segment as fields[n] does, in any order across segments', () => {
    fc.assert(
      fc.property(
        segmentLine('OBX'),
        segmentLine('NTE'),
        fc.array(fc.tuple(fc.boolean(), fc.nat(34)), { minLength: 1, maxLength: 40 }),
        (obx, nte, reads) => {
          const m = parseHl7(`${MSH}\r${obx}\r${nte}`);
          const fresh = parseHl7(`${MSH}\r${obx}\r${nte}`);
          const expected = [obx.split('|'), nte.split('|')];
          // Read one field at a time, switching between the two segments (the index is shared).
          for (const [second, n] of reads) {
            const seg = m.segments[second ? 2 : 1];
            if (seg === undefined) throw new Error('segment missing');
            expect(hl7Field(seg, n)).toBe(expected[second ? 1 : 0]?.[n] ?? '');
          }
          // `fields` is the split line, whether or not fields were read one by one before.
          expect(m.segments[1]?.fields).toEqual(expected[0]);
          expect(fresh.segments[2]?.fields).toEqual(expected[1]);
          expect(hl7Field(fresh.segments[2] as never, 1)).toBe(expected[1]?.[1] ?? '');
        },
      ),
    );
  });

  it('splits a segment once and keeps its fields', () => {
    const m = parseHl7(`${MSH}\rPID|||p-1^^^HOSP`);
    const pid = m.segments[1];
    expect(pid?.fields).toBe(pid?.fields);
    expect(pid?.fields).toEqual(['PID', '', '', 'p-1^^^HOSP']);
    expect(hl7Value(m, pid as never, 3, 4)).toBe('HOSP');
  });

  it('reads a segment with more fields than it indexes (255) by splitting it', () => {
    const many = Array.from({ length: 300 }, (_, i) => `f${i + 1}`);
    const m = parseHl7(`${MSH}\rNTE|${many.join('|')}`);
    const nte = m.segments[1];
    if (nte === undefined) throw new Error('segment missing');
    expect(hl7Field(nte, 1)).toBe('f1');
    expect(hl7Field(nte, 254)).toBe('f254');
    expect(hl7Field(nte, 300)).toBe('f300');
    expect(hl7Field(nte, 301)).toBe('');
    expect(nte.fields).toHaveLength(301);
  });

  it('keeps MSH-1 and MSH-2 as fields 1 and 2, and the fields of a line with escapes', () => {
    const m = parseHl7(`${MSH}\rNTE|1||a\\T\\b`);
    expect(hl7Field(m.segments[0] as never, 1)).toBe('|');
    expect(hl7Field(m.segments[0] as never, 2)).toBe('^~\\&');
    expect(hl7Field(m.segments[0] as never, 9)).toBe('ORU^R01^ORU_R01');
    expect(hl7Field(m.segments[1] as never, 3)).toBe('a\\T\\b');
    expect(hl7Value(m, m.segments[1] as never, 3)).toBe('a&b');
  });

  it('serialises and compares like a plain { id, index, fields } segment', () => {
    const m = parseHl7(`${MSH}\rPID|||p-1`);
    expect(JSON.parse(JSON.stringify(m.segments[1]))).toEqual({
      id: 'PID',
      index: 1,
      fields: ['PID', '', '', 'p-1'],
    });
    expect(rawField({ id: 'PID', index: 1, fields: ['PID', '', '', 'p-1'] }, 3)).toBe('p-1');
    expect(rawField({ id: 'PID', index: 1, fields: ['PID'] }, 3)).toBe('');
  });

  it('reads no field at a negative or fractional number, as fields[n] does not', () => {
    const m = parseHl7(`${MSH}\rPID|||p-1`);
    const pid = m.segments[1];
    if (pid === undefined) throw new Error('segment missing');
    for (const n of [-1, 1.5, Number.NaN, 2 ** 32 + 3]) expect(hl7Field(pid, n)).toBe('');
    expect(hl7Field(pid, 3)).toBe('p-1');
  });
});
