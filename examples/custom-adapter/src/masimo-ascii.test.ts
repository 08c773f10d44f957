import { readFileSync } from 'node:fs';
import { isHealthItError, utf8Encode } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeMasimoAscii,
  encodeMasimoAscii,
  exceptionNames,
  hasException,
  MasimoAsciiDecodeError,
  type MasimoAsciiFrame,
} from './masimo-ascii.js';

const vector = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(new URL(`../vectors/${name}`, import.meta.url)));
const text = (name: string): string => new TextDecoder().decode(vector(name)).replace(/\r\n$/, '');

function refusal(line: string): MasimoAsciiDecodeError {
  try {
    decodeMasimoAscii(utf8Encode(line));
  } catch (e) {
    if (e instanceof MasimoAsciiDecodeError) return e;
    throw e;
  }
  throw new Error(`"${line}" was accepted`);
}

describe('decodeMasimoAscii on the published lines', () => {
  it('decodes the Rad-7 line: SpO2 98 %, 123/min, PI 0.55 %, SET + low signal IQ, the other parameters kept', () => {
    const f = decodeMasimoAscii(vector('rad7-measuring.txt'));
    expect(f).toMatchObject({
      year: 2016,
      month: 3,
      day: 17,
      hour: 19,
      minute: 19,
      second: 36,
      serialNumber: undefined,
      spo2Percent: 98,
      pulseRatePerMin: 123,
      perfusionIndexPercent: 0.55,
      alarm: 0,
      exceptions: 0xc00,
      exceptions1: 0,
    });
    expect(f.other).toEqual({
      SPCO: '--%',
      SPMET: '--.-%',
      SPHB: '--.-',
      SPOC: '--',
      RESVD: '---',
      DESAT: '--',
      PIDELTA: '+--',
      PVI: '---',
    });
    expect(exceptionNames(f.exceptions)).toEqual(['lowSignalIq', 'masimoSet']);
    expect(hasException(f, 'lowSignalIq')).toBe(true);
  });

  it('decodes the Radical-7 manual line: serial number, every parameter dashes, no exception', () => {
    const f = decodeMasimoAscii(vector('radical7-no-value.txt'));
    expect(f).toMatchObject({
      year: 2007,
      month: 5,
      day: 15,
      hour: 8,
      minute: 12,
      second: 21,
      serialNumber: '0000070986',
      spo2Percent: undefined,
      pulseRatePerMin: undefined,
      perfusionIndexPercent: undefined,
      alarm: 0,
      exceptions: 0,
      exceptions1: undefined,
    });
  });

  it('accepts a line with or without its CR LF', () => {
    const line = text('rad7-measuring.txt');
    expect(decodeMasimoAscii(utf8Encode(line))).toEqual(decodeMasimoAscii(vector('rad7-measuring.txt')));
    expect(decodeMasimoAscii(utf8Encode(`${line}\n`))).toEqual(decodeMasimoAscii(utf8Encode(line)));
  });
});

