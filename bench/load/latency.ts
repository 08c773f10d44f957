/**
 * Critical reading → alert latency with 10 000 devices at 1 Hz in the background, on three paths,
 * each run alternating with its ceiling under the same background load:
 *
 * - in-process: the gateway pipeline on an in-process transport; ceiling: the same probe messages
 *   published on the same transport to a bare subscriber (publish → subscriber);
 * - Mosquitto: device → Mosquitto → gateway pipeline (one MQTT connection, QoS 1); ceiling: raw
 *   mqtt.js publish → a raw mqtt.js subscriber of the whole fleet, the same messages, same broker;
 * - Mosquitto + NATS JetStream: device → Mosquitto → gateway → SQLite outbox → forwarder →
 *   `createNatsUplink` → JetStream → `createNatsIngest` (the platform's durable consumer) → the
 *   alert on the platform's `alerts$`, wired as `examples/scale-out` does (the gateway forwards the
 *   whole fleet to JetStream, the platform consumes it into a store that only counts, both in this
 *   process so that one clock times them); ceiling: the raw mqtt.js round trip of the mosquitto
 *   ceiling (the receiver taking the whole fleet) chained, per probe message, to a raw JetStream
 *   publish of the alert record's own bytes → a bare durable pull consumer (explicit ack) on a
 *   file-storage stream of its own: the two raw legs of the same path, summed message by message.
 *
 * A probe device publishes a normal reading, 5 ms later a critical one (SpO2 80 %, below the
 * threshold rule's 88 %), 15 ms later the next pair; each critical reading is timed from just
 * before its publish to its alert (or, for ceilings, its arrival). The first 10 pairs of a run
 * are a warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Alert, createInProcessTransport, type Reading } from '@healthit/core';
import {
  alertRecord,
  createForwarder,
  createGateway,
  type Forwarder,
  type Outbox,
  type Uplink,
} from '@healthit/gateway';
import { createMqttTransport } from '@healthit/gateway/mqtt';
import { createNatsUplink, defaultStreamName } from '@healthit/gateway/nats';
import { createSqliteOutbox } from '@healthit/gateway/outbox';
import { createNatsIngest, type NatsIngest } from '@healthit/platform/nats';
import { AckPolicy, jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { nanos, connect as natsConnect } from '@nats-io/transport-node';
import { type MqttClient, connect as mqttConnect } from 'mqtt';
import { filter, firstValueFrom } from 'rxjs';
import { deviceMessage, percentile } from './device-message.js';
import { DEVICES, inProcessFleet, MQTT_URL, NATS_URL, sleep } from './fleet.js';
import { startPipeline } from './pipeline.js';

/** The probe device: not one of the fleet's. */
export const PROBE_DEVICE = DEVICES + 7;
const PROBE_TOPIC = deviceMessage(PROBE_DEVICE, 0, 0).topic;
const WARMUP_PAIRS = 10;

/** p50 and p99 of one run, ms. */
export interface LatencyRun {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  /** Background readings per second this run's receiving side handled (gateway or ceiling). */
  readonly backgroundPerSecond: number;
  /** More about the run, for its line in the log. */
  readonly detail?: string;
}

/** Send times of the probe's critical readings by sequence number, and the latencies measured. */
class Probe {
  readonly sent = new Map<number, number>();
  readonly latencies: number[] = [];
  private next: number;
  constructor(readonly seq0: number) {
    this.next = seq0;
  }
  /** The probe reading `seq` arrived (its alert, or itself). */
  arrived(seq: number): void {
    const t0 = this.sent.get(seq);
    if (t0 === undefined) return;
    this.sent.delete(seq);
    this.latencies.push(performance.now() - t0);
  }
  /** The sequence number of the next probe message in publish order (one publisher, one topic: in order). */
  nextSeq(): number {
    return this.next++;
  }
  /** The next probe message in publish order arrived (a ceiling). */
  arrivedNext(): void {
    this.arrived(this.nextSeq());
  }
  /** An alert raised for a probe reading. */
  alert(alert: Alert): void {
    const id = alert.readingIds[0];
    if (alert.deviceId !== `sensor-${PROBE_DEVICE}` || id === undefined) return;
    this.arrived(Number(id.slice(id.lastIndexOf(':') + 1)));
  }
  run(backgroundPerSecond: number, detail?: string): LatencyRun {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return {
      n: sorted.length,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      backgroundPerSecond,
      ...(detail === undefined ? {} : { detail }),
    };
  }
}

type Publish = (message: { topic: string; bytes: Uint8Array }) => unknown;

/** Publishes the probe's pairs (normal, critical) from `probe.seq0`, timing the critical ones. */
async function sendProbes(publish: Publish, probe: Probe, samples: number): Promise<void> {
  for (let i = 0; i < WARMUP_PAIRS + samples; i++) {
    const seq = probe.seq0 + 2 * i;
    await publish(deviceMessage(PROBE_DEVICE, seq, Date.now(), 97));
    await sleep(5);
    const critical = deviceMessage(PROBE_DEVICE, seq + 1, Date.now(), 80);
    if (i >= WARMUP_PAIRS) probe.sent.set(seq + 1, performance.now());
    void publish(critical);
    await sleep(15);
  }
  const deadline = performance.now() + 10_000;
  while (probe.sent.size > 0 && performance.now() < deadline) await sleep(20);
}

