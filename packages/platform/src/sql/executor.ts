/**
 * The little a SQL reading store needs from a Postgres driver. Adapters wrap a driver in it
 * (`@healthit/platform/pglite` wraps PGlite, `@healthit/platform/postgres` wraps a `pg` pool); an
 * integrator can wrap another Postgres driver the same way and pass it to `createSqlReadingStore`.
 *
 * Parameters are positional (`$1`, `$2` ...). Values are JS strings, numbers, `null` and arrays of
 * those; the SQL casts them explicitly (`$1::text[]`), so drivers need no type inference.
 */
export interface SqlExecutor {
  /**
   * Runs one statement and returns its rows (an empty array for statements without rows).
   * Driver errors are thrown as the driver raised them; the store wraps them.
   */
  query<T extends object = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs `fn` in one transaction on one connection: committed when `fn` resolves, rolled back when
   * it rejects (the rejection is re-thrown). Statements inside `fn` must go through the `tx`
   * executor it receives. Calling `transaction` on `tx` runs `fn` inside the same transaction.
   */
  transaction<R>(fn: (tx: SqlExecutor) => Promise<R>): Promise<R>;
  /**
   * Optional bulk load: runs `COPY <target> FROM STDIN WITH (FORMAT csv)` with `csv` as the data
   * (`target` is a qualified table and its column list, e.g. `"public"."readings" (id, ts)`).
   * A store uses it, when present, to write new readings (several times faster than `INSERT`);
   * without it the store inserts with `unnest`. Inside `transaction` it runs in the transaction.
   */
  copyFrom?(target: string, csv: string): Promise<void>;
}
