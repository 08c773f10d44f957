import { type ErrorCode, HealthItError } from '@healthit/core';

/**
 * What a {@link LogVerificationError} found:
 * - `malformed`: an entry's bytes are not a canonical entry (cause: the `EntryError`);
 * - `signature`: an entry signature is by a key the policy in force does not list, does not verify,
 *   or the signature requirements are not met (cause: the `EntrySignatureError`);
 * - `endorsement`: the entry is not endorsed as the policy in force requires, or its kind is not
 *   allowed (cause: the `EndorsementError`);
 * - `policy-update`: a `policy.update` entry is not authorised by the admins of both versions,
 *   or its policy document is missing or does not match (cause: the `EndorsementError`);
 * - `stream-order`: a gap, replay, reordering, wrong `prev`, or another log's origin (cause: the
 *   `StreamOrderError`);
 * - `size`: there are fewer or more entries than the checkpoint covers;
 * - `root`: the entries do not produce the checkpoint's Merkle root;
 * - `checkpoint`: the checkpoint note does not verify under the log key, or names another origin
 *   (cause: the `NoteError`);
 * - `witnesses`: fewer witnesses cosigned the checkpoint than the witness policy requires, or a
 *   cosignature does not verify (cause: the `NoteError`).
 */
export const LogVerificationReasons = [
  'malformed',
  'signature',
  'endorsement',
  'policy-update',
  'stream-order',
  'size',
  'root',
  'checkpoint',
  'witnesses',
] as const;

/** One of {@link LogVerificationReasons}. */
export type LogVerificationReason = (typeof LogVerificationReasons)[number];

const SIGNATURE_REASONS: ReadonlySet<LogVerificationReason> = new Set([
  'signature',
  'endorsement',
  'policy-update',
  'checkpoint',
  'witnesses',
]);

/** Structured detail of a {@link LogVerificationError}. */
export interface LogVerificationDetail {
  /** Which check failed, one of {@link LogVerificationReasons}. */
  readonly reason: LogVerificationReason;
  /** The index of the offending entry; `-1` when the fault is in the checkpoint (or the whole tree). */
  readonly index: number;
  /** The underlying error (an `EndorsementError`, `StreamOrderError`, `NoteError` ...), if any. */
  readonly cause?: unknown;
}

/**
 * A transparency log failed independent verification (`verifyLog`), or a reopened log's policy
 * history does not replay. Names the entry index and the check. Code `ledger/signature` for
 * signature, endorsement, policy, checkpoint and witness faults, `ledger/integrity` otherwise;
 * permanent.
 * @example
 * ```ts
 * try { verifyLog(input) } catch (e) {
 *   if (e instanceof LogVerificationError) console.error(e.reason, 'at index', e.index, e.cause);
 * }
 * ```
 */
export class LogVerificationError extends HealthItError {
  /** Always `LogVerificationError`. */
  override readonly name = 'LogVerificationError';
  /** Which check failed, one of {@link LogVerificationReasons}. */
  readonly reason: LogVerificationReason;
  /** Index of the offending entry, `-1` for the checkpoint or the tree as a whole. */
  readonly index: number;

  /**
   * Makes the error; its code is `ledger/signature` for signature, endorsement, policy-update,
   * checkpoint and witness faults, `ledger/integrity` otherwise.
   * @param message - The human-readable message.
   * @param detail - The failed check, the offending index and the underlying `cause`.
   */
  constructor(message: string, detail: LogVerificationDetail) {
    const code: ErrorCode = SIGNATURE_REASONS.has(detail.reason) ? 'ledger/signature' : 'ledger/integrity';
    super(code, message, { cause: detail.cause, detail: { reason: detail.reason, index: detail.index } });
    this.reason = detail.reason;
    this.index = detail.index;
  }
}
