/**
 * Fault: the gateway process SIGKILLed mid-stream and started again.
 *
 * The real data path: simulated monitors (this process: the ward simulator, `publishReadings` at
 * QoS 1) → a mosquitto child → a gateway process (`fixtures/gateway.ts`: MQTT acquisition with a
 * persistent session → `appendToOutbox` → a SQLite outbox on disk in a temporary directory →
 * `createForwarder` → `createNatsUplink`) → a nats-server child → `createNatsIngest` → PGlite (this
 * process). The gateway is killed right after an append, while records wait in its outbox; the
 * devices keep publishing (the broker queues for the gateway's session); a new gateway process on
 * the same outbox file and client id resumes.
 *
 * The gateway keeps the outbox's message journal (`createSqliteOutbox({ journal })`, given to the
 * MQTT transport and to `appendToOutbox`): a message is recorded before the broker is acknowledged
 * and settled in the transaction of the append that stores its readings, so a reading the broker
 * acknowledged is never lost with the process (it was an open finding, see test/fault/README.md).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { defaultStreamName } from '@healthit/gateway/nats';
import { createSqliteOutbox } from '@healthit/gateway/outbox';
import { afterEach, describe, expect, it } from 'vitest';
import {
  NATS_SERVER_BIN,
  startNatsServer,
} from '../../packages/gateway/src/nats/test-fixtures/nats-server.js';
import { killFixture } from './support/child.js';
import { type PublishingDevices, startDevices } from './support/devices.js';
import { hasBinary, MOSQUITTO_BIN, pick, skipWithout, sleep, summary, waitFor } from './support/env.js';
import { type GatewayRun, reported, startGatewayProcess } from './support/gateway-child.js';
import { startMosquitto } from './support/mosquitto.js';
import { reach } from './support/mqtt.js';
import { clean, deliveryReport, storedIds } from './support/readings.js';
import { startRecordingIngest } from './support/recording-ingest.js';
import { readUplinkStream } from './support/stream.js';

const skip = skipWithout(
  [
    ...(hasBinary(NATS_SERVER_BIN) ? [] : [`${NATS_SERVER_BIN} not found`]),
    ...(hasBinary(MOSQUITTO_BIN) ? [] : [`${MOSQUITTO_BIN} not found`]),
  ],
  'the gateway SIGKILL tests',
);

const PATIENTS = 8;
const PERIOD_MS = 100; // 8 monitors × 6 readings every 100 ms = 480 readings/s
/** How long the gateway stays dead while the devices go on publishing. */
const DOWN_MS = pick(1_000, 30_000);

