/**
 * The gateway's store-and-forward outbox: SQLite (WAL, synchronous NORMAL and FULL) append rates by
 * batch size, the memory outbox, and the forwarder draining each into the in-process uplink, each
 * beside its same-run ceiling: the same rows through bare better-sqlite3 (one prepared INSERT per
 * row in one transaction per batch, the same table, pragmas and synchronous level; a SELECT + DELETE
 * per drained batch), or plain arrays for the memory outbox.
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
import Database from 'better-sqlite3';
import { against, type Figure, median, medianRate } from './measure.js';

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

/** A bare SQLite table like the outbox's, on a new file, with the same pragmas. */
function bareSqlite(path: string, synchronous: 'normal' | 'full'): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec(
    'CREATE TABLE outbox (position INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, priority INTEGER NOT NULL, payload BLOB NOT NULL)',
  );
  return db;
}

/** The append ceiling: prepared INSERTs, one transaction per batch. */
async function bareAppendRate(
  open: () => Database.Database,
  batch: number,
  total: number,
  runs: number,
): Promise<number> {
  const input = records(0, total);
  return medianRate(runs, total, () => {
    const db = open();
    const insert = db.prepare('INSERT INTO outbox (id, kind, key, priority, payload) VALUES (?, ?, ?, 0, ?)');
    const append = db.transaction((rows: readonly UplinkRecord[]) => {
      for (const r of rows) insert.run(r.id, r.kind, r.key, r.payload);
    });
    for (let i = 0; i < total; i += batch) append(input.slice(i, i + batch));
    db.close();
  });
}

/** A device message as the MQTT transport hands it to the journal (~170 B of JSON). */
function journalMessages(count: number): { topic: string; payload: Uint8Array; retained: boolean }[] {
  return records(0, count).map((r) => ({
    topic: `ward/devices/${r.key}/readings`,
    payload: r.payload,
    retained: false,
  }));
}

/**
 * The message journal: `record` per message (one commit each, as the MQTT transport does before
 * its acknowledgement), then settled 500 at a time by empty appends, as `appendToOutbox` does.
 */
async function journalRate(open: () => Outbox, total: number, runs: number): Promise<number> {
  const input = journalMessages(total);
  return medianRate(runs, total, () => {
    const outbox = open();
    const journal = outbox.journal;
    if (journal === undefined) throw new Error('bench: no journal');
    const seqs: number[] = [];
    for (const m of input) seqs.push(journal.record(m));
    for (let i = 0; i < seqs.length; i += 500) outbox.append([], { seqs: seqs.slice(i, i + 500), tags: [] });
    outbox.close();
  });
}

/** The journal's ceiling: one autocommit INSERT per message into a bare table, and batched DELETEs. */
async function bareJournalRate(path: () => string, total: number, runs: number): Promise<number> {
  const input = journalMessages(total);
  return medianRate(runs, total, () => {
    const db = new Database(path());
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(
      'CREATE TABLE j (seq INTEGER PRIMARY KEY, topic TEXT NOT NULL, payload BLOB NOT NULL, retained INTEGER NOT NULL)',
    );
    const insert = db.prepare('INSERT INTO j VALUES (?, ?, ?, 0)');
    const remove = db.prepare('DELETE FROM j WHERE seq > ? AND seq <= ?');
    let seq = 0;
    for (const m of input) insert.run(++seq, m.topic, m.payload);
    for (let i = 0; i < seq; i += 500) remove.run(i, i + 500);
    db.close();
  });
}

/** The drain ceiling: the filled table read and deleted 1 000 rows at a time into an array. */
async function bareDrainRate(open: () => Database.Database, total: number, runs: number): Promise<number> {
  const input = records(0, total);
  return medianRate(runs, total, () => {
    const db = open();
    const insert = db.prepare('INSERT INTO outbox (id, kind, key, priority, payload) VALUES (?, ?, ?, 0, ?)');
    db.transaction(() => {
      for (const r of input) insert.run(r.id, r.kind, r.key, r.payload);
    })();
    const peek = db.prepare(
      'SELECT position, id, kind, key, payload FROM outbox ORDER BY position LIMIT 1000',
    );
    const remove = db.prepare('DELETE FROM outbox WHERE position <= ?');
    const sent: unknown[] = [];
    for (;;) {
      const rows = peek.all() as { position: number }[];
      if (rows.length === 0) break;
      for (const row of rows) sent.push(row);
      remove.run((rows[rows.length - 1] as { position: number }).position);
    }
    if (sent.length !== total) throw new Error('bench: bare drain lost rows');
    db.close();
  });
}

