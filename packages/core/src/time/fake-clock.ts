import type { Clock } from '../ports/clock.js';

/** A {@link Clock} that only moves when told to. */
export interface FakeClock extends Clock {
  /** Sets the time (epoch ms). @throws {RangeError} when moving backwards or not finite. */
  set(epochMs: number): void;
  /** Moves the time forward by `ms`. @throws {RangeError} for a negative or non-finite step. */
  advance(ms: number): void;
}

/**
 * A fake clock starting at `startMs` (default 2024-01-01T00:00:00Z).
 * @throws {RangeError} when `startMs` is not finite.
 */
export function createFakeClock(startMs = Date.UTC(2024, 0, 1)): FakeClock {
  if (!Number.isFinite(startMs)) throw new RangeError(`FakeClock start must be finite, got ${startMs}`);
  let now = startMs;
  return {
    now: () => now,
    set(epochMs: number) {
      if (!Number.isFinite(epochMs)) throw new RangeError(`FakeClock time must be finite, got ${epochMs}`);
      if (epochMs < now) throw new RangeError(`FakeClock cannot go back from ${now} to ${epochMs}`);
      now = epochMs;
    },
    advance(ms: number) {
      if (!Number.isFinite(ms)) throw new RangeError(`FakeClock step must be finite, got ${ms}`);
      if (ms < 0) throw new RangeError(`FakeClock cannot advance by a negative step (${ms} ms)`);
      now += ms;
    },
  };
}
