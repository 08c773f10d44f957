import type { Reading, ReadingQuality } from '@healthit/core';
import { MAX_ARTEFACT_WINDOW } from './rolling-window.js';

/**
 * A reading whose `value` is NaN or ±Infinity (it bypassed the `Reading` schema, which refuses
 * them). The artefact operators keep it out of every window and hand it on here, so their
 * `reading` outputs are NaN-free and nothing is dropped silently.
 */
export interface NonFiniteValue {
  /** Discriminant in the artefact operators' outputs: always `non-finite`. */
  readonly type: 'non-finite';
  /** The reading as received, its `value` NaN or ±Infinity. */
  readonly reading: Reading;
}

const QUALITY_RANK: Readonly<Record<ReadingQuality, number>> = { good: 0, questionable: 1, bad: 2 };

/** `reading` with its quality lowered to `quality` (a worse quality already set is kept). */
export function degrade(reading: Reading, quality: ReadingQuality): Reading {
  if (reading.quality !== undefined && QUALITY_RANK[reading.quality] >= QUALITY_RANK[quality]) return reading;
  return { ...reading, quality };
}

/**
 * True when `|a − b|` exceeds `limit` by more than floating-point rounding: values on a decimal grid
 * (36.8 and 37.1 °C) differ by `0.30000000000000426`, which must not count as more than 0.3.
 */
export function differsBeyond(a: number, b: number, limit: number): boolean {
  return Math.abs(a - b) > limit + 8 * Number.EPSILON * Math.max(Math.abs(a), Math.abs(b));
}

/** The series key of the artefact operators: device, metric and unit, so units never mix. */
export function artefactSeriesKey(r: Reading): string {
  return `${r.deviceId}\u0000${r.metric}\u0000${r.unit}`;
}

/**
 * @throws {RangeError} unless `window` is an integer in `[min, MAX_ARTEFACT_WINDOW]` (and odd when
 *   `odd`).
 */
export function checkWindow(window: number, min: number, odd: boolean): void {
  if (
    !Number.isInteger(window) ||
    window < min ||
    window > MAX_ARTEFACT_WINDOW ||
    (odd && window % 2 === 0)
  ) {
    throw new RangeError(
      `window must be ${odd ? 'an odd' : 'an'} integer in [${min}, ${MAX_ARTEFACT_WINDOW}], got ${String(window)}`,
    );
  }
}

/** @throws {RangeError} unless `value` is a positive finite number. */
export function checkPositive(name: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive finite number, got ${String(value)}`);
  }
}
