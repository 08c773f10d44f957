import { HealthItError } from '@healthit/core';
import type { Pool } from 'pg';
import { type LogTableNames, quoteIdentifier } from './names.js';
import { inTransaction } from './pg-transaction.js';

/** The version of the table layout this module creates and reads (row `schema_version` of the meta table). */
export const LOG_SCHEMA_VERSION = 1;

/** The columns of each table and the type `information_schema` reports for each. */
const COLUMNS = {
  meta: { key: 'text', value: 'text' },
  entries: { log_id: 'text', idx: 'bigint', bytes: 'bytea' },
  tree: { log_id: 'text', leaf: 'bigint', hashes: 'bytea' },
  checkpoints: { log_id: 'text', note: 'text', updated_at: 'timestamp with time zone' },
} as const;

/**
 * The DDL of the four tables, every statement idempotent (`IF NOT EXISTS`). The primary keys are
 * what stops two writers from storing the same index twice.
 */
export function logTableDdl(names: LogTableNames): readonly string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${names.meta} (
  key text COLLATE "C" PRIMARY KEY,
  value text NOT NULL
)`,
    `CREATE TABLE IF NOT EXISTS ${names.entries} (
  log_id text COLLATE "C" NOT NULL,
  idx bigint NOT NULL CHECK (idx >= 0),
  bytes bytea NOT NULL CHECK (octet_length(bytes) > 0),
  PRIMARY KEY (log_id, idx)
)`,
    `CREATE TABLE IF NOT EXISTS ${names.tree} (
  log_id text COLLATE "C" NOT NULL,
  leaf bigint NOT NULL CHECK (leaf >= 0),
  hashes bytea NOT NULL CHECK (octet_length(hashes) > 0 AND octet_length(hashes) % 32 = 0),
  PRIMARY KEY (log_id, leaf)
)`,
    `CREATE TABLE IF NOT EXISTS ${names.checkpoints} (
  log_id text COLLATE "C" PRIMARY KEY,
  note text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`,
  ];
}

/**
 * Creates the schema (when missing) and the tables, records the schema version, and checks that
 * existing tables are log tables of this version: one transaction serialised by a transaction-level
 * advisory lock, so processes opening logs at the same time do not race.
 *
 * @throws {HealthItError} `config/invalid` when a table of one of these names has other columns,
 *   or the tables were created by another schema version; driver errors are thrown unwrapped.
 */
export async function migrateLogTables(pool: Pool, names: LogTableNames): Promise<void> {
  await inTransaction(pool, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `healthit:tlog:${names.schema}.${names.prefix}`,
    ]);
    const found = await tx.query('SELECT 1 AS found FROM pg_namespace WHERE nspname = $1', [names.schema]);
    if (found.rows.length === 0)
      await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(names.schema)}`);
    for (const statement of logTableDdl(names)) await tx.query(statement);
    await tx.query(
      `INSERT INTO ${names.meta} (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO NOTHING`,
      [String(LOG_SCHEMA_VERSION)],
    );
    const version = await tx.query<{ value: string }>(
      `SELECT value FROM ${names.meta} WHERE key = 'schema_version'`,
    );
    const stored = version.rows[0]?.value;
    if (stored !== String(LOG_SCHEMA_VERSION)) {
      throw new HealthItError(
        'config/invalid',
        `The log tables ${names.schema}.${names.prefix}* have schema version ${stored}, this version of ` +
          `@healthit/ledger reads version ${LOG_SCHEMA_VERSION}: use another tablePrefix or a matching release`,
        { detail: { schema: names.schema, tablePrefix: names.prefix, version: stored } },
      );
    }
    const columns = await tx.query<{ table_name: string; column_name: string; data_type: string }>(
      'SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = ANY($2)',
      [names.schema, Object.keys(COLUMNS).map((t) => `${names.prefix}${t}`)],
    );
    const types = new Map(columns.rows.map((c) => [`${c.table_name}.${c.column_name}`, c.data_type]));
    const wrong: string[] = [];
    for (const [table, expected] of Object.entries(COLUMNS)) {
      for (const [column, type] of Object.entries(expected)) {
        const actual = types.get(`${names.prefix}${table}.${column}`);
        if (actual !== type)
          wrong.push(`${names.prefix}${table}.${column} ${type} (found ${actual ?? 'nothing'})`);
      }
    }
    if (wrong.length > 0) {
      throw new HealthItError(
        'config/invalid',
        `Tables named like a transparency log exist in schema ${names.schema} with other columns: expected ` +
          `${wrong.join(', ')}. Choose another schema or tablePrefix.`,
        { detail: { schema: names.schema, tablePrefix: names.prefix, wrong } },
      );
    }
  });
}
