import type { Pool, PoolClient } from 'pg';
import type { SqlExecutor } from '../sql/executor.js';
import { copyFromCsv } from './pg-copy.js';

function clientExecutor(client: PoolClient): SqlExecutor {
  const self: SqlExecutor = {
    async query<T extends object>(text: string, params: readonly unknown[] = []) {
      return (await client.query(text, [...params])).rows as T[];
    },
    transaction: (fn) => fn(self),
    copyFrom: (target, csv) => copyFromCsv(client, target, csv),
  };
  return self;
}

/**
 * A {@link SqlExecutor} over a `pg` pool. A transaction checks out one client, runs
 * `BEGIN` ... `COMMIT` (or `ROLLBACK`) on it and returns it to the pool; a client whose rollback
 * failed (its connection is broken) is destroyed instead of returned. `copyFrom` speaks the COPY
 * protocol directly (no `pg-copy-streams` needed).
 */
export function pgExecutor(pool: Pool): SqlExecutor {
  return {
    async query<T extends object>(text: string, params: readonly unknown[] = []) {
      return (await pool.query(text, [...params])).rows as T[];
    },
    async copyFrom(target, csv) {
      const client = await pool.connect();
      try {
        await copyFromCsv(client, target, csv);
      } finally {
        client.release();
      }
    },
    async transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R> {
      const client = await pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(clientExecutor(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw e;
      } finally {
        client.release(broken);
      }
    },
  };
}
