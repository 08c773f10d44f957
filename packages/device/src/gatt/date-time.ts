/**
 * The Bluetooth SIG Date Time characteristic (0x2A08), embedded as the time stamp of several
 * health measurements: 7 octets, year uint16 (1582…9999, 0 = unknown), month uint8 (1…12,
 * 0 = unknown), day uint8 (1…31, 0 = unknown), hours (0…23), minutes (0…59), seconds (0…59).
 * It carries no time zone: the device's local clock, whatever it was set to.
 *
 * @module
 */

/** A Date Time field as sent: local device time, no zone. 0 in year, month or day means unknown. */
export interface GattDateTime {
  /** Year, 1582…9999, or 0 when unknown. */
  readonly year: number;
  /** Month of the year, 1…12 (1 = January), or 0 when unknown. */
  readonly month: number;
  /** Day of the month, 1…31, or 0 when unknown. */
  readonly day: number;
  /** Hours past midnight, 0…23. */
  readonly hours: number;
  /** Minutes past the hour, 0…59. */
  readonly minutes: number;
  /** Seconds past the minute, 0…59. */
  readonly seconds: number;
}

/** The size of a Date Time field in bytes. */
export const DATE_TIME_BYTES = 7;

/**
 * The Date Time at `offset` of `bytes` (the caller has checked the length). Values are returned
 * as sent, even outside their ranges; {@link gattDateTimeToEpochMs} refuses those.
 */
export function readDateTime(bytes: Uint8Array, offset: number): GattDateTime {
  return {
    year: (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8),
    month: bytes[offset + 2] as number,
    day: bytes[offset + 3] as number,
    hours: bytes[offset + 4] as number,
    minutes: bytes[offset + 5] as number,
    seconds: bytes[offset + 6] as number,
  };
}

const FIELD_RANGES: readonly (readonly [keyof GattDateTime, number, number])[] = [
  ['month', 0, 12],
  ['day', 0, 31],
  ['hours', 0, 23],
  ['minutes', 0, 59],
  ['seconds', 0, 59],
];

/**
 * Why `dt` is not a Date Time the standard allows (integers in the ranges above, year 0 or
 * 1582…9999), or `undefined` when it is.
 */
export function dateTimeProblem(dt: GattDateTime): string | undefined {
  if (typeof dt !== 'object' || dt === null) return 'expected a Date Time object';
  const { year } = dt;
  if (!Number.isInteger(year) || (year !== 0 && (year < 1582 || year > 9999))) {
    return `year must be 0 (unknown) or 1582…9999, got ${year}`;
  }
  for (const [field, min, max] of FIELD_RANGES) {
    const v = dt[field];
    if (!Number.isInteger(v) || v < min || v > max)
      return `${field} must be an integer ${min}…${max}, got ${v}`;
  }
  return undefined;
}

/** Writes `dt` at `offset` of `out` (checked beforehand with {@link dateTimeProblem}). */
export function writeDateTime(out: Uint8Array, offset: number, dt: GattDateTime): void {
  out[offset] = dt.year & 0xff;
  out[offset + 1] = dt.year >> 8;
  out[offset + 2] = dt.month;
  out[offset + 3] = dt.day;
  out[offset + 4] = dt.hours;
  out[offset + 5] = dt.minutes;
  out[offset + 6] = dt.seconds;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The proleptic Gregorian date of a day count since 1970-01-01 (civil_from_days). */
function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Seconds since 1970-01-01T00:00 of `dt` read as if it were UTC, or `undefined` when a field is
 * unknown (0), out of range, or the day does not exist in that month. Integer arithmetic only.
 */
function asUtcSeconds(dt: GattDateTime): number | undefined {
  const { year, month, day, hours, minutes, seconds } = dt;
  if (!(year >= 1582 && year <= 9999 && month >= 1 && month <= 12 && day >= 1)) return undefined;
  if (!(hours >= 0 && hours <= 23 && minutes >= 0 && minutes <= 59 && seconds >= 0 && seconds <= 59))
    return undefined;
  if (!Number.isInteger(year + month + day + hours + minutes + seconds)) return undefined;
  if (day > daysInMonth(year, month)) return undefined;
  return daysFromCivil(year, month, day) * 86_400 + hours * 3600 + minutes * 60 + seconds;
}

/**
 * The instant a Date Time stands for, in epoch ms, given the UTC offset of the device's clock
 * (local = UTC + offset; e.g. 60 for a clock set to CET, -300 for EST). `undefined` when the
 * Date Time is incomplete (a 0 = unknown field), out of range, or names a day that does not exist.
 *
 * @throws {RangeError} when `utcOffsetMinutes` is not an integer in -1440…1440.
 * @example
 * ```ts
 * gattDateTimeToEpochMs({ year: 2024, month: 11, day: 29, hours: 23, minutes: 8, seconds: 57 }, 60);
 * // Date.UTC(2024, 10, 29, 22, 8, 57)
 * ```
 */
export function gattDateTimeToEpochMs(dt: GattDateTime, utcOffsetMinutes: number): number | undefined {
  checkUtcOffset(utcOffsetMinutes);
  const s = asUtcSeconds(dt);
  return s === undefined ? undefined : (s - utcOffsetMinutes * 60) * 1000;
}

/** Throws unless `utcOffsetMinutes` is an integer in -1440…1440. */
export function checkUtcOffset(utcOffsetMinutes: number): void {
  if (!Number.isInteger(utcOffsetMinutes) || utcOffsetMinutes < -1440 || utcOffsetMinutes > 1440) {
    throw new RangeError(`utcOffsetMinutes must be an integer in -1440…1440, got ${utcOffsetMinutes}`);
  }
}

/**
 * `dt` moved by `minutes` (calendar arithmetic, no zone), or `null` when `dt` is incomplete or
 * invalid. The Glucose Measurement's user-facing time is Base Time + Time Offset.
 */
export function addMinutes(dt: GattDateTime, minutes: number): GattDateTime | null {
  const s = asUtcSeconds(dt);
  if (s === undefined) return null;
  const totalMinutes = Math.floor(s / 60) + minutes;
  const days = Math.floor(totalMinutes / 1440);
  const minuteOfDay = totalMinutes - days * 1440;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hours: Math.floor(minuteOfDay / 60),
    minutes: minuteOfDay % 60,
    seconds: dt.seconds,
  };
}
