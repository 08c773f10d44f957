/** The SQL names a PostgreSQL log storage uses, validated and quoted. */
export interface LogTableNames {
  /** Unquoted schema name, e.g. `public`. */
  readonly schema: string;
  /** Unquoted table prefix, e.g. `tlog_`. */
  readonly prefix: string;
  /** `"schema"."<prefix>meta"`: one row per setting, among them the schema version. */
  readonly meta: string;
  /** `"schema"."<prefix>entries"`: one row per entry, keyed by (log id, index). */
  readonly entries: string;
  /** `"schema"."<prefix>tree"`: one row per leaf, the node hashes its append completed. */
  readonly tree: string;
  /** `"schema"."<prefix>checkpoints"`: one row per log, its latest checkpoint note. */
  readonly checkpoints: string;
}

/** Options that name the tables of a PostgreSQL log storage. */
export interface LogTableNameOptions {
  /** Schema of the tables (default `public`); created if missing. Lower-case letters, digits, `_`. */
  readonly schema?: string;
  /** Prefix of the table names (default `tlog_`: tables `tlog_entries`, `tlog_tree` ...). */
  readonly tablePrefix?: string;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
const PREFIX = /^[a-z_][a-z0-9_]*$|^$/;
/** PostgreSQL's NAMEDATALEN - 1. */
const MAX_IDENTIFIER_LENGTH = 63;
/** The longest table name suffix (a primary key index name adds `_pkey`). */
const LONGEST_SUFFIX = 'checkpoints_pkey';

/** Quotes an identifier for PostgreSQL (doubles embedded quotes). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Validates the schema name and table prefix and derives the four table names.
 * @throws {TypeError} when `schema` or `tablePrefix` is not a string.
 * @throws {RangeError} when a name is not a plain lower-case SQL identifier or is too long for
 *   PostgreSQL (63 bytes, with the longest derived name).
 */
export function logTableNames(options: LogTableNameOptions = {}): LogTableNames {
  const schema = options.schema ?? 'public';
  const prefix = options.tablePrefix ?? 'tlog_';
  if (typeof schema !== 'string') throw new TypeError(`schema must be a string, got ${typeof schema}`);
  if (typeof prefix !== 'string') throw new TypeError(`tablePrefix must be a string, got ${typeof prefix}`);
  if (!IDENTIFIER.test(schema) || schema.length > MAX_IDENTIFIER_LENGTH) {
    throw new RangeError(
      `schema "${schema}" is not usable: use 1-${MAX_IDENTIFIER_LENGTH} lower-case letters, digits or "_", not starting with a digit`,
    );
  }
  const maxPrefix = MAX_IDENTIFIER_LENGTH - LONGEST_SUFFIX.length;
  if (!PREFIX.test(prefix) || prefix.length > maxPrefix) {
    throw new RangeError(
      `tablePrefix "${prefix}" is not usable: use at most ${maxPrefix} lower-case letters, digits or "_", not starting with a digit`,
    );
  }
  const table = (suffix: string) => `${quoteIdentifier(schema)}.${quoteIdentifier(`${prefix}${suffix}`)}`;
  return {
    schema,
    prefix,
    meta: table('meta'),
    entries: table('entries'),
    tree: table('tree'),
    checkpoints: table('checkpoints'),
  };
}
