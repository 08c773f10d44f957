import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatHl7DateTime, parseHl7DateTime } from './datetime.js';
import { Hl7ParseError } from './errors.js';

describe('parseHl7DateTime', () => {
  it.each([
    ['2015', Date.UTC(2015, 0, 1), 'year'],
    ['201502', Date.UTC(2015, 1, 1), 'month'],
    ['20150122', Date.UTC(2015, 0, 22), 'day'],
    ['2015012218', Date.UTC(2015, 0, 22, 18), 'hour'],
    ['201501221826', Date.UTC(2015, 0, 22, 18, 26), 'minute'],
    ['20150122182658', Date.UTC(2015, 0, 22, 18, 26, 58), 'second'],
    ['20150122182658.1', Date.UTC(2015, 0, 22, 18, 26, 58, 100), 'fraction'],
    ['20150122182658.1234', Date.UTC(2015, 0, 22, 18, 26, 58, 123), 'fraction'],
  ] as const)('%s without a zone is in the default offset (UTC here)', (text, epochMs, precision) => {
    expect(parseHl7DateTime(text)).toEqual({ epochMs, precision, utcOffsetMinutes: 0, zoned: false });
  });

  it('applies its own offset, or the default one', () => {
    expect(parseHl7DateTime('20120111150457-0600').epochMs).toBe(Date.UTC(2012, 0, 11, 21, 4, 57));
    expect(parseHl7DateTime('20090813095715+0500').epochMs).toBe(Date.UTC(2009, 7, 13, 4, 57, 15));
    expect(parseHl7DateTime('20090813095715+0530')).toMatchObject({ utcOffsetMinutes: 330, zoned: true });
    expect(parseHl7DateTime('20150122115000', 60)).toEqual({
      epochMs: Date.UTC(2015, 0, 22, 10, 50),
      precision: 'second',
      utcOffsetMinutes: 60,
      zoned: false,
    });
    expect(parseHl7DateTime('20150122115000+0000', 60).epochMs).toBe(Date.UTC(2015, 0, 22, 11, 50));
  });

  it('knows leap years', () => {
    expect(parseHl7DateTime('20240229').epochMs).toBe(Date.UTC(2024, 1, 29));
    expect(parseHl7DateTime('20000229').epochMs).toBe(Date.UTC(2000, 1, 29));
    expect(() => parseHl7DateTime('20230229')).toThrow(/day 29/);
    expect(() => parseHl7DateTime('21000229')).toThrow(/day 29/);
  });

  it.each([
    '',
    '15',
    '2015012',
    '20151301',
    '20150100',
    '20150431',
    '2015012224',
    '201501221860',
    '20150122182660',
    '20150122182658.',
    '20150122182658.12345',
    '20150122182658+05',
    '20150122182658+1500',
    '20150122182658+0560',
    '2015-01-22',
    ' 20150122',
    '20150122182658Z',
  ])('rejects %j with an Hl7ParseError', (text) => {
    expect(() => parseHl7DateTime(text)).toThrow(Hl7ParseError);
  });

  it('rejects a bad default offset as a programming error', () => {
    expect(() => parseHl7DateTime('2015', 0.5)).toThrow(RangeError);
    expect(() => parseHl7DateTime('2015', 15 * 60)).toThrow(RangeError);
  });
});

describe('formatHl7DateTime', () => {
  it('writes seconds, milliseconds when not zero, and the offset', () => {
    expect(formatHl7DateTime(Date.UTC(2025, 0, 1, 12))).toBe('20250101120000+0000');
    expect(formatHl7DateTime(Date.UTC(2025, 0, 1, 12, 0, 0, 5))).toBe('20250101120000.005+0000');
    expect(formatHl7DateTime(Date.UTC(2025, 0, 1, 0, 30), -90)).toBe('20241231230000-0130');
    expect(() => formatHl7DateTime(Number.NaN)).toThrow(RangeError);
    expect(() => formatHl7DateTime(1.5)).toThrow(RangeError);
  });

  it('round-trips every millisecond instant in any offset (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: Date.UTC(9999, 0, 1) }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        (ms, offset) => {
          const parsed = parseHl7DateTime(formatHl7DateTime(ms, offset));
          expect(parsed.epochMs).toBe(ms);
          expect(parsed.utcOffsetMinutes).toBe(offset);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
