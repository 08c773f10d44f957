import type { Pool, PoolClient } from 'pg';

/**
 * Runs `fn` in one transaction on a client checked out of `pool`: `BEGIN`, `fn`, `COMMIT`, or
 * `ROLLBACK` when anything throws (the error is rethrown). A client whose rollback failed or whose
 * connection died while it was out is destroyed instead of returned to the pool. While the client is
 * out an `'error'` listener is attached: `pg` emits `'error'` on a checked-out client whose connection
 * dies, and an unheard `'error'` would end the process.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (e: Error) => {
    broken ??= e;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (e) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    });
    throw e;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
