/**
 * The NATS ingest against real servers: the one on 127.0.0.1:4222 (JetStream enabled; in CI an
 * unreachable server fails the tests instead of skipping them) and, for the outage, a child
 * nats-server on a free port. The gateway's `createNatsUplink` publishes (a test may import the
 * gateway; the platform's code may not); a PGlite store in memory commits.
 */
import { existsSync } from 'node:fs';
import {
  type Alert,
  alertRecord,
  type Command,
  commandRecord,
  deviceId,
  HealthItError,
  patientId,
  type Reading,
  type ReadingStore,
  readingBatchRecord,
  readingId,
  readingRecord,
  UPLINK_HEADERS,
  type UplinkRecord,
  uplinkStreamName,
  uplinkSubject,
  utf8Encode,
} from '@healthit/core';
import { createNatsUplink, defaultStreamName } from '@healthit/gateway/nats';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChildNatsServer,
  NATS_SERVER_BIN,
  startNatsServer,
} from '../../../gateway/src/nats/test-fixtures/nats-server.js';
import { createPgliteReadingStore } from '../pglite/index.js';
import type { NatsIngestEvent } from './events.js';
import { createNatsIngest, type NatsIngest } from './ingest.js';

const NATS_URL = process.env.HEALTHIT_NATS_URL ?? 'nats://127.0.0.1:4222';

async function probe(): Promise<string | undefined> {
  try {
    const nc = await connect({ servers: NATS_URL, timeout: 3_000, reconnect: false });
    await nc.close();
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message || e.constructor.name : String(e);
  }
}

const unreachable = await probe();
// In CI an unreachable server is a failure (the tests run and fail); elsewhere the suite is skipped.
const skip = unreachable !== undefined && !process.env.CI;
if (skip) console.warn(`Skipping the NATS ingest tests: ${NATS_URL} is unreachable (${unreachable}).`);
const hasBinary = NATS_SERVER_BIN.startsWith('/') ? existsSync(NATS_SERVER_BIN) : true;
const skipChild = !hasBinary && !process.env.CI;
if (skipChild) console.warn(`Skipping the NATS ingest outage test: ${NATS_SERVER_BIN} not found.`);

const RUN = `p${process.pid}-${Date.now().toString(36)}`;
let siteCounter = 0;
const sites: string[] = [];
/** A site (hence stream) unique to this run and test. */
function uniqueSite(): string {
  siteCounter += 1;
  const site = `${RUN}-${siteCounter}`;
  sites.push(site);
  return site;
}

const T0 = 1_700_000_000_000;
function reading(device: string, seq: number): Reading {
  return {
    id: readingId(device, seq),
    deviceId: deviceId(device),
    patientId: patientId(`patient-${device}`),
    metric: 'heart-rate',
    value: 60 + (seq % 40),
    unit: '/min',
    ts: T0 + seq * 1_000,
    seq,
    quality: 'good',
  };
}

/**
 * `count` readings over three devices as records, in order per device: every fourth reading
 * starts a `reading-batch` record of up to five readings of its device, the others go singly.
 */
function readingRecords(count: number, from = 0): { records: UplinkRecord[]; readings: Reading[] } {
  const readings = Array.from({ length: count }, (_, i) => reading(`mon-${(from + i) % 3}`, from + i));
  const sent = new Set<string>();
  const records: UplinkRecord[] = [];
  readings.forEach((r, i) => {
    if (sent.has(r.id)) return;
    if (i % 4 === 0) {
      const batch = readings
        .filter((x, j) => j >= i && x.deviceId === r.deviceId && !sent.has(x.id))
        .slice(0, 5);
      for (const b of batch) sent.add(b.id);
      records.push(readingBatchRecord(batch));
    } else {
      sent.add(r.id);
      records.push(readingRecord(r));
    }
  });
  return { records, readings };
}

const alert: Alert = {
  id: 'alert-1',
  rule: 'news2:spo2',
  severity: 'low-medium',
  message: 'SpO2 91 % scores 3',
  ts: T0,
  patientId: patientId('patient-mon-0'),
  deviceId: deviceId('mon-0'),
  metric: 'spo2',
  value: 91,
  readingIds: [readingId('mon-0', 0)],
};

const command: Command = {
  id: 'cmd-1',
  deviceId: deviceId('o2-001'),
  action: 'oxygen.set-flow',
  params: { flowLpm: 2 },
  issuedBy: 'spo2-oxygen',
  issuedAt: T0,
};

