/**
 * Test helper: a `LedgerSink` that records what it is given and answers `receipt(index)` with what
 * it returned (its receipts carry the SHA-256 of each record). For the real transparency log, see
 * the repository's `test/model-approval-ledger.test.ts`.
 */
import { type LedgerReceipt, type LedgerRecord, type LedgerSink, utf8Encode } from '@healthit/core';
import { sha256Hex } from '../src/artifacts/digest.js';

/** Options of {@link recordingLedger}. */
export interface RecordingLedgerOptions {
  /** The receipts' `logId` (default 64 × `a`). */
  readonly logId?: string;
  /** When given, every `append` rejects with it (a ledger that is down). */
  readonly fail?: Error;
}

/** A recording {@link LedgerSink}; `records` holds every record appended, in order. */
export function recordingLedger(
  options: RecordingLedgerOptions = {},
): LedgerSink & { records: LedgerRecord[] } {
  const logId = options.logId ?? 'a'.repeat(64);
  const records: LedgerRecord[] = [];
  const receipts: LedgerReceipt[] = [];
  return {
    records,
    async append(batch) {
      if (options.fail) throw options.fail;
      const out: LedgerReceipt[] = [];
      for (const record of batch) {
        const receipt = {
          logId,
          index: receipts.length,
          entryHash: await sha256Hex(utf8Encode(JSON.stringify(record))),
        };
        records.push(record);
        receipts.push(receipt);
        out.push(receipt);
      }
      return out;
    },
    async receipt(index) {
      return receipts[index];
    },
  };
}
