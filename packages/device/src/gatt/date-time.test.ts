import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addMinutes,
  dateTimeProblem,
  type GattDateTime,
  gattDateTimeToEpochMs,
  readDateTime,
} from './date-time.js';

const dt = (year: number, month: number, day: number, hours = 0, minutes = 0, seconds = 0): GattDateTime => ({
  year,
  month,
  day,
  hours,
  minutes,
  seconds,
});

/** The reference: JavaScript's own calendar (valid for years ≥ 100). */
function dateUtc(d: GattDateTime): number {
  return Date.UTC(d.year, d.month - 1, d.day, d.hours, d.minutes, d.seconds);
}

const validDateTime = fc
  .record({
    year: fc.integer({ min: 1582, max: 9999 }),
    month: fc.integer({ min: 1, max: 12 }),
    day: fc.integer({ min: 1, max: 31 }),
    hours: fc.integer({ min: 0, max: 23 }),
    minutes: fc.integer({ min: 0, max: 59 }),
    seconds: fc.integer({ min: 0, max: 59 }),
  })
  .filter((d) => new Date(dateUtc(d)).getUTCDate() === d.day);

describe('gattDateTimeToEpochMs', () => {
  it('agrees with Date.UTC for every valid date, shifted by the device UTC offset', () => {
    fc.assert(
      fc.property(validDateTime, fc.integer({ min: -1440, max: 1440 }), (d, offset) => {
        expect(gattDateTimeToEpochMs(d, offset)).toBe(dateUtc(d) - offset * 60_000);
      }),
      { numRuns: 5_000 },
    );
  });

  it('places a CET wall-clock time one hour earlier in UTC', () => {
    expect(gattDateTimeToEpochMs(dt(2024, 11, 29, 23, 8, 57), 60)).toBe(Date.UTC(2024, 10, 29, 22, 8, 57));
    expect(gattDateTimeToEpochMs(dt(1970, 1, 1), 0)).toBe(0);
  });

  it('is undefined for unknown fields, impossible days and out-of-range values', () => {
    for (const bad of [
      dt(0, 4, 17, 20, 41, 59),
      dt(2024, 0, 1),
      dt(2024, 1, 0),
      dt(2023, 2, 29),
      dt(2024, 4, 31),
      dt(2024, 13, 1),
      dt(772, 5, 6, 7, 8, 9),
      dt(2024, 1, 1, 24),
      dt(2024, 1, 1, 0, 60),
      dt(2024, 1, 1, 0, 0, 60),
    ]) {
      expect(gattDateTimeToEpochMs(bad, 0), JSON.stringify(bad)).toBeUndefined();
    }
    expect(gattDateTimeToEpochMs(dt(2024, 2, 29), 0)).toBe(Date.UTC(2024, 1, 29));
    expect(gattDateTimeToEpochMs(dt(2000, 2, 29), 0)).toBe(Date.UTC(2000, 1, 29));
    expect(gattDateTimeToEpochMs(dt(1900, 2, 29), 0)).toBeUndefined();
  });

  it('refuses a UTC offset beyond a day', () => {
    expect(() => gattDateTimeToEpochMs(dt(2024, 1, 1), 1441)).toThrow(RangeError);
    expect(() => gattDateTimeToEpochMs(dt(2024, 1, 1), 0.5)).toThrow(RangeError);
  });
});

describe('addMinutes', () => {
  it('agrees with Date arithmetic across days, months, years and leap days', () => {
    fc.assert(
      fc.property(validDateTime, fc.integer({ min: -0x8000, max: 0x7fff }), (d, minutes) => {
        const shifted = new Date(dateUtc(d) + minutes * 60_000);
        const expected = dt(
          shifted.getUTCFullYear(),
          shifted.getUTCMonth() + 1,
          shifted.getUTCDate(),
          shifted.getUTCHours(),
          shifted.getUTCMinutes(),
          shifted.getUTCSeconds(),
        );
        expect(addMinutes(d, minutes)).toEqual(expected);
      }),
      { numRuns: 5_000 },
    );
  });

  it('gives the Nordic glucose vector its effective time (base 11:10:30, offset -5 min)', () => {
    expect(addMinutes(dt(2019, 2, 27, 11, 10, 30), -5)).toEqual(dt(2019, 2, 27, 11, 5, 30));
    expect(addMinutes(dt(2024, 12, 31, 23, 59, 0), 1)).toEqual(dt(2025, 1, 1, 0, 0, 0));
  });

  it('is null when the base time is incomplete or invalid', () => {
    expect(addMinutes(dt(0, 1, 1), 5)).toBeNull();
    expect(addMinutes(dt(2023, 2, 29), 5)).toBeNull();
  });
});

describe('the Date Time field', () => {
  it('reads 7 little-endian octets as sent, even out of range', () => {
    const bytes = Uint8Array.of(0xff, 0xe8, 0x07, 0x0d, 0x20, 0x18, 0x3c, 0x3c);
    expect(readDateTime(bytes, 1)).toEqual(dt(2024, 13, 32, 24, 60, 60));
  });

  it('names what the standard forbids', () => {
    expect(dateTimeProblem(dt(2024, 1, 1))).toBeUndefined();
    expect(dateTimeProblem(dt(0, 0, 0))).toBeUndefined();
    expect(dateTimeProblem(dt(1581, 1, 1))).toMatch(/year must be 0 \(unknown\) or 1582…9999/);
    expect(dateTimeProblem(dt(2024, 1, 1, 24))).toMatch(/hours must be an integer 0…23/);
    expect(dateTimeProblem(dt(2024, 1, 1.5))).toMatch(/day/);
  });
});
