import { BehaviorSubject, type Observable, type Subscriber } from 'rxjs';
import { HealthItError } from '../errors/health-it-error.js';
import type { ConnectionState, PublishOptions, Transport, TransportMessage } from '../ports/transport.js';
import { filterSubscription } from './filter-subscription.js';
import { assertValidTopic, topicMatches } from './topics.js';

/** Options of {@link createInProcessTransport}. */
export interface InProcessTransportOptions {
  /**
   * At most this many topics keep a retained message (default 10 000). When full, retaining a new
   * topic evicts the topic retained longest ago.
   */
  readonly maxRetainedTopics?: number;
}

interface Subscription {
  readonly filter: string;
  readonly subscriber: Subscriber<TransportMessage>;
}

/**
 * The in-process transport: the reference implementation of {@link Transport}, and the embedded
 * default that joins devices, gateway and platform in one process. MQTT topic semantics
 * (wildcards, retained messages); delivery is synchronous and in publish order, also when a
 * subscriber publishes from inside its handler (such messages are queued, then delivered in order).
 * QoS is accepted and has no effect: in one process nothing is lost between publish and delivery.
 *
 * Payloads are copied once on publish; subscribers share that copy and must treat it as read-only.
 *
 * @example
 * ```ts
 * const bus = createInProcessTransport();
 * bus.subscribe('devices/+/readings').subscribe((m) => console.log(m.topic));
 * await bus.publish('devices/mon-1/readings', bytes);
 * ```
 */
export function createInProcessTransport(options: InProcessTransportOptions = {}): Transport {
  const maxRetained = options.maxRetainedTopics ?? 10_000;
  if (!Number.isInteger(maxRetained) || maxRetained < 0) {
    throw new RangeError(`maxRetainedTopics must be a non-negative integer, got ${maxRetained}`);
  }
  const state$ = new BehaviorSubject<ConnectionState>('connected');
  const subscriptions = new Set<Subscription>();
  const retained = new Map<string, Uint8Array>();
  const queue: TransportMessage[] = [];
  let delivering = false;
  let closed = false;

  function deliver(message: TransportMessage): void {
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
  }

  function retain(topic: string, payload: Uint8Array): void {
    retained.delete(topic);
    if (payload.byteLength === 0 || maxRetained === 0) return;
    if (retained.size >= maxRetained) {
      const oldest = retained.keys().next().value;
      if (oldest !== undefined) retained.delete(oldest);
    }
    retained.set(topic, payload);
  }

  return {
    state$: state$.asObservable(),

    async publish(topic: string, payload: Uint8Array, opts: PublishOptions = {}): Promise<void> {
      if (closed)
        throw new HealthItError('transport/closed', `Cannot publish to "${topic}": the transport is closed`);
      assertValidTopic(topic);
      const copy = payload.slice();
      if (opts.retain === true) retain(topic, copy);
      deliver({ topic, payload: copy, retained: false });
    },

    subscribe(filter: string): Observable<TransportMessage> {
      return filterSubscription(
        filter,
        () => closed,
        (subscriber) => {
          const entry: Subscription = { filter, subscriber };
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

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      const open = [...subscriptions];
      subscriptions.clear();
      retained.clear();
      for (const s of open) s.subscriber.complete();
      state$.next('closed');
      state$.complete();
    },
  };
}
