/**
 * Fault: the platform process SIGKILLed mid-batch and started again.
 *
 * The real data path: an outbox → `createForwarder` → `createNatsUplink` (this process, producing
 * all along) → a nats-server child → a platform process (`fixtures/platform.ts`:
 * `createNatsIngest` → the embedded default store, PGlite on disk). The platform is killed right
 * after a commit, while the next batches are delivered and unacknowledged; a new process on the same
 * data directory (PGlite recovers it) takes over the durable consumer. The gateway produces until the
 * new process is up. Every reading must be stored exactly once.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStreamName } from '@healthit/gateway/nats';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  NATS_SERVER_BIN,
  startNatsServer,
} from '../../packages/gateway/src/nats/test-fixtures/nats-server.js';
import { killFixture } from './support/child.js';
import { hasBinary, pick, skipWithout, sleep, summary, waitFor } from './support/env.js';
import { startLoadedGateway } from './support/gateway-side.js';
import {
  committedIds,
  insertedCount,
  type PlatformRun,
  startPlatform,
  stopPlatform,
} from './support/platform-child.js';
import { clean, deliveryReport, NumberedLoad, orderViolations } from './support/readings.js';
import { readUplinkStream } from './support/stream.js';

const skip = skipWithout(
  hasBinary(NATS_SERVER_BIN) ? [] : [`${NATS_SERVER_BIN} not found`],
  'the platform restart test',
);

const DEVICES = 8;
const TICK_MS = 20;
/** How long the platform stays down between the kill and the new process. */
const DOWN_MS = pick(500, 30_000);

describe.skipIf(skip)('fault: platform process SIGKILLed mid-batch and restarted', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });

  it(
    'redelivers what the killed process held, idempotently: every reading stored once',
    async () => {
      const t0 = Date.now();
      const site = `fault-pl-${process.pid}`;
      const server = await startNatsServer();
      cleanups.push(() => server.dispose());
      const dir = await mkdtemp(join(tmpdir(), 'healthit-fault-platform-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const load = new NumberedLoad('pl', DEVICES, 2); // 800 readings/s
      const gateway = await startLoadedGateway({ natsUrl: server.url, site, load, tickMs: TICK_MS });
      cleanups.push(() => gateway.close());
      const env = { NATS_URL: server.url, SITE: site, STORE: 'pglite', PGLITE_DIR: join(dir, 'readings') };
      const runs: PlatformRun[] = [];
      cleanups.push(async () => {
        for (const r of runs) killFixture(r);
      });

      // A backlog first, so that the killed process has delivered, unacknowledged messages.
      await waitFor('2 000 records in the stream', () => gateway.forwarder.stats().sent >= 2_000, 30_000);
      const first = startPlatform(env);
      runs.push(first);
      await first.until((l) => l.type === 'ready', 60_000);
      const firstReadyMs = Date.now() - t0;
      await waitFor('1 000 readings committed', () => committedIds(first).length >= 1_000, 30_000);
      // Kill it right after its next commit: later batches are delivered and not acknowledged.
      const linesNow = first.lines.length;
      await first.until((l) => l.type === 'committed' && first.lines.indexOf(l) >= linesNow);
      first.child.kill('SIGKILL');
      const killedMs = Date.now() - t0;
      expect((await first.exited).signal).toBe('SIGKILL');
      const nc = await connect({ servers: server.url });
      const atKill = await (await jetstreamManager(nc)).consumers.info(
        defaultStreamName(site),
        'healthit-platform',
      );
      await nc.close();
      await sleep(DOWN_MS);

      const second = startPlatform(env);
      runs.push(second);
      await second.until((l) => l.type === 'ready', 60_000);
      const secondReadyMs = Date.now() - t0;
      await gateway.stopProducing();
      const produced = load.produced;
      await waitFor('the outbox to drain', () => gateway.outbox.stats().pending === 0, 30_000);
      await waitFor(
        'every reading committed',
        () => new Set([...committedIds(first), ...committedIds(second)]).size >= produced.length,
        30_000,
      );
      const final = await stopPlatform(second);

      const stream = await readUplinkStream(server.url, defaultStreamName(site));
      const heldAtKill = (id: string) => {
        const seq = stream.streamSeqOf.get(id) ?? 0;
        return seq > atKill.ack_floor.stream_seq && seq <= atKill.delivered.stream_seq;
      };
      const allCommitted = [...committedIds(first), ...committedIds(second)];
      const order = orderViolations(allCommitted);
      const firstIds = new Set(committedIds(first));
      const committedTwice = committedIds(second).filter((id) => firstIds.has(id)).length;
      summary('platform restart', {
        produced: produced.length,
        committedByFirst: firstIds.size,
        atKill: {
          ackPending: atKill.num_ack_pending,
          ackFloor: atKill.ack_floor.stream_seq,
          delivered: atKill.delivered.stream_seq,
        },
        committedTwice,
        committedOutOfOrder: order.count,
        insertedFirst: insertedCount(first),
        insertedSecond: insertedCount(second),
        stats: final.stats,
        firstReadyMs,
        killedMs,
        secondReadyMs,
        totalMs: Date.now() - t0,
      });

      expect(deliveryReport(produced, final.stored)).toEqual(clean(produced.length));
      // Killed mid-batch: messages were delivered to it and never acknowledged ...
      expect(atKill.num_ack_pending).toBeGreaterThan(0);
      // ... and came again to the new process, which stored nothing twice.
      expect(final.stats.redelivered).toBeGreaterThan(0);
      expect(insertedCount(first) + insertedCount(second)).toBeLessThanOrEqual(produced.length);
      expect(final.stats.poison).toBe(0);
      // Per device, committed in stream order, except the messages the killed process held: they
      // come again after ack_wait, after later ones.
      expect(order.ids.filter((id) => !heldAtKill(id))).toEqual([]);
      expect(deliveryReport(produced, stream.readingIds)).toEqual(clean(produced.length));
      expect(stream.duplicateRecords).toBe(0);
    },
    pick(90_000, 180_000),
  );
});
