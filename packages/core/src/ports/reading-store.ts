import type { MetricId } from '../metrics/catalogue.js';
import type { Reading } from '../schemas/reading.js';

/** What an append did. */
export interface AppendResult {
  /** Readings stored for the first time. */
  readonly inserted: number;
  /** Readings already stored with identical content (idempotent re-appends). */
  readonly duplicates: number;
  /** Ids already stored with *different* content: the stored reading was kept, the new one refused. */
  readonly conflicts: readonly string[];
}

/** A range query. Time bounds are epoch milliseconds of measurement, `from` inclusive, `to` exclusive. */
export interface ReadingQuery {
  readonly from: number;
  readonly to: number;
  readonly deviceId?: string;
  readonly patientId?: string;
  readonly metric?: MetricId;
  /** At most this many readings (default 10 000). */
  readonly limit?: number;
}

/**
 * Long-term storage of readings.
 *
 * Implementations: PGlite (`@healthit/platform/pglite`, embedded), PostgreSQL
 * (`@healthit/platform/postgres`). Every implementation passes `describeReadingStoreConformance`
 * from `@healthit/core/testing`.
 */
export interface ReadingStore {
  /**
   * Stores readings idempotently: a reading whose id is already stored is not stored again.
   * Atomic per call: either the whole batch is applied or none of it.
   * @throws {ValidationError} when a reading does not match the schema (nothing is stored);
   * @throws {HealthItError} `store/unavailable` (retryable) when the store cannot be reached.
   */
  append(readings: readonly Reading[]): Promise<AppendResult>;
  /** Readings matching the query, ordered by `ts`, then `deviceId`, then `seq`. */
  query(query: ReadingQuery): Promise<Reading[]>;
  /** How many readings are stored. */
  count(): Promise<number>;
  /** Releases the store's resources (a caller-owned client is left open). Idempotent. */
  close(): Promise<void>;
}