describe('decodeMasimoAscii refuses, saying where and why', () => {
  const good = text('rad7-measuring.txt');
  /** The offset of `marker` in `line`, plus `plus`. */
  const at = (line: string, marker: string, plus = 0): number => line.indexOf(marker) + plus;
  const line = (from: string, to: string): string => good.replace(from, to);
  const cases: [string, string, number, RegExp][] = [
    ['a truncated time', good.slice(0, 15), 15, /second must be two digits/],
    ['month 13', line('03/17/16', '13/17/16'), 0, /month 13 is outside 1–12/],
    ['30 February', line('03/17/16', '02/30/16'), 3, /02\/30\/16 is not a date/],
    ['SpO2 without "%"', line('SPO2=098%', 'SPO2=098'), at(good, 'SPO2=', 5), /SPO2 must be three digits/],
    ['SpO2 above 100 %', line('SPO2=098%', 'SPO2=101%'), at(good, 'SPO2=', 5), /above 100 %/],
    ['a two-digit pulse rate', line('BPM=123', 'BPM=23'), at(good, 'BPM=', 4), /BPM must be three digits/],
    ['a malformed PI', line('PI=00.55', 'PI=0.55'), at(good, 'PI=', 3), /PI must be "NN.NN"/],
    ['a repeated key', line('SPCO=--%', 'BPM=124'), at(good, 'SPCO='), /BPM appears twice/],
    ['no ALARM field', line(' ALARM=000000', ''), good.length - ' ALARM=000000'.length, /no ALARM field/],
    [
      'EXC not hexadecimal',
      line('EXC=0000C00', 'EXC=0000G00'),
      at(good, ' EXC=', 5),
      /EXC must be 1–8 hexadecimal/,
    ],
    ['two spaces', line(' BPM', '  BPM'), at(good, ' BPM', 1), /expected a KEY=VALUE field/],
    ['a field without "="', line('PVI=---', 'PVI'), at(good, 'PVI='), /expected a KEY=VALUE field/],
  ];
  for (const [what, line, offset, reason] of cases) {
    it(what, () => {
      const e = refusal(line);
      expect(e.code).toBe('codec/decode');
      expect(e.retryable).toBe(false);
      expect(e.reason).toMatch(reason);
      expect(e.offset).toBe(offset);
      expect(e.message).toContain(`at offset ${offset}`);
    });
  }

  it('a byte outside printable ASCII, and a line longer than 512 bytes', () => {
    const bytes = utf8Encode(good);
    bytes[30] = 0x00;
    expect(() => decodeMasimoAscii(bytes)).toThrow(/byte 0x00 is not printable ASCII/);
    expect(refusal(`${good} ${'X=1 '.repeat(100)}`).reason).toMatch(/longer than 512 bytes/);
  });
});

const frameArb: fc.Arbitrary<MasimoAsciiFrame> = fc.record({
  year: fc.integer({ min: 2000, max: 2099 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 28 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  serialNumber: fc.option(fc.stringMatching(/^[0-9]{10}$/), { nil: undefined }),
  spo2Percent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  pulseRatePerMin: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
  perfusionIndexPercent: fc.option(
    fc.integer({ min: 0, max: 9999 }).map((h) => h / 100),
    { nil: undefined },
  ),
  alarm: fc.integer({ min: 0, max: 0xffffff }),
  exceptions: fc.integer({ min: 0, max: 0xfffffff }),
  exceptions1: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
  other: fc.dictionary(
    fc.constantFrom('SPCO', 'SPMET', 'SPHB', 'DESAT', 'PIDELTA', 'PVI'),
    fc.stringMatching(/^[-+.%0-9]{1,6}$/),
  ),
});

describe('properties', () => {
  it('decode(encode(frame)) gives the frame back', () => {
    fc.assert(
      fc.property(frameArb, (frame) => {
        expect(decodeMasimoAscii(encodeMasimoAscii(frame))).toEqual(frame);
      }),
      { numRuns: 2000 },
    );
  });

  it('random and mutated lines give a frame or a MasimoAsciiDecodeError, nothing else', () => {
    const seed = vector('rad7-measuring.txt');
    const mutated = fc
      .array(fc.tuple(fc.nat(seed.byteLength - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      })
      .map((edits) => {
        const b = seed.slice();
        for (const [i, v] of edits) b[i] = v;
        return b;
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 600 })), (bytes) => {
        try {
          decodeMasimoAscii(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(MasimoAsciiDecodeError);
          expect(isHealthItError(e, 'codec/decode')).toBe(true);
        }
      }),
      { numRuns: 20_000, seed: 10 },
    );
  });

  it('encode refuses what the line cannot carry', () => {
    const frame = decodeMasimoAscii(vector('rad7-measuring.txt'));
    expect(() => encodeMasimoAscii({ ...frame, spo2Percent: 101 })).toThrow(/SPO2 101/);
    expect(() => encodeMasimoAscii({ ...frame, perfusionIndexPercent: 0.555 })).toThrow(/PI 0.555/);
    expect(() => encodeMasimoAscii({ ...frame, serialNumber: '12' })).toThrow(/SN "12"/);
  });
});
