import { SeriesTable } from './operators/series.js';

/** A device's admitted rate: a token bucket refilled at `readingsPerSecond`, holding at most `burst`. */
export interface RateLimit {
  /** Sustained rate admitted, in readings per second (> 0; fractions allowed: 0.5 = one every 2 s). */
  readonly readingsPerSecond: number;
  /**
   * Readings admitted at once after a quiet spell (≥ 1): the bucket's size. A new (or forgotten and
   * returning) device starts with a full bucket.
   */
  readonly burst: number;
}

/** Options of {@link createRateLimiter} (and of `createGateway({ rateLimit })`). */
export interface RateLimitOptions extends RateLimit {
  /**
   * The limit of one device, e.g. from its declared rate in the device registry: a
   * {@link RateLimit}, `null` for no limit (the device is never limited), or `undefined` for the
   * defaults above. Asked when the device is first tracked (and again after it was forgotten), not
   * per reading.
   */
  readonly perDevice?: (deviceId: string) => RateLimit | null | undefined;
  /**
   * Devices tracked at most (default 100 000); past that, the device heard from least recently is
   * forgotten — it comes back with a full bucket and its `dropped` count restarts from 0.
   */
  readonly maxDevices?: number;
}

/** What the limiter knows of one device. */
export interface RateLimitState {
  /** The device's limit, or `null` when it is not limited. */
  readonly limit: RateLimit | null;
  /** Readings refused since the device was tracked. */
  readonly dropped: number;
  /** Readings admitted since the device was tracked. */
  readonly admitted: number;
}

/**
 * Per-device admission control: one token bucket per device (tokens refill continuously at
 * `readingsPerSecond` up to `burst`; each reading takes one; no token, the reading is refused).
 * Time comes from the caller (`nowMs`), so it runs on any clock, virtual time included; time going
 * backwards refills nothing. Bounded: at most `maxDevices` buckets, least recently heard forgotten
 * first.
 */
export interface RateLimiter {
  /**
   * Takes a token for one reading of `deviceId` at `nowMs` (ms since the epoch): `true` admitted,
   * `false` refused (counted in the device's `dropped`).
   * @throws {RangeError} when `perDevice` gives an invalid limit.
   */
  take(deviceId: string, nowMs: number): boolean;
  /** What the limiter knows of `deviceId`, or undefined when it is not tracked. */
  state(deviceId: string): RateLimitState | undefined;
  /** Devices tracked now (at most `maxDevices`). */
  readonly size: number;
}

interface Bucket {
  readonly limit: RateLimit | null;
  /** Tokens × 1000, so that integer rates refill exactly (1 ms adds `readingsPerSecond`). */
  milliTokens: number;
  /** When `milliTokens` was last refilled. */
  at: number;
  dropped: number;
  admitted: number;
}

/**
 * Checks a rate limit.
 * @throws {TypeError} when a field is not a number; {RangeError} when `readingsPerSecond` is not
 *   finite and > 0 or `burst` not finite and ≥ 1.
 */
export function validateRateLimit(limit: RateLimit, where = 'rateLimit'): RateLimit {
  const { readingsPerSecond, burst } = limit;
  if (typeof readingsPerSecond !== 'number' || typeof burst !== 'number') {
    throw new TypeError(`${where}: readingsPerSecond and burst must be numbers`);
  }
  if (!Number.isFinite(readingsPerSecond) || readingsPerSecond <= 0) {
    throw new RangeError(`${where}: readingsPerSecond must be a finite number > 0, got ${readingsPerSecond}`);
  }
  if (!Number.isFinite(burst) || burst < 1) {
    throw new RangeError(`${where}: burst must be a finite number ≥ 1, got ${burst}`);
  }
  return limit;
}

/**
 * Creates a {@link RateLimiter}.
 *
 * @throws {TypeError} / {RangeError} for an invalid default limit (see {@link validateRateLimit}) or
 *   `maxDevices` that is not a positive integer.
 * @example
 * ```ts
 * const limiter = createRateLimiter({ readingsPerSecond: 10, burst: 20 });
 * if (!limiter.take(reading.deviceId, clock.now())) events.next({ type: 'reading-rate-limited', … });
 * ```
 */
export function createRateLimiter(options: RateLimitOptions): RateLimiter {
  const defaults = validateRateLimit(
    { readingsPerSecond: options.readingsPerSecond, burst: options.burst },
    'rateLimit',
  );
  const maxDevices = options.maxDevices ?? 100_000;
  if (!Number.isInteger(maxDevices) || maxDevices < 1) {
    throw new RangeError(`rateLimit.maxDevices must be a positive integer, got ${maxDevices}`);
  }
  const perDevice = options.perDevice;
  const buckets = new SeriesTable<Bucket>(maxDevices, () => {});
  let creating = 0;
  const create = (deviceId: string): Bucket => {
    const own = perDevice?.(deviceId);
    const limit =
      own === undefined
        ? defaults
        : own === null
          ? null
          : validateRateLimit(own, `rateLimit.perDevice(${deviceId})`);
    return { limit, milliTokens: (limit?.burst ?? 0) * 1000, at: creating, dropped: 0, admitted: 0 };
  };
  return {
    get size() {
      return buckets.size;
    },
    take(deviceId, nowMs) {
      creating = nowMs;
      const b = buckets.touch(deviceId, () => create(deviceId));
      const { limit } = b;
      if (limit === null) {
        b.admitted++;
        return true;
      }
      if (nowMs > b.at) {
        b.milliTokens = Math.min(
          limit.burst * 1000,
          b.milliTokens + (nowMs - b.at) * limit.readingsPerSecond,
        );
      }
      // Never refill for time already credited, also after the clock went back.
      b.at = nowMs;
      if (b.milliTokens >= 1000) {
        b.milliTokens -= 1000;
        b.admitted++;
        return true;
      }
      b.dropped++;
      return false;
    },
    state(deviceId) {
      const b = buckets.get(deviceId);
      return b === undefined ? undefined : { limit: b.limit, dropped: b.dropped, admitted: b.admitted };
    },
  };
}
