import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import type { TransportMessage } from '../ports/transport.js';
import { assertValidFilter } from './topics.js';

/**
 * The part of `Transport.subscribe` every implementation shares: a cold Observable that errors with
 * `transport/invalid-topic` for a malformed filter, completes at once when the transport is already
 * closed, and otherwise lets `setup` register the subscriber (returning its teardown).
 */
export function filterSubscription(
  filter: string,
  isClosed: () => boolean,
  setup: (subscriber: Subscriber<TransportMessage>) => TeardownLogic,
): Observable<TransportMessage> {
  return new Observable<TransportMessage>((subscriber) => {
    try {
      assertValidFilter(filter);
    } catch (e) {
      subscriber.error(e);
      return;
    }
    if (isClosed()) {
      subscriber.complete();
      return;
    }
    return setup(subscriber);
  });
}
