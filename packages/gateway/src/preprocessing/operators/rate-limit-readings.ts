import { type Clock, type Reading, systemClock } from '@healthit/core';
import { defer, map, type OperatorFunction } from 'rxjs';
import {
  createRateLimiter,
  type RateLimit,
  type RateLimitOptions,
  type RateLimitState,
} from '../rate-limiter.js';

/** A reading within its device's rate. */
export interface AdmittedReading {
  /** Discriminant of {@link RateLimitReadingsOutput}: always `reading`. */
  readonly type: 'reading';
  /** The reading, unchanged. */
  readonly reading: Reading;
}

/** A reading refused because its device exceeded its rate. */
export interface RateLimitedReading {
  /** Discriminant of {@link RateLimitReadingsOutput}: always `rate-limited`. */
  readonly type: 'rate-limited';
  /** The refused reading, unchanged. */
  readonly reading: Reading;
  /** The device's limit. */
  readonly limit: RateLimit;
  /** Readings of the device refused since it was tracked, this one included. */
  readonly droppedTotal: number;
}

/** What {@link rateLimitReadings} emits. */
export type RateLimitReadingsOutput = AdmittedReading | RateLimitedReading;

/**
 * Per-device rate limiting as an operator: a token bucket per device (see
 * {@link createRateLimiter}); a reading with a token passes as `reading`, one without becomes a
 * `rate-limited` output (nothing is dropped silently). Time is `clock.now()` when the reading
 * arrives (default the system clock; `{ now: () => scheduler.now() }` for virtual time). Bounded:
 * `maxDevices` buckets (default 100 000), least recently heard forgotten first. State is per
 * subscription. The same step `createGateway({ rateLimit })` runs on every reading.
 *
 * @throws {TypeError} / {RangeError} for invalid options (when called), or, as an error of the
 *   stream, an invalid limit from `perDevice`.
 * @example
 * ```ts
 * readings$.pipe(rateLimitReadings({ readingsPerSecond: 10, burst: 20, clock }))
 * ```
 */
export function rateLimitReadings(
  options: RateLimitOptions & { readonly clock?: Clock },
): OperatorFunction<Reading, RateLimitReadingsOutput> {
  createRateLimiter(options); // validate now, at the call site
  const clock = options.clock ?? systemClock;
  return (source) =>
    defer(() => {
      const limiter = createRateLimiter(options);
      return source.pipe(
        map((reading): RateLimitReadingsOutput => {
          if (limiter.take(reading.deviceId, clock.now())) return { type: 'reading', reading };
          // Refused: the device is tracked, with a limit.
          const state = limiter.state(reading.deviceId) as RateLimitState;
          return {
            type: 'rate-limited',
            reading,
            limit: state.limit as RateLimit,
            droppedTotal: state.dropped,
          };
        }),
      );
    });
}
