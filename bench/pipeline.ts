/**
 * The gateway's whole in-process ingest path (issue 4's figure): JSON decode → validate →
 * preprocess (canonical units, plausibility, de-duplication) → NEWS2 → 60 s windows → outbox
 * append (readings as uplink records, batched), in readings/s, beside the ceiling measured in the
 * same run: `JSON.parse` + zod validation of the same payloads + one RxJS emission per reading.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInProcessTransport, Reading, utf8Decode } from '@healthit/core';
import {
  appendToOutbox,
  createGateway,
  createMemoryOutbox,
  news2Scores,
  type Outbox,
  readingRecord,
  windowStats,
} from '@healthit/gateway';
import { createSqliteOutbox } from '@healthit/gateway/outbox';
import { lastValueFrom, map, merge, Subject, share, toArray } from 'rxjs';
import { z } from 'zod';
import { bestRate, type Figure } from './measure.js';
import { type Vital, vitalsMessage } from './vitals-message.js';

const DEVICES = 200;
const PER_MESSAGE = 30; // 5 s of 6 vitals at 1 Hz
const MESSAGES = 400;
const T0 = Date.UTC(2025, 0, 1);
const VITALS: readonly Vital[] = [
  ['heart-rate', 72, '/min'],
  ['spo2', 97, '%'],
  ['respiratory-rate', 16, '/min'],
  ['body-temperature', 37.1, 'Cel'],
  ['bp-systolic', 120, 'mm[Hg]'],
  ['bp-diastolic', 80, 'mm[Hg]'],
];

function messages(round: number): ReturnType<typeof vitalsMessage>[] {
  return Array.from({ length: MESSAGES }, (_, m) =>
    vitalsMessage(
      `monitor-${m % DEVICES}`,
      `patient-${m % DEVICES}`,
      (round * MESSAGES + m) * PER_MESSAGE,
      PER_MESSAGE,
      VITALS,
      (seq) => T0 + seq * 167,
    ),
  );
}

async function runPipeline(outbox: Outbox, batch: ReturnType<typeof messages>): Promise<number> {
  const transport = createInProcessTransport();
  const gw = createGateway({ transport, maxDevices: DEVICES * 2 });
  const readings$ = gw.readings$.pipe(share());
  const done = lastValueFrom(
    merge(
      readings$.pipe(news2Scores({ assume: { consciousness: 'A', onOxygen: false } })),
      readings$.pipe(windowStats({ kind: 'tumbling', sizeMs: 60_000 })),
      readings$.pipe(map(readingRecord), appendToOutbox(outbox, { maxBatch: 1000, maxWaitMs: 5 })),
    ).pipe(toArray()),
  );
  for (const { topic, bytes } of batch) await transport.publish(topic, bytes);
  await transport.close(); // completes the gateway's streams: windows flush, the outbox batch appends
  await done;
  const pending = outbox.stats().pending;
  const last = outbox.peek(pending).at(-1);
  if (last !== undefined) outbox.ack(last.position);
  return pending;
}

/** Readings/s through the whole gateway path into a memory and a SQLite outbox, and the ceiling. */
export async function benchPipeline(): Promise<Figure[]> {
  const items = MESSAGES * PER_MESSAGE;
  let round = 0;
  const prepared = Array.from({ length: 8 }, () => messages(round++));

  const schema = z.array(Reading);
  let c = 0;
  const ceiling = await bestRate(5, items, () => {
    const subject = new Subject<Reading>();
    let n = 0;
    subject.subscribe(() => {
      n++;
    });
    for (const { payload } of prepared[c++ % prepared.length]!) {
      for (const r of schema.parse(JSON.parse(utf8Decode(payload)))) subject.next(r);
    }
    if (n !== items) throw new Error('ceiling lost readings');
  });

  const memory = createMemoryOutbox({ maxBytes: 1 << 30, whenFull: 'refuse-new' });
  let r = 0;
  const memoryRate = await bestRate(5, items, async () => {
    const appended = await runPipeline(memory, prepared[r++ % prepared.length]!);
    if (appended !== items) throw new Error(`memory outbox got ${appended} of ${items}`);
  });

  const dir = mkdtempSync(join(tmpdir(), 'healthit-bench-pipeline-'));
  const sqlite = createSqliteOutbox({
    path: join(dir, 'outbox.db'),
    maxBytes: 1 << 30,
    whenFull: 'refuse-new',
  });
  let s = 0;
  const sqliteRate = await bestRate(5, items, async () => {
    const appended = await runPipeline(sqlite, prepared[s++ % prepared.length]!);
    if (appended !== items) throw new Error(`SQLite outbox got ${appended} of ${items}`);
  });
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });

  const pct = (v: number) => `${Math.round((100 * v) / ceiling)} % of ceiling`;
  return [
    {
      name: `ceiling: JSON.parse + zod + RxJS (${PER_MESSAGE} readings/message)`,
      value: ceiling,
      unit: 'readings/s',
    },
    {
      name: 'gateway → NEWS2 + windows → memory outbox',
      value: memoryRate,
      unit: 'readings/s',
      note: pct(memoryRate),
    },
    {
      name: 'gateway → NEWS2 + windows → SQLite outbox (WAL)',
      value: sqliteRate,
      unit: 'readings/s',
      note: pct(sqliteRate),
    },
  ];
}
