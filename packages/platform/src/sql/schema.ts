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

/** One schema version: its number, what it does, and its statements (each idempotent). */
export interface ReadingMigration {
  /** The schema version this migration brings the table to: 1, 2, 3 … consecutive from 1. */
  readonly version: number;
  /** One line saying what the migration does, e.g. `rollups table and rollup state`. */
  readonly description: string;
  /**
   * The SQL statements of the migration for the given table names, in order; each idempotent (`IF
   * NOT EXISTS` / `IF EXISTS`).
   */
  readonly statements: (names: ReadingTableNames) => readonly string[];
}

function createReadingsTable(names: ReadingTableNames): string {
  return `CREATE TABLE IF NOT EXISTS ${names.qualified} (
  id text COLLATE "C" PRIMARY KEY,
  device_id text COLLATE "C" NOT NULL,
  patient_id text COLLATE "C",
  metric text NOT NULL,
  value double precision NOT NULL,
  unit text NOT NULL,
  ts bigint NOT NULL,
  seq bigint NOT NULL,
  quality text
)`;
}

/**
 * The schema versions of a readings table, in order. Each statement is idempotent (`IF NOT
 * EXISTS` / `IF EXISTS`), so a database created before versions were recorded upgrades cleanly.
 *
 * 1. the readings table; indexes on `(ts)`, `(device_id, ts)`, `(patient_id, ts)`.
 * 2. index `(patient_id, metric, ts)` (latest per patient and metric, a patient's series, per-patient
 *    aggregates); it serves every query `(patient_id, ts)` served, so that index is dropped (one
 *    index fewer to maintain per insert).
 * 3. the rollups table (every level, keyed by `bucket_ms`) and the rollup state table.
 */
export const READING_MIGRATIONS: readonly ReadingMigration[] = [
  {
    version: 1,
    description: 'readings table; indexes (ts), (device_id, ts), (patient_id, ts)',
    statements: (n) => [
      createReadingsTable(n),
      `CREATE INDEX IF NOT EXISTS ${n.indexes.ts} ON ${n.qualified} (ts)`,
      `CREATE INDEX IF NOT EXISTS ${n.indexes.deviceTs} ON ${n.qualified} (device_id, ts)`,
      `CREATE INDEX IF NOT EXISTS ${n.indexes.patientTs} ON ${n.qualified} (patient_id, ts)`,
    ],
  },
  {
    version: 2,
    description: 'index (patient_id, metric, ts) replaces (patient_id, ts)',
    statements: (n) => [
      `CREATE INDEX IF NOT EXISTS ${n.indexes.patientMetricTs} ON ${n.qualified} (patient_id, metric, ts)`,
      `DROP INDEX IF EXISTS ${quoteIdentifier(n.schema)}.${n.indexes.patientTs}`,
    ],
  },
  {
    version: 3,
    description: 'rollups table and rollup state',
    statements: (n) => [
      `CREATE TABLE IF NOT EXISTS ${n.rollups} (
  bucket_ms bigint NOT NULL,
  bucket_ts bigint NOT NULL,
  device_id text COLLATE "C" NOT NULL,
  patient_id text COLLATE "C",
  metric text NOT NULL,
  unit text NOT NULL,
  n bigint NOT NULL,
  sum double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL
)`,
      `CREATE INDEX IF NOT EXISTS ${n.rollupIndexes.ts} ON ${n.rollups} (bucket_ms, bucket_ts)`,
      `CREATE INDEX IF NOT EXISTS ${n.rollupIndexes.patientMetric} ON ${n.rollups} (bucket_ms, patient_id, metric, bucket_ts)`,
      `CREATE INDEX IF NOT EXISTS ${n.rollupIndexes.device} ON ${n.rollups} (bucket_ms, device_id, bucket_ts)`,
      `CREATE TABLE IF NOT EXISTS ${n.rollupState} (
  bucket_ms bigint PRIMARY KEY,
  done_to bigint,
  trimmed_to bigint
)`,
    ],
  },
];

/** The schema version this code creates and expects. */
export const READING_SCHEMA_VERSION = READING_MIGRATIONS.length;

/**
 * The DDL of the readings table as of {@link READING_SCHEMA_VERSION}: every migration's
 * statements in order, the readings table first. Each statement is idempotent.
 */
export function readingTableDdl(names: ReadingTableNames): readonly string[] {
  return READING_MIGRATIONS.flatMap((m) => m.statements(names));
}

async function checkColumns(tx: SqlExecutor, names: ReadingTableNames): Promise<void> {
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
}

/**
 * Brings the readings table up to {@link READING_SCHEMA_VERSION}: creates the schema when missing,
 * then applies, in order, every migration of {@link READING_MIGRATIONS} not yet recorded in the
 * versions table (`<table>_versions`), recording each. All in one transaction serialised by a
 * transaction-level advisory lock, so processes starting together do not race; running it again
 * does nothing. A table created before versions were recorded is upgraded (the statements are
 * idempotent). Checks that the table has the expected columns (a table of the same name created
 * by something else is reported, not silently used).
 *
 * On a large existing PostgreSQL table, version 2's `CREATE INDEX` locks out writes while it
 * builds; create the index first with `CREATE INDEX CONCURRENTLY` under the same name and the
 * migration finds it.
 *
 * @returns the versions applied by this call (empty when the schema was current).
 * @throws {HealthItError} `config/invalid` when a table of that name exists with other columns;
 * driver errors are thrown unwrapped (the store wraps them).
 */
export async function migrateReadingTable(
  executor: SqlExecutor,
  names: ReadingTableNames,
): Promise<number[]> {
  return executor.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`healthit:${names.schema}.${names.table}`]);
    const existing = await tx.query('SELECT 1 AS found FROM pg_namespace WHERE nspname = $1', [names.schema]);
    if (existing.length === 0) await tx.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(names.schema)}`);
    await tx.query(createReadingsTable(names));
    await checkColumns(tx, names);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS ${names.migrations} (
  version integer PRIMARY KEY,
  description text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`,
    );
    const rows = await tx.query<{ version: number }>(`SELECT version FROM ${names.migrations}`);
    const done = new Set(rows.map((r) => Number(r.version)));
    const applied: number[] = [];
    for (const migration of READING_MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const statement of migration.statements(names)) await tx.query(statement);
      await tx.query(
        `INSERT INTO ${names.migrations} (version, description) VALUES ($1::integer, $2::text)`,
        [migration.version, migration.description],
      );
      applied.push(migration.version);
    }
    return applied;
  });
}
