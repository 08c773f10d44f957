import { HealthItError } from '@healthit/core';

/** Node socket error codes that mean the database could not be reached. */
const UNREACHABLE_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
]);

/** Messages `pg` uses for lost or impossible connections (it sets no code on these). */
const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection refused',
];

/** SQLSTATE of a unique (primary key) violation. */
export const UNIQUE_VIOLATION = '23505';

/** The `code` of a driver error (a SQLSTATE or a Node socket code), if any. */
export function codeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when `e` (or its `cause`, or one of an `AggregateError`'s errors) says the database could
 * not be reached (socket errors, SQLSTATE class 08, 57P01-57P03 shutdown, 53300 too many
 * connections), as opposed to a statement the database refused.
 */
export function isUnreachableError(e: unknown, depth = 0): boolean {
  if (depth > 4 || typeof e !== 'object' || e === null) return false;
  const code = codeOf(e);
  if (
    code !== undefined &&
    (UNREACHABLE_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300')
  ) {
    return true;
  }
  const message = e instanceof Error ? e.message : '';
  if (UNREACHABLE_MESSAGES.some((m) => message.includes(m))) return true;
  if (e instanceof AggregateError && e.errors.some((x) => isUnreachableError(x, depth + 1))) return true;
  return e instanceof Error && e.cause !== undefined && isUnreachableError(e.cause, depth + 1);
}

/** Where the storage connects, for messages: `host:port/database` (never the password). */
export interface PgEndpoint {
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

/**
 * Wraps a driver error once, at the storage boundary: `store/unavailable` (retryable) naming
 * host and port when PostgreSQL cannot be reached, `store/query-failed` with the SQLSTATE
 * otherwise; the driver error is the `cause`. A {@link HealthItError} or a `RangeError` / `TypeError`
 * of ours passes through unchanged.
 *
 * @param where - the log, e.g. `PostgreSQL log storage "cold-chain"`.
 * @param operation - what failed, e.g. `append entries 0..7`.
 */
export function wrapPgError(e: unknown, endpoint: PgEndpoint, where: string, operation: string): Error {
  if (e instanceof HealthItError || e instanceof RangeError || e instanceof TypeError) return e;
  const driverMessage = e instanceof Error ? e.message || e.constructor.name : String(e);
  const sqlState = codeOf(e);
  const at = `${endpoint.host}:${endpoint.port}`;
  const detail = {
    operation,
    host: endpoint.host,
    port: endpoint.port,
    database: endpoint.database,
    ...(sqlState === undefined ? {} : { code: sqlState }),
  };
  if (isUnreachableError(e)) {
    return new HealthItError(
      'store/unavailable',
      `${where}: could not ${operation}: PostgreSQL at ${at} (database "${endpoint.database}") cannot be reached ` +
        `(${driverMessage}). Check that it is running and reachable; the operation can be retried.`,
      { cause: e, detail },
    );
  }
  return new HealthItError(
    'store/query-failed',
    `${where}: could not ${operation} on PostgreSQL at ${at}: ${driverMessage}` +
      (sqlState === undefined ? '' : ` (SQLSTATE ${sqlState})`),
    { cause: e, detail },
  );
}
