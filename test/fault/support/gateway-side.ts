/**
 * The gateway side of the NATS scenarios, in the test process: a steady producer appending a
 * {@link NumberedLoad} to an outbox, drained by `createForwarder` into `createNatsUplink`.
 */
import {
  createForwarder,
  createMemoryOutbox,
  type Forwarder,
  type ForwarderEvent,
  type Outbox,
  type Uplink,
} from '@healthit/gateway';
import { createNatsUplink } from '@healthit/gateway/nats';
import { sleep } from './env.js';
import type { NumberedLoad } from './readings.js';

/** A producing gateway. */
export interface LoadedGateway {
  readonly outbox: Outbox;
  readonly uplink: Uplink;
  readonly forwarder: Forwarder;
  /** The types of the forwarder's events so far. */
  readonly forwarderEvents: ForwarderEvent['type'][];
  /** Stops producing; resolves once the last tick is appended (rejects if appending failed). */
  stopProducing(): Promise<void>;
  /** Stops forwarding, closes the uplink and the outbox. */
  close(): Promise<void>;
}

/**
 * Starts producing `load` (a tick every `tickMs`) into `outbox` (default: in memory, 512 MiB,
 * `refuse-new`) and forwarding it to the site's stream on `natsUrl`.
 */
export async function startLoadedGateway(options: {
  readonly natsUrl: string;
  readonly site: string;
  readonly load: NumberedLoad;
  readonly tickMs: number;
  readonly outbox?: Outbox;
}): Promise<LoadedGateway> {
  const outbox = options.outbox ?? createMemoryOutbox({ maxBytes: 512 * 2 ** 20, whenFull: 'refuse-new' });
  const uplink = await createNatsUplink({
    servers: options.natsUrl,
    site: options.site,
    publishTimeoutMs: 1_000,
    connectOptions: { reconnectTimeWait: 100, reconnectJitter: 0 },
  });
  const forwarder = createForwarder({
    outbox,
    uplink,
    batchSize: 500,
    pollMs: 20,
    retry: { initialMs: 50, maxMs: 1_000 },
  });
  const forwarderEvents: ForwarderEvent['type'][] = [];
  forwarder.events$.subscribe((e) => forwarderEvents.push(e.type));
  forwarder.start();
  let producing = true;
  // A failure stops the producer and is rethrown by stopProducing (never an unhandled rejection).
  let failure: unknown;
  const producer = (async () => {
    const start = Date.now();
    for (let n = 0; producing; n++) {
      const records = options.load.tick();
      const { accepted } = outbox.append(records);
      if (accepted !== records.length)
        throw new Error(`the outbox refused ${records.length - accepted} records`);
      forwarder.wake();
      await sleep(Math.max(0, start + (n + 1) * options.tickMs - Date.now()));
    }
  })().catch((e: unknown) => {
    failure = e;
  });
  return {
    outbox,
    uplink,
    forwarder,
    forwarderEvents,
    async stopProducing() {
      producing = false;
      await producer;
      if (failure !== undefined) throw failure;
    },
    async close() {
      producing = false;
      await producer;
      await forwarder.stop();
      await uplink.close();
      outbox.close();
    },
  };
}