async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every stored reading, by id, with how often each id is stored. */
async function storedIds(store: ReadingStore): Promise<string[]> {
  const all = await store.query({ from: 0, to: T0 * 2, limit: 1_000_000 });
  return all.map((r) => r.id).sort();
}

function collect(ingest: NatsIngest): NatsIngestEvent[] {
  const events: NatsIngestEvent[] = [];
  ingest.events$.subscribe((e) => events.push(e));
  return events;
}

describe.skipIf(skip)('createNatsIngest against the NATS server on 127.0.0.1:4222', () => {
  let nc: NatsConnection;
  const cleanups: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    nc = await connect({ servers: NATS_URL });
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
  });
  afterAll(async () => {
    const jsm = await jetstreamManager(nc);
    for (const site of sites) await jsm.streams.delete(uplinkStreamName(site)).catch(() => {});
    await nc.close();
  });

  async function store(): Promise<ReadingStore> {
    const s = await createPgliteReadingStore();
    cleanups.push(() => s.close());
    return s;
  }
  async function uplink(site: string) {
    const u = await createNatsUplink({ servers: NATS_URL, site });
    cleanups.push(() => u.close());
    return u;
  }
  async function ingest(options: Parameters<typeof createNatsIngest>[0]): Promise<NatsIngest> {
    const i = await createNatsIngest(options);
    cleanups.push(() => i.stop());
    return i;
  }

  it('names the stream as the gateway does', () => {
    expect(uplinkStreamName('ward-a')).toBe(defaultStreamName('ward-a'));
  });

  it('end to end from createNatsUplink: every reading stored once, alerts and commands on their own streams', async () => {
    const site = uniqueSite();
    const up = await uplink(site);
    const { records, readings } = readingRecords(300);
    const all = [...records.slice(0, 40), alertRecord(alert), ...records.slice(40), commandRecord(command)];
    expect(await up.send(all)).toBe(all.length);

    const s = await store();
    const i = await ingest({ servers: NATS_URL, site, store: s, maxBatch: 32 });
    const events = collect(i);
    const alerts: Alert[] = [];
    i.alerts$.subscribe((a) => alerts.push(a));
    const others: string[] = [];
    i.records$.subscribe((r) => others.push(r.type));
    i.start();

    await waitFor('all messages acknowledged', () => i.stats().acknowledged === all.length);
    expect(await storedIds(s)).toEqual(readings.map((r) => r.id).sort());
    expect(await s.count()).toBe(300);
    expect(alerts).toEqual([alert]);
    expect(others).toEqual(['alert', 'command']);
    expect(i.stats()).toMatchObject({
      inserted: 300,
      duplicates: 0,
      poison: 0,
      storeFailures: 0,
      records: 2,
    });
    const committed = events.filter((e) => e.type === 'committed');
    expect(committed.reduce((n, e) => n + e.readings.length, 0)).toBe(300);
    expect(Math.max(...committed.map((e) => e.messages))).toBeLessThanOrEqual(32);

    // Nothing left for the durable consumer: all acknowledged.
    const info = await (await jetstreamManager(nc)).consumers.info(
      uplinkStreamName(site),
      'healthit-platform',
    );
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  it('a consumer killed after commit and before ack: the batch is redelivered, stored once, counted as duplicates', async () => {
    const site = uniqueSite();
    const up = await uplink(site);
    const { records, readings } = readingRecords(60);
    expect(await up.send(records)).toBe(records.length);

    const s = await store();
    // The first consumer's connection dies right after its first commit, before any ack.
    const doomed = await connect({ servers: NATS_URL });
    let committedBeforeCrash = 0;
    const crashing: Pick<ReadingStore, 'append'> = {
      async append(rs) {
        const result = await s.append(rs);
        committedBeforeCrash += result.inserted;
        await doomed.close();
        return result;
      },
    };
    const first = await ingest({ connection: doomed, site, store: crashing, ackWaitMs: 1_000 });
    const firstEvents = collect(first);
    first.start();
    await waitFor('the first consumer to fail', () => firstEvents.some((e) => e.type === 'failed'));
    expect(first.stats().acknowledged).toBe(0);
    expect(committedBeforeCrash).toBeGreaterThan(0);
    expect(await s.count()).toBe(committedBeforeCrash);

    // A new instance of the same durable consumer gets the unacknowledged messages again.
    const second = await ingest({ servers: NATS_URL, site, store: s, ackWaitMs: 1_000 });
    second.start();
    await waitFor('all readings stored', async () => (await s.count()) === readings.length);
    await waitFor('the redelivered batch counted', () => second.stats().duplicates === committedBeforeCrash);
    expect(await storedIds(s)).toEqual(readings.map((r) => r.id).sort());
    expect(second.stats().redelivered).toBeGreaterThan(0);
    expect(second.stats().inserted).toBe(readings.length - committedBeforeCrash);
    const info = await (await jetstreamManager(nc)).consumers.info(
      uplinkStreamName(site),
      'healthit-platform',
    );
    await waitFor('acks to reach the server', async () => {
      const now = await (await jetstreamManager(nc)).consumers.info(
        uplinkStreamName(site),
        'healthit-platform',
      );
      return now.num_ack_pending === 0;
    });
    expect(info.num_pending).toBe(0);
  });

  it('terminates poison messages, counts them, and the rest flows', async () => {
    const site = uniqueSite();
    const up = await uplink(site);
    const s = await store();
    const i = await ingest({ servers: NATS_URL, site, store: s, maxBatch: 8, ackWaitMs: 1_000 });
    const events = collect(i);
    i.start();

    const good = [reading('mon-0', 1), reading('mon-0', 2), reading('mon-1', 3)];
    expect(await up.send([readingRecord(good[0] as Reading)])).toBe(1);
    // Poison, published as the gateway would but broken: not JSON, a schema violation, no headers,
    // a kind without a decoder.
    const js = jetstream(nc);
    const publish = (id: string | undefined, kind: string | undefined, payload: string, key = 'mon-0') => {
      const h = headers();
      if (id !== undefined) h.set(UPLINK_HEADERS.messageId, id);
      if (kind !== undefined) h.set(UPLINK_HEADERS.kind, kind);
      h.set(UPLINK_HEADERS.contentType, 'application/json');
      return js.publish(uplinkSubject('healthit', site, kind ?? 'reading', key), utf8Encode(payload), {
        headers: h,
      });
    };
    await publish('mon-0:90', 'reading', '{"id":');
    await publish('mon-0:91', 'reading', JSON.stringify({ ...reading('mon-0', 91), value: 'high' }));
    await publish(undefined, undefined, JSON.stringify(reading('mon-0', 92)));
    await publish('ev-1', 'event', '{}');
    // the gateway's uplink expects to follow its own last message; a new uplink looks it up again
    const up2 = await uplink(site);
    expect(await up2.send([readingRecord(good[1] as Reading), readingRecord(good[2] as Reading)])).toBe(2);

    await waitFor(
      'good readings stored and poison terminated',
      async () => (await s.count()) === 3 && i.stats().poison === 4,
    );
    expect(await storedIds(s)).toEqual(good.map((r) => r.id).sort());
    const poison = events.filter((e) => e.type === 'poison');
    expect(poison.map((p) => [p.recordId, p.error.code])).toEqual([
      ['mon-0:90', 'codec/decode'],
      ['mon-0:91', 'validation/invalid'],
      [undefined, 'validation/invalid'],
      ['ev-1', 'validation/invalid'],
    ]);
    expect(poison.every((p) => p.message.streamSequence > 0)).toBe(true);
    // Terminated, not redelivered: nothing pending, even after ack_wait.
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    const info = await (await jetstreamManager(nc)).consumers.info(
      uplinkStreamName(site),
      'healthit-platform',
    );
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
    expect(i.stats().poison).toBe(4);
  });

  it('acknowledges only after commit: a failing store gets nothing acknowledged, then stores every reading once', async () => {
    const site = uniqueSite();
    const up = await uplink(site);
    const { records, readings } = readingRecords(40);
    expect(await up.send(records)).toBe(records.length);

    const s = await store();
    let down = true;
    let calls = 0;
    const flaky: Pick<ReadingStore, 'append'> = {
      append(rs) {
        calls += 1;
        if (down) return Promise.reject(new HealthItError('store/unavailable', 'database down (test)'));
        return s.append(rs);
      },
    };
    const i = await ingest({
      servers: NATS_URL,
      site,
      store: flaky,
      maxAttempts: 2,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 10,
      redeliverDelayMs: 200,
      ackWaitMs: 1_000,
    });
    const events = collect(i);
    i.start();
    await waitFor('two failed commits', () => events.filter((e) => e.type === 'store-failed').length >= 2);
    expect(i.stats().acknowledged).toBe(0);
    const jsm = await jetstreamManager(nc);
    const during = await jsm.consumers.info(uplinkStreamName(site), 'healthit-platform');
    expect(during.ack_floor.stream_seq).toBe(0);
    expect(await s.count()).toBe(0);
    const failed = events.find((e) => e.type === 'store-failed');
    expect(failed).toMatchObject({ type: 'store-failed', attempts: 2 });

    down = false;
    await waitFor('all stored', async () => (await s.count()) === readings.length);
    await waitFor('all acknowledged', async () => {
      const now = await jsm.consumers.info(uplinkStreamName(site), 'healthit-platform');
      return now.num_ack_pending === 0 && now.num_pending === 0;
    });
    expect(await storedIds(s)).toEqual(readings.map((r) => r.id).sort());
    expect(i.stats().inserted).toBe(readings.length);
    expect(i.stats().redelivered).toBeGreaterThan(0);
    expect(calls).toBeGreaterThan(2);
  });

  it('stop() drains: what was received is committed and acknowledged, then the streams complete', async () => {
    const site = uniqueSite();
    const up = await uplink(site);
    const { records, readings } = readingRecords(30);
    expect(await up.send(records)).toBe(records.length);
    const s = await store();
    const i = await createNatsIngest({ servers: NATS_URL, site, store: s });
    let completed = false;
    i.events$.subscribe({ complete: () => (completed = true) });
    i.start();
    await waitFor('first commit', () => i.stats().inserted > 0);
    await i.stop();
    expect(completed).toBe(true);
    expect(i.stats().acknowledged).toBe(i.stats().messages - i.stats().poison);
    // a second instance finds the rest, nothing twice
    const rest = await ingest({ servers: NATS_URL, site, store: s });
    rest.start();
    await waitFor('all stored', async () => (await s.count()) === readings.length);
    expect(rest.stats().duplicates).toBe(0);
  });

  it('waits for a stream that does not exist yet, then ingests', async () => {
    const site = uniqueSite();
    const s = await store();
    const i = await ingest({ servers: NATS_URL, site, store: s, retryMaxDelayMs: 100, retryBaseDelayMs: 10 });
    const events = collect(i);
    i.start();
    await waitFor('stream-missing notice', () =>
      events.some((e) => e.type === 'notice' && e.notice === 'stream-missing'),
    );
    const up = await uplink(site);
    expect(await up.send([readingRecord(reading('mon-0', 1))])).toBe(1);
    await waitFor('stored', async () => (await s.count()) === 1);
  });

  it('refuses bad options and an unreachable server', async () => {
    const s = await store();
    await expect(createNatsIngest({ site: 'ward-a', store: s })).rejects.toThrow(TypeError);
    await expect(createNatsIngest({ servers: NATS_URL, site: 'ward a', store: s })).rejects.toThrow(
      RangeError,
    );
    await expect(
      createNatsIngest({ servers: NATS_URL, site: 'ward-a', store: s, maxBatch: 0 }),
    ).rejects.toThrow(RangeError);
    await expect(
      createNatsIngest({
        servers: 'nats://127.0.0.1:1',
        site: 'ward-a',
        store: s,
        connectOptions: { timeout: 500 },
      }),
    ).rejects.toMatchObject({ code: 'transport/disconnected', retryable: true });
  });
});

