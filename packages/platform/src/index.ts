/**
 * `@healthit/platform`: the full-stack IoMT platform. The root entry loads no database driver
 * and no Node built-in: the stores live on subpaths (`@healthit/platform/pglite`,
 * `@healthit/platform/postgres`), both built on the SQL layer exported here.
 * @packageDocumentation
 */
export { type AppendOutcome, type AppendRetryOptions, appendWithRetry } from './ingest/append-with-retry.js';
export type {
  IngestEvent,
  IngestedRecord,
  IngestReadingRejected,
  IngestRecordReceived,
  IngestRecordRejected,
  IngestStored,
  IngestStoreFailed,
  UplinkIngestEvent,
} from './ingest/events.js';
export { type IngestOptions, ingestReadings } from './ingest/ingest-readings.js';
export { ingestUplinkRecords } from './ingest/ingest-uplink-records.js';
export { AGGREGATE_STATS } from './sql/analytics.js';
export { wrapDriverError } from './sql/driver-errors.js';
export type { SqlExecutor } from './sql/executor.js';
export { type ReadingTableNameOptions, type ReadingTableNames, readingTableNames } from './sql/names.js';
export { DEFAULT_QUERY_LIMIT } from './sql/reading-query.js';
export { checkRetentionPolicy, DEFAULT_LATE_MS } from './sql/retention.js';
export {
  migrateReadingTable,
  READING_MIGRATIONS,
  READING_SCHEMA_VERSION,
  type ReadingMigration,
  readingTableDdl,
} from './sql/schema.js';
export { createSqlReadingStore, type SqlReadingStoreOptions } from './sql/sql-reading-store.js';
