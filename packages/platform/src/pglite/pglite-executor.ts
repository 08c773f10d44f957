import type { PGliteInterface, Transaction } from '@electric-sql/pglite';
import type { SqlExecutor } from '../sql/executor.js';

/** What the store uses of a PGlite client: a `PGlite` or a `PGliteWorker` both fit. */
export type PgliteClient = Pick<PGliteInterface, 'query' | 'transaction'>;

/**
 * `COPY ... FROM STDIN` for PGlite: PGlite reads COPY data from a virtual file, `/dev/blob`, that
 * holds the `blob` passed with the query.
 */
function copyStatement(target: string): string {
  return `COPY ${target} FROM '/dev/blob' WITH (FORMAT csv)`;
}

function transactionExecutor(tx: Transaction): SqlExecutor {
  const self: SqlExecutor = {
    async query<T extends object>(text: string, params: readonly unknown[] = []) {
      return (await tx.query<T>(text, [...params])).rows;
    },
    transaction: (fn) => fn(self),
    async copyFrom(target, csv) {
      await tx.query(copyStatement(target), [], { blob: new Blob([csv]) });
    },
  };
  return self;
}

/**
 * A {@link SqlExecutor} over a PGlite client. Transactions use PGlite's own `transaction`, which
 * holds the client exclusively until the callback settles (PGlite is one connection). `copyFrom`
 * loads CSV with `COPY ... FROM '/dev/blob'`.
 */
export function pgliteExecutor(client: PgliteClient): SqlExecutor {
  return {
    async query<T extends object>(text: string, params: readonly unknown[] = []) {
      return (await client.query<T>(text, [...params])).rows;
    },
    transaction: (fn) => client.transaction((tx) => fn(transactionExecutor(tx))),
    async copyFrom(target, csv) {
      await client.query(copyStatement(target), [], { blob: new Blob([csv]) });
    },
  };
}
