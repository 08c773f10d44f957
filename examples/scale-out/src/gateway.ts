/**
 * The gateway process: acquires the devices' messages from Mosquitto (MQTT, QoS 1), validates and
 * normalises them (`createGateway`: envelopes, units, plausibility, de-duplication), scores NEWS2
 * at the edge (a rise in clinical risk becomes an alert for the platform), appends every accepted
 * device message and alert to a durable SQLite outbox, and forwards the outbox to NATS JetStream
 * (`createNatsUplink`: a stream per site, de-duplicated by record id). Started by the launcher.
 */
import { join } from 'node:path';
import type { UplinkRecord } from '@healthit/core';
import {
  alertRecord,
  appendToOutbox,
  createForwarder,
  createGateway,
  type Forwarder,
  news2Scores,
  type Outbox,
  type ReadingBatch,
  readingBatchRecords,
  type Uplink,
} from '@healthit/gateway';
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { createNatsUplink } from '@healthit/gateway/nats';
import { createSqliteOutbox } from '@healthit/gateway/outbox';
import {
  defaultIfEmpty,
  filter,
  firstValueFrom,
  lastValueFrom,
  map,
  merge,
  mergeMap,
  type Observable,
  tap,
  timeout,
} from 'rxjs';
import { prefixedTransport } from './prefixed-transport.js';
import { childConfig, childLifecycle, every, mqttConnected, runNames, sleep, tell } from './shared.js';

const config = childConfig();
const names = runNames(config.runId);

let accepted = 0;
let rejected = 0;
let duplicates = 0;
let news2 = 0;
let alerts = 0;
let ackedReadings = 0;
let dropped = 0;
/** Readings in each outbox record not yet acknowledged by JetStream, by record id. */
const readingsOf = new Map<string, number>();

/** `uplink`, counting the readings of the records JetStream acknowledged. */
function countingUplink(uplink: Uplink): Uplink {
  return {
    name: uplink.name,
    state$: uplink.state$,
    close: () => uplink.close(),
    async send(records) {
      const n = await uplink.send(records);
      for (const r of records.slice(0, n)) {
        ackedReadings += readingsOf.get(r.id) ?? 0;
        readingsOf.delete(r.id);
      }
      return n;
    },
  };
}

/** One record per device message, remembering how many readings it carries. */
function recordsOf(batch: ReadingBatch): UplinkRecord[] {
  const records = readingBatchRecords(batch);
  for (const r of records) {
    readingsOf.set(r.id, batch.readings.filter((reading) => reading.deviceId === r.key).length);
  }
  return records;
}

/** Resolves once the outbox is empty (or the forwarder failed, or `timeoutMs` passed). */
async function drainOutbox(outbox: Outbox, forwarder: Forwarder, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (outbox.stats().pending > 0 && forwarder.stats().state !== 'failed' && Date.now() < deadline) {
    forwarder.wake();
    await sleep(10);
  }
}

const drain = <T>(o: Observable<T>) => lastValueFrom(o.pipe(defaultIfEmpty(undefined)));

// The outbox, with its journal of received messages: a message the broker was told is delivered is
// in the journal until the append that stores its readings (docs/gateway/uplink.md).
const durable = createSqliteOutbox({
  path: join(config.workDir, 'gateway-outbox.sqlite'),
  maxBytes: 256 * 2 ** 20,
  whenFull: 'refuse-new',
  journal: {},
});
const journal = durable.journal;
const mqtt = createMqttTransport({
  url: config.mqttUrl,
  clientId: `${config.runId}-gateway`,
  connectTimeoutMs: 5_000,
  ...(journal === undefined ? {} : { journal }),
});
const transport = prefixedTransport(mqtt, names.topicPrefix);
let outbox: Outbox | undefined;
let uplink: Uplink | undefined;
let forwarder: Forwarder | undefined;
let pipelines: Promise<unknown> = Promise.resolve();

const counters = () => {
  const s = outbox?.stats();
  return {
    accepted,
    rejected,
    duplicates,
    news2,
    alerts,
    appended: s?.appended ?? 0,
    acknowledged: s?.acknowledged ?? 0,
    pending: s?.pending ?? 0,
    ackedReadings,
    dropped,
  };
};
const stopReporting = every(500, () => void tell({ type: 'progress', counters: counters() }));

const { fail } = childLifecycle(async (expect) => {
  // Everything the broker acknowledged to the devices reaches us: wait for it (or for silence).
  let last = -1;
  let quietSince = Date.now();
  for (;;) {
    const seen = accepted + rejected + duplicates;
    if (expect !== undefined && seen >= expect) break;
    if (seen !== last) {
      last = seen;
      quietSince = Date.now();
    } else if (Date.now() - quietSince > 10_000) break; // nothing more comes: the summary shows the gap
    await sleep(20);
  }
  await mqtt.close(); // completes the gateway's streams: every stage drains into the outbox
  await pipelines;
  if (outbox === undefined || forwarder === undefined) throw new Error('the gateway never started');
  await drainOutbox(outbox, forwarder, 60_000);
  await forwarder.stop();
  await uplink?.close();
  stopReporting();
  const final = counters();
  outbox.close();
  return final;
});

try {
  await mqttConnected(mqtt, config.mqttUrl);
  outbox = durable;
  try {
    uplink = countingUplink(await createNatsUplink({ servers: config.natsUrl, site: names.site }));
  } catch (e) {
    throw new Error(
      `NATS JetStream is not reachable at ${config.natsUrl} (${(e as Error).message}): start it with \`nats-server -js\` or pass --nats-url`,
    );
  }
  forwarder = createForwarder({ outbox, uplink, batchSize: 500, pollMs: 20 });
  const gateway = createGateway({ transport });
  const out = outbox;
  const fwd = forwarder;
  pipelines = Promise.all([
    drain(
      merge(
        gateway.readingBatches$.pipe(mergeMap(recordsOf)),
        gateway.readings$.pipe(
          news2Scores({ assume: { consciousness: 'A', onOxygen: false } }),
          tap((u) => {
            if (u.type === 'news2-score') news2 += 1;
          }),
          filter((u) => u.type === 'news2-alert'),
          tap(() => {
            alerts += 1;
          }),
          map((u) => alertRecord(u.alert)),
        ),
      ).pipe(
        appendToOutbox(out, { maxBatch: 500, maxWaitMs: 20, ...(journal === undefined ? {} : { journal }) }),
        tap((event) => {
          if (event.type === 'appended') fwd.wake();
          else if (event.type === 'dropped') dropped += event.records.length;
        }),
      ),
    ),
    drain(
      gateway.readings$.pipe(
        tap(() => {
          accepted += 1;
        }),
      ),
    ),
    drain(
      gateway.events$.pipe(
        tap((e) => {
          if (e.type === 'reading-rejected') rejected += 1;
          else if (e.type === 'reading-duplicate') duplicates += 1;
          else if (e.type === 'message-rejected') rejected += 1;
        }),
      ),
    ),
  ]);
  forwarder.start();
  // The gateway subscribed above; MQTT handles a connection's packets in order, so once a ping on
  // a later subscription comes back, the broker delivers the devices' messages to us.
  const ping = firstValueFrom(transport.subscribe('scale-out-ready').pipe(timeout(10_000)));
  await sleep(50);
  await transport.publish('scale-out-ready', new Uint8Array([1]), { qos: 1 });
  await ping;
  await tell({ type: 'ready' });
} catch (e) {
  await fail(e);
}
