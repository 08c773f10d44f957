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
 * A client checked out of `pool`, watched while it is out: `pg` emits `'error'` on a checked-out
 * client whose connection dies (besides rejecting its query), and an `'error'` nobody listens to
 * ends the process. The error is kept, so that `done()` destroys that client instead of returning it
 * to the pool.
 */
async function checkout(pool: Pool): Promise<{ client: PoolClient; done: (error?: Error) => void }> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (e: Error) => {
    lost = e;
  };
  client.on('error', onError);
  return {
    client,
    done(error) {
      client.off('error', onError);
      client.release(error ?? lost);
    },
  };
}

/**
 * A {@link SqlExecutor} over a `pg` pool. A transaction checks out one client, runs
 * `BEGIN` ... `COMMIT` (or `ROLLBACK`) on it and returns it to the pool; a client whose rollback
 * failed or whose connection died while it was out is destroyed instead of returned (a dropped
 * connection rejects the call with the driver's error; it never ends the process). `copyFrom` speaks
 * the COPY protocol directly (no `pg-copy-streams` needed).
 */
export function pgExecutor(pool: Pool): SqlExecutor {
  return {
    async query<T extends object>(text: string, params: readonly unknown[] = []) {
      return (await pool.query(text, [...params])).rows as T[];
    },
    async copyFrom(target, csv) {
      const { client, done } = await checkout(pool);
      try {
        await copyFromCsv(client, target, csv);
      } finally {
        done();
      }
    },
    async transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R> {
      const { client, done } = await checkout(pool);
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
        done(broken);
      }
    },
  };
}
