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

/**
 * SQLSTATEs that mean the server is unreachable, going away or out of connections: class 08
 * (connection exception), 57P01-57P03 (shutdown, cannot connect now), 53300 (too many connections).
 */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300'
  );
}

/** Messages `pg` uses for lost or impossible connections (it sets no code on these). */
const UNREACHABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection refused',
];

function codeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined;
  const code = (e as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * True when `e` (or its `cause`, or one of an `AggregateError`'s errors) says the database could
 * not be reached, as opposed to a statement the database rejected.
 */
export function isUnreachableError(e: unknown, depth = 0): boolean {
  if (depth > 4 || typeof e !== 'object' || e === null) return false;
  const code = codeOf(e);
  if (code !== undefined && (UNREACHABLE_CODES.has(code) || isUnavailableSqlState(code))) return true;
  const message = e instanceof Error ? e.message : '';
  if (UNREACHABLE_MESSAGES.some((m) => message.includes(m))) return true;
  if (e instanceof AggregateError && e.errors.some((x) => isUnreachableError(x, depth + 1))) return true;
  return e instanceof Error && e.cause !== undefined && isUnreachableError(e.cause, depth + 1);
}

/**
 * Wraps a driver error once, at the store boundary: `store/unavailable` (retryable) when the
 * database could not be reached, `store/query-failed` otherwise; the driver error is the `cause`.
 * A {@link HealthItError} (ours, e.g. a ValidationError) passes through unchanged.
 *
 * @param store - what failed, for the message, e.g. `PGlite reading store`.
 * @param operation - the store operation, e.g. `append`.
 */
export function wrapDriverError(e: unknown, store: string, operation: string): HealthItError {
  if (e instanceof HealthItError) return e;
  const driverMessage = e instanceof Error ? e.message : String(e);
  const sqlState = codeOf(e);
  const detail = { operation, ...(sqlState === undefined ? {} : { code: sqlState }) };
  if (isUnreachableError(e)) {
    return new HealthItError(
      'store/unavailable',
      `${store}: ${operation} failed because the database cannot be reached (${driverMessage}). ` +
        'Check that it is running and reachable; the operation can be retried.',
      { cause: e, detail },
    );
  }
  return new HealthItError(
    'store/query-failed',
    `${store}: ${operation} failed: ${driverMessage}${sqlState === undefined ? '' : ` (SQLSTATE ${sqlState})`}`,
    { cause: e, detail },
  );
}
