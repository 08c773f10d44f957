import { topicMatches } from '@healthit/core';

/** The largest MQTT 5 subscription identifier (a variable byte integer, §3.8.2.1.2). */
export const MAX_SUBSCRIPTION_IDENTIFIER = 268_435_455;

/** One broker subscription, shared by every listener on the same filter. */
export interface FilterEntry<L> {
  readonly filter: string;
  /** The MQTT 5 subscription identifier sent with SUBSCRIBE, or `undefined` (MQTT 3.1.1). */
  readonly id: number | undefined;
  readonly listeners: Set<L>;
}

/** Reference-counted broker subscriptions by topic filter. */
export interface SubscriptionRegistry<L> {
  /**
   * Adds a listener to `filter`; `first` is true when the filter had no listener, i.e. the
   * caller must send SUBSCRIBE.
   */
  add(filter: string, listener: L): { readonly entry: FilterEntry<L>; readonly first: boolean };
  /**
   * Removes a listener; returns true when it was the filter's last one (the entry is forgotten and
   * the caller must send UNSUBSCRIBE). Removing from a forgotten entry returns false.
   */
  remove(entry: FilterEntry<L>, listener: L): boolean;
  /**
   * The entries a received message belongs to. With MQTT 5 subscription identifiers
   * (`ids` given) exactly the entries named by the broker; otherwise every entry whose filter
   * matches `topic` (MQTT 3.1.1 brokers send one copy for overlapping subscriptions).
   */
  targets(topic: string, ids: number | readonly number[] | undefined): FilterEntry<L>[];
  /** Whether `entry` is the live entry for its filter. */
  isLive(entry: FilterEntry<L>): boolean;
  /** Every live entry. */
  entries(): FilterEntry<L>[];
  /** Forgets every entry and returns them. */
  clear(): FilterEntry<L>[];
}

/**
 * Creates a {@link SubscriptionRegistry}. With `useIdentifiers`, each filter gets a fresh MQTT 5
 * subscription identifier (1 … 268 435 455, never reused while live), so that overlapping filters
 * — for which an MQTT 5 broker sends one copy per subscription — each receive their own copy once.
 *
 * @throws {Error} when all 268 435 455 identifiers are live at once.
 */
export function createSubscriptionRegistry<L>(useIdentifiers: boolean): SubscriptionRegistry<L> {
  const byFilter = new Map<string, FilterEntry<L>>();
  const byId = new Map<number, FilterEntry<L>>();
  let lastId = 0;

  function allocateId(): number {
    for (let tries = 0; tries < MAX_SUBSCRIPTION_IDENTIFIER; tries++) {
      lastId = lastId >= MAX_SUBSCRIPTION_IDENTIFIER ? 1 : lastId + 1;
      if (!byId.has(lastId)) return lastId;
    }
    throw new Error('Every MQTT subscription identifier is in use; unsubscribe from some filters first');
  }

  return {
    add(filter, listener) {
      const existing = byFilter.get(filter);
      if (existing !== undefined) {
        existing.listeners.add(listener);
        return { entry: existing, first: false };
      }
      const id = useIdentifiers ? allocateId() : undefined;
      const entry: FilterEntry<L> = { filter, id, listeners: new Set([listener]) };
      byFilter.set(filter, entry);
      if (id !== undefined) byId.set(id, entry);
      return { entry, first: true };
    },

    remove(entry, listener) {
      if (!entry.listeners.delete(listener) || entry.listeners.size > 0) return false;
      if (byFilter.get(entry.filter) !== entry) return false;
      byFilter.delete(entry.filter);
      if (entry.id !== undefined) byId.delete(entry.id);
      return true;
    },

    targets(topic, ids) {
      if (useIdentifiers) {
        if (ids === undefined) return [];
        const list = typeof ids === 'number' ? [ids] : ids;
        const found: FilterEntry<L>[] = [];
        for (const id of list) {
          const entry = byId.get(id);
          if (entry !== undefined && topicMatches(entry.filter, topic)) found.push(entry);
        }
        return found;
      }
      const found: FilterEntry<L>[] = [];
      for (const entry of byFilter.values()) if (topicMatches(entry.filter, topic)) found.push(entry);
      return found;
    },

    isLive: (entry) => byFilter.get(entry.filter) === entry,

    entries: () => [...byFilter.values()],

    clear() {
      const all = [...byFilter.values()];
      byFilter.clear();
      byId.clear();
      return all;
    },
  };
}