describe.skipIf(skip)('fault: gateway process SIGKILLed mid-stream and restarted', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  /** Broker, NATS, a temporary directory, the devices' transport; gateway processes on demand. */
  async function setUp(name: string, gatewayEnv: Record<string, string>) {
    const [broker, server, dir] = await Promise.all([
      startMosquitto(),
      startNatsServer(),
      mkdtemp(join(tmpdir(), 'healthit-fault-gateway-')),
    ]);
    cleanups.push(() => broker.dispose());
    cleanups.push(() => server.dispose());
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const site = `${name}-${process.pid}`;
    const deviceTransport = createMqttTransport({
      url: broker.url,
      clientId: `${site}-devices`,
      reconnectPeriodMs: 100,
      publishTimeoutMs: 5_000,
    });
    cleanups.push(() => deviceTransport.close());
    const outboxPath = join(dir, 'outbox.sqlite');
    const env = {
      MQTT_URL: broker.url,
      CLIENT_ID: `${site}-gateway`,
      NATS_URL: server.url,
      SITE: site,
      OUTBOX_PATH: outboxPath,
      ...gatewayEnv,
    };
    const gateway = (): GatewayRun => {
      const run = startGatewayProcess(env);
      cleanups.push(async () => killFixture(run));
      return run;
    };
    const devices = (): PublishingDevices => {
      const d = startDevices(deviceTransport, { patients: PATIENTS, periodMs: PERIOD_MS, seed: 5 });
      cleanups.push(() => d.stop());
      return d;
    };
    await reach(deviceTransport, 'connected');
    return { server, site, outboxPath, gateway, devices };
  }

  /** SIGKILLs `run` right after its next line that satisfies `predicate`. */
  async function killAfter(run: GatewayRun, predicate: Parameters<GatewayRun['until']>[0]): Promise<void> {
    const from = run.lines.length;
    await run.until((l) => predicate(l) && run.lines.indexOf(l) >= from);
    run.child.kill('SIGKILL');
    expect((await run.exited).signal).toBe('SIGKILL');
  }

  /** Restarts the gateway, lets the devices go on for a second, stops them and the gateway (drained). */
  async function restartAndFinish(
    gateway: () => GatewayRun,
    devices: PublishingDevices,
  ): Promise<GatewayRun> {
    await sleep(DOWN_MS);
    const second = gateway();
    await second.until((l) => l.type === 'ready', 60_000);
    await sleep(1_000);
    await devices.stop();
    await sleep(500); // what the broker acknowledged to the devices has reached the gateway
    second.child.kill('SIGTERM');
    await second.until((l) => l.type === 'done', 30_000);
    expect((await second.exited).code).toBe(0);
    return second;
  }

  it(
    'everything appended before the kill is stored exactly once, in per-device order',
    async () => {
      const t0 = Date.now();
      // The forwarder polls every 2 s instead of being woken: records wait in the outbox.
      const { server, site, outboxPath, gateway, devices } = await setUp('fault-gw', {
        WAKE: '0',
        POLL_MS: '2000',
      });
      const first = gateway();
      const { pglite, store, ingest } = await startRecordingIngest(server.url, site, cleanups);
      ingest.start();
      await first.until((l) => l.type === 'ready', 60_000);
      const publishing = devices();

      await waitFor(
        'the gateway to append 1 500 readings',
        () => reported(first, 'appended').length >= 1_500,
        30_000,
      );
      await killAfter(first, (l) => l.type === 'appended');
      const appendedBeforeKill = reported(first, 'appended');
      const appendedByFirst = new Set(appendedBeforeKill);
      const inWindowAtKill = new Set(reported(first, 'received').filter((id) => !appendedByFirst.has(id)));
      // What the new process will find in the outbox file.
      const leftover = createSqliteOutbox({
        path: outboxPath,
        maxBytes: 256 * 2 ** 20,
        whenFull: 'refuse-new',
      });
      const atKill = leftover.stats();
      leftover.close();

      const second = await restartAndFinish(gateway, publishing);
      const accepted = [...new Set([...appendedBeforeKill, ...reported(second, 'appended')])];
      await waitFor(
        'every accepted reading stored',
        async () => (await pglite.count()) >= accepted.length,
        30_000,
      );
      await sleep(300); // a late duplicate would show
      const stream = await readUplinkStream(server.url, defaultStreamName(site));
      const stored = await storedIds(pglite);
      const acceptedSet = new Set(accepted);
      summary('gateway SIGKILL', {
        published: publishing.published.length,
        appendedBeforeKill: appendedBeforeKill.length,
        atKill: { appended: atKill.appended, acknowledged: atKill.acknowledged, pending: atKill.pending },
        appendedBySecond: reported(second, 'appended').length,
        accepted: accepted.length,
        lostInWindow: publishing.published.filter((id) => !acceptedSet.has(id)).length,
        stored: stored.length,
        streamMessages: stream.messages,
        ingest: ingest.stats(),
        totalMs: Date.now() - t0,
      });

      // Every reading appended before the kill is stored exactly once …
      expect(
        deliveryReport(
          appendedByFirst,
          stored.filter((id) => appendedByFirst.has(id)),
        ),
      ).toEqual(clean(appendedByFirst.size));
      // … and so is everything appended after the restart; per device in order (store, commits, stream).
      expect(deliveryReport(accepted, stored)).toEqual(clean(accepted.length));
      expect(deliveryReport(accepted, store.committed)).toEqual(clean(accepted.length));
      expect(deliveryReport(accepted, stream.readingIds)).toEqual(clean(accepted.length));
      expect(stream.duplicateRecords).toBe(0);
      // Killed mid-stream: records were waiting in the outbox file, and the new process sent them.
      expect(atKill.pending).toBeGreaterThan(0);
      // What the broker queued while the gateway was down reached the new process, and the
      // journal gave it what the killed one had received and not yet appended: of the readings
      // acknowledged to the devices, none is missing.
      expect(publishing.failed.size).toBe(0);
      const missing = publishing.published.filter((id) => !acceptedSet.has(id));
      expect({
        missing: missing.length,
        inWindowAtKill: missing.filter((id) => inWindowAtKill.has(id)).length,
      }).toEqual({ missing: 0, inWindowAtKill: 0 });
    },
    pick(90_000, 180_000),
  );

  // Fixed: the MQTT transport holds (bounded) the messages a persistent session delivers before this
  // process has subscribed again, and hands them to the first subscription that matches
  // (`earlyMessages`); they used to be dropped after mqtt.js had acknowledged them.
  it(
    'a restarted gateway that subscribes after connecting gets what the broker queued for its session',
    async () => {
      const { gateway, devices } = await setUp('fault-gw-late', { SUBSCRIBE: 'late' });
      const first = gateway();
      await first.until((l) => l.type === 'ready', 60_000);
      const publishing = devices();
      await waitFor(
        'the gateway to append 300 readings',
        () => reported(first, 'appended').length >= 300,
        30_000,
      );
      await killAfter(first, (l) => l.type === 'appended');
      const second = await restartAndFinish(gateway, publishing);
      const accepted = new Set([...reported(first, 'appended'), ...reported(second, 'appended')]);
      const neverAppended = publishing.published.filter((id) => !accepted.has(id));
      const inPipelineAtKill = new Set(reported(first, 'received').filter((id) => !accepted.has(id)));
      summary('gateway SIGKILL, late subscription', {
        published: publishing.published.length,
        neverAppended: neverAppended.length,
        sample: neverAppended.slice(0, 3),
      });
      expect({
        neverAppended: neverAppended.length,
        receivedBeforeTheKill: neverAppended.filter((id) => inPipelineAtKill.has(id)).length,
      }).toEqual({ neverAppended: 0, receivedBeforeTheKill: 0 });
    },
    pick(60_000, 120_000),
  );

  // Was an `it.fails` (at-most-once window between MQTT and the outbox): mqtt.js acknowledges a
  // QoS 1 message as soon as the 'message' handler returns, but the gateway appends it to the
  // outbox later (`appendToOutbox` gathers for `maxWaitMs`), so readings between the two died with
  // the process although the broker, and the device, had been told they were delivered. Fixed by
  // the message journal: recorded before the acknowledgement, delivered again by the next process.
  // A 1 500 ms gathering window makes the case deterministic.
  it(
    'readings the gateway received but had not yet appended when it was killed are not lost',
    async () => {
      const { gateway, devices } = await setUp('fault-gw-window', { MAX_WAIT_MS: '1500' });
      const first = gateway();
      await first.until((l) => l.type === 'ready', 60_000);
      const publishing = devices();
      await first.until((l) => l.type === 'appended', 30_000);
      // Half a second after an append, the next batch holds ~0.5 s of readings, long acknowledged.
      const from = first.lines.length;
      await first.until((l) => l.type === 'appended' && first.lines.indexOf(l) >= from);
      await sleep(500);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
      const appendedByFirst = new Set(reported(first, 'appended'));
      const receivedNotAppended = new Set(
        reported(first, 'received').filter((id) => !appendedByFirst.has(id)),
      );
      const second = await restartAndFinish(gateway, publishing);
      const accepted = new Set([...reported(first, 'appended'), ...reported(second, 'appended')]);
      const neverAppended = publishing.published.filter((id) => !accepted.has(id));
      summary('gateway SIGKILL inside the append window (journal)', {
        published: publishing.published.length,
        receivedNotAppendedAtKill: receivedNotAppended.size,
        neverAppended: neverAppended.length,
        secondAppendedFromTheWindow: reported(second, 'appended').filter((id) => receivedNotAppended.has(id))
          .length,
      });
      expect(receivedNotAppended.size).toBeGreaterThan(0);
      expect(neverAppended).toEqual([]);
    },
    pick(60_000, 120_000),
  );
});
