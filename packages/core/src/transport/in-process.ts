import { BehaviorSubject, type Observable } from 'rxjs';
import { HealthItError } from '../errors/health-it-error.js';
import type { ConnectionState, PublishOptions, Transport, TransportMessage } from '../ports/transport.js';
import { createTopicHub, type TopicHubOptions } from './topic-hub.js';
import { assertValidTopic } from './topics.js';

/** Options of {@link createInProcessTransport}. */
export type InProcessTransportOptions = TopicHubOptions;

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
  const hub = createTopicHub(options);
  const state$ = new BehaviorSubject<ConnectionState>('connected');

  return {
    state$: state$.asObservable(),

    async publish(topic: string, payload: Uint8Array, opts: PublishOptions = {}): Promise<void> {
      if (hub.closed)
        throw new HealthItError('transport/closed', `Cannot publish to "${topic}": the transport is closed`);
      assertValidTopic(topic);
      const copy = payload.slice();
      if (opts.retain === true) hub.retain(topic, copy);
      hub.deliver({ topic, payload: copy, retained: false });
    },

    subscribe(filter: string): Observable<TransportMessage> {
      return hub.subscribe(filter);
    },

    async close(): Promise<void> {
      if (hub.closed) return;
      hub.close();
      state$.next('closed');
      state$.complete();
    },
  };
}
