/**
 * How the gateway's cost grows with load: CPU time per reading through the in-process ingest path
 * (acquisition → NEWS2 → 60 s windows → memory outbox) as the number of devices grows (100 → 10 000
 * at the same total readings) and as the offered rate grows (1 000 → 50 000 readings/s, paced in
 * 10 ms ticks). Flat is the goal: each figure's "ceiling" is the same cost at the smallest load,
 * measured in the same run, so a ratio near 1 means the cost per reading did not grow.
 *
 * `node --conditions=@healthit/source --import tsx bench/growth.ts` runs this file alone.
 */
import { pathToFileURL } from 'node:url';
import { createInProcessTransport, type Transport } from '@healthit/core';
import {
  appendToOutbox,
  createGateway,
  createMemoryOutbox,
  news2Scores,
  readingBatchRecords,
  windowStats,
} from '@healthit/gateway';
import { lastValueFrom, merge, mergeMap, share, toArray } from 'rxjs';
import { against, type Figure, median, printFigures } from './measure.js';
import { type Vital, vitalsMessage } from './vitals-message.js';

const PER_MESSAGE = 6; // one set of six vitals per message, as a monitor sends each second
const T0 = Date.UTC(2025, 0, 1);
const VITALS: readonly Vital[] = [
  ['heart-rate', (seq) => 72 + (seq % 9) - 4, '/min'],
  ['spo2', (seq) => 96 + (seq % 3), '%'],
  ['respiratory-rate', (seq) => 15 + (seq % 5), '/min'],
  ['body-temperature', (seq) => 36.8 + (seq % 5) / 10, 'Cel'],
  ['bp-systolic', (seq) => 118 + (seq % 11), 'mm[Hg]'],
  ['bp-diastolic', (seq) => 78 + (seq % 9), 'mm[Hg]'],
];

type Message = ReturnType<typeof vitalsMessage>;

/** `seconds` seconds of 1 Hz messages from `devices` monitors, in time order. */
function fleetMessages(devices: number, seconds: number): Message[] {
  const out: Message[] = [];
  for (let s = 0; s < seconds; s++) {
    for (let d = 0; d < devices; d++) {
      out.push(
        vitalsMessage(
          `monitor-${d}`,
          `patient-${d}`,
          s * PER_MESSAGE,
          PER_MESSAGE,
          VITALS,
          () => T0 + s * 1000,
        ),
      );
    }
  }
  return out;
}

/** The gateway's ingest path over `transport`; resolves with the readings it appended once the transport closes. */
function startPath(transport: Transport, devices: number): Promise<number> {
  const gw = createGateway({ transport, maxDevices: devices * 2 });
  const outbox = createMemoryOutbox({ maxBytes: 1 << 30, whenFull: 'refuse-new' });
  const readings$ = gw.readings$.pipe(share());
  let readings = 0;
  readings$.subscribe(() => {
    readings++;
  });
  return lastValueFrom(
    merge(
      readings$.pipe(news2Scores({ assume: { consciousness: 'A', onOxygen: false } })),
      readings$.pipe(windowStats({ kind: 'tumbling', sizeMs: 60_000 })),
      gw.readingBatches$.pipe(
        mergeMap(readingBatchRecords),
        appendToOutbox(outbox, { maxBatch: 100, maxWaitMs: 5 }),
      ),
    ).pipe(toArray()),
  ).then(() => readings);
}

/**
 * CPU µs per reading of the path over `messages`, all published at once. The first second (one
 * message per device: the per-device state is created then) is published before the clock starts,
 * so the figure is the steady state.
 */
async function cpuPerReading(devices: number, messages: readonly Message[]): Promise<number> {
  const transport = createInProcessTransport();
  const done = startPath(transport, devices);
  for (const { topic, bytes } of messages.slice(0, devices)) await transport.publish(topic, bytes);
  const c0 = process.cpuUsage();
  for (const { topic, bytes } of messages.slice(devices)) await transport.publish(topic, bytes);
  await transport.close();
  const readings = await done;
  const c = process.cpuUsage(c0);
  if (readings !== messages.length * PER_MESSAGE) throw new Error(`growth: ${readings} readings stored`);
  return (c.user + c.system) / (readings - devices * PER_MESSAGE);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** CPU µs per reading at `rate` readings/s offered in 10 ms ticks for `seconds`, from 1 000 devices. */
async function cpuAtRate(rate: number, seconds: number): Promise<{ perReading: number; achieved: number }> {
  const devices = 1_000;
  const all = fleetMessages(devices, Math.ceil((rate * seconds) / PER_MESSAGE / devices));
  const total = Math.floor((rate * seconds) / PER_MESSAGE);
  const transport = createInProcessTransport();
  const done = startPath(transport, devices);
  const perTick = (rate / PER_MESSAGE) * 0.01;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let sent = 0;
  for (let tick = 1; sent < total; tick++) {
    const due = Math.min(total, Math.round(tick * perTick));
    for (; sent < due; sent++) {
      const m = all[sent] as Message;
      await transport.publish(m.topic, m.bytes);
    }
    const wait = t0 + tick * 10 - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await transport.close();
  const readings = await done;
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { perReading: (c.user + c.system) / readings, achieved: readings / wall };
}

export async function benchGrowth(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const TOTAL_MESSAGES = 60_000; // 360 000 readings whatever the number of devices
  const byDevices = new Map<number, number[]>();
  const DEVICE_COUNTS = [100, 1_000, 10_000];
  const batches = new Map(DEVICE_COUNTS.map((d) => [d, fleetMessages(d, TOTAL_MESSAGES / d)]));
  for (let round = 0; round <= 3; round++) {
    for (const d of DEVICE_COUNTS) {
      const us = await cpuPerReading(d, batches.get(d) as Message[]);
      if (round > 0) byDevices.set(d, [...(byDevices.get(d) ?? []), us]);
    }
  }
  const base = median(byDevices.get(100) ?? []);
  for (const d of DEVICE_COUNTS) {
    const us = median(byDevices.get(d) ?? []);
    figures.push({
      name: `CPU per reading, ${d.toLocaleString('en-US')} devices (360 000 readings, all at once, after each device's first)`,
      value: us,
      unit: 'µs/reading',
      runs: 3,
      ...against(us, 'µs/reading', 'the same with 100 devices, same rounds', base),
    });
  }
  const rates = [1_000, 10_000, 50_000];
  const atRate = new Map<number, { perReading: number[]; achieved: number[] }>();
  for (let round = 0; round <= 2; round++) {
    for (const rate of rates) {
      const r = await cpuAtRate(rate, 3);
      if (round === 0) continue;
      const entry = atRate.get(rate) ?? { perReading: [], achieved: [] };
      entry.perReading.push(r.perReading);
      entry.achieved.push(r.achieved);
      atRate.set(rate, entry);
    }
  }
  const slowest = median(atRate.get(1_000)?.perReading ?? []);
  for (const rate of rates) {
    const entry = atRate.get(rate) as { perReading: number[]; achieved: number[] };
    const us = median(entry.perReading);
    figures.push({
      name: `CPU per reading at ${rate.toLocaleString('en-US')} readings/s offered (1 000 devices, 3 s)`,
      value: us,
      unit: 'µs/reading',
      runs: 2,
      note: `achieved ${Math.round(median(entry.achieved)).toLocaleString('en-US')} readings/s`,
      ...against(us, 'µs/reading', 'the same at 1 000 readings/s, same rounds', slowest),
    });
  }
  return figures;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printFigures('Growth: gateway cost per reading by devices and by rate', await benchGrowth());
}
