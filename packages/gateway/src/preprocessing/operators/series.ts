import type { Reading } from '@healthit/core';
import type { SchedulerLike, Subscription } from 'rxjs';

/** Default bound on the number of series an operator keeps state for. */
export const DEFAULT_MAX_SERIES = 100_000;

/** The key of a device's series of one metric: `${deviceId}\u0000${metric}`. */
export function deviceSeriesKey(r: Reading): string {
  return `${r.deviceId}\u0000${r.metric}`;
}

/** Orders readings by (ts, seq). Negative when `a` comes first. */
export function compareReadings(a: Reading, b: Reading): number {
  return a.ts - b.ts || a.seq - b.seq;
}

/**
 * Per-series state, bounded to `maxSeries` entries. When a new series would exceed the bound, the
 * series used least recently is evicted and handed to `onEvict` (so the caller can flush it).
 */
export class SeriesTable<S> {
  readonly #states = new Map<string, S>();
  constructor(
    private readonly maxSeries: number,
    private readonly onEvict: (key: string, state: S) => void,
  ) {}

  /** The state of `key`, created with `create` when absent; marks it most recently used. */
  touch(key: string, create: () => S): S {
    let s = this.#states.get(key);
    if (s !== undefined) {
      this.#states.delete(key);
    } else {
      if (this.#states.size >= this.maxSeries) {
        const oldest = this.#states.entries().next().value;
        if (oldest !== undefined) {
          this.#states.delete(oldest[0]);
          this.onEvict(oldest[0], oldest[1]);
        }
      }
      s = create();
    }
    this.#states.set(key, s);
    return s;
  }

  get(key: string): S | undefined {
    return this.#states.get(key);
  }

  delete(key: string): void {
    this.#states.delete(key);
  }

  entries(): IterableIterator<[string, S]> {
    return this.#states.entries();
  }

  get size(): number {
    return this.#states.size;
  }
}

/**
 * Idle timers per key on an RxJS scheduler: `arm(key)` (re)starts the key's timer; when it runs
 * out without being re-armed, `onIdle(key)` is called.
 */
export class IdleTimers {
  readonly #timers = new Map<string, Subscription>();
  constructor(
    private readonly idleMs: number | undefined,
    private readonly scheduler: SchedulerLike,
    private readonly onIdle: (key: string) => void,
  ) {}

  arm(key: string): void {
    if (this.idleMs === undefined) return;
    this.#timers.get(key)?.unsubscribe();
    const sub = this.scheduler.schedule(() => {
      this.#timers.delete(key);
      this.onIdle(key);
    }, this.idleMs);
    this.#timers.set(key, sub);
  }

  cancel(key: string): void {
    this.#timers.get(key)?.unsubscribe();
    this.#timers.delete(key);
  }

  cancelAll(): void {
    for (const t of this.#timers.values()) t.unsubscribe();
    this.#timers.clear();
  }
}

/** @throws {RangeError} unless `value` is a positive integer (or undefined when optional). */
export function checkPositiveInt(name: string, value: number | undefined, optional = false): void {
  if (value === undefined && optional) return;
  if (value === undefined || !Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer, got ${String(value)}`);
  }
}

/** @throws {RangeError} unless `value` is a non-negative finite number. */
export function checkNonNegative(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative finite number, got ${String(value)}`);
  }
}
