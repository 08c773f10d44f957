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

/** A node of a {@link RecencyList}. */
interface Linked {
  prev: Linked | undefined;
  next: Linked | undefined;
}

/** A doubly linked list of nodes, least recently used first: moving a node is two pointer updates. */
class RecencyList<N extends Linked> {
  /** Least recently used. */
  head: N | undefined;
  /** Most recently used. */
  tail: N | undefined;

  /** Marks `node` (in the list) most recently used. */
  touch(node: N): void {
    if (node === this.tail) return;
    this.unlink(node);
    this.append(node);
  }

  unlink(node: N): void {
    if (node.prev === undefined) this.head = node.next as N | undefined;
    else node.prev.next = node.next;
    if (node.next === undefined) this.tail = node.prev as N | undefined;
    else node.next.prev = node.prev;
    node.prev = undefined;
    node.next = undefined;
  }

  append(node: N): void {
    node.prev = this.tail;
    if (this.tail === undefined) this.head = node;
    else this.tail.next = node;
    this.tail = node;
  }

  *nodes(): IterableIterator<N> {
    for (let node = this.head; node !== undefined; node = node.next as N | undefined) yield node;
  }
}

interface Node<S> extends Linked {
  readonly key: string;
  readonly state: S;
}

/**
 * Per-series state, bounded to `maxSeries` entries. When a new series would exceed the bound, the
 * series used least recently is evicted and handed to `onEvict` (so the caller can flush it).
 * A map to nodes of a doubly linked recency list: marking an entry most recently used moves two
 * pointers instead of re-inserting into the map (several times cheaper per reading).
 */
export class SeriesTable<S> {
  readonly #nodes = new Map<string, Node<S>>();
  readonly #order = new RecencyList<Node<S>>();

  constructor(
    private readonly maxSeries: number,
    private readonly onEvict: (key: string, state: S) => void,
  ) {}

  /** The state of `key`, created with `create` when absent; marks it most recently used. */
  touch(key: string, create: () => S): S {
    const node = this.#nodes.get(key);
    if (node !== undefined) {
      this.#order.touch(node);
      return node.state;
    }
    const oldest = this.#order.head;
    if (this.#nodes.size >= this.maxSeries && oldest !== undefined) {
      this.#order.unlink(oldest);
      this.#nodes.delete(oldest.key);
      this.onEvict(oldest.key, oldest.state);
    }
    const created: Node<S> = { key, state: create(), prev: undefined, next: undefined };
    this.#nodes.set(key, created);
    this.#order.append(created);
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
    this.#order.unlink(node);
    this.#nodes.delete(key);
  }

  /** Every entry, least recently used first. */
  *entries(): IterableIterator<[string, S]> {
    for (const node of this.#order.nodes()) yield [node.key, node.state];
  }

  get size(): number {
    return this.#nodes.size;
  }
}

interface PairNode<S> extends Linked {
  readonly outer: string;
  readonly inner: string;
  readonly state: S;
}

/**
 * {@link SeriesTable} keyed by a pair of strings (e.g. patient and metric) without building a
 * combined key string per lookup: a map of maps to the nodes of one recency list. Same bound and
 * eviction: at most `maxSeries` pairs, the least recently used evicted first.
 */
export class PairSeriesTable<S> {
  readonly #maps = new Map<string, Map<string, PairNode<S>>>();
  readonly #order = new RecencyList<PairNode<S>>();
  #size = 0;

  constructor(
    private readonly maxSeries: number,
    private readonly onEvict: (outer: string, inner: string, state: S) => void,
  ) {}

  /**
   * The state of (`outer`, `inner`), created with `create(context)` when absent; marks it most
   * recently used. (`context` spares callers a closure per call on their hot path.)
   */
  touch<C>(outer: string, inner: string, create: (context: C) => S, context?: C): S {
    let map = this.#maps.get(outer);
    const node = map?.get(inner);
    if (node !== undefined) {
      this.#order.touch(node);
      return node.state;
    }
    const oldest = this.#order.head;
    if (this.#size >= this.maxSeries && oldest !== undefined) {
      this.#remove(oldest);
      this.onEvict(oldest.outer, oldest.inner, oldest.state);
      map = this.#maps.get(outer);
    }
    if (map === undefined) {
      map = new Map();
      this.#maps.set(outer, map);
    }
    const created: PairNode<S> = {
      outer,
      inner,
      state: create(context as C),
      prev: undefined,
      next: undefined,
    };
    map.set(inner, created);
    this.#order.append(created);
    this.#size++;
    return created.state;
  }

  /** The state of (`outer`, `inner`) without marking it used. */
  get(outer: string, inner: string): S | undefined {
    return this.#maps.get(outer)?.get(inner)?.state;
  }

  /** Every entry, least recently used first. */
  *entries(): IterableIterator<[string, string, S]> {
    for (const node of this.#order.nodes()) yield [node.outer, node.inner, node.state];
  }

  get size(): number {
    return this.#size;
  }

  #remove(node: PairNode<S>): void {
    this.#order.unlink(node);
    const map = this.#maps.get(node.outer);
    map?.delete(node.inner);
    if (map?.size === 0) this.#maps.delete(node.outer);
    this.#size--;
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
