import { HealthItError } from '@healthit/core';

/**
 * Instants as .NET `DateTime` ticks (100 ns units) since the Unix epoch, as a bigint: iomt-fhir keeps
 * 7 fractional digits (`2019-01-30T22:45:02.6073744Z`) and its hourly/daily group ends are one tick
 * before the next boundary, which a JS `Date` (milliseconds) cannot represent.
 */
export type Ticks = bigint;

/** Ticks per millisecond / second / hour / day. */
export const TICKS_PER_MS = 10_000n;
const TICKS_PER_SECOND = 10_000_000n;
export const TICKS_PER_HOUR = 3600n * TICKS_PER_SECOND;
export const TICKS_PER_DAY = 24n * TICKS_PER_HOUR;

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses an ISO 8601 date-time into ticks. A time without a zone is taken as UTC (iomt-fhir stores
 * it as `OccurrenceTimeUtc` unchanged); fractions beyond 7 digits are truncated, as .NET does.
 *
 * @returns undefined when `text` is not an ISO 8601 date or date-time.
 */
export function parseIsoTicks(text: string): Ticks | undefined {
  const m = ISO.exec(text.trim());
  if (m === null) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(ms);
  if (check.getUTCDate() !== day || check.getUTCMonth() !== month - 1) return undefined;
  let offsetMinutes = 0;
  if (zone !== undefined && zone.toUpperCase() !== 'Z') {
    const digits = zone.replace(':', '');
    const sign = digits.startsWith('-') ? -1 : 1;
    offsetMinutes = sign * (Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5)));
  }
  const fracTicks = BigInt((frac + '0000000').slice(0, 7));
  return (BigInt(ms) - BigInt(offsetMinutes) * 60_000n) * TICKS_PER_MS + fracTicks;
}

/** Ticks for epoch milliseconds. */
export function ticksFromMs(ms: number): Ticks {
  return BigInt(Math.trunc(ms)) * TICKS_PER_MS;
}

/** Epoch milliseconds (floored) of `ticks`. */
export function ticksToMs(ticks: Ticks): number {
  const q = ticks / TICKS_PER_MS;
  return Number(ticks < 0n && ticks % TICKS_PER_MS !== 0n ? q - 1n : q);
}

/**
 * Formats ticks as UTC ISO 8601 the way Newtonsoft.Json writes a `DateTime` (and so the way iomt-fhir
 * writes `occurrenceTimeUtc`): up to 7 fractional digits, trailing zeros dropped, `Z`.
 * `2023-03-13T22:46:01.8750000` → `2023-03-13T22:46:01.875Z`.
 */
export function formatTicks(ticks: Ticks): string {
  const ms = ticksToMs(ticks);
  const sub = ticks - BigInt(ms) * TICKS_PER_MS;
  const base = new Date(ms).toISOString(); // yyyy-mm-ddThh:mm:ss.mmmZ
  const fraction = `${base.slice(20, 23)}${sub.toString().padStart(4, '0')}`.replace(/0+$/, '');
  return `${base.slice(0, 19)}${fraction === '' ? '' : `.${fraction}`}Z`;
}

/** `yyyyMMddHHmmss` + literal `Z`: iomt-fhir's observation identifier date token. */
export function formatIdToken(ticks: Ticks): string {
  return `${new Date(ticksToMs(ticks)).toISOString().slice(0, 19).replace(/[-:T]/g, '')}Z`;
}

/**
 * Parses a timestamp value extracted from a device message.
 * @throws {HealthItError} `validation/invalid` when it is not an ISO 8601 date-time.
 */
export function requireTicks(value: string, what: string): Ticks {
  const ticks = parseIsoTicks(value);
  if (ticks === undefined) {
    throw new HealthItError(
      'validation/invalid',
      `${what} "${value}" is not an ISO 8601 date-time; convert epoch numbers with fromUnixTimestamp() or fromUnixTimestampMs() in a JmesPath expression`,
      { detail: { value } },
    );
  }
  return ticks;
}
