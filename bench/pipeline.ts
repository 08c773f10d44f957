/**
 * The gateway's whole in-process ingest path (issue 4's figure): JSON decode → validate →
 * preprocess (canonical units, plausibility, de-duplication) → NEWS2 → 60 s windows → outbox
 * append, in readings/s — with one `reading-batch` record per device message (the device's own JSON
 * forwarded when every reading came through unchanged) and with one record per reading — into a
 * memory and a SQLite outbox, beside the ceiling measured in the same run: `JSON.parse` + zod
 * validation of the same payloads + one RxJS emission per reading. Vital values vary per reading,
 * so NEWS2 rescoring is not skipped.
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
  readingBatchRecords,
  readingRecord,
  windowStats,
} from '@healthit/gateway';
import { createSqliteOutbox } from '@healthit/gateway/outbox';
import { lastValueFrom, map, merge, mergeMap, Subject, share, toArray } from 'rxjs';
import { against, type Figure, interleavedRates } from './measure.js';
import { type Vital, vitalsMessage } from './vitals-message.js';

const DEVICES = 200;
const PER_MESSAGE = 30; // 5 s of 6 vitals at 1 Hz
const MESSAGES = 400;
const T0 = Date.UTC(2025, 0, 1);
/** A deterministic jitter in [-span, span] by sequence number, so that NEWS2 inputs keep changing. */
const jitter = (span: number) => (seq: number) => ((seq * 7919) % (2 * span + 1)) - span;
const VITALS: readonly Vital[] = [
  ['heart-rate', (seq) => 72 + jitter(4)(seq), '/min'],
  ['spo2', (seq) => 97 + jitter(1)(seq), '%'],
  ['respiratory-rate', (seq) => 16 + jitter(2)(seq), '/min'],
  ['body-temperature', (seq) => 37.1 + jitter(2)(seq) / 10, 'Cel'],
  ['bp-systolic', (seq) => 120 + jitter(5)(seq), 'mm[Hg]'],
  ['bp-diastolic', (seq) => 80 + jitter(4)(seq), 'mm[Hg]'],
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

/** How readings become outbox records: one record per message (`reading-batch`) or per reading. */
type RecordMode = 'batch' | 'reading';

async function runPipeline(
  outbox: Outbox,
  batch: ReturnType<typeof messages>,
  mode: RecordMode,
): Promise<number> {
  const transport = createInProcessTransport();
  const gw = createGateway({ transport, maxDevices: DEVICES * 2 });
  const readings$ = gw.readings$.pipe(share());
  const done = lastValueFrom(
    merge(
      readings$.pipe(news2Scores({ assume: { consciousness: 'A', onOxygen: false } })),
      readings$.pipe(windowStats({ kind: 'tumbling', sizeMs: 60_000 })),
      mode === 'batch'
        ? gw.readingBatches$.pipe(
            mergeMap(readingBatchRecords),
            appendToOutbox(outbox, { maxBatch: 100, maxWaitMs: 5 }),
          )
        : readings$.pipe(map(readingRecord), appendToOutbox(outbox, { maxBatch: 1000, maxWaitMs: 5 })),
    ).pipe(toArray()),
  );
  for (const { topic, bytes } of batch) await transport.publish(topic, bytes);
  await transport.close(); // completes the gateway's streams: windows flush, the outbox batch appends
  await done;
  const pending = outbox.peek(outbox.stats().pending);
  const last = pending.at(-1);
  if (last !== undefined) outbox.ack(last.position);
  // Readings appended: one per reading record; per batch record, its seq range (id `device:first-last`;
  // the bench's sequence numbers have no gaps).
  if (mode === 'reading') return pending.length;
  let readings = 0;
  for (const { id } of pending) {
    const [first, last] = id
      .slice(id.lastIndexOf(':') + 1)
      .split('-')
      .map(Number) as [number, number];
    readings += last - first + 1;
  }
  return readings;
}

/**
 * Readings/s through the whole gateway path into a memory and a SQLite outbox, and the ceiling,
 * measured in alternation (median of 7 rounds of 96 000 readings each; ratios per round).
 */
export async function benchPipeline(): Promise<Figure[]> {
  let round = 0;
  const all = Array.from({ length: 8 }, () => messages(round++)).flat();
  const items = all.length * PER_MESSAGE;

  const memory = createMemoryOutbox({ maxBytes: 1 << 30, whenFull: 'refuse-new' });
  const dir = mkdtempSync(join(tmpdir(), 'healthit-bench-pipeline-'));
  const sqlite = createSqliteOutbox({
    path: join(dir, 'outbox.db'),
    maxBytes: 1 << 30,
    whenFull: 'refuse-new',
  });
  const through = (outbox: Outbox, mode: RecordMode, what: string) => async () => {
    const appended = await runPipeline(outbox, all, mode);
    if (appended !== items) throw new Error(`${what} got ${appended} of ${items}`);
  };
  const r = await interleavedRates(
    7,
    items,
    // zod on each reading (z.array(Reading) measured 2.5× slower than parsing the elements one by
    // one here, so that would flatter the ratio)
    () => {
      const subject = new Subject<Reading>();
      let n = 0;
      subject.subscribe(() => {
        n++;
      });
      for (const { payload } of all) {
        for (const reading of JSON.parse(utf8Decode(payload)) as unknown[])
          subject.next(Reading.parse(reading));
      }
      if (n !== items) throw new Error('ceiling lost readings');
    },
    {
      memoryBatch: through(memory, 'batch', 'memory outbox (batch records)'),
      sqliteBatch: through(sqlite, 'batch', 'SQLite outbox (batch records)'),
      memoryReading: through(memory, 'reading', 'memory outbox (reading records)'),
      sqliteReading: through(sqlite, 'reading', 'SQLite outbox (reading records)'),
    },
  );
  sqlite.close();
  rmSync(dir, { recursive: true, force: true });

  const figure = (name: string, x: { median: number; ratio: number }): Figure => ({
    name,
    value: x.median,
    unit: 'readings/s',
    runs: 7,
    ...against(
      x.median,
      'readings/s',
      `JSON.parse + zod per reading + one RxJS emission per reading (${PER_MESSAGE} readings/message)`,
      r.ceiling.median,
      x.ratio,
    ),
  });
  return [
    figure('gateway → NEWS2 + windows → memory outbox, a record per message', r.memoryBatch),
    figure('gateway → NEWS2 + windows → SQLite outbox (WAL), a record per message', r.sqliteBatch),
    figure('gateway → NEWS2 + windows → memory outbox, a record per reading', r.memoryReading),
    figure('gateway → NEWS2 + windows → SQLite outbox (WAL), a record per reading', r.sqliteReading),
  ];
}
