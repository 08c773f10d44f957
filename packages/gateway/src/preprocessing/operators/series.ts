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

/** An entry of {@link SeriesTable}'s recency list. */
interface Node<S> {
  readonly key: string;
  readonly state: S;
  prev: Node<S> | undefined;
  next: Node<S> | undefined;
}

/**
 * Per-series state, bounded to `maxSeries` entries. When a new series would exceed the bound, the
 * series used least recently is evicted and handed to `onEvict` (so the caller can flush it).
 * A map to nodes of a doubly linked recency list: marking an entry most recently used moves two
 * pointers instead of re-inserting into the map (several times cheaper per reading).
 */
export class SeriesTable<S> {
  readonly #nodes = new Map<string, Node<S>>();
  /** Least recently used. */
  #head: Node<S> | undefined;
  /** Most recently used. */
  #tail: Node<S> | undefined;

  constructor(
    private readonly maxSeries: number,
    private readonly onEvict: (key: string, state: S) => void,
  ) {}

  /** The state of `key`, created with `create` when absent; marks it most recently used. */
  touch(key: string, create: () => S): S {
    const node = this.#nodes.get(key);
    if (node !== undefined) {
      if (node !== this.#tail) {
        this.#unlink(node);
        this.#append(node);
      }
      return node.state;
    }
    if (this.#nodes.size >= this.maxSeries && this.#head !== undefined) {
      const oldest = this.#head;
      this.#unlink(oldest);
      this.#nodes.delete(oldest.key);
      this.onEvict(oldest.key, oldest.state);
    }
    const created: Node<S> = { key, state: create(), prev: undefined, next: undefined };
    this.#nodes.set(key, created);
    this.#append(created);
    return created.state;
  }

  /** The state of `key` without marking it used. */
  get(key: string): S | undefined {
    return this.#nodes.get(key)?.state;
  }

  /** Forgets `key` (no `onEvict`). */
  delete(key: string): void {
    const node = this.#nodes.get(key);
    if (node === undefined) return;
    this.#unlink(node);
    this.#nodes.delete(key);
  }

  /** Every entry, least recently used first. */
  *entries(): IterableIterator<[string, S]> {
    for (let node = this.#head; node !== undefined; node = node.next) yield [node.key, node.state];
  }

  get size(): number {
    return this.#nodes.size;
  }

  #unlink(node: Node<S>): void {
    if (node.prev === undefined) this.#head = node.next;
    else node.prev.next = node.next;
    if (node.next === undefined) this.#tail = node.prev;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
  }

  #append(node: Node<S>): void {
    node.prev = this.#tail;
    if (this.#tail === undefined) this.#head = node;
    else this.#tail.next = node;
    this.#tail = node;
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
