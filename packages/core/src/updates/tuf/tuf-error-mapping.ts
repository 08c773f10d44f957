import {
  CryptoError,
  LengthOrHashMismatchError,
  RepositoryError as ModelRepositoryError,
  ValueError as ModelValueError,
  UnsignedMetadataError,
} from '@tufjs/models/dist/error.js';
import {
  BadVersionError,
  DownloadHTTPError,
  DownloadLengthMismatchError,
  ExpiredMetadataError,
  PersistError,
  RepositoryError,
  RuntimeError,
} from 'tuf-js/dist/error.js';
import { HealthItError } from '../../errors/health-it-error.js';
import { UpdateRejectedError, type UpdateRejection } from '../update-rejected-error.js';

/** What was being checked when a tuf-js error was thrown. */
export interface TufErrorContext {
  /** The file concerned, e.g. `metadata/3.snapshot.json` or `po-200/2.4.1.bin`. */
  readonly subject: string;
  /** True when checking a target file (a length or hash mismatch is then `digest`). */
  readonly target?: boolean;
}

/** True for the message-only error tuf-js throws when loading snapshot or targets failed. */
export function isTufWrapperError(error: unknown): boolean {
  return error instanceof RuntimeError && /^Unable to load /.test(error.message);
}

function rejection(reason: UpdateRejection, error: Error, subject: string): UpdateRejectedError {
  return new UpdateRejectedError(reason, `${subject}: ${error.message}`, {
    subject,
    cause: error,
    detail: { tufError: error.constructor.name },
  });
}

/** The reason of a version error: a mismatch between files, or a version going backwards. */
function versionReason(error: Error): UpdateRejection {
  return /does(?: not|n't) match/.test(error.message) ? 'inconsistent' : 'rollback';
}

/** The reason of a repository-state error other than a bad version or expiry. */
function repositoryReason(error: Error): UpdateRejection {
  if (/^Missing file .* in new snapshot/.test(error.message)) return 'rollback'; // TUF §5.5.5
  if (/^Expected '.*', got /.test(error.message)) return 'malformed';
  return 'inconsistent';
}

/** The reason of a models `ValueError` (raised while parsing or checking a delegation). */
function valueReason(error: Error): UpdateRejection {
  if (/multiple signatures found for keyid|duplicate key IDs/.test(error.message)) return 'signature';
  if (/no delegation found|No delegations found/.test(error.message)) return 'delegation';
  return 'malformed';
}

/**
 * Maps an error thrown by tuf-js 4.1 or @tufjs/models 4.1 (the original, not tuf-js's wrapper) to
 * this SDK's errors:
 *
 * | tuf-js / models error | result |
 * | --- | --- |
 * | `UnsignedMetadataError`, `CryptoError`, duplicate signatures or key ids (`ValueError`) | `signature` |
 * | `BadVersionError` (a version going backwards, or a replayed root) | `rollback` |
 * | `BadVersionError` (versions that do not match: snapshot vs timestamp, targets vs snapshot) | `inconsistent` |
 * | `ExpiredMetadataError` | `expired` (subject: the expired file) |
 * | `LengthOrHashMismatchError` | `inconsistent` for metadata, `digest` for a target |
 * | `RepositoryError` "Missing file … in new snapshot" | `rollback` |
 * | other `RepositoryError` | `inconsistent` |
 * | `DownloadLengthMismatchError` | `too-large` |
 * | `SyntaxError`, `TypeError`, wrong `_type`, other `ValueError` | `malformed` |
 * | `DownloadHTTPError` | `HealthItError('update/unavailable')` |
 * | `PersistError` | `HealthItError('store/unavailable')` |
 * | an SDK `HealthItError` | itself |
 *
 * @example
 * ```ts
 * catch (e) { throw tufErrorToUpdateError(e, { subject: 'metadata/timestamp.json' }) }
 * ```
 */
export function tufErrorToUpdateError(error: unknown, context: TufErrorContext): HealthItError {
  const { subject } = context;
  if (error instanceof HealthItError) return error;
  if (!(error instanceof Error))
    return new UpdateRejectedError('malformed', `${subject}: ${String(error)}`, { subject, cause: error });
  if (error instanceof UnsignedMetadataError || error instanceof CryptoError)
    return rejection('signature', error, subject);
  if (error instanceof LengthOrHashMismatchError)
    return rejection(context.target === true ? 'digest' : 'inconsistent', error, subject);
  if (error instanceof ExpiredMetadataError) {
    const expired = /(\S+\.json) is expired/.exec(error.message)?.[1];
    return rejection('expired', error, expired === undefined ? subject : `metadata/${expired}`);
  }
  if (error instanceof BadVersionError) return rejection(versionReason(error), error, subject);
  if (error instanceof RepositoryError || error instanceof ModelRepositoryError)
    return rejection(repositoryReason(error), error, subject);
  if (error instanceof ModelValueError) return rejection(valueReason(error), error, subject);
  if (error instanceof DownloadLengthMismatchError) return rejection('too-large', error, subject);
  if (error instanceof DownloadHTTPError)
    return new HealthItError('update/unavailable', `${subject}: HTTP ${error.statusCode}`, {
      cause: error,
      detail: { path: subject, status: error.statusCode },
    });
  if (error instanceof PersistError)
    return new HealthItError('store/unavailable', `Persisting trusted metadata failed: ${error.message}`, {
      cause: error,
    });
  if (error instanceof SyntaxError || error instanceof TypeError)
    return rejection('malformed', error, subject);
  if (error instanceof RuntimeError || error instanceof ReferenceError)
    return new HealthItError('state/invalid', `tuf-js refused an operation: ${error.message}`, {
      cause: error,
    });
  return rejection('malformed', error, subject);
}
