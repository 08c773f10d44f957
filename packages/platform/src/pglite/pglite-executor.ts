import type { PGliteInterface, Transaction } from '@electric-sql/pglite';
import type { SqlExecutor } from '../sql/executor.js';

/** What the store uses of a PGlite client: a `PGlite` or a `PGliteWorker` both fit. */
export type PgliteClient = Pick<PGliteInterface, 'query' | 'transaction'>;

function transactionExecutor(tx: Transaction): SqlExecutor {
  const self: SqlExecutor = {
    async query<T extends object>(text: string, params: readonly unknown[] = []) {
      return (await tx.query<T>(text, [...params])).rows;
    },
    transaction: (fn) => fn(self),
  };
  return self;
}

/**
 * A {@link SqlExecutor} over a PGlite client. Transactions use PGlite's own `transaction`, which
 * holds the client exclusively until the callback settles (PGlite is one connection).
 */
export function pgliteExecutor(client: PgliteClient): SqlExecutor {
  return {
    async query<T extends object>(text: string, params: readonly unknown[] = []) {
      return (await client.query<T>(text, [...params])).rows;
    },
    transaction: (fn) => client.transaction((tx) => fn(transactionExecutor(tx))),
  };
}
