import { createNatsIngest } from '@healthit/platform/nats';
import { createPgliteReadingStore } from '@healthit/platform/pglite';
import { recordingStore } from './readings.js';

/**
 * The platform side of an in-process fault test: an in-memory PGlite store seen through
 * {@link recordingStore}, fed by `createNatsIngest` from `natsUrl` (ack wait 2 s, reconnects every
 * 100 ms). Not started; both are closed by the returned cleanups' caller (pushed onto `cleanups`).
 */
export async function startRecordingIngest(
  natsUrl: string,
  site: string,
  cleanups: (() => Promise<unknown>)[],
) {
  const pglite = await createPgliteReadingStore();
  cleanups.push(() => pglite.close());
  const store = recordingStore(pglite);
  const ingest = await createNatsIngest({
    servers: natsUrl,
    site,
    store: store.store,
    ackWaitMs: 2_000,
    connectOptions: { reconnectTimeWait: 100, reconnectJitter: 0 },
  });
  cleanups.push(() => ingest.stop());
  return { pglite, store, ingest };
}
