/**
 * `@healthit/gateway/outbox`: the durable store-and-forward outbox on SQLite (better-sqlite3, an
 * optional peer dependency: install `better-sqlite3` to use this subpath). Node only.
 * @packageDocumentation
 */

export type { SqliteJournalOptions } from './sqlite-journal.js';
export {
  createSqliteOutbox,
  SQLITE_OUTBOX_SCHEMA_VERSION,
  type SqliteOutboxOptions,
} from './sqlite-outbox.js';
