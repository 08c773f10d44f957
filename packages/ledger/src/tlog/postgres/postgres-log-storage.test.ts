import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isHealthItError } from '@healthit/core';
import { Pool } from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ORIGIN, signer, unsigned } from '../../../test/entries-fixtures.js';
import { type Entry, entryHash, signEntry } from '../../entries/index.js';
import { LedgerIntegrityError } from '../../errors.js';
import { toHex } from '../../hex.js';
import { createEd25519NoteSigner } from '../../note/index.js';
import { createTransparencyLog, type TransparencyLog } from '../log.js';
import { describeLogStorageConformance, type LogStorageUnderTest } from '../storage-conformance.js';
import { logTableNames } from './names.js';
import {
  openPostgresLogStorage,
  type PostgresLogStorage,
  type PostgresLogStorageOptions,
} from './postgres-log-storage.js';

// Real PostgreSQL. HEALTHIT_PG_URL overrides the server; the default is the local one (trust auth).
const PG_URL = process.env.HEALTHIT_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
// Port 1 on the loopback interface: nothing listens there, so connecting is refused at once.
const NOBODY_HOME = 'postgres://postgres@127.0.0.1:1/test';
const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'test-fixtures', 'append-forever.mjs');

const ALICE = signer(1, 'acme-pharma.release');
const LOG_SIGNER = createEd25519NoteSigner({ name: ORIGIN, secretKey: new Uint8Array(32).fill(9) });

function chain(n: number, from = 0, prev?: string): Entry[] {
  const out: Entry[] = [];
  let last = prev;
  for (let seq = from; seq < from + n; seq++) {
    const e = signEntry(
      unsigned('config.change', { seq, ...(last === undefined ? {} : { prev: last }) }),
      ALICE,
    );
    out.push(e);
    last = entryHash(e);
  }
  return out;
}

