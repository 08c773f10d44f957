import type { PublishOptions, Transport, TransportMessage } from '@healthit/core';
import { map, type Observable } from 'rxjs';

/**
 * A {@link Transport} whose topics all live below `prefix` on `inner`: `publish('devices/d1/readings')`
 * goes to `<prefix>/devices/d1/readings`, `subscribe('devices/+/readings')` subscribes to
 * `<prefix>/devices/+/readings` and hands out messages with the prefix taken off. Runs of the
 * example (and tests) share one broker without seeing each other's devices. Closing it leaves
 * `inner` open.
 */
export function prefixedTransport(inner: Transport, prefix: string): Transport {
  const head = `${prefix}/`;
  return {
    state$: inner.state$,
    publish: (topic: string, payload: Uint8Array, options?: PublishOptions) =>
      inner.publish(head + topic, payload, options),
    subscribe: (filter: string): Observable<TransportMessage> =>
      inner
        .subscribe(head + filter)
        .pipe(map((m) => (m.topic.startsWith(head) ? { ...m, topic: m.topic.slice(head.length) } : m))),
    close: async () => undefined,
  };
}
