import { type Clock, compareSeverity, HealthItError, systemClock } from '@healthit/core';
import type { AlertQuery, AlertState, ManagedAlert } from './types.js';

/** Default {@link InMemoryAlertStoreOptions.capacity}. */
export const DEFAULT_ALERT_CAPACITY = 10_000;
/** Default {@link InMemoryAlertStoreOptions.retainResolvedMs}: 7 days. */
export const DEFAULT_RETAIN_RESOLVED_MS = 7 * 24 * 60 * 60_000;
/** Default {@link AlertQuery.limit}. */
export const DEFAULT_ALERT_QUERY_LIMIT = 1_000;

/**
 * Where the alert manager keeps alert episodes: the unresolved working set (looked up by id and by
 * episode key on every occurrence) and the history of resolved ones.
 *
 * Synchronous on purpose: each lifecycle transition is one atomic step of a single-threaded state
 * machine, with no interleaving between reading an episode and writing it. A SQL-backed store
 * implements this as a write-through cache: the unresolved set in memory (it is bounded and never
 * evicted), every `save` also queued to SQL in order, and history queries beyond the cache
 * answered from SQL by a separate async reader.
 */
export interface AlertStore {
  /** The episode with this id (the id of its first occurrence), in any state. */
  get(id: string): ManagedAlert | undefined;
  /** The unresolved (open or acknowledged) episode with this key, if any. */
  findUnresolved(key: string): ManagedAlert | undefined;
  /**
   * Inserts or replaces the record with `alert.id`.
   * @throws {HealthItError} `buffer/overflow` when inserting a new record into a store whose
   * capacity is used up by unresolved alerts (nothing is evicted and nothing stored).
   */
  save(alert: ManagedAlert): void;
  /** History matching the query, ordered by `openedAt`, then id. */
  query(query: AlertQuery): ManagedAlert[];
  /** Records held, and how many of them are unresolved. */
  size(): { readonly total: number; readonly unresolved: number };
}

/** Options of {@link createInMemoryAlertStore}. */
export interface InMemoryAlertStoreOptions {
  /** Records held at most, resolved and unresolved (default {@link DEFAULT_ALERT_CAPACITY}). */
  readonly capacity?: number;
  /** Resolved records are dropped this long after their resolution (default 7 days). */
  readonly retainResolvedMs?: number;
  /** Time source for the retention (default the system clock; pass the manager's). */
  readonly clock?: Clock;
  /** Called with each record dropped by the eviction policy. */
  readonly onEvict?: (alert: ManagedAlert, why: 'expired' | 'capacity') => void;
}

function states(q: AlertQuery['state']): ReadonlySet<AlertState> | undefined {
  if (q === undefined) return undefined;
  return new Set(typeof q === 'string' ? [q] : q);
}

/**
 * A bounded, in-memory {@link AlertStore}. Eviction policy, applied on every insert and query:
 *
 * 1. resolved records older than `retainResolvedMs` (from their resolution) are dropped;
 * 2. when an insert would exceed `capacity`, the resolved record resolved earliest is dropped;
 * 3. unresolved (open, acknowledged) records are never dropped: when the capacity is all
 *    unresolved, the insert is refused with `buffer/overflow`.
 *
 * @throws {RangeError} when `capacity` is not a positive integer or `retainResolvedMs` is negative.
 * @example
 * ```ts
 * const store = createInMemoryAlertStore({ capacity: 50_000, retainResolvedMs: 86_400_000, clock });
 * ```
 */
export function createInMemoryAlertStore(options: InMemoryAlertStoreOptions = {}): AlertStore {
  const capacity = options.capacity ?? DEFAULT_ALERT_CAPACITY;
  if (!Number.isSafeInteger(capacity) || capacity < 1) {
    throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }
  const retainMs = options.retainResolvedMs ?? DEFAULT_RETAIN_RESOLVED_MS;
  if (typeof retainMs !== 'number' || Number.isNaN(retainMs) || retainMs < 0) {
    throw new RangeError(`retainResolvedMs must be a number >= 0, got ${retainMs}`);
  }
  const clock = options.clock ?? systemClock;
  const byId = new Map<string, ManagedAlert>();
  const unresolvedByKey = new Map<string, string>();
  /** Resolved ids in order of resolution (oldest first): the eviction queue. */
  const resolvedOrder = new Map<string, number>();

  const drop = (id: string, why: 'expired' | 'capacity'): void => {
    const a = byId.get(id);
    byId.delete(id);
    resolvedOrder.delete(id);
    if (a !== undefined) options.onEvict?.(a, why);
  };

  const expire = (): void => {
    const horizon = clock.now() - retainMs;
    for (const [id, resolvedAt] of resolvedOrder) {
      if (resolvedAt >= horizon) break;
      drop(id, 'expired');
    }
  };

  return {
    get: (id) => byId.get(id),
    findUnresolved(key) {
      const id = unresolvedByKey.get(key);
      return id === undefined ? undefined : byId.get(id);
    },
    save(alert) {
      expire();
      const previous = byId.get(alert.id);
      if (previous === undefined && byId.size >= capacity) {
        const oldest = resolvedOrder.keys().next();
        if (oldest.done) {
          throw new HealthItError(
            'buffer/overflow',
            `alert store is full: ${capacity} unresolved alerts; refusing alert ${alert.id}. Resolve alerts or raise the capacity`,
            { detail: { capacity, alertId: alert.id } },
          );
        }
        drop(oldest.value, 'capacity');
      }
      if (previous !== undefined && previous.state !== 'resolved' && previous.key !== alert.key) {
        unresolvedByKey.delete(previous.key);
      }
      byId.set(alert.id, alert);
      if (alert.state === 'resolved') {
        if (unresolvedByKey.get(alert.key) === alert.id) unresolvedByKey.delete(alert.key);
        if (!resolvedOrder.has(alert.id)) resolvedOrder.set(alert.id, alert.resolved?.at ?? clock.now());
      } else {
        unresolvedByKey.set(alert.key, alert.id);
      }
    },
    query(q) {
      expire();
      const wanted = states(q.state);
      const severities =
        q.severity === undefined
          ? undefined
          : new Set(typeof q.severity === 'string' ? [q.severity] : q.severity);
      const limit = q.limit ?? DEFAULT_ALERT_QUERY_LIMIT;
      const out: ManagedAlert[] = [];
      for (const a of byId.values()) {
        if (wanted !== undefined && !wanted.has(a.state)) continue;
        if (severities !== undefined && !severities.has(a.severity)) continue;
        if (q.minSeverity !== undefined && compareSeverity(a.severity, q.minSeverity) < 0) continue;
        if (q.patientId !== undefined && a.alert.patientId !== q.patientId) continue;
        if (q.deviceId !== undefined && a.alert.deviceId !== q.deviceId) continue;
        if (q.rule !== undefined && a.alert.rule !== q.rule) continue;
        if (q.ward !== undefined && a.ward !== q.ward) continue;
        if (q.from !== undefined && a.openedAt < q.from) continue;
        if (q.to !== undefined && a.openedAt >= q.to) continue;
        out.push(a);
      }
      out.sort((a, b) => a.openedAt - b.openedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return out.slice(0, Math.max(0, limit));
    },
    size: () => ({ total: byId.size, unresolved: unresolvedByKey.size }),
  };
}