/** `publish` of a raw mqtt.js client, QoS 1, not waiting for PUBACK. */
function rawPublish(client: MqttClient): Publish {
  return ({ topic, bytes }) => {
    client.publish(topic, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), { qos: 1 });
  };
}

async function rawClient(): Promise<MqttClient> {
  const client = mqttConnect(MQTT_URL, { protocolVersion: 5 });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('error', reject);
  });
  return client;
}

/** Counts what a receiver handled per second, from its first call. */
function counter(): { count: () => void; perSecond: () => number } {
  let n = 0;
  const t0 = performance.now();
  return {
    count: () => {
      n++;
    },
    perSecond: () => (n * 1000) / (performance.now() - t0),
  };
}

/** One in-process run: the gateway pipeline (`gateway`) or the bare subscriber (`ceiling`). */
export async function inProcessRun(
  kind: 'gateway' | 'ceiling',
  seq0: number,
  samples: number,
): Promise<LatencyRun> {
  const transport = createInProcessTransport();
  const probe = new Probe(seq0);
  let stop: () => void;
  let handled: () => number;
  if (kind === 'gateway') {
    const pipeline = startPipeline(transport, { devices: DEVICES + 1, onAlert: (a) => probe.alert(a) });
    const t0 = performance.now();
    handled = () => (pipeline.counters.readings * 1000) / (performance.now() - t0);
    stop = () => pipeline.stop();
  } else {
    const c = counter();
    const sub = transport.subscribe('devices/+/readings').subscribe((m) => {
      if (m.topic === PROBE_TOPIC) probe.arrivedNext();
      else c.count();
    });
    handled = c.perSecond;
    stop = () => sub.unsubscribe();
  }
  const fleet = inProcessFleet(transport);
  await sleep(1_000);
  await sendProbes(({ topic, bytes }) => transport.publish(topic, bytes), probe, samples);
  const perSecond = handled();
  fleet.stop();
  stop();
  await transport.close();
  return probe.run(perSecond);
}

/** One run through Mosquitto, the fleet publishing in its child process. */
export async function mosquittoRun(
  kind: 'gateway' | 'ceiling',
  seq0: number,
  samples: number,
): Promise<LatencyRun> {
  const probe = new Probe(seq0);
  const device = await rawClient();
  let close: () => Promise<unknown>;
  let handled: () => number;
  if (kind === 'gateway') {
    const transport = createMqttTransport({ url: MQTT_URL });
    await firstValueFrom(transport.state$.pipe(filter((s) => s === 'connected')));
    const pipeline = startPipeline(transport, { devices: DEVICES + 1, onAlert: (a) => probe.alert(a) });
    const t0 = performance.now();
    handled = () => (pipeline.counters.readings * 1000) / (performance.now() - t0);
    close = async () => {
      pipeline.stop();
      await transport.close();
    };
  } else {
    const receiver = await rawClient();
    const c = counter();
    receiver.on('message', (topic) => {
      if (topic === PROBE_TOPIC) probe.arrivedNext();
      else c.count();
    });
    await receiver.subscribeAsync('devices/+/readings', { qos: 1 });
    handled = c.perSecond;
    close = () => receiver.endAsync();
  }
  await sleep(1_000); // subscribed; the fleet's messages flowing to this receiver
  await sendProbes(rawPublish(device), probe, samples);
  const perSecond = handled();
  await Promise.all([close(), device.endAsync()]);
  return probe.run(perSecond);
}

/** A platform store that only counts: the figure is transport and ingest, not a database. */
function countingStore() {
  let readings = 0;
  return {
    readings: () => readings,
    append: async (batch: readonly Reading[]) => {
      readings += batch.length;
      return { inserted: batch.length, duplicates: 0, conflicts: [] as string[] };
    },
  };
}

/** The bytes of the alert record the gateway forwards for a probe's critical reading. */
function alertRecordBytes(): Uint8Array {
  const transport = createInProcessTransport();
  const gw = createGateway({
    transport,
    rules: [{ id: 'spo2-critical', metric: 'spo2', below: 88, severity: 'high' }],
  });
  let alert: Alert | undefined;
  const sub = gw.alerts$.subscribe((a) => {
    alert = a;
  });
  for (const [seq, spo2] of [
    [0, 97],
    [1, 80],
  ] as const) {
    const m = deviceMessage(PROBE_DEVICE, seq, Date.now(), spo2);
    void transport.publish(m.topic, m.bytes);
  }
  sub.unsubscribe();
  void transport.close();
  if (alert === undefined) throw new Error('bench: the probe raised no alert');
  return alertRecord(alert).payload;
}

