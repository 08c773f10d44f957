import { HealthItError } from '@healthit/core';

/**
 * What a {@link LedgerIntegrityError} found. Each names one check of the chain, so callers (and
 * tests) can tell the attacks apart:
 *
 * - `malformed`: an entry (or a stored line) is not a well-formed ledger entry;
 * - `index`: an entry sits at the wrong position (reordered, deleted or inserted entries);
 * - `prev-hash`: an entry does not link to the hash of the entry before it;
 * - `entry-hash`: an entry's content does not hash to the `entryHash` it carries (tampered fields);
 * - `signature`: the signature does not verify under the log's public key (forged, or signed by
 *   another key);
 * - `log-id`: the storage or a known head names another log (another public key);
 * - `truncated`: the log is shorter than a head the verifier already knew;
 * - `fork`: the entry at a known head's position has another hash than the known head;
 * - `torn-tail`: a file ends in a partial line (a write interrupted by a crash).
 */
export const IntegrityReasons = [
  'malformed',
  'index',
  'prev-hash',
  'entry-hash',
  'signature',
  'log-id',
  'truncated',
  'fork',
  'torn-tail',
] as const;

/** One of {@link IntegrityReasons}. */
export type IntegrityReason = (typeof IntegrityReasons)[number];

/** The codes a {@link LedgerIntegrityError} carries. */
export type LedgerIntegrityCode = 'ledger/integrity' | 'ledger/signature';

/** Structured detail of a {@link LedgerIntegrityError}. */
export interface LedgerIntegrityDetail {
  /** Which check failed. */
  readonly reason: IntegrityReason;
  /**
   * The 0-based index of the offending entry (its position in the sequence being verified);
   * `-1` when the fault is in the log's metadata (e.g. a file header) rather than in an entry.
   */
  readonly index: number;
  /** What the verifier expected (a hash, an index, a public key ...), as text. */
  readonly expected: string;
  /** What it found, as text. */
  readonly actual: string;
  /** The underlying error, e.g. a `ValidationError` (of `@healthit/core`) for a malformed entry. */
  readonly cause?: unknown;
}

/**
 * The ledger failed verification: an entry was tampered with, reordered, deleted, forged or signed
 * by another key. Code `ledger/signature` when a signature (or the log's public key) is wrong,
 * `ledger/integrity` for everything else. Permanent: re-verifying the same entries fails the same way.
 *
 * @example
 * ```ts
 * try { verifyChain(entries, publicKey) } catch (e) {
 *   if (e instanceof LedgerIntegrityError) console.error(e.reason, 'at entry', e.index);
 * }
 * ```
 */
export class LedgerIntegrityError extends HealthItError {
  /** Always `LedgerIntegrityError`. */
  override readonly name = 'LedgerIntegrityError';
  /** Which check failed. */
  readonly reason: IntegrityReason;
  /** Index of the offending entry; `-1` for log metadata (see {@link LedgerIntegrityDetail.index}). */
  readonly index: number;
  /** What the verifier expected. */
  readonly expected: string;
  /** What it found. */
  readonly actual: string;

  /**
   * Makes a ledger integrity error; `detail`'s reason, index, expected and actual are copied onto
   * it and into its `detail`.
   * @param code - `ledger/signature` when a signature or the log's public key is wrong,
   *   `ledger/integrity` otherwise.
   * @param message - The human-readable message.
   * @param detail - The failed check, the offending index, what was expected and found, and the
   *   underlying `cause`.
   */
  constructor(code: LedgerIntegrityCode, message: string, detail: LedgerIntegrityDetail) {
    super(code, message, {
      cause: detail.cause,
      detail: {
        reason: detail.reason,
        index: detail.index,
        expected: detail.expected,
        actual: detail.actual,
      },
    });
    this.reason = detail.reason;
    this.index = detail.index;
    this.expected = detail.expected;
    this.actual = detail.actual;
  }
}

/** True when `e` is a {@link LedgerIntegrityError}, optionally for the given reason. */
export function isLedgerIntegrityError(e: unknown, reason?: IntegrityReason): e is LedgerIntegrityError {
  return e instanceof LedgerIntegrityError && (reason === undefined || e.reason === reason);
}
