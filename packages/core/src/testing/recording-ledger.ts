import type { LedgerReceipt, LedgerRecord, LedgerSink } from '../ports/ledger-sink.js';
import { sha256HexOfText } from '../security/digest.js';

/** Options of {@link recordingLedger}. */
export interface RecordingLedgerOptions {
  /** The receipts' `logId` (default 64 × `a`). */
  readonly logId?: string;
  /** When given, every `append` rejects with it (a ledger that is down). */
  readonly fail?: Error;
}

/**
 * A `LedgerSink` for tests: it records every record appended, in order, and answers
 * `receipt(index)` with what it returned (each receipt carries the SHA-256 of its record's JSON).
 * No proofs: tests of tamper evidence use the real transparency log of `@healthit/ledger`.
 *
 * @example
 * ```ts
 * const ledger = recordingLedger();
 * await audited.append([{ type: 'config-change', body: { device: 'po-1' } }]);
 * expect(ledger.records).toHaveLength(1);
 * ```
 */
export function recordingLedger(
  options: RecordingLedgerOptions = {},
): LedgerSink & { readonly records: LedgerRecord[] } {
  const logId = options.logId ?? 'a'.repeat(64);
  const records: LedgerRecord[] = [];
  const receipts: LedgerReceipt[] = [];
  return {
    records,
    async append(batch) {
      if (options.fail) throw options.fail;
      return batch.map((record) => {
        const receipt = { logId, index: receipts.length, entryHash: sha256HexOfText(JSON.stringify(record)) };
        records.push(record);
        receipts.push(receipt);
        return receipt;
      });
    },
    async receipt(index) {
      return receipts[index];
    },
  };
}
