/**
 * The MQTT transport with a message journal, against the real Mosquitto (127.0.0.1:1883, or
 * HEALTHIT_MQTT_URL): a message is recorded before mqtt.js acknowledges it, delivered inside its
 * journal delivery, delivered again by the next process when it was not settled, and not
 * acknowledged at all when the journal refuses it (the broker sends it again).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Transport, type TransportMessage, utf8Decode, utf8Encode } from '@healthit/core';
import { filter, firstValueFrom, type Subscription, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { createMqttTransport, type MqttTransportOptions } from '../src/mqtt/index.js';
import { createSqliteOutbox } from '../src/outbox/sqlite-outbox.js';
import type { MessageJournal } from '../src/uplink/message-journal.js';
import type { Outbox } from '../src/uplink/outbox.js';
import { MQTT_URL, skipWithoutBroker } from './mqtt-broker.js';

const skip = await skipWithoutBroker('the MQTT journal tests');

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const run = `${process.pid}-${Date.now().toString(36)}`;

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempOutbox(journalBytes?: number): { path: string; open(): Outbox & { journal: MessageJournal } } {
  const dir = mkdtempSync(join(tmpdir(), 'healthit-mqtt-journal-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'outbox.db');
  return {
    path,
    open() {
      const outbox = createSqliteOutbox({
        path,
        maxBytes: 1 << 20,
        whenFull: 'refuse-new',
        journal: journalBytes === undefined ? {} : { maxBytes: journalBytes },
      });
      cleanups.push(() => outbox.close());
      return outbox as Outbox & { journal: MessageJournal };
    },
  };
}

async function transport(options: Partial<MqttTransportOptions> & { clientId: string }): Promise<Transport> {
  const t = createMqttTransport({ url: MQTT_URL, ...options } as MqttTransportOptions);
  cleanups.push(() => t.close());
  await firstValueFrom(
    t.state$.pipe(
      filter((s) => s === 'connected'),
      timeout(5_000),
    ),
  );
  return t;
}

function collect(t: Transport, topicFilter: string, onMessage?: (m: TransportMessage) => void) {
  const received: string[] = [];
  const sub: Subscription = t.subscribe(topicFilter).subscribe((m) => {
    onMessage?.(m);
    received.push(utf8Decode(m.payload));
  });
  cleanups.push(() => sub.unsubscribe());
  return received;
}

async function until(what: string, condition: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe.skipIf(skip)('MQTT transport with a message journal (real Mosquitto)', () => {
  it('records each message before handing it over, inside its journal delivery', async () => {
    const { journal } = tempOutbox().open();
    const root = `healthit-test/journal-${run}-a`;
    const gateway = await transport({ clientId: `jr-${run}-gw-a`, journal });
    const seen: { current: number | undefined; recorded: string[] }[] = [];
    const received = collect(gateway, `${root}/#`, () => {
      seen.push({
        current: journal.current,
        recorded: journal.unsettled().map((e) => utf8Decode(e.payload)),
      });
    });
    await sleep(200); // SUBACK
    const device = await transport({ clientId: `jr-${run}-dev-a` });
    await device.publish(`${root}/d1`, utf8Encode('m1'), { qos: 1 });
    await device.publish(`${root}/d1`, utf8Encode('m2'), { qos: 1 });
    await until('two messages', () => received.length === 2);
    expect(received).toEqual(['m1', 'm2']);
    const entries = journal.unsettled();
    expect(entries.map((e) => utf8Decode(e.payload))).toEqual(['m1', 'm2']);
    expect(seen.map((s) => s.current)).toEqual(entries.map((e) => e.seq));
    expect(seen[0]?.recorded).toEqual(['m1']);
    expect(journal.takeDelivered()).toEqual(entries.map((e) => e.seq));
  });

  it('delivers what a killed process recorded and did not settle first, before live messages', async () => {
    const file = tempOutbox();
    const root = `healthit-test/journal-${run}-b`;
    const before = file.open();
    // What a process recorded and never settled: it died before the outbox append.
    before.journal.record({ topic: `${root}/d1`, payload: utf8Encode('old-1'), retained: false });
    before.journal.record({ topic: `${root}/d1`, payload: utf8Encode('old-2'), retained: false });
    before.close();
    const { journal } = file.open();
    const gateway = await transport({ clientId: `jr-${run}-gw-b`, journal });
    const received = collect(gateway, `${root}/#`);
    await until('the replayed messages', () => received.length === 2);
    const device = await transport({ clientId: `jr-${run}-dev-b` });
    await sleep(200);
    await device.publish(`${root}/d1`, utf8Encode('live'), { qos: 1 });
    await until('the live message', () => received.length === 3);
    expect(received).toEqual(['old-1', 'old-2', 'live']);
    // Replayed messages keep their sequence numbers: they are settled as any other.
    expect(journal.unsettled().map((e) => utf8Decode(e.payload))).toEqual(['old-1', 'old-2', 'live']);
    expect(journal.stats().recorded).toBe(1);
  });

  it('does not acknowledge a message the journal refuses: the broker sends it again to the next session', async () => {
    const root = `healthit-test/journal-${run}-c`;
    const clientId = `jr-${run}-gw-c`;
    const session = { clientId, sessionExpirySeconds: 60 };
    const full = tempOutbox(1).open(); // 1 byte: every message is refused
    const first = await transport({ ...session, journal: full.journal });
    const refused = collect(first, `${root}/#`);
    await sleep(200);
    const device = await transport({ clientId: `jr-${run}-dev-c` });
    await device.publish(`${root}/d1`, utf8Encode('kept-by-the-broker'), { qos: 1 });
    await until('the refusal', () => full.journal.stats().refused === 1);
    await sleep(200);
    expect(refused).toEqual([]);
    await first.close();

    const { journal } = tempOutbox().open();
    const second = await transport({ ...session, journal });
    const received = collect(second, `${root}/#`);
    await until('the redelivery', () => received.length === 1);
    expect(received).toEqual(['kept-by-the-broker']);
    expect(journal.stats().recorded).toBe(1);
  });
});
