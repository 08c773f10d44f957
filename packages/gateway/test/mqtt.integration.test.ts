import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConnectionState,
  isHealthItError,
  type Transport,
  type TransportMessage,
  utf8Decode,
  utf8Encode,
} from '@healthit/core';
import { describeTransportConformance } from '@healthit/core/testing';
import { connectAsync, type MqttClient, type Packet } from 'mqtt';
import { filter, firstValueFrom, type Subscription, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createMqttTransport, type MqttConnectionSettings } from '../src/mqtt/index.js';
import { ChildBroker, freePort } from '../src/testing/mosquitto-child.js';
import { MQTT_URL, skipWithoutBroker } from './mqtt-broker.js';

// Real Mosquitto. HEALTHIT_MQTT_URL overrides the broker; the default is the local one.
const skip = await skipWithoutBroker('the MQTT integration tests');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let clientCounter = 0;
function clientId(role: string): string {
  clientCounter += 1;
  return `healthit-test-${process.pid}-${role}-${clientCounter}`;
}

let rootCounter = 0;
function uniqueRoot(): string {
  rootCounter += 1;
  return `healthit-test/${process.pid}-${Date.now().toString(36)}-${rootCounter}`;
}

function waitForState(t: Transport, state: ConnectionState, timeoutMs = 5_000): Promise<ConnectionState> {
  return firstValueFrom(
    t.state$.pipe(
      filter((s) => s === state),
      timeout(timeoutMs),
    ),
  );
}

async function openTransport(settings: Partial<MqttConnectionSettings> = {}): Promise<Transport> {
  const t = createMqttTransport({ url: MQTT_URL, clientId: clientId('t'), ...settings });
  await waitForState(t, 'connected');
  return t;
}

