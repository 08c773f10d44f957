import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { defaultStreamName } from './index.js';
import { type ChildNatsServer, NATS_SERVER_BIN, startNatsServer } from './test-fixtures/nats-server.js';
import { readStream } from './test-fixtures/stream-reader.js';

const hasBinary = NATS_SERVER_BIN.startsWith('/') ? existsSync(NATS_SERVER_BIN) : true;
const skip = !hasBinary && !process.env.CI;
if (skip) console.warn(`Skipping the NATS end-to-end tests: ${NATS_SERVER_BIN} not found.`);

const HERE = dirname(fileURLToPath(import.meta.url));
const CHILD = join(HERE, 'test-fixtures', 'gateway-child.ts');
const ROOT = join(HERE, '..', '..', '..', '..');
const TOTAL = 2_000;
const DEVICES = 7;

interface Progress {
  readonly appended: number;
  readonly acknowledged: number;
  readonly done?: boolean;
}

/** The gateway child process: resolves `until` once a progress line satisfies the predicate. */
function startGateway(env: Record<string, string>): {
  child: ChildProcess;
  until(predicate: (p: Progress) => boolean, timeoutMs?: number): Promise<Progress>;
  exited: Promise<number | null>;
} {
  // tsx as a loader of this node (`npx tsx` would add a second process and seconds of start-up).
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@healthit/source', CHILD], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    if (stderr.length < 20_000) stderr += c;
  });
  const waiters = new Set<{ predicate: (p: Progress) => boolean; resolve: (p: Progress) => void }>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const p = JSON.parse(line) as Progress;
    for (const w of [...waiters]) {
      if (w.predicate(p)) {
        waiters.delete(w);
        w.resolve(p);
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    until(predicate, timeoutMs = 15_000) {
      return new Promise<Progress>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`gateway child: no matching progress\n${stderr}`)),
          timeoutMs,
        );
        void exited.then((code) =>
          setTimeout(() => reject(new Error(`gateway child exited (${code}) first\n${stderr}`)), 100),
        );
        waiters.add({
          predicate,
          resolve: (p) => {
            clearTimeout(timer);
            resolve(p);
          },
        });
      });
    },
  };
}

/** Asserts the stream holds reading 0 … TOTAL-1 exactly once each, in order per device. */
async function expectEveryReadingOnceInOrder(server: ChildNatsServer, site: string): Promise<void> {
  const nc = await connect({ servers: server.url });
  try {
    const stored = await readStream(nc, defaultStreamName(site));
    const ids = stored.map((m) => m.msgId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(TOTAL);
    for (let d = 0; d < DEVICES; d++) {
      const device = `dev-${d}`;
      const seqs = stored
        .filter((m) => m.subject === `healthit.${site}.reading.${device}`)
        .map((m) => (JSON.parse(m.payload) as { seq: number }).seq);
      expect(seqs).toEqual(Array.from({ length: Math.ceil((TOTAL - d) / DEVICES) }, (_, i) => i));
    }
  } finally {
    await nc.close();
  }
}

/** A nats-server child, a temporary outbox directory and the gateway children, cleaned up after the test. */
async function setUp(onFinished: (fn: () => Promise<void>) => void, site: string) {
  const server = await startNatsServer();
  const dir = await mkdtemp(join(tmpdir(), 'healthit-e2e-'));
  const children: ChildProcess[] = [];
  onFinished(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await server.dispose();
    await rm(dir, { recursive: true, force: true });
  });
  const env = {
    NATS_URL: server.url,
    SITE: site,
    OUTBOX_PATH: join(dir, 'outbox.db'),
    TOTAL: String(TOTAL),
    DEVICES: String(DEVICES),
  };
  return {
    server,
    gateway() {
      const g = startGateway(env);
      children.push(g.child);
      return g;
    },
  };
}

// The two scenarios run side by side: each has its own server, outbox and gateway processes.
describe
  .skipIf(skip)
  .concurrent('SQLite outbox → forwarder → NATS uplink, across process kills (child processes)', () => {
    it('loses nothing when the gateway is SIGKILLed mid-stream and restarted', async ({ onTestFinished }) => {
      const { server, gateway } = await setUp(onTestFinished, 'e2e-kill');
      const first = gateway();
      const before = await first.until((p) => p.appended >= 600 && p.acknowledged > 0);
      first.child.kill('SIGKILL');
      await first.exited;
      expect(before.appended).toBeLessThan(TOTAL); // killed mid-stream

      const second = gateway();
      const resumed = await second.until(() => true);
      expect(resumed.appended).toBeGreaterThanOrEqual(before.appended); // the outbox kept every append
      await second.until((p) => p.done === true);
      expect(await second.exited).toBe(0);
      await expectEveryReadingOnceInOrder(server, 'e2e-kill');
    });

    it('loses nothing when nats-server stops during forwarding and comes back', async ({
      onTestFinished,
    }) => {
      const { server, gateway } = await setUp(onTestFinished, 'e2e-outage');
      const g = gateway();
      await g.until((p) => p.appended >= 500 && p.acknowledged > 0);
      await server.stop('SIGTERM');
      const during = await g.until((p) => p.appended >= 1_000);
      await server.start();
      expect(during.appended - during.acknowledged).toBeGreaterThan(0); // the outbox held them
      await g.until((p) => p.done === true);
      expect(await g.exited).toBe(0);
      await expectEveryReadingOnceInOrder(server, 'e2e-outage');
    });
  });