function logOver(storage: PostgresLogStorage): TransparencyLog {
  return createTransparencyLog({
    origin: ORIGIN,
    signer: LOG_SIGNER,
    keys: new Map([[ALICE.keyId, ALICE.publicKey]]),
    storage,
    batch: { maxEntries: 4, maxWaitMs: 1 },
    checkpointEveryMs: 5,
  });
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('openPostgresLogStorage without a server', () => {
  it('fails with store/unavailable (retryable) naming host and port, the driver error as cause', async () => {
    const err = await failure(openPostgresLogStorage({ connectionString: NOBODY_HOME, logId: 'a' }));
    expect(isHealthItError(err, 'store/unavailable')).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect((err as Error).message).toContain('127.0.0.1:1');
    expect((err as Error).message).toContain('ECONNREFUSED');
    expect((err as { detail: unknown }).detail).toMatchObject({
      host: '127.0.0.1',
      port: 1,
      database: 'test',
    });
    expect((err as Error).cause).toBeDefined();
  });

  it('leaves a caller-owned pool usable after a failure', async () => {
    const pool = new Pool({ connectionString: NOBODY_HOME });
    const err = await failure(openPostgresLogStorage({ pool, logId: 'a' }));
    expect(isHealthItError(err, 'store/unavailable')).toBe(true);
    expect(pool.ended).toBe(false);
    await pool.end();
  });

  it('refuses bad options before connecting', async () => {
    const pool = new Pool({ connectionString: NOBODY_HOME });
    const bad: [Partial<PostgresLogStorageOptions>, ErrorConstructor][] = [
      [{ logId: 'a' }, TypeError],
      [{ pool, connectionString: NOBODY_HOME, logId: 'a' }, TypeError],
      [{ pool }, TypeError],
      [{ pool, logId: '' }, RangeError],
      [{ pool, logId: 'x'.repeat(201) }, RangeError],
      [{ pool, logId: 'a\0b' }, RangeError],
      [{ pool, logId: 'a', schema: 'Bad-Name' }, RangeError],
      [{ pool, logId: 'a', tablePrefix: '1x' }, RangeError],
      [{ pool, logId: 'a', tablePrefix: 'p'.repeat(48) }, RangeError],
      [{ pool, logId: 'a', maxEntries: 0 }, RangeError],
    ];
    for (const [options, type] of bad) {
      await expect(openPostgresLogStorage(options as PostgresLogStorageOptions)).rejects.toThrow(type);
    }
    await pool.end();
  });

  it('derives quoted, schema-qualified table names', () => {
    expect(logTableNames()).toMatchObject({
      entries: '"public"."tlog_entries"',
      tree: '"public"."tlog_tree"',
    });
    expect(logTableNames({ schema: 'ledger', tablePrefix: '' }).checkpoints).toBe('"ledger"."checkpoints"');
  });
});

/** Why the server cannot be used, or undefined when it answers. */
async function probe(url: string): Promise<string | undefined> {
  const pool = new Pool({ connectionString: url, connectionTimeoutMillis: 5_000, max: 1 });
  try {
    await pool.query('SELECT 1');
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message || e.constructor.name : String(e);
  } finally {
    await pool.end().catch(() => undefined);
  }
}

const unreachable = await probe(PG_URL);
const redacted = PG_URL.replace(/\/\/[^@/]*@/, '//***@');
// In CI an unreachable server is a failure (the tests run and fail); elsewhere the suite is
// skipped with the reason printed.
const skip = unreachable !== undefined && !process.env.CI;
if (skip) {
  console.warn(
    `Skipping the PostgreSQL log storage tests: ${redacted} is unreachable (${unreachable}). ` +
      'Start PostgreSQL or set HEALTHIT_PG_URL.',
  );
}

describe.skipIf(skip)(`PostgreSQL log storage (${redacted})`, () => {
  const admin = new Pool({ connectionString: PG_URL, max: 3 });
  admin.on('error', () => undefined);
  /** One schema for this run (no other run uses it), dropped at the end. */
  const SCHEMA = `healthit_tlog_${process.pid}_${Date.now().toString(36)}`;
  let n = 0;
  function freshLogId(): string {
    n += 1;
    return `${ORIGIN}/test-${n}`;
  }
  const children: ChildProcess[] = [];
  const storages: PostgresLogStorage[] = [];
  async function openLog(options: Partial<PostgresLogStorageOptions> & { logId: string }) {
    const storage = await openPostgresLogStorage({
      schema: SCHEMA,
      ...(options.pool === undefined ? { connectionString: PG_URL } : {}),
      ...options,
    });
    storages.push(storage);
    return storage;
  }
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    for (const s of storages.splice(0)) await s.close().catch(() => undefined);
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`).catch(() => undefined);
    await admin.end();
  });

  it('reaches the server', () => {
    expect(unreachable, `PostgreSQL at ${redacted}`).toBeUndefined();
  });

  function underTest(storage: PostgresLogStorage): LogStorageUnderTest {
    return {
      storage,
      async corruptEntry(index) {
        const { rowCount } = await admin.query(
          `UPDATE ${storage.tables.entries}
           SET bytes = set_byte(bytes, octet_length(bytes) / 2, get_byte(bytes, octet_length(bytes) / 2) # 1)
           WHERE log_id = $1 AND idx = $2`,
          [storage.logId, index],
        );
        expect(rowCount).toBe(1);
      },
      close: () => storage.close(),
    };
  }
  const logIdOf = (handle: LogStorageUnderTest) => (handle.storage as PostgresLogStorage).logId;

  describeLogStorageConformance(
    'PostgreSQL (own pool)',
    async ({ maxEntries }) =>
      underTest(await openLog({ logId: freshLogId(), ...(maxEntries === undefined ? {} : { maxEntries }) })),
    async (closed) => underTest(await openLog({ logId: logIdOf(closed) })),
  );

  describeLogStorageConformance(
    'PostgreSQL (caller-owned pool, table prefix)',
    async ({ maxEntries }) =>
      underTest(
        await openLog({
          pool: admin,
          tablePrefix: 'cold_chain_',
          logId: freshLogId(),
          ...(maxEntries === undefined ? {} : { maxEntries }),
        }),
      ),
    async (closed) =>
      underTest(await openLog({ pool: admin, tablePrefix: 'cold_chain_', logId: logIdOf(closed) })),
  );

  it('creates its tables with a schema version row, and keeps several logs apart in them', async () => {
    const a = await openLog({ logId: freshLogId(), tablePrefix: 'multi_' });
    const b = await openLog({ logId: freshLogId(), tablePrefix: 'multi_' });
    await a.appendEntries(0, [new Uint8Array([1]), new Uint8Array([2])]);
    await b.appendEntries(0, [new Uint8Array([9])]);
    await a.writeCheckpoint('a\n');
    const tables = await admin.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'multi_%' ORDER BY 1`,
      [SCHEMA],
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual([
      'multi_checkpoints',
      'multi_entries',
      'multi_meta',
      'multi_tree',
    ]);
    const version = await admin.query(`SELECT value FROM ${a.tables.meta} WHERE key = 'schema_version'`);
    expect(version.rows).toEqual([{ value: '1' }]);
    const a2 = await openLog({ logId: a.logId, tablePrefix: 'multi_' });
    const b2 = await openLog({ logId: b.logId, tablePrefix: 'multi_' });
    expect([a2.entryCount(), b2.entryCount()]).toEqual([2, 1]);
    expect(b2.entry(0)).toEqual(new Uint8Array([9]));
    expect([a2.latestCheckpoint(), b2.latestCheckpoint()]).toEqual(['a\n', undefined]);
  });

  it('migrates safely when several storages open at once', async () => {
    const logId = freshLogId();
    const opened = await Promise.all([1, 2, 3, 4].map(() => openLog({ logId, tablePrefix: 'race_' })));
    expect(opened.map((s) => s.entryCount())).toEqual([0, 0, 0, 0]);
  });

  it('two writers cannot reuse an index: the stale one gets a RangeError and stores nothing of its batch', async () => {
    const logId = freshLogId();
    const a = await openLog({ logId });
    await a.appendEntries(0, [new Uint8Array([0])]);
    const b = await openLog({ logId }); // sees 1 entry
    await a.appendEntries(1, [new Uint8Array([1]), new Uint8Array([2])]);
    // b's batch 1..4 collides at index 1 and 2: the transaction rolls back, 3 and 4 are not stored
    const err = await failure(
      b.appendEntries(
        1,
        [10, 11, 12, 13].map((x) => new Uint8Array([x])),
      ),
    );
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toContain('another writer');
    expect(b.entryCount()).toBe(1);
    const rows = await admin.query<{ idx: string; bytes: Buffer }>(
      `SELECT idx, bytes FROM ${a.tables.entries} WHERE log_id = $1 ORDER BY idx`,
      [logId],
    );
    expect(rows.rows.map((r) => [Number(r.idx), [...r.bytes]])).toEqual([
      [0, [0]],
      [1, [1]],
      [2, [2]],
    ]);
  });

  it('splits a large batch into several statements of one transaction: still all or nothing', async () => {
    const logId = freshLogId();
    const storage = await openLog({ logId });
    const batch = Array.from({ length: 200 }, (_, i) => new Uint8Array(60_000).fill(i)); // 12 MB: 2 statements
    // a row written behind the storage's back at index 190, inside the second statement
    await admin.query(
      `INSERT INTO ${storage.tables.entries} (log_id, idx, bytes) VALUES ($1, 190, '\\x01')`,
      [logId],
    );
    await expect(storage.appendEntries(0, batch)).rejects.toThrow(RangeError);
    const count = async () =>
      Number(
        (await admin.query(`SELECT count(*) AS n FROM ${storage.tables.entries} WHERE log_id = $1`, [logId]))
          .rows[0].n,
      );
    expect(await count()).toBe(1); // nothing of the first statement was kept
    await admin.query(`DELETE FROM ${storage.tables.entries} WHERE log_id = $1`, [logId]);
    await storage.appendEntries(0, batch);
    expect(await count()).toBe(200);
    await storage.close();
    const reopened = await openLog({ logId });
    expect(reopened.entryCount()).toBe(200);
    expect(reopened.entry(199)).toEqual(batch[199]);
  });

  it('reports entries removed from the middle of the log as truncated, naming the first missing index', async () => {
    const logId = freshLogId();
    const a = await openLog({ logId });
    await a.appendEntries(
      0,
      [1, 2, 3, 4].map((x) => new Uint8Array([x])),
    );
    await a.close();
    await admin.query(`DELETE FROM ${a.tables.entries} WHERE log_id = $1 AND idx = 2`, [logId]);
    const err = await failure(openLog({ logId }));
    expect(err).toBeInstanceOf(LedgerIntegrityError);
    expect(err).toMatchObject({ reason: 'truncated', index: 2 });
  });

  it('refuses to open more entries than maxEntries', async () => {
    const logId = freshLogId();
    const a = await openLog({ logId });
    await a.appendEntries(
      0,
      [1, 2, 3].map((x) => new Uint8Array([x])),
    );
    await expect(openLog({ logId, maxEntries: 2 })).rejects.toThrow(/maxEntries/);
  });

  it('refuses tables of another schema version or with other columns (config/invalid)', async () => {
    const a = await openLog({ logId: freshLogId(), tablePrefix: 'v2_' });
    await admin.query(`UPDATE ${a.tables.meta} SET value = '2' WHERE key = 'schema_version'`);
    const err = await failure(openLog({ logId: freshLogId(), tablePrefix: 'v2_' }));
    expect(isHealthItError(err, 'config/invalid')).toBe(true);
    expect((err as Error).message).toContain('schema version 2');

    await admin.query(`CREATE TABLE "${SCHEMA}".other_entries (log_id text, idx integer, bytes bytea)`);
    const wrong = await failure(openLog({ logId: freshLogId(), tablePrefix: 'other_' }));
    expect(isHealthItError(wrong, 'config/invalid')).toBe(true);
    expect((wrong as Error).message).toContain('other_entries.idx bigint (found integer)');
  });

  it('wraps a refused statement as store/query-failed with the SQLSTATE', async () => {
    const a = await openLog({ logId: freshLogId(), tablePrefix: 'dropped_' });
    await admin.query(`DROP TABLE ${a.tables.entries}`);
    const err = await failure(a.appendEntries(0, [new Uint8Array([1])]));
    expect(isHealthItError(err, 'store/query-failed')).toBe(true);
    expect((err as Error).message).toContain('42P01');
    expect(a.entryCount()).toBe(0);
  });

  it('ends the pool it opened, never a caller-owned one; writes after close reject with store/closed', async () => {
    const own = await openLog({ logId: freshLogId() });
    await own.close();
    await own.close();
    const err = await failure(own.appendEntries(0, [new Uint8Array([1])]));
    expect(isHealthItError(err, 'store/closed')).toBe(true);
    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    const borrowed = await openLog({ pool, logId: freshLogId() });
    await borrowed.close();
    expect(pool.ended).toBe(false);
    expect((await pool.query('SELECT 1 AS one')).rows[0]).toEqual({ one: 1 });
    await pool.end();
  });

  it('writes tree nodes after their entries: the tree rows trail by at most one batch until close', async () => {
    const logId = freshLogId();
    const storage = await openLog({ logId });
    const log = logOver(storage);
    await Promise.all(chain(8).map((e) => log.append(e)));
    const count = async (table: string) =>
      Number((await admin.query(`SELECT count(*) AS n FROM ${table} WHERE log_id = $1`, [logId])).rows[0].n);
    expect(await count(storage.tables.entries)).toBe(8);
    expect(await count(storage.tables.tree)).toBeLessThan(8);
    await log.close(); // publishes a checkpoint: its transaction carries the pending tree rows
    expect(await count(storage.tables.tree)).toBe(8);
    await storage.close();
  });

  it('SIGKILL during batches: reopened log is valid, every acknowledged entry survives, no index is reused', async () => {
    const logId = freshLogId();
    const seen = new Map<number, string>();
    let sizeBefore = 0;
    for (let round = 0; round < 2; round++) {
      const child = spawn(
        process.execPath,
        ['--conditions=@healthit/source', '--import', 'tsx', FIXTURE, PG_URL, SCHEMA, logId],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      const acked = new Map<number, string>();
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      let openedAt = -1;
      await new Promise<void>((resolve, reject) => {
        let rest = '';
        let checkpoints = 0;
        child.stdout?.on('data', (d: Buffer) => {
          const parts = (rest + d.toString()).split('\n');
          rest = parts.pop() ?? '';
          for (const line of parts) {
            const [what, a, b] = line.split(' ');
            if (what === 'opened') openedAt = Number(a);
            if (what === 'acked') acked.set(Number(a), b as string);
            if (what === 'checkpoint') checkpoints++;
          }
          if (checkpoints >= 2 && acked.size >= 100) {
            child.kill('SIGKILL');
            resolve();
          }
        });
        child.on('exit', (code) => {
          reject(new Error(`child exited (${code}) early: ${stderr}`));
        });
      });
      await new Promise((r) => child.once('exit', r));
      expect(openedAt).toBe(sizeBefore); // the child continued where the last one stopped
      expect(Math.min(...acked.keys())).toBeGreaterThanOrEqual(sizeBefore);
      for (const [index, hash] of acked) seen.set(index, hash);

      const storage = await openLog({ logId });
      const log = logOver(storage);
      for (const [index, hash] of seen) expect(toHex(log.entry(index).leafHash)).toBe(hash);
      expect(log.audit()).toBe(log.size);
      const rows = await admin.query<{ n: string; max: string }>(
        `SELECT count(*) AS n, max(idx) AS max FROM ${storage.tables.entries} WHERE log_id = $1`,
        [logId],
      );
      expect(rows.rows[0]).toEqual({ n: String(log.size), max: String(log.size - 1) });
      const size = log.size;
      const next = chain(1, size, entryHash(log.entry(size - 1).entry))[0] as Entry;
      expect((await log.append(next)).index).toBe(size);
      await log.close();
      await storage.close();
      sizeBefore = size + 1;
    }
  }, 60_000);
});
