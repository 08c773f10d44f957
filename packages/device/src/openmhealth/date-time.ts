/**
 * RFC 3339 §5.6 `date-time` with an optional offset, as Open mHealth `date-time-1.0` defines it:
 * "a point in time (ISO 8601); if a timezone is not included, the timezone is assumed to be UTC".
 * `T`/`t` separate date and time; the offset is `Z`, `z` or `±hh:mm`; fractions of a second may
 * have any number of digits.
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|([+-])(\d{2}):(\d{2}))?$/;

const MS_PER_MINUTE = 60_000;
const MS_PER_DAY = 86_400_000;

/** Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Parses an Open mHealth `date-time` into epoch milliseconds (UTC), truncating fractions below a
 * millisecond; `undefined` when it is not a valid RFC 3339 date-time (bad syntax, a day the month
 * does not have, hour > 23, an offset beyond ±23:59, or second 60 anywhere but at 23:59 UTC).
 * A leap second (`23:59:60Z`) is the first millisecond of the next day, as POSIX time counts it.
 *
 * @example
 * ```ts
 * parseOmhDateTime('2020-02-05T07:25:00-08:00'); // 1580916300000 (2020-02-05T15:25:00Z)
 * parseOmhDateTime('2013-02-30T07:25:00Z'); // undefined
 * ```
 */
export function parseOmhDateTime(text: string): number | undefined {
  const m = DATE_TIME.exec(text);
  if (m === null) return undefined;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  const fractionMs = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const localMinutes = hour * 60 + minute;
  const utcMinuteOfDay = (((localMinutes - offsetMinutes) % 1440) + 1440) % 1440;
  if (second === 60 && utcMinuteOfDay !== 1439) return undefined;
  return (
    daysFromCivil(year, month, day) * MS_PER_DAY +
    (localMinutes - offsetMinutes) * MS_PER_MINUTE +
    second * 1000 +
    fractionMs
  );
}

/** The latest epoch millisecond {@link formatOmhDateTime} can write (9999-12-31T23:59:59.999Z). */
export const MAX_OMH_EPOCH_MS = 253_402_300_799_999;

/**
 * Writes epoch milliseconds as an Open mHealth `date-time` in UTC, e.g. `2020-02-05T15:25:00.000Z`.
 *
 * @throws {RangeError} when `epochMs` is not an integer from 0 to {@link MAX_OMH_EPOCH_MS}.
 */
export function formatOmhDateTime(epochMs: number): string {
  if (!Number.isInteger(epochMs) || epochMs < 0 || epochMs > MAX_OMH_EPOCH_MS) {
    throw new RangeError(
      `epochMs must be an integer from 0 to ${MAX_OMH_EPOCH_MS} (year 9999), got ${epochMs}`,
    );
  }
  return new Date(epochMs).toISOString();
}