/** Appends `total` records in batches of `batch` and returns the median rate over `runs` runs. */
async function appendRate(open: () => Outbox, batch: number, total: number, runs: number): Promise<number> {
  const input = records(0, total);
  const batches: UplinkRecord[][] = [];
  for (let i = 0; i < total; i += batch) batches.push(input.slice(i, i + batch));
  return medianRate(runs, total, () => {
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
  const rates: number[] = [];
  for (let run = 0; run <= Math.max(3, runs); run++) {
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
    if (run > 0) rates.push(total / seconds);
  }
  return median(rates);
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
    const bare =
      (synchronous: 'normal' | 'full' = 'normal') =>
      () =>
        bareSqlite(join(dir, `bare-${file++}.db`), synchronous);
    const sqliteCeiling = (sync: string) =>
      `bare better-sqlite3: prepared INSERT per row, one transaction per batch (synchronous ${sync})`;
    const figures: Figure[] = [];
    for (const [batch, total] of [
      [1, 2_000],
      [100, 100_000],
      [1000, 200_000],
    ] as const) {
      const value = await appendRate(sqlite(), batch, total, 5);
      figures.push({
        name: `SQLite outbox append, batches of ${batch} (WAL, synchronous NORMAL)`,
        value,
        unit: 'records/s',
        note: `${total.toLocaleString('en-US')} records, ~170 B payload`,
        ...against(
          value,
          'records/s',
          sqliteCeiling('NORMAL'),
          await bareAppendRate(bare(), batch, total, 5),
        ),
      });
    }
    const journaled = () =>
      createSqliteOutbox({
        path: join(dir, `outbox-${file++}.db`),
        maxBytes: 2 ** 30,
        whenFull: 'refuse-new',
        journal: { maxBytes: 2 ** 30 },
      });
    const journal = await journalRate(journaled, 20_000, 5);
    figures.push({
      name: 'message journal: record per message, settle 500 per append (WAL, synchronous NORMAL)',
      value: journal,
      unit: 'messages/s',
      note: 'one commit per message: what the MQTT transport adds before its acknowledgement',
      ...against(
        journal,
        'messages/s',
        'bare better-sqlite3: one autocommit INSERT per message, a DELETE per 500',
        await bareJournalRate(() => join(dir, `bare-${file++}.db`), 20_000, 5),
      ),
    });
    const full1000 = await appendRate(sqlite('full'), 1000, 50_000, 3);
    const full1 = await appendRate(sqlite('full'), 1, 200, 3);
    const memoryAppend = await appendRate(memory, 1000, 500_000, 5);
    const memoryInput = records(0, 500_000);
    const bareMemory = await medianRate(5, 500_000, () => {
      const queue: UplinkRecord[] = [];
      for (let i = 0; i < memoryInput.length; i += 1000) {
        const chunk = memoryInput.slice(i, i + 1000);
        for (const r of chunk) queue.push(r);
      }
    });
    const drainSqlite = await drainRate(sqlite(), 100_000, 1000, 3);
    const drainMemory = await drainRate(memory, 500_000, 1000, 3);
    const bareMemoryDrain = await medianRate(5, 500_000, () => {
      const queue = memoryInput.slice();
      const sent: UplinkRecord[] = [];
      for (let at = 0; at < queue.length; at += 1000)
        for (const r of queue.slice(at, at + 1000)) sent.push(r);
    });
    figures.push(
      {
        name: 'SQLite outbox append, batches of 1000 (synchronous FULL)',
        value: full1000,
        unit: 'records/s',
        ...against(
          full1000,
          'records/s',
          sqliteCeiling('FULL'),
          await bareAppendRate(bare('full'), 1000, 50_000, 3),
        ),
      },
      {
        name: 'SQLite outbox append, batches of 1 (synchronous FULL)',
        value: full1,
        unit: 'records/s',
        note: 'one fsync per call',
        ...against(full1, 'records/s', sqliteCeiling('FULL'), await bareAppendRate(bare('full'), 1, 200, 3)),
      },
      {
        name: 'memory outbox append, batches of 1000',
        value: memoryAppend,
        unit: 'records/s',
        ...against(memoryAppend, 'records/s', 'Array.push of the same records, 1 000 at a time', bareMemory),
      },
      {
        name: 'forwarder drain, SQLite → in-process uplink (batch 1000)',
        value: drainSqlite,
        unit: 'records/s',
        note: 'peek + send + ack per batch',
        ...against(
          drainSqlite,
          'records/s',
          'bare better-sqlite3: SELECT 1 000 + DELETE per batch into an array',
          await bareDrainRate(bare(), 100_000, 3),
        ),
      },
      {
        name: 'forwarder drain, memory → in-process uplink (batch 1000)',
        value: drainMemory,
        unit: 'records/s',
        ...against(drainMemory, 'records/s', 'slices of 1 000 copied into an array', bareMemoryDrain),
      },
    );
    return figures;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
