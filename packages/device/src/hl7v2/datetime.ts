import { Hl7ParseError } from './errors.js';

/** How precise an HL7 date/time is: the last component it gives. */
export type Hl7TimePrecision = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'fraction';

/** A parsed HL7 DTM (TS component 1). */
export interface Hl7DateTime {
  /** The instant in epoch milliseconds (fractions below a millisecond are truncated). */
  readonly epochMs: number;
  /**
   * The last component the value gives, from `year` (`YYYY`) to `fraction` (`YYYYMMDDHHMMSS.S…`); missing
   * components were taken as their minimum.
   */
  readonly precision: Hl7TimePrecision;
  /** The offset from UTC in minutes that applied: the value's own, or the default when it had none. */
  readonly utcOffsetMinutes: number;
  /** True when the value carried its own `+/-ZZZZ` offset. */
  readonly zoned: boolean;
}

const PRECISIONS: readonly Hl7TimePrecision[] = [
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'fraction',
];
/** Real UTC offsets lie within -12:00 … +14:00. */
const MAX_OFFSET_HOURS = 14;

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's days_from_civil). */
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
 * Reads an HL7 v2 DTM `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`; returns the value or the
 * reason it is malformed.
 */
export function readHl7DateTime(text: string, defaultUtcOffsetMinutes = 0): Hl7DateTime | string {
  // A hand-written scanner: this runs for every observation, and a regular expression with
  // nested optional groups costs several times more.
  const n = text.length;
  const year = digitsAt(text, 0, 4);
  if (year < 0) return malformed(text);
  const parts = [year, 1, 1, 0, 0, 0];
  let given = 0;
  let i = 4;
  while (given < 5 && i + 2 <= n && isDigit(text.charCodeAt(i))) {
    const v = digitsAt(text, i, 2);
    if (v < 0) return malformed(text);
    parts[++given] = v;
    i += 2;
  }
  let ms = 0;
  if (i < n && text.charCodeAt(i) === 0x2e /* . */) {
    if (given !== 5) return malformed(text);
    let k = i + 1;
    while (k < n && k - i - 1 < 4 && isDigit(text.charCodeAt(k))) k++;
    if (k === i + 1) return malformed(text);
    ms = Math.floor(Number(text.slice(i + 1, k).padEnd(4, '0')) / 10);
    i = k;
    given = 6;
  }
  let utcOffsetMinutes = defaultUtcOffsetMinutes;
  let zoned = false;
  if (i < n) {
    const sign = text.charCodeAt(i);
    if ((sign !== 0x2b && sign !== 0x2d) || i + 5 !== n) return malformed(text);
    const oh = digitsAt(text, i + 1, 2);
    const om = digitsAt(text, i + 3, 2);
    if (oh < 0 || om < 0) return malformed(text);
    if (oh > MAX_OFFSET_HOURS || om > 59)
      return `UTC offset ${text.slice(i)} out of range in ${JSON.stringify(text)}`;
    utcOffsetMinutes = (sign === 0x2d ? -1 : 1) * (oh * 60 + om);
    zoned = true;
  }
  const [, month, day, hour, minute, second] = parts as [number, number, number, number, number, number];
  if (month < 1 || month > 12) return `month ${month} out of range in ${JSON.stringify(text)}`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${day} out of range in ${JSON.stringify(text)}`;
  if (hour > 23) return `hour ${hour} out of range in ${JSON.stringify(text)}`;
  if (minute > 59) return `minute ${minute} out of range in ${JSON.stringify(text)}`;
  if (second > 59) return `second ${second} out of range in ${JSON.stringify(text)}`;
  const localMs =
    daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
  return {
    epochMs: localMs - utcOffsetMinutes * 60_000,
    precision: PRECISIONS[given] as Hl7TimePrecision,
    utcOffsetMinutes,
    zoned,
  };
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The number written by the `count` digits at `at`, or -1. */
function digitsAt(text: string, at: number, count: number): number {
  if (at + count > text.length) return -1;
  let v = 0;
  for (let k = at; k < at + count; k++) {
    const c = text.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

function malformed(text: string): string {
  return `${JSON.stringify(text)} is not an HL7 date/time YYYY[MM[DD[HH[MM[SS[.SSSS]]]]]][+/-ZZZZ]`;
}

/**
 * Parses an HL7 v2 date/time (DTM, or the first component of a TS):
 * `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`. Without a `+/-ZZZZ` offset the time is in
 * `defaultUtcOffsetMinutes` (HL7: the sender's local time zone, which the receiver must know).
 *
 * @throws {Hl7ParseError} (`codec/decode`, table 0357 code 102) when the text is malformed or a
 *   component is out of range.
 * @throws {RangeError} when `defaultUtcOffsetMinutes` is not an integer within ±14 h.
 * @example
 * ```ts
 * parseHl7DateTime('20150122182658+0100').epochMs; // Date.UTC(2015, 0, 22, 17, 26, 58)
 * ```
 */
export function parseHl7DateTime(text: string, defaultUtcOffsetMinutes = 0): Hl7DateTime {
  checkOffset(defaultUtcOffsetMinutes, 'defaultUtcOffsetMinutes');
  const result = readHl7DateTime(text, defaultUtcOffsetMinutes);
  if (typeof result === 'string') throw new Hl7ParseError(result, { hl7ErrorCode: 102 });
  return result;
}

/** @throws {RangeError} unless `minutes` is an integer within ±14 h. */
export function checkOffset(minutes: number, name: string): void {
  if (!Number.isInteger(minutes) || Math.abs(minutes) > MAX_OFFSET_HOURS * 60) {
    throw new RangeError(
      `${name} must be an integer number of minutes within ±${MAX_OFFSET_HOURS * 60}, got ${minutes}`,
    );
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/**
 * Formats epoch milliseconds as an HL7 DTM in the given UTC offset, with seconds, milliseconds
 * when not zero, and the offset: `YYYYMMDDHHMMSS[.SSS]+ZZZZ`.
 *
 * @throws {RangeError} when `epochMs` is not an integer within years 0–9999 or the offset is out
 *   of range.
 * @example
 * ```ts
 * formatHl7DateTime(Date.UTC(2025, 0, 1, 12, 0, 0, 250)); // '20250101120000.250+0000'
 * ```
 */
export function formatHl7DateTime(epochMs: number, utcOffsetMinutes = 0): string {
  checkOffset(utcOffsetMinutes, 'utcOffsetMinutes');
  const local = new Date(epochMs + utcOffsetMinutes * 60_000);
  const year = local.getUTCFullYear();
  if (!Number.isInteger(epochMs) || Number.isNaN(local.getTime()) || year < 0 || year > 9999) {
    throw new RangeError(`epochMs must be an integer instant within years 0-9999, got ${epochMs}`);
  }
  const ms = local.getUTCMilliseconds();
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(utcOffsetMinutes);
  return (
    pad(year, 4) +
    pad(local.getUTCMonth() + 1, 2) +
    pad(local.getUTCDate(), 2) +
    pad(local.getUTCHours(), 2) +
    pad(local.getUTCMinutes(), 2) +
    pad(local.getUTCSeconds(), 2) +
    (ms === 0 ? '' : `.${pad(ms, 3)}`) +
    sign +
    pad(Math.floor(abs / 60), 2) +
    pad(abs % 60, 2)
  );
}
