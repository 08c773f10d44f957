import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHealthItError } from '@healthit/core';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Outbox } from '../uplink/outbox.js';
import { describeOutboxConformance } from '../uplink/outbox-conformance.js';
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
});
