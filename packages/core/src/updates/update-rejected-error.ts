import { HealthItError, type HealthItErrorOptions } from '../errors/health-it-error.js';

/**
 * Why an update was refused. Each reason names the check that failed, so a fleet view can count
 * refusals by cause and a test can assert the exact defence that fired.
 */
export type UpdateRejection =
  /** A metadata or manifest signature did not verify, or too few distinct keys signed it. */
  | 'signature'
  /** Metadata version or manifest sequence number went backwards (rollback). */
  | 'rollback'
  /** Metadata is past its expiry (freeze attack). */
  | 'expired'
  /** Metadata files do not agree with one another (snapshot/timestamp/targets versions, hashes). */
  | 'inconsistent'
  /** A download exceeded its declared or configured size, or took too long. */
  | 'too-large'
  | 'timeout'
  /** The image is not for this device's hardware id, vendor or class. */
  | 'wrong-hardware'
  /** A delegated role signed targets outside the paths it was delegated. */
  | 'delegation'
  /** The director's assignment and the image repository disagree (Uptane). */
  | 'director-mismatch'
  /** The image's digest or length differs from what the metadata or manifest declares. */
  | 'digest'
  /** No `firmware.authorize` ledger entry meeting its endorsement policy proves this image. */
  | 'not-authorised'
  /** The image is encrypted to another device, or decryption failed. */
  | 'decryption'
  /** An update command or report was replayed. */
  | 'replay'
  /** A signed update command or report names another device than the one it reached. */
  | 'wrong-device'
  /** Bytes that are not a well-formed manifest, metadata file or image. */
  | 'malformed';

/** Options of {@link UpdateRejectedError}. */
export interface UpdateRejectedErrorOptions extends HealthItErrorOptions {
  /** What was being checked, e.g. `timestamp.json`, `manifest`, `image po-200/2.4.1.bin`. */
  readonly subject?: string;
}

/**
 * A firmware update failed one of its checks. Nothing is installed when this is thrown.
 *
 * @example
 * ```ts
 * try { await agent.update() } catch (e) {
 *   if (e instanceof UpdateRejectedError && e.reason === 'rollback') report('rollback attempt');
 * }
 * ```
 */
export class UpdateRejectedError extends HealthItError {
  /** Always `UpdateRejectedError`. */
  override readonly name = 'UpdateRejectedError';
  /** The check that failed: count refusals by it, or assert the exact defence that fired. */
  readonly reason: UpdateRejection;
  /** What was being checked, e.g. `timestamp.json` or a target path; undefined when not given. */
  readonly subject: string | undefined;

  /**
   * Makes an `update/rejected` error; `reason` and `subject` are also put in `detail`.
   * @param reason - The check that failed.
   * @param message - The human-readable message.
   * @param options - What was being checked (`subject`), the underlying `cause` and extra `detail`.
   */
  constructor(reason: UpdateRejection, message: string, options: UpdateRejectedErrorOptions = {}) {
    super('update/rejected', message, {
      ...options,
      detail: { reason, subject: options.subject, ...options.detail },
    });
    this.reason = reason;
    this.subject = options.subject;
  }
}
