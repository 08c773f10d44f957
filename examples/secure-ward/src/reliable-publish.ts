import { HealthItError, isHealthItError, type Transport } from '@healthit/core';
import { filter, firstValueFrom, timeout } from 'rxjs';

/**
 * A device's transport that retries a publish the connection could not take — while it reconnects
 * (a network blip, a certificate renewal) — once it is connected again, for up to `maxWaitMs`: what a
 * device's own store-and-forward does, so no reading is lost to a reconnect. A QoS 1 retry may
 * deliver twice; the gateway refuses the second copy as a replay of the same envelope.
 */
export function reliablePublisher(transport: Transport, maxWaitMs = 30_000): Transport {
  return {
    state$: transport.state$,
    subscribe: (f) => transport.subscribe(f),
    close: () => transport.close(),
    async publish(topic, payload, options) {
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        try {
          await transport.publish(topic, payload, options);
          return;
        } catch (e) {
          const retryable = isHealthItError(e) && e.retryable;
          const left = deadline - Date.now();
          if (!retryable || left <= 0) throw e;
          await firstValueFrom(
            transport.state$.pipe(
              filter((s) => s === 'connected' || s === 'closed'),
              timeout(left),
            ),
          ).catch(() => {
            throw new HealthItError('transport/disconnected', `Not reconnected within ${maxWaitMs} ms`, {
              cause: e,
            });
          });
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    },
  };
}
