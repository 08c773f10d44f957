import type { OmhTimeFrame } from './building-blocks.js';
import { parseOmhDateTime } from './date-time.js';
import { DURATION_MS } from './units.js';

/** Why a valid data point has no single measurement time. */
export type NoEffectiveTime =
  | {
      /** The time frame is a date and a part of the day, which OMH gives no bounds: no instant. */
      readonly type: 'imprecise';
      /**
       * Names the path, the date and the part of the day, e.g.
       * `body.effective_time_frame.time_interval is 2024-03-01 morning, which is no instant`.
       */
      readonly message: string;
    }
  | {
      /** The interval ends before it starts, or its duration is negative. */
      readonly type: 'invalid';
      /**
       * The dotted path of the offending value, e.g.
       * `body.effective_time_frame.time_interval.duration.value`.
       */
      readonly path: string;
      /** What is wrong with the value at `path`, e.g. `is negative`. */
      readonly message: string;
    };

/**
 * The instant a measurement is stamped with, in epoch ms, from an Open mHealth effective time frame:
 *
 * - `date_time` → that instant;
 * - a `time_interval` → its END (`end_date_time`, or `start_date_time + duration`): a value
 *   measured over an interval is known when the interval closes, as a monitor stamps an averaged
 *   value at the end of its window;
 * - `date` + `part_of_day` → no instant (`imprecise`): OMH gives parts of the day no bounds;
 * - an interval that ends before it starts, or a negative duration → `invalid`.
 *
 * Times are truncated to the millisecond; `Mo` and `yr` durations are UCUM's Julian month and year.
 */
export function effectiveTimeMs(frame: OmhTimeFrame, path: string): number | NoEffectiveTime {
  if ('date_time' in frame) return parseOmhDateTime(frame.date_time)!;
  const interval = frame.time_interval;
  if ('part_of_day' in interval) {
    return {
      type: 'imprecise',
      message: `${path}.time_interval is ${interval.date} ${interval.part_of_day}, which is no instant`,
    };
  }
  if ('end_date_time' in interval) {
    const end = parseOmhDateTime(interval.end_date_time)!;
    if ('start_date_time' in interval && parseOmhDateTime(interval.start_date_time)! > end) {
      return {
        type: 'invalid',
        path: `${path}.time_interval.end_date_time`,
        message: `${interval.end_date_time} is before start_date_time ${interval.start_date_time}`,
      };
    }
    if ('duration' in interval && interval.duration.value < 0) {
      return { type: 'invalid', path: `${path}.time_interval.duration.value`, message: 'is negative' };
    }
    return end;
  }
  if (interval.duration.value < 0) {
    return { type: 'invalid', path: `${path}.time_interval.duration.value`, message: 'is negative' };
  }
  const durationMs = interval.duration.value * DURATION_MS[interval.duration.unit];
  return Math.floor(parseOmhDateTime(interval.start_date_time)! + durationMs);
}
