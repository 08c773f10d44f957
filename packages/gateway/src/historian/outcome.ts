/**
 * What {@link Historian.append} did with a reading. Everything but `stored` leaves the historian
 * unchanged (apart from evicting points that had aged out anyway) and is counted in
 * `stats().refused`.
 */
export const AppendOutcome = {
  /** The point was stored (in time order, even when it arrived late). */
  stored: 'stored',
  /** A point with the same device and seq is already stored: ignored (idempotent re-append). */
  duplicate: 'duplicate',
  /**
   * Older than the age bound: `maxAgeMs` before the series' newest point (or before `clock.now()`
   * when a clock is given), or more than {@link MAX_SPAN_MS} before the series' newest point.
   */
  expired: 'expired',
  /** The series is at `capacityPerSeries` and the reading is older than its oldest point. */
  full: 'full',
  /** The unit is not the metric's canonical UCUM unit: normalise first (`normaliseReading`). */
  notCanonical: 'not-canonical',
  /** The value is not a finite number, or `ts`/`seq` is not a non-negative safe integer. */
  invalid: 'invalid',
  /** {@link MAX_DEVICES_PER_SERIES} other devices already hold points in this series. */
  tooManyDevices: 'too-many-devices',
  /** The seq is more than {@link MAX_SEQ_SPAN} below the newest stored seq of its device in the series. */
  seqOutOfSpan: 'seq-out-of-span',
} as const;

/** One of the values of {@link AppendOutcome}. */
export type AppendOutcome = (typeof AppendOutcome)[keyof typeof AppendOutcome];

/** Every refusal outcome, for counters. */
export const REFUSALS = [
  AppendOutcome.duplicate,
  AppendOutcome.expired,
  AppendOutcome.full,
  AppendOutcome.notCanonical,
  AppendOutcome.invalid,
  AppendOutcome.tooManyDevices,
  AppendOutcome.seqOutOfSpan,
] as const;

/** An outcome other than `stored`. */
export type Refusal = (typeof REFUSALS)[number];
