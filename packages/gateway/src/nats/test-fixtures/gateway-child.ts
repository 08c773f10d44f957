/**
 * Test fixture (run with `node --import tsx --conditions=@healthit/source`, or `npx tsx` with that flag): a minimal gateway process that
 * appends numbered readings to a SQLite outbox and forwards them to NATS JetStream, resuming after
 * a kill from what the outbox stored.
 *
 * Environment: `NATS_URL`, `SITE`, `OUTBOX_PATH`, `TOTAL` (readings in all), `DEVICES`.
 * Prints one JSON line per step on stdout: `{"appended":n,"acknowledged":m}`, then `{"done":true}`.
 */
import { utf8Encode } from '@healthit/core';
import { createSqliteOutbox } from '../../outbox/index.js';
import { createForwarder } from '../../uplink/forwarder.js';
import type { UplinkRecord } from '../../uplink/uplink.js';
import { createNatsUplink } from '../index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`gateway-child needs ${name}`);
  return value;
};
const total = Number(env('TOTAL'));
const devices = Number(env('DEVICES'));
const BATCH = 10;

/** Reading `n` overall: device `n % devices`, its own sequence `floor(n / devices)`. */
function reading(n: number): UplinkRecord {
  const device = `dev-${n % devices}`;
  const seq = Math.floor(n / devices);
  return {
    id: `${device}:${seq}`,
    kind: 'reading',
    key: device,
    payload: utf8Encode(
      JSON.stringify({ deviceId: device, seq, n, metric: 'heart-rate', value: 60 + (n % 40) }),
    ),
  };
}

const outbox = createSqliteOutbox({
  path: env('OUTBOX_PATH'),
  maxBytes: 64 * 2 ** 20,
  whenFull: 'refuse-new',
});
const uplink = await createNatsUplink({
  servers: env('NATS_URL'),
  site: env('SITE'),
  publishTimeoutMs: 1_000,
  connectOptions: { reconnectTimeWait: 100, reconnectJitter: 0 },
});
const forwarder = createForwarder({
  outbox,
  uplink,
  batchSize: 200,
  pollMs: 5,
  retry: { initialMs: 20, maxMs: 200 },
});
forwarder.start();

const report = (extra: Record<string, unknown> = {}): void => {
  const s = outbox.stats();
  process.stdout.write(
    `${JSON.stringify({ appended: s.appended, acknowledged: s.acknowledged, ...extra })}\n`,
  );
};

// Resume numbering after what the outbox stored before a kill (appends are durable on return).
let next = outbox.stats().appended;
report({ started: true });
while (next < total) {
  const batch: UplinkRecord[] = [];
  for (let i = 0; i < BATCH && next + i < total; i++) batch.push(reading(next + i));
  const { accepted } = outbox.append(batch);
  if (accepted !== batch.length) throw new Error(`outbox refused records: ${accepted} of ${batch.length}`);
  next += batch.length;
  forwarder.wake();
  report();
  await new Promise((resolve) => setTimeout(resolve, 2));
}
while (outbox.stats().pending > 0) {
  await new Promise((resolve) => setTimeout(resolve, 10));
}
await forwarder.stop();
await uplink.close();
report({ done: true });
outbox.close();
