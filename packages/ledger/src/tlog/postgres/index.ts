/**
 * `@healthit/ledger/postgres`: the transparency log's storage in PostgreSQL, through `pg`
 * (node-postgres). Node only; needs the optional peer dependency `pg` (8).
 * @packageDocumentation
 */
export { type LogTableNameOptions, type LogTableNames, logTableNames } from './names.js';
export {
  openPostgresLogStorage,
  type PostgresLogStorage,
  type PostgresLogStorageOptions,
} from './postgres-log-storage.js';
export { LOG_SCHEMA_VERSION, logTableDdl } from './schema.js';
