import type { Observable, Subscriber } from 'rxjs';
import type { TransportMessage } from '../ports/transport.js';
import { filterSubscription } from './filter-subscription.js';
import { topicMatches } from './topics.js';

/** Options of {@link createTopicHub}. */
export interface TopicHubOptions {
  /**
   * At most this many topics keep a retained message (default 10 000). When full, retaining a new
   * topic evicts the topic retained longest ago.
   */
  readonly maxRetainedTopics?: number;
}

/**
 * The local half of a {@link Transport}: subscriptions with MQTT topic filters, the retained
 * store, and ordered delivery. The in-process transport is this hub alone; a networked transport
 * (see `examples/custom-adapter`) delivers what arrives from its peers through it.
 */
export interface TopicHub {
  /** True once {@link TopicHub.close} has been called; it never becomes false again. */
  readonly closed: boolean;
  /** The retained messages, oldest first. */
  retainedEntries(): [string, Uint8Array][];
  /** Keeps `payload` as `topic`'s retained message (an empty payload clears it). */
  retain(topic: string, payload: Uint8Array): void;
  /**
   * Delivers to every matching subscriber, synchronously and in order, also when a subscriber
   * publishes from inside its handler (such messages are queued, then delivered in order).
   */
  deliver(message: TransportMessage): void;
  /** Subscribes with an MQTT topic filter; retained messages that match come first. */
  subscribe(filter: string): Observable<TransportMessage>;
  /** Completes every subscription and forgets the retained messages. Idempotent. */
  close(): void;
}

interface Entry {
  readonly filter: string;
  readonly subscriber: Subscriber<TransportMessage>;
}

/**
 * Creates a {@link TopicHub}: the building block of transports.
 * @throws {RangeError} when `maxRetainedTopics` is not a non-negative integer.
 * @example
 * ```ts
 * const hub = createTopicHub();
 * hub.subscribe('devices/+/readings').subscribe((m) => console.log(m.topic));
 * hub.deliver({ topic: 'devices/po-1/readings', payload, retained: false });
 * ```
 */
export function createTopicHub(options: TopicHubOptions = {}): TopicHub {
  const maxRetained = options.maxRetainedTopics ?? 10_000;
  if (!Number.isInteger(maxRetained) || maxRetained < 0) {
    throw new RangeError(`maxRetainedTopics must be a non-negative integer, got ${maxRetained}`);
  }
  const subscriptions = new Set<Entry>();
  const retained = new Map<string, Uint8Array>();
  const queue: TransportMessage[] = [];
  let delivering = false;
  let closed = false;

  return {
    get closed() {
      return closed;
    },
    retainedEntries(): [string, Uint8Array][] {
      return [...retained];
    },
    retain(topic: string, payload: Uint8Array): void {
      retained.delete(topic);
      if (payload.byteLength === 0 || maxRetained === 0) return;
      if (retained.size >= maxRetained) {
        const oldest = retained.keys().next().value;
        if (oldest !== undefined) retained.delete(oldest);
      }
      retained.set(topic, payload);
    },
    deliver(message: TransportMessage): void {
      queue.push(message);
      if (delivering) return;
      delivering = true;
      try {
        for (let m = queue.shift(); m !== undefined; m = queue.shift()) {
          for (const s of [...subscriptions]) {
            if (subscriptions.has(s) && topicMatches(s.filter, m.topic)) s.subscriber.next(m);
          }
        }
      } finally {
        delivering = false;
      }
    },
    subscribe(filter: string): Observable<TransportMessage> {
      return filterSubscription(
        filter,
        () => closed,
        (subscriber) => {
          const entry: Entry = { filter, subscriber };
          subscriptions.add(entry);
          for (const [topic, payload] of retained) {
            if (topicMatches(filter, topic)) subscriber.next({ topic, payload, retained: true });
          }
          return () => {
            subscriptions.delete(entry);
          };
        },
      );
    },
    close(): void {
      if (closed) return;
      closed = true;
      const open = [...subscriptions];
      subscriptions.clear();
      retained.clear();
      for (const s of open) s.subscriber.complete();
    },
  };
}
