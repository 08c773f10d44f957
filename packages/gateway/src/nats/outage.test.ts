import { existsSync } from 'node:fs';
import { isHealthItError, utf8Encode } from '@healthit/core';
import { connect } from '@nats-io/transport-node';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Uplink, UplinkRecord, UplinkState } from '../uplink/uplink.js';
import { createNatsUplink, defaultStreamName } from './index.js';
import { type ChildNatsServer, NATS_SERVER_BIN, startNatsServer } from './test-fixtures/nats-server.js';
import { readStream } from './test-fixtures/stream-reader.js';

const hasBinary = NATS_SERVER_BIN.startsWith('/') ? existsSync(NATS_SERVER_BIN) : true;
const skip = !hasBinary && !process.env.CI;
if (skip) console.warn(`Skipping the NATS outage tests: ${NATS_SERVER_BIN} not found.`);

const KEYS = ['mon-1', 'mon-2', 'mon-3', 'pump-1', 'scale-1'] as const;

function numbered(count: number): UplinkRecord[] {
  return Array.from({ length: count }, (_, n) => {
    const key = KEYS[n % KEYS.length] as string;
    return { id: `${key}:${n}`, kind: 'reading', key, payload: utf8Encode(JSON.stringify({ key, n })) };
  });
}

function waitFor(u: Uplink, state: UplinkState, ms = 10_000): Promise<UplinkState> {
  return firstValueFrom(
    u.state$.pipe(
      filter((s) => s === state),
      timeout(ms),
    ),
  );
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe.skipIf(skip)('createNatsUplink across a nats-server outage (child process)', () => {
  let server: ChildNatsServer | undefined;
  let uplink: Uplink | undefined;
  afterEach(async () => {
    await uplink?.close();
    await server?.dispose();
    uplink = undefined;
    server = undefined;
  });

  it('resolves sends with prefix counts while the server is down, reconnects, and stores every record once in order', async () => {
    server = await startNatsServer();
    const u = await createNatsUplink({
      servers: server.url,
      site: 'outage',
      publishTimeoutMs: 1_000,
      maxAckPendingPublishes: 64,
      connectOptions: { reconnectTimeWait: 100, reconnectJitter: 0 },
    });
    uplink = u;
    const states: UplinkState[] = [];
    u.state$.subscribe((s) => states.push(s));

    const all = numbered(4_000);
    const BATCH = 250;
    const short: { sent: number; acknowledged: number }[] = [];
    let position = 0;
    let outage: Promise<void> | undefined;
    let sendsWhileDown = 0;
    const t0 = Date.now();
    while (position < all.length) {
      if (outage === undefined && position >= 1_000) {
        // Kill the server while the next batch is in flight, bring it back on the same port and store.
        const s = server;
        outage = (async () => {
          await sleep(2);
          await s.stop('SIGTERM');
          await waitFor(u, 'down');
          await sleep(300);
          await s.start();
        })();
      }
      const batch = all.slice(position, position + BATCH);
      const wasDown = states.at(-1) === 'down';
      const acknowledged = await u.send(batch); // never throws for unavailability
      if (wasDown) sendsWhileDown += 1;
      if (acknowledged < batch.length) short.push({ sent: batch.length, acknowledged });
      position += acknowledged; // re-send from the first unacknowledged record
      if (acknowledged === 0) await sleep(20);
      expect(Date.now() - t0).toBeLessThan(15_000);
    }
    await outage;

    expect(short.length).toBeGreaterThan(0); // the outage cut at least one send short
    expect(sendsWhileDown).toBeGreaterThan(0);
    expect(states[0]).toBe('up');
    expect(states).toContain('down');
    expect(states.at(-1)).toBe('up');

    const nc = await connect({ servers: server.url });
    try {
      const stored = await readStream(nc, defaultStreamName('outage'));
      const ids = stored.map((m) => m.msgId);
      expect(new Set(ids).size).toBe(ids.length); // exactly once
      expect(ids).toEqual(all.map((r) => r.id)); // every record, in append order
      for (const key of KEYS) {
        const perKey = stored.filter((m) => m.subject.endsWith(`.${key}`)).map((m) => m.msgId);
        expect(perKey).toEqual(all.filter((r) => r.key === key).map((r) => r.id));
      }
    } finally {
      await nc.close();
    }
  });

  it('rejects with the permanent config/invalid when the server has no JetStream', async () => {
    server = await startNatsServer({ jetstream: false });
    const error = await createNatsUplink({ servers: server.url, site: 'no-js' }).catch((e: unknown) => e);
    expect(isHealthItError(error, 'config/invalid')).toBe(true);
    expect((error as { retryable: boolean }).retryable).toBe(false);
  });

  it('returns 0 at once while down, and the stream is re-created when a restart lost it', async () => {
    server = await startNatsServer();
    const u = await createNatsUplink({
      servers: server.url,
      site: 'lost-store',
      publishTimeoutMs: 1_000,
      connectOptions: { reconnectTimeWait: 100, reconnectJitter: 0 },
    });
    uplink = u;
    expect(await u.send(numbered(10))).toBe(10);
    await server.stop('SIGKILL');
    await waitFor(u, 'down');
    const t = performance.now();
    expect(await u.send(numbered(20))).toBe(0);
    expect(performance.now() - t).toBeLessThan(100);

    // The store is wiped while the server is down: the stream is gone after the restart.
    const { rm } = await import('node:fs/promises');
    await rm(server.storeDir, { recursive: true, force: true });
    await server.start();
    await waitFor(u, 'up');
    let acknowledged = 0;
    for (let attempt = 0; attempt < 50 && acknowledged < 20; attempt++) {
      acknowledged += await u.send(numbered(20).slice(acknowledged));
      if (acknowledged < 20) await sleep(50);
    }
    expect(acknowledged).toBe(20);
    const nc = await connect({ servers: server.url });
    try {
      const stored = await readStream(nc, defaultStreamName('lost-store'));
      expect(stored.map((m) => m.msgId)).toEqual(numbered(20).map((r) => r.id));
    } finally {
      await nc.close();
    }
  });
});
