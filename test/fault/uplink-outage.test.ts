/**
 * Fault: the uplink (nats-server with JetStream) stopped under load and started again.
 *
 * The real data path, in this process: readings → the gateway's SQLite outbox on disk →
 * `createForwarder` → `createNatsUplink` → a nats-server child of our own → `createNatsIngest`
 * (`@healthit/platform/nats`) → a PGlite reading store. While the server is down the producer keeps
 * appending; afterwards every reading must be stored exactly once and each device's readings must
 * be committed in order. A few seconds of outage here; 60 s with `FAULT_LONG=1`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStreamName } from '@healthit/gateway/nats';
import { createSqliteOutbox } from '@healthit/gateway/outbox';
import type { NatsIngestEvent } from '@healthit/platform/nats';
import { afterEach, describe, expect, it } from 'vitest';
import {
  NATS_SERVER_BIN,
  startNatsServer,
} from '../../packages/gateway/src/nats/test-fixtures/nats-server.js';
import { hasBinary, LONG, pick, skipWithout, sleep, summary, waitFor } from './support/env.js';
import { startLoadedGateway } from './support/gateway-side.js';
import { clean, deliveryReport, NumberedLoad, storedIds } from './support/readings.js';
import { startRecordingIngest } from './support/recording-ingest.js';
import { readUplinkStream } from './support/stream.js';

const skip = skipWithout(
  hasBinary(NATS_SERVER_BIN) ? [] : [`${NATS_SERVER_BIN} not found`],
  'the uplink outage test',
);

const OUTAGE_MS = pick(3_000, 60_000);
const BEFORE_MS = pick(1_500, 5_000);
const AFTER_MS = pick(1_500, 5_000);
const DEVICES = pick(10, 20);
/** Readings per device per 20 ms tick: 1 000 readings/s either way (10 × 2 or 20 × 1 per tick). */
const PER_TICK = pick(2, 1);
const TICK_MS = 20;

describe.skipIf(skip)('fault: NATS uplink stopped under load and restarted', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(
    `stores every reading exactly once, in order per device, across a ${OUTAGE_MS / 1000} s outage`,
    async () => {
      const site = `fault-up-${process.pid}`;
      const server = await startNatsServer();
      cleanups.push(() => server.dispose());
      const dir = await mkdtemp(join(tmpdir(), 'healthit-fault-uplink-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const { pglite, store, ingest } = await startRecordingIngest(server.url, site, cleanups);
      const outbox = createSqliteOutbox({
        path: join(dir, 'outbox.db'),
        maxBytes: 512 * 2 ** 20,
        whenFull: 'refuse-new',
      });
      // The producer appends a tick every 20 ms (durable on return) from now until told to stop.
      const load = new NumberedLoad('up', DEVICES, PER_TICK);
      const gateway = await startLoadedGateway({ natsUrl: server.url, site, load, tickMs: TICK_MS, outbox });
      cleanups.push(() => gateway.close()); // closes the outbox too
      const ingestEvents: NatsIngestEvent[] = [];
      ingest.events$.subscribe((e) => {
        if (e.type !== 'committed') ingestEvents.push(e);
      });
      ingest.start();

      const t0 = Date.now();
      await sleep(BEFORE_MS);
      const storedBeforeOutage = await pglite.count();
      await server.stop('SIGTERM');
      const stoppedAt = Date.now();
      await waitFor('the forwarder to see the uplink down', () =>
        gateway.forwarderEvents.includes('uplink-down'),
      );
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - stoppedAt)));
      const pendingAtRestart = outbox.stats().pending;
      await server.start();
      const restartedAt = Date.now();
      await sleep(AFTER_MS);
      await gateway.stopProducing();
      const produced = load.produced.length;
      await waitFor(
        'every reading stored and the outbox empty',
        async () => outbox.stats().pending === 0 && (await pglite.count()) === produced,
        pick(30_000, 120_000),
      );
      const recoveredMs = Date.now() - restartedAt;

      // In the store: every reading once; committed in per-device order.
      const atRest = deliveryReport(load.produced, await storedIds(pglite));
      const committed = deliveryReport(load.produced, store.committed);
      // In the stream: every record once, the outbox's order per device.
      const stream = await readUplinkStream(server.url, defaultStreamName(site));
      const inStream = deliveryReport(load.produced, stream.readingIds);
      summary('uplink outage', {
        outageMs: OUTAGE_MS,
        produced,
        storedBeforeOutage,
        pendingAtRestart,
        recoveredMs,
        totalMs: Date.now() - t0,
        streamMessages: stream.messages,
        ingest: ingest.stats(),
        storeFailures: store.failures(),
      });

      expect(atRest).toEqual(clean(produced));
      expect(committed).toEqual(clean(produced));
      expect(inStream).toEqual(clean(produced));
      expect(stream.duplicateRecords).toBe(0);
      // The fault happened as intended: under load, the outbox held records while the server was down.
      expect(storedBeforeOutage).toBeGreaterThan(0);
      expect(pendingAtRestart).toBeGreaterThan(0);
      expect(gateway.forwarderEvents).toContain('uplink-up');
      expect(ingestEvents.some((e) => e.type === 'connection' && e.state === 'down')).toBe(true);
      expect(ingest.stats().poison).toBe(0);
      expect(ingest.stats().inserted).toBe(produced);
    },
    LONG ? 240_000 : 60_000,
  );
});
