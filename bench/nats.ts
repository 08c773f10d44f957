/**
 * NATS JetStream uplink: records/s published and acknowledged, in `send` batches of 1000 with
 * pipelined publishes, against the server on 127.0.0.1:4222. Uses a
 * throw-away site stream, deleted afterwards. Each figure is beside its same-run ceiling: the same
 * payloads published with bare `@nats-io/jetstream` `publish` (a `Nats-Msg-Id` each, the same
 * number in flight, a file-storage stream of its own) and every acknowledgement awaited. Run alone with
 * `node --conditions=@healthit/source --import tsx bench/nats.ts`.
 */
import { pathToFileURL } from 'node:url';
import { createNatsUplink, defaultStreamName } from '@healthit/gateway/nats';
import { jetstream, jetstreamManager, StorageType } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { UplinkRecord } from '../packages/gateway/src/uplink/uplink.js';
import { against, type Figure, medianRate, printFigures } from './measure.js';

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
    return await medianRate(3, BATCH * BATCHES, async () => {
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

/** The ceiling: bare JetStream publishes of the same payloads, `inFlight` at a time. */
async function rawRate(stream: string, inFlight: number, duplicates: boolean): Promise<number> {
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: StorageType.File });
  const js = jetstream(nc);
  try {
    let round = 0;
    const batches = Array.from({ length: BATCHES }, (_, b) => batch(0, b));
    return await medianRate(3, BATCH * BATCHES, async () => {
      const r = round++;
      for (let b = 0; b < BATCHES; b++) {
        const records = duplicates ? (batches[b] as UplinkRecord[]) : batch(r, b);
        let next = 0;
        const worker = async (): Promise<void> => {
          while (next < records.length) {
            const rec = records[next++] as UplinkRecord;
            await js.publish(`${stream}.${rec.key}`, rec.payload, { msgID: rec.id });
          }
        };
        await Promise.all(Array.from({ length: Math.min(inFlight, records.length) }, worker));
      }
    });
  } finally {
    await jsm.streams.delete(stream).catch(() => false);
    await nc.close();
  }
}

/** Publish throughput of `createNatsUplink` (file-storage stream, 100 devices, ~150-byte readings). */
export async function benchNats(): Promise<Figure[]> {
  const site = `bench-${process.pid}-${Date.now().toString(36)}`;
  const figures: Figure[] = [];
  try {
    const raw = `BENCH_RAW_${process.pid}`;
    const ceilingName = (inFlight: number) =>
      `bare JetStream publish with Nats-Msg-Id, ${inFlight} in flight, same payloads`;
    for (const inFlight of [1, 64, 256, 1024]) {
      const value = await rate(site, inFlight, false);
      figures.push({
        name: `NATS uplink send, new records (batches of ${BATCH}, ${inFlight} in flight)`,
        value,
        unit: 'records/s',
        ...(inFlight === 256 ? { note: 'default' } : {}),
        ...against(
          value,
          'records/s',
          ceilingName(inFlight),
          await rawRate(`${raw}_${inFlight}`, inFlight, false),
        ),
      });
    }
    const dup = await rate(site, 256, true);
    figures.push({
      name: `NATS uplink send, duplicates (batches of ${BATCH}, 256 in flight)`,
      value: dup,
      unit: 'records/s',
      ...against(dup, 'records/s', ceilingName(256), await rawRate(`${raw}_DUP`, 256, true)),
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
