import { type ErrorCode, HealthItError, type LedgerReceipt } from '@healthit/core';

/** One record of a call that the log refused. */
export interface RecordFailure {
  /** The record's position in the call. */
  readonly position: number;
  /** Why the log refused it (e.g. a retryable `buffer/overflow`, a `StreamOrderError`). */
  readonly error: unknown;
}

/**
 * The log sequenced some records of an `append` call and refused others. An append-only log
 * cannot take entries back, so the receipts of those it holds are reported here: retry only the
 * records at the failed positions (the sink gives them fresh stream positions).
 *
 * `code` is the first refusal's code when it has one (so a queue-full refusal stays retryable),
 * `state/invalid` otherwise.
 */
export class PartialAppendError extends HealthItError {
  /** Always `PartialAppendError`. */
  override readonly name = 'PartialAppendError';
  /** One slot per record of the call: its receipt, or `undefined` when it was refused. */
  readonly receipts: readonly (LedgerReceipt | undefined)[];
  /** The refused records, in call order. */
  readonly failures: readonly RecordFailure[];

  /**
   * Makes the error; its code is the first refusal's code when it has one (else `state/invalid`),
   * its `cause` that refusal, and `detail.positions` the refused positions.
   * @param receipts - One slot per record of the call: its receipt, or `undefined` when it was
   *   refused.
   * @param failures - The refused records, in call order (at least one).
   */
  constructor(receipts: readonly (LedgerReceipt | undefined)[], failures: readonly RecordFailure[]) {
    const first = failures[0]?.error;
    const code: ErrorCode = first instanceof HealthItError ? first.code : 'state/invalid';
    const positions = failures.map((f) => f.position).join(', ');
    super(
      code,
      `The log sequenced ${receipts.length - failures.length} of ${receipts.length} records and refused those at ` +
        `positions ${positions} (first: ${first instanceof Error ? first.message : String(first)}); ` +
        'retry only the refused records',
      { cause: first, detail: { positions: failures.map((f) => f.position) } },
    );
    this.receipts = receipts;
    this.failures = failures;
  }
}
