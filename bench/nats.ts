/**
 * NATS JetStream uplink: records/s published and acknowledged, in `send` batches of 1000 with
 * pipelined publishes, against the server on 127.0.0.1:4222. Uses a
 * throw-away site stream, deleted afterwards. Run alone with
 * `node --conditions=@healthit/source --import tsx bench/nats.ts`.
 */
import { pathToFileURL } from 'node:url';
import { createNatsUplink, defaultStreamName } from '@healthit/gateway/nats';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { UplinkRecord } from '../packages/gateway/src/uplink/uplink.js';
import { bestRate, type Figure, printFigures } from './measure.js';

const NATS_URL = 'nats://127.0.0.1:4222';
const BATCH = 1_000;
const BATCHES = 10;
const DEVICES = 100;
const encoder = new TextEncoder();

function batch(round: number, b: number): UplinkRecord[] {
  return Array.from({ length: BATCH }, (_, i) => {
    const n = (round * BATCHES + b) * BATCH + i;
    const deviceId = `monitor-${n % DEVICES}`;
    const payload = {
      id: `${deviceId}:${n}`,
      deviceId,
      metric: 'heart-rate',
      value: 72,
      unit: '/min',
      ts: n,
      seq: n,
    };
    return {
      id: payload.id,
      kind: 'reading',
      key: deviceId,
      payload: encoder.encode(JSON.stringify(payload)),
    };
  });
}

async function rate(site: string, maxAckPendingPublishes: number, duplicates: boolean): Promise<number> {
  const uplink = await createNatsUplink({ servers: NATS_URL, site, maxAckPendingPublishes });
  try {
    let round = 0;
    const batches = Array.from({ length: BATCHES }, (_, b) => batch(0, b));
    return await bestRate(3, BATCH * BATCHES, async () => {
      const r = round++;
      for (let b = 0; b < BATCHES; b++) {
        const records = duplicates ? (batches[b] as UplinkRecord[]) : batch(r, b);
        const n = await uplink.send(records);
        if (n !== records.length) throw new Error(`only ${n} of ${records.length} acknowledged`);
      }
    });
  } finally {
    await uplink.close();
  }
}

/** Publish throughput of `createNatsUplink` (file-storage stream, 100 devices, ~150-byte readings). */
export async function benchNats(): Promise<Figure[]> {
  const site = `bench-${process.pid}-${Date.now().toString(36)}`;
  const figures: Figure[] = [];
  try {
    for (const inFlight of [1, 64, 256, 1024]) {
      figures.push({
        name: `NATS uplink send, new records (batches of ${BATCH}, ${inFlight} in flight)`,
        value: await rate(site, inFlight, false),
        unit: 'records/s',
        ...(inFlight === 256 ? { note: 'default' } : {}),
      });
    }
    figures.push({
      name: `NATS uplink send, duplicates (batches of ${BATCH}, 256 in flight)`,
      value: await rate(site, 256, true),
      unit: 'records/s',
    });
  } finally {
    const nc = await connect({ servers: NATS_URL });
    await (await jetstreamManager(nc)).streams.delete(defaultStreamName(site)).catch(() => false);
    await nc.close();
  }
  return figures;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printFigures(`NATS JetStream uplink (${NATS_URL}, file storage)`, await benchNats());
}
