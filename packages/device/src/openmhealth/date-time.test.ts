import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatOmhDateTime, MAX_OMH_EPOCH_MS, parseOmhDateTime } from './date-time.js';

describe('parseOmhDateTime', () => {
  it.each([
    ['2020-02-05T07:25:00-08:00', '2020-02-05T15:25:00.000Z'],
    ['2013-02-05T07:25:00Z', '2013-02-05T07:25:00.000Z'],
    ['2023-02-05T07:25:00+01:00', '2023-02-05T06:25:00.000Z'],
    ['2020-02-05t07:25:00z', '2020-02-05T07:25:00.000Z'],
    ['2020-02-05T07:25:00', '2020-02-05T07:25:00.000Z'], // no offset: UTC, as date-time-1.0 says
    ['2020-02-05T07:25:00.5Z', '2020-02-05T07:25:00.500Z'],
    ['2020-02-05T07:25:00.123999Z', '2020-02-05T07:25:00.123Z'], // truncated to the millisecond
    ['2020-02-05T23:30:00-05:30', '2020-02-06T05:00:00.000Z'],
    ['2012-02-29T00:00:00Z', '2012-02-29T00:00:00.000Z'],
    ['2000-02-29T00:00:00Z', '2000-02-29T00:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2017-01-01T00:00:00.000Z'], // leap second: POSIX time repeats no second
    ['2017-01-01T00:59:60+01:00', '2017-01-01T00:00:00.000Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
    ['1969-12-31T23:59:59.999Z', '1969-12-31T23:59:59.999Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseOmhDateTime(text)).toBe(Date.parse(iso));
  });

  it.each([
    '2013-02-29T00:00:00Z', // not a leap year
    '1900-02-29T00:00:00Z',
    '2013-04-31T00:00:00Z',
    '2013-13-01T00:00:00Z',
    '2013-00-01T00:00:00Z',
    '2013-01-00T00:00:00Z',
    '2013-01-01T24:00:00Z',
    '2013-01-01T23:60:00Z',
    '2013-01-01T23:59:61Z',
    '2013-01-01T12:00:60Z', // a leap second is only 23:59:60 UTC
    '2016-12-31T23:59:60+01:00',
    '2013-01-01T00:00:00+24:00',
    '2013-01-01T00:00:00+01:60',
    '2013-01-01T00:00:00+0100',
    '2013-01-01 00:00:00Z',
    '2013-01-01T00:00Z',
    '2013-01-01T00:00:00.Z',
    '2013-01-01',
    '20130101T000000Z',
    '+2013-01-01T00:00:00Z',
    '2013-01-01T00:00:00ZZ',
    ' 2013-01-01T00:00:00Z',
    '',
  ])('%j is not a date-time', (text) => {
    expect(parseOmhDateTime(text)).toBeUndefined();
  });

  it('agrees with Date.parse on every valid date-time with an offset', () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(
        fc.date({
          min: new Date(Date.UTC(1000, 0, 1)),
          max: new Date(Date.UTC(9998, 11, 31)),
          noInvalidDate: true,
        }),
        fc.integer({ min: -23 * 60 - 59, max: 23 * 60 + 59 }),
        (date, offsetMin) => {
          // Write the instant as local time at the given offset.
          const local = new Date(date.getTime() + offsetMin * 60_000);
          const sign = offsetMin < 0 ? '-' : '+';
          const abs = Math.abs(offsetMin);
          const text =
            `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}` +
            `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
            `.${pad(local.getUTCMilliseconds(), 3)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
          expect(parseOmhDateTime(text)).toBe(date.getTime());
          expect(parseOmhDateTime(text)).toBe(Date.parse(text));
        },
      ),
      { seed: 42, numRuns: 2000 },
    );
  });
});

describe('formatOmhDateTime', () => {
  it('writes UTC with milliseconds and parses back to the same instant', () => {
    expect(formatOmhDateTime(Date.UTC(2020, 1, 5, 15, 25))).toBe('2020-02-05T15:25:00.000Z');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_OMH_EPOCH_MS }), (ms) => {
        expect(parseOmhDateTime(formatOmhDateTime(ms))).toBe(ms);
      }),
      { seed: 1, numRuns: 2000 },
    );
    expect(formatOmhDateTime(MAX_OMH_EPOCH_MS)).toBe('9999-12-31T23:59:59.999Z');
  });

  it('refuses what it cannot write', () => {
    for (const ms of [-1, 0.5, MAX_OMH_EPOCH_MS + 1, Number.NaN]) {
      expect(() => formatOmhDateTime(ms)).toThrow(RangeError);
    }
  });
});
