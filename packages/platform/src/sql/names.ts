/** The SQL names a reading store uses, already validated and quoted. */
export interface ReadingTableNames {
  /** Unquoted schema name, e.g. `public`. */
  readonly schema: string;
  /** Unquoted table name, e.g. `readings` or `ward7_readings`. */
  readonly table: string;
  /** `"schema"."table"`, ready to splice into SQL. */
  readonly qualified: string;
  /**
   * Quoted index names (schema-local), ready to splice into SQL. `ts` and `seriesTs` are the
   * indexes of the current schema; the others are those of earlier versions, kept here so the
   * migrations can create and drop them: `patientTs` (version 1, replaced in version 2),
   * `deviceTs` (version 1) and `patientMetricTs` (version 2), both replaced by `seriesTs` in
   * version 4.
   */
  readonly indexes: {
    readonly ts: string;
    readonly seriesTs: string;
    readonly deviceTs: string;
    readonly patientTs: string;
    readonly patientMetricTs: string;
  };
  /**
   * `"schema"."<table>_series"`: the series dictionary, one row per (device, patient, metric) with
   * its integer `key`, which every reading row carries in its `series` column.
   */
  readonly series: string;
  /** Quoted name of the series dictionary's unique index on (device, metric, patient). */
  readonly seriesIndex: string;
  /** `"schema"."<table>_versions"`: the schema versions (migrations) applied, one row each. */
  readonly migrations: string;
  /** `"schema"."<table>_rollups"`: materialised rollups of every level. */
  readonly rollups: string;
  /** Quoted index names of the rollups table. */
  readonly rollupIndexes: { readonly ts: string; readonly patientMetric: string; readonly device: string };
  /** `"schema"."<table>_rollstate"`: per level, how far it is rolled up and trimmed. */
  readonly rollupState: string;
}

/** Options that name the readings table. */
export interface ReadingTableNameOptions {
  /** Schema of the table (default `public`); created if missing. Lower-case letters, digits, `_`. */
  readonly schema?: string;
  /** Prefix of the table and index names (default none: the table is `readings`). */
  readonly tablePrefix?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const PREFIX = /^[a-z0-9_]*$/;
/** PostgreSQL's NAMEDATALEN - 1. */
const MAX_IDENTIFIER_LENGTH = 63;
/** The longest name derived from the table (every derived name is at most this long). */
const LONGEST_SUFFIX = 'readings_patient_ts_idx';

/** Quotes an identifier for PostgreSQL (doubles embedded quotes). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Validates the schema name and table prefix and derives every name the store uses.
 *
 * @throws {TypeError} when `schema` or `tablePrefix` is not a string.
 * @throws {RangeError} when a name is not a plain lower-case SQL identifier or is too long for
 * PostgreSQL (63 bytes, including the longest index name).
 */
export function readingTableNames(options: ReadingTableNameOptions = {}): ReadingTableNames {
  const schema = options.schema ?? 'public';
  const prefix = options.tablePrefix ?? '';
  if (typeof schema !== 'string') throw new TypeError(`schema must be a string, got ${typeof schema}`);
  if (typeof prefix !== 'string') throw new TypeError(`tablePrefix must be a string, got ${typeof prefix}`);
  if (!IDENTIFIER.test(schema) || schema.length > MAX_IDENTIFIER_LENGTH) {
    throw new RangeError(
      `schema "${schema}" is not usable: use 1-${MAX_IDENTIFIER_LENGTH} lower-case letters, digits or "_", not starting with a digit`,
    );
  }
  if (!PREFIX.test(prefix) || prefix.length + LONGEST_SUFFIX.length > MAX_IDENTIFIER_LENGTH) {
    throw new RangeError(
      `tablePrefix "${prefix}" is not usable: use at most ${MAX_IDENTIFIER_LENGTH - LONGEST_SUFFIX.length} lower-case letters, digits or "_"`,
    );
  }
  const table = `${prefix}readings`;
  const q = quoteIdentifier;
  return {
    schema,
    table,
    qualified: `${q(schema)}.${q(table)}`,
    indexes: {
      ts: q(`${table}_ts_idx`),
      seriesTs: q(`${table}_series_ts_idx`),
      deviceTs: q(`${table}_device_ts_idx`),
      patientTs: q(`${table}_patient_ts_idx`),
      patientMetricTs: q(`${table}_pat_met_ts_idx`),
    },
    series: `${q(schema)}.${q(`${table}_series`)}`,
    seriesIndex: q(`${table}_series_key_idx`),
    migrations: `${q(schema)}.${q(`${table}_versions`)}`,
    rollups: `${q(schema)}.${q(`${table}_rollups`)}`,
    rollupIndexes: {
      ts: q(`${table}_rollups_ts_idx`),
      patientMetric: q(`${table}_rollups_pm_idx`),
      device: q(`${table}_rollups_dv_idx`),
    },
    rollupState: `${q(schema)}.${q(`${table}_rollstate`)}`,
  };
}