/** Subscribes and records; resolves once a probe on `probeTopic` came back (SUBACK is asynchronous). */
async function recordReady(
  publisher: Transport,
  subscriber: Transport,
  filterText: string,
  probeTopic: string,
  timeoutMs = 5_000,
): Promise<{ received: TransportMessage[]; sub: Subscription }> {
  const received: TransportMessage[] = [];
  let probed = false;
  const sub = subscriber.subscribe(filterText).subscribe((m) => {
    if (m.topic === probeTopic && utf8Decode(m.payload) === 'probe') probed = true;
    else received.push(m);
  });
  const deadline = Date.now() + timeoutMs;
  while (!probed) {
    if (Date.now() > deadline) throw new Error(`"${filterText}" never delivered a probe`);
    await publisher.publish(probeTopic, utf8Encode('probe')).catch(() => undefined);
    await sleep(25);
  }
  return { received, sub };
}

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe.skipIf(skip)(`MQTT transport (${MQTT_URL})`, () => {
  describeTransportConformance('mqtt', async () => {
    const [publisher, subscriber] = await Promise.all([openTransport(), openTransport()]);
    return {
      publisher,
      subscriber,
      dispose: async () => {
        await Promise.all([publisher.close(), subscriber.close()]);
      },
    };
  });

  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  function track<T extends { close(): Promise<void> } | MqttClient | ChildBroker>(x: T): T {
    if ('endAsync' in x) cleanups.push(() => x.endAsync(true));
    else if (x instanceof ChildBroker) cleanups.push(() => x.stop());
    else cleanups.push(() => x.close());
    return x;
  }

  it('shares one SUBSCRIBE per filter, unsubscribes on the broker after the last subscriber, and leaves a caller-owned client open', async () => {
    const client = track(await connectAsync(MQTT_URL, { clientId: clientId('own'), protocolVersion: 5 }));
    const sent: Packet[] = [];
    client.on('packetsend', (p) => sent.push(p));
    const rawMessages: string[] = [];
    client.on('message', (topic) => rawMessages.push(topic));
    const transport = createMqttTransport({ client });
    const publisher = track(await openTransport());
    const root = uniqueRoot();
    const filterText = `${root}/+/x`;
    const subscribePackets = () =>
      sent.filter((p) => p.cmd === 'subscribe' && p.subscriptions.some((s) => s.topic === filterText));
    const unsubscribePackets = () =>
      sent.filter((p) => p.cmd === 'unsubscribe' && p.unsubscriptions.includes(filterText));

    const a = await recordReady(publisher, transport, filterText, `${root}/probe/x`);
    const b = await recordReady(publisher, transport, filterText, `${root}/probe/x`);
    expect(subscribePackets()).toHaveLength(1);

    a.sub.unsubscribe();
    expect(unsubscribePackets()).toHaveLength(0);
    await publisher.publish(`${root}/one/x`, utf8Encode('m1'));
    await until(() => b.received.length === 1);
    expect(b.received.map((m) => utf8Decode(m.payload))).toEqual(['m1']);
    expect(a.received).toEqual([]);

    const unsubAck = new Promise<void>((resolve) =>
      client.on('packetreceive', (p) => p.cmd === 'unsuback' && resolve()),
    );
    b.sub.unsubscribe();
    expect(unsubscribePackets()).toHaveLength(1);
    await unsubAck;
    // The broker no longer sends anything on the filter to the shared connection.
    rawMessages.length = 0;
    await publisher.publish(`${root}/two/x`, utf8Encode('m2'));
    await sleep(300);
    expect(rawMessages).toEqual([]);
    expect(b.received).toHaveLength(1);

    await transport.close();
    expect(client.connected).toBe(true);
    const seen: string[] = [];
    client.on('message', (topic, payload) => seen.push(`${topic}=${payload.toString()}`));
    await client.subscribeAsync(`${root}/raw`, { qos: 1 });
    await client.publishAsync(`${root}/raw`, 'still open', { qos: 1 });
    await until(() => seen.length === 1);
    expect(seen).toEqual([`${root}/raw=still open`]);
  });

  it.each([4, 5] as const)(
    'delivers a message once to each of two overlapping subscriptions (protocol version %i)',
    async (protocolVersion) => {
      const publisher = track(await openTransport());
      const subscriber = track(await openTransport({ protocolVersion }));
      const root = uniqueRoot();
      const all = await recordReady(publisher, subscriber, `${root}/#`, `${root}/a/probe`);
      const level = await recordReady(publisher, subscriber, `${root}/a/+`, `${root}/a/probe`);
      all.received.length = 0;
      await publisher.publish(`${root}/a/b`, utf8Encode('once'));
      await publisher.publish(`${root}/c`, utf8Encode('only-all'));
      await until(() => all.received.length >= 2 && level.received.length >= 1);
      await sleep(200);
      expect(all.received.map((m) => utf8Decode(m.payload))).toEqual(['once', 'only-all']);
      expect(level.received.map((m) => utf8Decode(m.payload))).toEqual(['once']);
    },
  );

  it('refuses to publish while disconnected with a retryable transport/disconnected that carries the cause', async () => {
    const port = await freePort();
    const transport = track(
      createMqttTransport({
        url: `mqtt://127.0.0.1:${port}`,
        reconnectPeriodMs: 50,
        connectTimeoutMs: 1_000,
      }),
    );
    await waitForState(transport, 'disconnected');
    const err = await errorOf(transport.publish('a/b', utf8Encode('x')));
    expect(isHealthItError(err, 'transport/disconnected')).toBe(true);
    expect(isHealthItError(err) && err.retryable).toBe(true);
    expect((err as Error).cause).toBeInstanceOf(Error);
    expect(String((err as Error).cause)).toContain('ECONNREFUSED');
  });

  it.each([4, 5] as const)(
    'reconnects after the broker restarts and resubscribes (protocol version %i)',
    async (protocolVersion) => {
      const broker = track(new ChildBroker(await freePort()));
      await broker.start();
      const settings = { url: broker.url, protocolVersion, reconnectPeriodMs: 100, connectTimeoutMs: 1_000 };
      const subscriber = track(createMqttTransport({ ...settings, clientId: clientId('sub') }));
      const publisher = track(createMqttTransport({ ...settings, clientId: clientId('pub') }));
      const states: ConnectionState[] = [];
      subscriber.state$.subscribe((s) => states.push(s));
      await Promise.all([waitForState(subscriber, 'connected'), waitForState(publisher, 'connected')]);
      const rec = await recordReady(publisher, subscriber, 'ward/+/readings', 'ward/probe/readings');
      await publisher.publish('ward/mon-1/readings', utf8Encode('before'));
      await until(() => rec.received.length === 1);

      await broker.stop();
      await waitForState(subscriber, 'disconnected');
      const err = await errorOf(publisher.publish('ward/mon-1/readings', utf8Encode('during')));
      expect(isHealthItError(err, 'transport/disconnected')).toBe(true);

      await broker.start();
      await Promise.all([waitForState(subscriber, 'connected'), waitForState(publisher, 'connected')]);
      // The restarted broker has no session: only the transport's resubscription brings messages back.
      const deadline = Date.now() + 5_000;
      while (!rec.received.some((m) => utf8Decode(m.payload) === 'after') && Date.now() < deadline) {
        await publisher.publish('ward/mon-1/readings', utf8Encode('after'));
        await sleep(50);
      }
      expect(rec.received[0] && utf8Decode(rec.received[0].payload)).toBe('before');
      expect(rec.received.map((m) => utf8Decode(m.payload))).toContain('after');
      expect(rec.received.every((m) => m.topic === 'ward/mon-1/readings')).toBe(true);
      const firstDisconnect = states.indexOf('disconnected');
      expect(states[0]).toBe('connecting');
      expect(states.slice(0, firstDisconnect)).toContain('connected');
      expect(states.slice(firstDisconnect)).toContain('connecting');
      expect(states.at(-1)).toBe('connected');
    },
  );

  it('resubscribes by itself on a caller-owned client that has resubscribe turned off', async () => {
    const broker = track(new ChildBroker(await freePort()));
    await broker.start();
    const client = track(
      await connectAsync(broker.url, { resubscribe: false, reconnectPeriod: 100, clientId: clientId('nr') }),
    );
    const subscriber = track(createMqttTransport({ client }));
    const publisher = track(createMqttTransport({ url: broker.url, reconnectPeriodMs: 100 }));
    await waitForState(publisher, 'connected');
    const rec = await recordReady(publisher, subscriber, 'ward/#', 'ward/probe');
    await broker.stop();
    await waitForState(subscriber, 'disconnected');
    await broker.start();
    await Promise.all([waitForState(subscriber, 'connected'), waitForState(publisher, 'connected')]);
    const deadline = Date.now() + 5_000;
    while (rec.received.length === 0 && Date.now() < deadline) {
      await publisher.publish('ward/bed-2', utf8Encode('after'));
      await sleep(50);
    }
    expect(rec.received.map((m) => utf8Decode(m.payload))).toContain('after');
  });

  it('wraps a refused publish (MQTT 5 PUBACK "Not authorized") and an unacknowledged one in transport/publish-failed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'healthit-mqtt-'));
    // Mosquitto started as root drops to its own user, which must be able to read the files.
    await chmod(dir, 0o755);
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const port = await freePort();
    await writeFile(join(dir, 'acl'), 'topic readwrite open/#\ntopic read ro/#\n', { mode: 0o644 });
    await writeFile(
      join(dir, 'mosquitto.conf'),
      `listener ${port} 127.0.0.1\nallow_anonymous true\nacl_file ${join(dir, 'acl')}\n`,
    );
    const broker = track(new ChildBroker(port, join(dir, 'mosquitto.conf')));
    await broker.start();
    const transport = track(createMqttTransport({ url: broker.url, publishTimeoutMs: 300 }));
    await waitForState(transport, 'connected');

    await transport.publish('open/x', utf8Encode('allowed'));
    const refused = await errorOf(transport.publish('ro/x', utf8Encode('denied')));
    expect(isHealthItError(refused, 'transport/publish-failed')).toBe(true);
    expect(isHealthItError(refused) && refused.detail).toMatchObject({ topic: 'ro/x', reasonCode: 135 });
    expect((refused as Error).cause).toBeInstanceOf(Error);
    expect((refused as Error).cause).not.toBe(refused);

    // A broker that stops answering: the publish rejects after publishTimeoutMs, as ambiguous.
    broker.signal('SIGSTOP');
    const started = Date.now();
    const late = await errorOf(transport.publish('open/x', utf8Encode('unanswered')));
    broker.signal('SIGCONT');
    expect(isHealthItError(late, 'transport/publish-failed')).toBe(true);
    expect(isHealthItError(late) && late.errorClass).toBe('ambiguous');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('rejects a publish still waiting for its acknowledgement when the transport closes', async () => {
    const broker = track(new ChildBroker(await freePort()));
    await broker.start();
    const transport = createMqttTransport({ url: broker.url });
    await waitForState(transport, 'connected');
    broker.signal('SIGSTOP');
    const pending = errorOf(transport.publish('a/b', utf8Encode('x')));
    await sleep(50);
    await transport.close();
    broker.signal('SIGCONT');
    const err = await pending;
    expect(isHealthItError(err, 'transport/publish-failed')).toBe(true);
  });
});
