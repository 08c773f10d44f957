import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHealthItError } from '@healthit/core';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryOutbox } from '../uplink/memory-outbox.js';
import type { Outbox, OutboxAppendResult } from '../uplink/outbox.js';
import { alertRec, describeOutboxConformance } from '../uplink/outbox-conformance.js';
import type { OutboxBounds } from '../uplink/outbox-policy.js';
import type { UplinkRecord } from '../uplink/uplink.js';
import { createSqliteOutbox, SQLITE_OUTBOX_SCHEMA_VERSION } from './sqlite-outbox.js';

const dirs: string[] = [];
function tempFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'healthit-outbox-'));
  dirs.push(dir);
  return join(dir, 'outbox.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describeOutboxConformance(
  'SQLite outbox',
  (bounds) => {
    const dir = mkdtempSync(join(tmpdir(), 'healthit-outbox-'));
    const path = join(dir, 'outbox.db');
    let open: Outbox | undefined;
    return {
      open: () => {
        open = createSqliteOutbox({ path, ...bounds });
        return open;
      },
      dispose: () => {
        open?.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { durable: true },
);

const payload = new Uint8Array(16);

describe('createSqliteOutbox', () => {
  it('uses WAL with synchronous NORMAL by default and FULL on request', () => {
    const path = tempFile();
    const outbox = createSqliteOutbox({ path, maxBytes: 1 << 20, whenFull: 'refuse-new' });
    outbox.append([{ id: 'r0', kind: 'reading', key: 'd', payload }]);
    const probe = new Database(path, { readonly: true });
    expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(probe.prepare('SELECT version FROM outbox_schema').pluck().get()).toBe(
      SQLITE_OUTBOX_SCHEMA_VERSION,
    );
    probe.close();
    outbox.close();
    const full = createSqliteOutbox({ path, maxBytes: 1 << 20, whenFull: 'refuse-new', synchronous: 'full' });
    expect(full.peek(10).map((e) => e.id)).toEqual(['r0']);
    full.close();
    expect(() =>
      createSqliteOutbox({ path, maxBytes: 1, whenFull: 'refuse-new', synchronous: 'off' as never }),
    ).toThrow(TypeError);
  });

  it('refuses a file written with another schema version (config/invalid), leaving it untouched', () => {
    const path = tempFile();
    createSqliteOutbox({ path, maxBytes: 1 << 20, whenFull: 'refuse-new' }).close();
    const db = new Database(path);
    db.prepare('UPDATE outbox_schema SET version = 99').run();
    db.close();
    let error: unknown;
    try {
      createSqliteOutbox({ path, maxBytes: 1 << 20, whenFull: 'refuse-new' });
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error, 'config/invalid')).toBe(true);
    expect((error as Error).message).toContain('schema version 99');
  });

  it('wraps SQLite failures once as a HealthItError with the cause', () => {
    let error: unknown;
    try {
      createSqliteOutbox({
        path: join(tempFile(), 'no', 'such', 'dir.db'),
        maxBytes: 1,
        whenFull: 'refuse-new',
      });
    } catch (e) {
      error = e;
    }
    expect(isHealthItError(error, 'store/query-failed')).toBe(true);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('appends a batch in one transaction: a failure stores none of it', () => {
    const path = tempFile();
    const outbox = createSqliteOutbox({ path, maxBytes: 1 << 20, whenFull: 'refuse-new' });
    const bad = { id: null as unknown as string, kind: 'reading' as const, key: 'd', payload };
    expect(() => outbox.append([{ id: 'r0', kind: 'reading', key: 'd', payload }, bad])).toThrow(
      /append failed/,
    );
    expect(outbox.peek(10)).toEqual([]);
    expect(outbox.stats()).toMatchObject({ pending: 0, appended: 0, pendingBytes: 0 });
    outbox.append([{ id: 'r1', kind: 'reading', key: 'd', payload }]);
    expect(outbox.peek(10).map((e) => e.position)).toEqual([1]);
    outbox.close();
  });

  it('migrates a version 1 file in place: lanes, alert series and counters', () => {
    const path = tempFile();
    const v1 = new Database(path);
    v1.exec(`
      CREATE TABLE outbox_schema (version INTEGER NOT NULL);
      INSERT INTO outbox_schema VALUES (1);
      CREATE TABLE outbox (position INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL,
        key TEXT NOT NULL, priority INTEGER NOT NULL, payload BLOB NOT NULL);
      CREATE TABLE outbox_counters (singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        last_position INTEGER NOT NULL, appended INTEGER NOT NULL, acknowledged INTEGER NOT NULL,
        refused INTEGER NOT NULL, shed INTEGER NOT NULL);
      INSERT INTO outbox_counters VALUES (1, 9, 12, 4, 5, 2);
    `);
    const insert = v1.prepare('INSERT INTO outbox VALUES (?, ?, ?, ?, ?, ?)');
    const rows: [number, UplinkRecord][] = [
      [5, { id: 'r5', kind: 'reading', key: 'd', payload }],
      [6, alertRec('f6', 'dev-1', 'spo2', 'high')],
      [7, { id: 'r7', kind: 'reading', key: 'd', payload }],
      [8, alertRec('f8', 'dev-1', 'spo2', 'high')],
    ];
    for (const [p, r] of rows) insert.run(p, r.id, r.kind, r.key, r.kind === 'alert' ? 2 : 0, r.payload);
    v1.close();

    const alertBytes = alertRec('x', 'dev-1', 'spo2', 'high').payload.byteLength + 64;
    const outbox = createSqliteOutbox({
      path,
      maxBytes: 1 << 20,
      whenFull: 'refuse-new',
      maxAlertBytes: 2 * alertBytes,
    });
    expect(outbox.peek(10).map((e) => [e.id, e.position])).toEqual([
      ['f6', 6],
      ['f8', 8],
      ['r5', 5],
      ['r7', 7],
    ]);
    // v1 counted each refusal in `refused`: now `refusals`.
    expect(outbox.stats()).toMatchObject({
      pending: 4,
      appended: 12,
      acknowledged: 4,
      refused: 5,
      refusals: 5,
      shed: 2,
      alertsShed: 0,
      pendingAlertBytes: 2 * alertBytes,
    });
    // f6 was marked superseded by f8 during the migration.
    const r = outbox.append([alertRec('f10', 'dev-1', 'spo2', 'high')]);
    expect(r.alertsDropped.map((d) => [d.record.id, d.reason])).toEqual([['f6', 'superseded']]);
    expect(outbox.peek(1)[0]!.position).toBe(8);
    outbox.close();
    const probe = new Database(path, { readonly: true });
    expect(probe.prepare('SELECT version FROM outbox_schema').pluck().get()).toBe(2);
    probe.close();
  });

  it('plans its queries on the primary key and the alert indexes, without sorting', () => {
    const path = tempFile();
    createSqliteOutbox({ path, maxBytes: 1 << 20, whenFull: 'refuse-new' }).close();
    const db = new Database(path, { readonly: true });
    const plan = (sql: string, ...params: unknown[]) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
        .map((r) => r.detail)
        .join('; ');
    const queries: [string, unknown[]][] = [
      ['SELECT position FROM outbox WHERE priority = 2 ORDER BY position LIMIT ?', [10]],
      ['SELECT position FROM outbox WHERE priority < 2 ORDER BY position LIMIT ?', [10]],
      ['SELECT position FROM outbox WHERE priority = ? AND position > ? ORDER BY position', [0, 0]],
      [
        'SELECT position FROM outbox WHERE priority = 2 AND superseded = 1 AND position > ? ORDER BY position',
        [0],
      ],
      [
        'SELECT position FROM outbox WHERE priority = 2 AND severity = ? AND position > ? ORDER BY position',
        [1, 0],
      ],
    ];
    for (const [sql, params] of queries) expect(plan(sql, ...params), sql).not.toMatch(/TEMP B-TREE/);
    expect(plan(queries[0]![0], 10)).toMatch(/outbox_alerts/);
    db.close();
  });
});

describe('the SQLite and memory outboxes behave identically', () => {
  it('property: the same calls give the same results, entries and counters', () => {
    type Op =
      | { op: 'append'; items: { kind: number; series: number; severity: number }[] }
      | { op: 'lease'; limit: number }
      | { op: 'release' }
      | { op: 'ack'; take: number; skip: number }
      | { op: 'ack-number'; index: number }
      | { op: 'retry-refused' };
    const severities = ['info', 'low', 'low-medium', 'medium', 'high', 'critical'] as const;
    const item = fc.record({
      kind: fc.integer({ min: 0, max: 5 }),
      series: fc.integer({ min: 0, max: 3 }),
      severity: fc.integer({ min: 0, max: 5 }),
    });
    const op: fc.Arbitrary<Op> = fc.oneof(
      {
        arbitrary: fc.record({
          op: fc.constant('append' as const),
          items: fc.array(item, { maxLength: 10 }),
        }),
        weight: 4,
      },
      fc.record({ op: fc.constant('lease' as const), limit: fc.integer({ min: 0, max: 8 }) }),
      fc.record({
        op: fc.constant('ack' as const),
        take: fc.integer({ min: 0, max: 8 }),
        skip: fc.integer({ min: 0, max: 2 }),
      }),
      fc.record({ op: fc.constant('ack-number' as const), index: fc.integer({ min: 0, max: 10 }) }),
      fc.constant({ op: 'retry-refused' as const }),
      fc.constant({ op: 'release' as const }),
    );
    const view = (r: OutboxAppendResult) => ({
      accepted: r.accepted,
      refused: r.refused.map((x) => x.id),
      shed: r.shed,
      alertsDropped: r.alertsDropped.map((d) => [
        d.record.id,
        d.reason,
        (d.record as { position?: number }).position,
      ]),
    });
    const entries = (o: Outbox) =>
      o.peek(1_000_000).map((e) => [e.id, e.kind, e.key, e.position, [...e.payload]]);
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.constantFrom<OutboxBounds['whenFull']>('refuse-new', 'shed-oldest-readings'),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 5 }),
        (ops, whenFull, capacity, alertCapacity) => {
          const bounds: OutboxBounds = {
            maxBytes: capacity * 100,
            whenFull,
            maxAlertBytes: alertCapacity * 264,
          };
          const memory = createMemoryOutbox(bounds);
          const sqlite = createSqliteOutbox({ path: ':memory:', ...bounds });
          try {
            let next = 0;
            let refused: readonly UplinkRecord[] = [];
            for (const o of ops) {
              if (o.op === 'append' || o.op === 'retry-refused') {
                const batch =
                  o.op === 'retry-refused'
                    ? refused
                    : o.items.map((x): UplinkRecord => {
                        const id = `${next++}`;
                        if (x.kind === 0)
                          return alertRec(`a${id}`, `dev-${x.series}`, 'rule', severities[x.severity]!);
                        if (x.kind === 1)
                          return { id: `z${id}`, kind: 'alert', key: 'ward', payload: new Uint8Array(20) };
                        const kind = x.kind === 2 ? 'event' : x.kind === 3 ? 'reading-batch' : 'reading';
                        return { id: `r${id}`, kind, key: `dev-${x.series}`, payload: new Uint8Array(36) };
                      });
                const m = memory.append(batch);
                expect(view(sqlite.append(batch))).toEqual(view(m));
                refused = m.refused;
              } else if (o.op === 'lease') {
                expect(sqlite.lease(o.limit).map((e) => e.id)).toEqual(
                  memory.lease(o.limit).map((e) => e.id),
                );
              } else if (o.op === 'release') {
                memory.release();
                sqlite.release();
              } else if (o.op === 'ack') {
                const positions = memory
                  .peek(o.skip + o.take)
                  .slice(o.skip)
                  .map((e) => e.position);
                memory.ack(positions);
                sqlite.ack(positions);
              } else {
                const all = memory.peek(1_000_000);
                const target = all[o.index] ?? all.at(-1);
                if (target !== undefined) {
                  memory.ack(target.position);
                  sqlite.ack(target.position);
                }
              }
              expect(entries(sqlite)).toEqual(entries(memory));
              expect(sqlite.stats()).toEqual(memory.stats());
            }
          } finally {
            memory.close();
            sqlite.close();
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