/**
 * One run through Mosquitto and NATS JetStream: the gateway forwarding everything to JetStream,
 * the platform's ingest in this process (so the timing is one clock), or the two raw legs chained.
 */
export async function natsRun(
  kind: 'gateway' | 'ceiling',
  seq0: number,
  samples: number,
  run: number,
): Promise<LatencyRun> {
  const probe = new Probe(seq0);
  const device = await rawClient();
  const teardown: (() => Promise<unknown> | unknown)[] = [];
  let handled: () => number;
  let detail: () => string | undefined = () => undefined;
  try {
    if (kind === 'gateway') {
      const site = `bench-load-${process.pid}-${run}`;
      const dir = mkdtempSync(join(tmpdir(), 'healthit-bench-load-'));
      teardown.push(() => rmSync(dir, { recursive: true, force: true }));
      teardown.push(async () => {
        const nc = await natsConnect({ servers: NATS_URL });
        await (await jetstreamManager(nc)).streams.delete(defaultStreamName(site)).catch(() => false);
        await nc.close();
      });
      const outbox: Outbox = createSqliteOutbox({
        path: join(dir, 'outbox.sqlite'),
        maxBytes: 256 * 2 ** 20,
        whenFull: 'refuse-new',
      });
      teardown.push(() => outbox.close());
      const uplink: Uplink = await createNatsUplink({ servers: NATS_URL, site });
      teardown.push(() => uplink.close());
      const store = countingStore();
      const ingest: NatsIngest = await createNatsIngest({
        servers: NATS_URL,
        site,
        store,
        durable: 'bench-platform',
        maxBatch: 500,
        maxWaitMs: 50,
        maxInFlight: 4_000,
      });
      teardown.push(() => ingest.stop());
      ingest.alerts$.subscribe((a) => probe.alert(a));
      ingest.events$.subscribe((e) => {
        if (e.type === 'failed') console.error(`  platform ingest failed: ${e.error.message}`);
      });
      const forwarder: Forwarder = createForwarder({ outbox, uplink, batchSize: 500, pollMs: 20 });
      teardown.push(() => forwarder.stop());
      const transport = createMqttTransport({ url: MQTT_URL });
      await firstValueFrom(transport.state$.pipe(filter((s) => s === 'connected')));
      const pipeline = startPipeline(transport, {
        devices: DEVICES + 1,
        outbox,
        onAppended: () => forwarder.wake(),
      });
      teardown.push(() => transport.close());
      teardown.push(() => pipeline.stop());
      forwarder.start();
      ingest.start();
      const t0 = performance.now();
      handled = () => (store.readings() * 1000) / (performance.now() - t0);
      detail = () => {
        const seconds = (performance.now() - t0) / 1000;
        const o = outbox.stats();
        return `gateway accepted ${Math.round(pipeline.counters.readings / seconds)}/s, forwarded ${Math.round(forwarder.stats().sent / seconds)} records/s, outbox pending ${o.pending}; platform took ${Math.round(ingest.stats().messages / seconds)} messages/s`;
      };
    } else {
      const stream = `BENCH_LOAD_RAW_${process.pid}_${run}`;
      const nc = await natsConnect({ servers: NATS_URL });
      teardown.push(() => nc.close());
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({
        name: stream,
        subjects: [`${stream}.>`],
        storage: StorageType.File,
        duplicate_window: nanos(120_000), // as the uplink's stream
      });
      teardown.push(() => jsm.streams.delete(stream).catch(() => false));
      await jsm.consumers.add(stream, { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
      const js = jetstream(nc);
      const messages = await (await js.consumers.get(stream, 'raw')).consume({ max_messages: 4_000 });
      teardown.push(() => messages.stop());
      const c = counter();
      void (async () => {
        for await (const m of messages) {
          const at = m.subject.indexOf('.alert.');
          if (at >= 0) probe.arrived(Number(m.subject.slice(at + 7)));
          m.ack();
        }
      })();
      // The relay: each probe message one bare js.publish as it arrives — the critical ones as the
      // alert record's bytes; the fleet's messages are received and counted, not forwarded.
      const alertBytes = alertRecordBytes();
      const receiver = await rawClient();
      teardown.push(() => receiver.endAsync());
      receiver.on('message', (topic, payload) => {
        if (topic !== PROBE_TOPIC) return c.count();
        const seq = probe.nextSeq();
        const publish =
          (seq - seq0) % 2 === 1
            ? js.publish(`${stream}.alert.${seq}`, alertBytes, { msgID: `alert-${seq}` })
            : js.publish(`${stream}.reading-batch.probe`, payload, { msgID: `reading-${seq}` });
        publish.catch(() => {});
      });
      await receiver.subscribeAsync('devices/+/readings', { qos: 1 });
      handled = c.perSecond;
    }
    await sleep(2_000); // subscribed; the fleet's readings flowing through to the consumer
    await sendProbes(rawPublish(device), probe, samples);
    return probe.run(handled(), detail());
  } finally {
    for (const step of teardown.reverse()) await step();
    await device.endAsync();
  }
}
