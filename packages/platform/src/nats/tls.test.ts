/**
 * The platform's NATS JetStream ingest over mutual TLS: a `nats-server -js` of our own with
 * `--tlsverify` and the test PKI (openssl CLI). The gateway's uplink publishes with its client
 * certificate; the platform's durable consumer connects with its own, stores every reading once and
 * acknowledges. Without a client certificate, with one from another CA or an expired one, the
 * consumer is refused; it refuses a server its CA did not certify.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  deviceId,
  isHealthItError,
  patientId,
  type Reading,
  readingBatchRecord,
  readingId,
  readingRecord,
} from '@healthit/core';
import { createNatsUplink } from '@healthit/gateway/nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChildNatsServer,
  mutualTlsArgs,
  NATS_SERVER_BIN,
  startNatsServer,
} from '../../../gateway/src/nats/test-fixtures/nats-server.js';
import { createTestPki, type TestPki } from '../../../gateway/test/tls/test-pki.js';
import { createPgliteReadingStore } from '../pglite/index.js';
import { createNatsIngest } from './ingest.js';

const hasBinary = NATS_SERVER_BIN.startsWith('/') ? existsSync(NATS_SERVER_BIN) : true;
// In CI a missing nats-server is a failure (the tests run and fail); elsewhere the suite is skipped.
const skip = !hasBinary && !process.env.CI;
if (skip) console.warn(`Skipping the NATS ingest TLS tests: ${NATS_SERVER_BIN} not found.`);

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

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(skip)('createNatsIngest over mutual TLS (own nats-server, test PKI)', () => {
  let dir: string;
  let pki: TestPki;
  let server: ChildNatsServer;
  let url: string;
  /** The store of the consumers that must be refused (they never get to write). */
  let refusedStore: Awaited<ReturnType<typeof createPgliteReadingStore>>;

  beforeAll(async () => {
    refusedStore = await createPgliteReadingStore();
    dir = await mkdtemp(join(tmpdir(), 'healthit-nats-ingest-tls-'));
    pki = createTestPki(dir);
    server = await startNatsServer({
      extraArgs: mutualTlsArgs(pki),
    });
    url = `tls://127.0.0.1:${server.port}`;
  }, 60_000);

  afterAll(async () => {
    await refusedStore?.close();
    await server?.dispose();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** What `createNatsIngest` rejects with for these TLS options (undefined when it connects). */
  async function refusal(tls: { ca: string; cert?: string; key?: string }): Promise<unknown> {
    try {
      const ingest = await createNatsIngest({
        servers: url,
        site: 'ward-tls',
        store: refusedStore,
        connectOptions: { tls, timeout: 3_000 },
      });
      await ingest.stop();
      return undefined;
    } catch (e) {
      return e;
    }
  }

  it('stores every reading the gateway sent over TLS once, and acknowledges them all', async () => {
    const uplink = await createNatsUplink({
      servers: url,
      site: 'ward-tls',
      connectOptions: { tls: { ca: pki.caCert, ...pki.client('gateway-1') } },
    });
    const readings = Array.from({ length: 40 }, (_, i) => reading(`mon-${i % 2}`, i));
    const records = [
      readingBatchRecord(readings.filter((r) => r.deviceId === 'mon-0').slice(0, 10)),
      ...readings.filter((r, i) => r.deviceId !== 'mon-0' || i >= 20).map(readingRecord),
    ];
    expect(await uplink.send(records)).toBe(records.length);
    // Re-sent (a gateway retry after a lost publish ack): JetStream de-duplicates by message id.
    expect(await uplink.send(records.slice(0, 3))).toBe(3);
    await uplink.close();

    const store = await createPgliteReadingStore();
    const ingest = await createNatsIngest({
      servers: url,
      site: 'ward-tls',
      store,
      connectOptions: { tls: { ca: pki.caCert, ...pki.client('platform-1') } },
    });
    ingest.start();
    await waitFor('every message acknowledged', () => ingest.stats().acknowledged === records.length);
    expect(ingest.stats()).toMatchObject({ inserted: 40, duplicates: 0, poison: 0, storeFailures: 0 });
    const stored = await store.query({ from: 0, to: T0 * 2, limit: 1_000 });
    expect(stored.map((r) => r.id).sort()).toEqual(readings.map((r) => r.id).sort());
    await ingest.stop();
    await store.close();
  }, 60_000);

  it('attack: without a client certificate, with one from another CA, or an expired one → refused (transport/disconnected)', async () => {
    const errors = await Promise.all(
      [
        { ca: pki.caCert },
        { ca: pki.caCert, ...pki.client('rogue') },
        { ca: pki.caCert, ...pki.client('expired') },
      ].map(refusal),
    );
    expect(errors.map((e) => isHealthItError(e, 'transport/disconnected'))).toEqual([true, true, true]);
    expect(await refusedStore.count()).toBe(0);
  }, 60_000);

  it('attack: a server the consumer’s CA did not certify → the consumer refuses it', async () => {
    const error = await refusal({ ca: pki.rogueCaCert, ...pki.client('platform-1') });
    expect(isHealthItError(error, 'transport/disconnected')).toBe(true);
  }, 60_000);
});