describe.skipIf(skipChild)('createNatsIngest across a nats-server outage (child process)', () => {
  let server: ChildNatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('resumes after the server restarts: every reading stored once', async () => {
    const site = 'outage';
    const s = await createPgliteReadingStore();
    const up = await createNatsUplink({
      servers: server.url,
      site,
      publishTimeoutMs: 1_000,
      connectOptions: { reconnectTimeWait: 100, reconnectJitter: 0 },
    });
    const i = await createNatsIngest({
      servers: server.url,
      site,
      store: s,
      ackWaitMs: 2_000,
      connectOptions: { reconnectTimeWait: 100, reconnectJitter: 0 },
    });
    const events = collect(i);
    try {
      i.start();
      const a = readingRecords(50, 0);
      expect(await up.send(a.records)).toBe(a.records.length);
      await waitFor('first half stored', async () => (await s.count()) === 50);

      await server.stop();
      await waitFor('ingest sees the outage', () =>
        events.some((e) => e.type === 'connection' && e.state === 'down'),
      );
      await server.start();
      await waitFor('ingest reconnected', () =>
        events.some((e) => e.type === 'connection' && e.state === 'up'),
      );

      const b = readingRecords(50, 50);
      await waitFor('second half sent', async () => (await up.send(b.records)) === b.records.length, 20_000);
      await waitFor('second half stored', async () => (await s.count()) === 100, 20_000);
      expect(await storedIds(s)).toEqual([...a.readings, ...b.readings].map((r) => r.id).sort());
      expect(i.stats().poison).toBe(0);
    } finally {
      await i.stop();
      await up.close();
      await s.close();
    }
  }, 60_000);
});
