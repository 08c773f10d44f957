/**
 * The gateway's store-and-forward outbox: SQLite (WAL, synchronous NORMAL and FULL) append rates by
 * batch size, the memory outbox, and the forwarder draining each into the in-process uplink.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createForwarder,
  createInProcessUplink,
  createMemoryOutbox,
  type Outbox,
  type UplinkRecord,
} from '@healthit/gateway';
import { createSqliteOutbox } from '@healthit/gateway/outbox';
import { bestRate, type Figure } from './measure.js';

const encoder = new TextEncoder();
const DEVICES = 200;

/** `count` readings with a realistic JSON payload (~170 bytes), numbered from `from`. */
function records(from: number, count: number): UplinkRecord[] {
  const out: UplinkRecord[] = [];
  for (let n = from; n < from + count; n++) {
    const deviceId = `monitor-${n % DEVICES}`;
    const payload = encoder.encode(
      JSON.stringify({
        id: `${deviceId}:${n}`,
        deviceId,
        patientId: `patient-${n % DEVICES}`,
        metric: 'heart-rate',
        value: 60 + (n % 40),
        unit: '/min',
        ts: 1_735_689_600_000 + n * 1000,
        seq: n,
        quality: 'good',
      }),
    );
    out.push({ id: `${deviceId}:${n}`, kind: 'reading', key: deviceId, payload });
  }
  return out;
}

/** Appends `total` records in batches of `batch` and returns the best rate over `runs` runs. */
async function appendRate(open: () => Outbox, batch: number, total: number, runs: number): Promise<number> {
  const input = records(0, total);
  const batches: UplinkRecord[][] = [];
  for (let i = 0; i < total; i += batch) batches.push(input.slice(i, i + batch));
  return bestRate(runs, total, () => {
    const outbox = open();
    for (const b of batches) outbox.append(b);
    outbox.close();
  });
}

/** Fills an outbox with `total` records and times a forwarder draining it into the in-process uplink. */
async function drainRate(
  open: () => Outbox,
  total: number,
  batchSize: number,
  runs: number,
): Promise<number> {
  const input = records(0, total);
  let best = 0;
  for (let run = 0; run <= runs; run++) {
    const outbox = open();
    for (let i = 0; i < total; i += 1000) outbox.append(input.slice(i, i + 1000));
    const uplink = createInProcessUplink();
    let received = 0;
    uplink.received$.subscribe(() => {
      received++;
    });
    const forwarder = createForwarder({ outbox, uplink, batchSize, pollMs: 1 });
    const t0 = performance.now();
    const drained = new Promise<void>((resolve) => {
      forwarder.events$.subscribe(() => {
        if (outbox.stats().pending === 0) resolve();
      });
    });
    forwarder.start();
    await drained;
    const seconds = (performance.now() - t0) / 1000;
    await forwarder.stop();
    await uplink.close();
    outbox.close();
    if (received !== total) throw new Error(`forwarder bench delivered ${received} of ${total}`);
    if (run > 0) best = Math.max(best, total / seconds);
  }
  return best;
}

/** Outbox append and forwarder drain rates, in records/s. */
export async function benchOutbox(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'healthit-bench-outbox-'));
  let file = 0;
  const sqlite =
    (synchronous: 'normal' | 'full' = 'normal') =>
    () =>
      createSqliteOutbox({
        path: join(dir, `outbox-${file++}.db`),
        maxBytes: 2 ** 30,
        whenFull: 'refuse-new',
        synchronous,
      });
  const memory = () => createMemoryOutbox({ maxBytes: 2 ** 30, whenFull: 'refuse-new' });
  try {
    const figures: Figure[] = [];
    for (const [batch, total] of [
      [1, 2_000],
      [100, 100_000],
      [1000, 200_000],
    ] as const) {
      figures.push({
        name: `SQLite outbox append, batches of ${batch} (WAL, synchronous NORMAL)`,
        value: await appendRate(sqlite(), batch, total, 3),
        unit: 'records/s',
        note: `${total.toLocaleString('en-US')} records, ~170 B payload`,
      });
    }
    figures.push(
      {
        name: 'SQLite outbox append, batches of 1000 (synchronous FULL)',
        value: await appendRate(sqlite('full'), 1000, 50_000, 3),
        unit: 'records/s',
      },
      {
        name: 'SQLite outbox append, batches of 1 (synchronous FULL)',
        value: await appendRate(sqlite('full'), 1, 200, 2),
        unit: 'records/s',
        note: 'one fsync per call',
      },
      {
        name: 'memory outbox append, batches of 1000',
        value: await appendRate(memory, 1000, 500_000, 5),
        unit: 'records/s',
      },
      {
        name: 'forwarder drain, SQLite → in-process uplink (batch 1000)',
        value: await drainRate(sqlite(), 100_000, 1000, 2),
        unit: 'records/s',
        note: 'peek + send + ack per batch',
      },
      {
        name: 'forwarder drain, memory → in-process uplink (batch 1000)',
        value: await drainRate(memory, 500_000, 1000, 3),
        unit: 'records/s',
      },
    );
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
