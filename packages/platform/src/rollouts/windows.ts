import { z } from 'zod';

const MINUTES_PER_DAY = 1_440;
const MS_PER_MINUTE = 60_000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** A ward, model or hardware name: 1-128 letters, digits, `.`, `_`, `:`, `@`, `/`, `-`, `+`. @internal */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,127}$/;
/** @internal */
export const NAME_HINT =
  'must be 1-128 letters, digits, ".", "_", ":", "@", "/", "+", "-", starting with a letter or digit';
/** A ward, hardware id or similar name. @internal */
export const Name = z.string().regex(NAME_PATTERN, NAME_HINT);

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    // Bounded: one per distinct zone of validated definitions (there are ~600 IANA zones).
    if (formatters.size < 1_024) formatters.set(timeZone, f);
  }
  return f;
}

function isTimeZone(tz: string): boolean {
  try {
    formatterOf(tz);
    return true;
  } catch {
    return false;
  }
}

function minutesOf(hhmm: string): number {
  const m = HHMM.exec(hhmm);
  return m === null ? 0 : Number(m[1]) * 60 + Number(m[2]);
}

/**
 * A daily maintenance window in local time: devices of the listed wards (all wards when `wards` is
 * absent) are only assigned between `start` (inclusive) and `end` (exclusive). `start` after
 * `end` crosses midnight (`22:00`-`04:00`). Minute resolution; `timeZone` is an IANA zone
 * (default `UTC`), so daylight-saving changes follow the hospital's wall clock.
 */
export const MaintenanceWindow = z
  .strictObject({
    wards: z.array(Name).min(1).max(256).optional(),
    start: z.string().regex(HHMM, 'must be HH:MM (24 h)'),
    end: z.string().regex(HHMM, 'must be HH:MM (24 h)'),
    timeZone: z
      .string()
      .min(1)
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone, e.g. "Europe/Berlin"')
      .default('UTC'),
  })
  .refine((w) => w.start !== w.end, {
    message: 'start and end must differ (a window of 0 or 24 h is meaningless; omit the window instead)',
    path: ['end'],
  });
/** A maintenance window. */
export type MaintenanceWindow = z.infer<typeof MaintenanceWindow>;

/**
 * The local minute of the day (0-1439) at `nowMs` in `timeZone`.
 * @example
 * ```ts
 * minuteOfDay(Date.UTC(2025, 0, 1, 2, 30), 'UTC'); // 150
 * ```
 */
export function minuteOfDay(nowMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return Math.floor(nowMs / MS_PER_MINUTE) % MINUTES_PER_DAY;
  let hour = 0;
  let minute = 0;
  for (const p of formatterOf(timeZone).formatToParts(nowMs)) {
    if (p.type === 'hour') hour = Number(p.value);
    else if (p.type === 'minute') minute = Number(p.value);
  }
  return (hour % 24) * 60 + minute;
}

function inside(minute: number, w: MaintenanceWindow): boolean {
  const start = minutesOf(w.start);
  const end = minutesOf(w.end);
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

function applies(w: MaintenanceWindow, ward: string): boolean {
  return w.wards === undefined || w.wards.includes(ward);
}

/**
 * Whether a device of `ward` may be assigned at `nowMs`: yes when no window applies to the ward,
 * otherwise only inside one of the windows that apply.
 */
export function isWindowOpen(windows: readonly MaintenanceWindow[], ward: string, nowMs: number): boolean {
  let any = false;
  for (const w of windows) {
    if (!applies(w, ward)) continue;
    any = true;
    if (inside(minuteOfDay(nowMs, w.timeZone), w)) return true;
  }
  return !any;
}

/**
 * Milliseconds from `nowMs` until the next window of `ward` opens (at least 1): 0 when one is open
 * now or none applies. Across a daylight-saving change the estimate may be an hour off; the
 * engine checks again when it wakes.
 */
export function msUntilWindowOpens(
  windows: readonly MaintenanceWindow[],
  ward: string,
  nowMs: number,
): number {
  if (isWindowOpen(windows, ward, nowMs)) return 0;
  let best = Number.POSITIVE_INFINITY;
  for (const w of windows) {
    if (!applies(w, ward)) continue;
    const minutes = (minutesOf(w.start) - minuteOfDay(nowMs, w.timeZone) + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    const ms = minutes * MS_PER_MINUTE - (nowMs % MS_PER_MINUTE);
    best = Math.min(best, Math.max(1, ms));
  }
  return best;
}
