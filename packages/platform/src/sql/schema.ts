import { HealthItError } from '@healthit/core';
import type { SqlExecutor } from './executor.js';
import { quoteIdentifier, type ReadingTableNames } from './names.js';

/**
 * The columns of the readings table and the type `information_schema` reports for each.
 *
 * `ts` is epoch milliseconds as `bigint` (exact, no time-zone conversion; TimescaleDB accepts an
 * integer time column). `id`, `device_id` and `patient_id` use the "C" collation, so ordering is by
 * code point on every server whatever its locale.
 */
export const READING_COLUMNS = {
  id: 'text',
  device_id: 'text',
  patient_id: 'text',
  metric: 'text',
  value: 'double precision',
  unit: 'text',
  ts: 'bigint',
  seq: 'bigint',
  quality: 'text',
} as const;

/**
 * The DDL of the readings table (first) and its indexes, every statement idempotent
 * (`IF NOT EXISTS`). The schema itself is created by {@link migrateReadingTable}.
 */
export function readingTableDdl(names: ReadingTableNames): readonly string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${names.qualified} (
  id text COLLATE "C" PRIMARY KEY,
  device_id text COLLATE "C" NOT NULL,
  patient_id text COLLATE "C",
  metric text NOT NULL,
  value double precision NOT NULL,
  unit text NOT NULL,
  ts bigint NOT NULL,
  seq bigint NOT NULL,
  quality text
)`,
    `CREATE INDEX IF NOT EXISTS ${names.indexes.ts} ON ${names.qualified} (ts)`,
    `CREATE INDEX IF NOT EXISTS ${names.indexes.deviceTs} ON ${names.qualified} (device_id, ts)`,
    `CREATE INDEX IF NOT EXISTS ${names.indexes.patientTs} ON ${names.qualified} (patient_id, ts)`,
  ];
}

/**
 * Creates the schema (when missing), the readings table and its indexes, in one transaction
 * serialised by a transaction-level advisory lock, so processes starting together do not race.
 * Then checks that the table has the expected columns (a table of the same name created by
 * something else is reported, not silently used).
 *
 * @throws {HealthItError} `config/invalid` when a table of that name exists with other columns;
 * driver errors are thrown unwrapped (the store wraps them).
 */
export async function migrateReadingTable(executor: SqlExecutor, names: ReadingTableNames): Promise<void> {
  await executor.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`healthit:${names.schema}.${names.table}`]);
    const existing = await tx.query('SELECT 1 AS found FROM pg_namespace WHERE nspname = $1', [names.schema]);
    if (existing.length === 0) await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(names.schema)}`);
    const [createTable, ...createIndexes] = readingTableDdl(names);
    await tx.query(createTable!);
    const columns = await tx.query<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [names.schema, names.table],
    );
    const found = new Map(columns.map((c) => [c.column_name, c.data_type]));
    const wrong = Object.entries(READING_COLUMNS)
      .filter(([column, type]) => found.get(column) !== type)
      .map(([column, type]) => `${column} ${type} (found ${found.get(column) ?? 'nothing'})`);
    if (wrong.length > 0) {
      throw new HealthItError(
        'config/invalid',
        `Table ${names.qualified} exists but is not a readings table: expected ${wrong.join(', ')}. ` +
          'Choose another schema or tablePrefix, or drop that table.',
        { detail: { schema: names.schema, table: names.table, wrong } },
      );
    }
    for (const statement of createIndexes) await tx.query(statement);
  });
}
