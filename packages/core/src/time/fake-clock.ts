import type { Clock } from '../ports/clock.js';

/** A {@link Clock} that only moves when told to. */
export interface FakeClock extends Clock {
  /** Sets the time (epoch ms). @throws {RangeError} when moving backwards. */
  set(epochMs: number): void;
  /** Moves the time forward by `ms`. @throws {RangeError} for a negative step. */
  advance(ms: number): void;
}

/** A fake clock starting at `startMs` (default 2024-01-01T00:00:00Z). */
export function createFakeClock(startMs = Date.UTC(2024, 0, 1)): FakeClock {
  let now = startMs;
  return {
    now: () => now,
    set(epochMs: number) {
      if (epochMs < now) throw new RangeError(`FakeClock cannot go back from ${now} to ${epochMs}`);
      now = epochMs;
    },
    advance(ms: number) {
      if (ms < 0) throw new RangeError(`FakeClock cannot advance by a negative step (${ms} ms)`);
      now += ms;
    },
  };
}
