/** MQTT helpers of the fault tests: waiting for a transport's state, and for a gateway's subscription. */
import { type ConnectionState, Topics, type Transport } from '@healthit/core';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { sleep } from './env.js';

/** Resolves when `transport.state$` reports `state`. */
export function reach(transport: Transport, state: ConnectionState, timeoutMs = 15_000): Promise<unknown> {
  return firstValueFrom(
    transport.state$.pipe(
      filter((s) => s === state),
      timeout(timeoutMs),
    ),
  );
}

/**
 * Resolves once the broker routes device readings to the gateway: MQTT handles a connection's
 * packets in order, so once a ping on a subscription made after the gateway's comes back, the
 * gateway's SUBSCRIBE is in force (the way `examples/scale-out` waits).
 */
export async function gatewaySubscribed(transport: Transport, name: string): Promise<void> {
  const topic = `fault/${name}/ready`;
  const ping = firstValueFrom(transport.subscribe(topic).pipe(timeout(10_000)));
  await sleep(50);
  await transport.publish(topic, new Uint8Array([1]), { qos: 1 });
  await ping;
}

/** The topic a device publishes readings on (the gateway's default filter). */
export const deviceTopic = Topics.deviceReadings;
