import { type ErrorCode, HealthItError } from '@healthit/core';
import type { EquivocationEvidence } from './equivocation.js';

/**
 * What a {@link NoteError} found:
 * - `malformed`: not a well-formed signed note, key string or signature line;
 * - `oversized`: more bytes or signature lines than the declared limits;
 * - `bad-key`: a verifier/signer key (or key name) is invalid;
 * - `ambiguous-key`: two configured keys share both name and key ID;
 * - `bad-signature`: a signature from a known key does not verify;
 * - `unverified`: no signature from a known key;
 * - `checkpoint`: the note text is not a well-formed C2SP checkpoint;
 * - `origin`: the checkpoint names another log than expected;
 * - `rollback`: a checkpoint is smaller than one already verified;
 * - `inconsistent`: a larger checkpoint has no valid consistency proof from the last one;
 * - `equivocation`: two different checkpoints of the same size signed by the same log;
 * - `quorum`: fewer than k distinct witnesses cosigned.
 */
export const NoteErrorReasons = [
  'malformed',
  'oversized',
  'bad-key',
  'ambiguous-key',
  'bad-signature',
  'unverified',
  'checkpoint',
  'origin',
  'rollback',
  'inconsistent',
  'equivocation',
  'quorum',
] as const;

/** One of {@link NoteErrorReasons}. */
export type NoteErrorReason = (typeof NoteErrorReasons)[number];

const CODES: Record<NoteErrorReason, ErrorCode> = {
  malformed: 'codec/decode',
  oversized: 'codec/decode',
  checkpoint: 'codec/decode',
  'bad-key': 'config/invalid',
  'ambiguous-key': 'config/invalid',
  'bad-signature': 'ledger/signature',
  unverified: 'ledger/signature',
  quorum: 'ledger/signature',
  origin: 'ledger/integrity',
  rollback: 'ledger/integrity',
  inconsistent: 'ledger/integrity',
  equivocation: 'ledger/integrity',
};

/** Optional structured detail of a {@link NoteError}. */
export interface NoteErrorDetail {
  /** The key (`name+keyid`) concerned, when there is one. */
  readonly key?: string;
  /** Proof that a log signed two different checkpoints of one size (reason `equivocation`). */
  readonly evidence?: EquivocationEvidence;
  /** The underlying error. */
  readonly cause?: unknown;
}

/**
 * A signed note, checkpoint or cosignature was rejected. `reason` says which check failed; `code`
 * is `codec/decode` (malformed input), `config/invalid` (bad configured keys), `ledger/signature`
 * (signatures) or `ledger/integrity` (log history: rollback, inconsistency, equivocation). Permanent.
 *
 * @example
 * ```ts
 * try { verifyNote(text, verifiers) } catch (e) {
 *   if (e instanceof NoteError && e.reason === 'equivocation') publish(e.evidence);
 * }
 * ```
 */
export class NoteError extends HealthItError {
  /** Always `NoteError`. */
  override readonly name = 'NoteError';
  /** Which check failed. */
  readonly reason: NoteErrorReason;
  /** The key concerned (`name+keyid`), if any. */
  readonly key: string | undefined;
  /** Equivocation evidence (reason `equivocation`). */
  readonly evidence: EquivocationEvidence | undefined;

  /**
   * Makes a note error; its code follows from `reason`, which is also put in `detail` (with the
   * key, when given).
   * @param reason - Which check failed.
   * @param message - The human-readable message.
   * @param detail - The key concerned, equivocation evidence and the underlying `cause`, each when
   *   there is one.
   */
  constructor(reason: NoteErrorReason, message: string, detail: NoteErrorDetail = {}) {
    super(CODES[reason], message, {
      cause: detail.cause,
      detail: { reason, ...(detail.key === undefined ? {} : { key: detail.key }) },
    });
    this.reason = reason;
    this.key = detail.key;
    this.evidence = detail.evidence;
  }
}

/** True when `e` is a {@link NoteError}, optionally for the given reason. */
export function isNoteError(e: unknown, reason?: NoteErrorReason): e is NoteError {
  return e instanceof NoteError && (reason === undefined || e.reason === reason);
}
