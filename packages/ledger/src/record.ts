import type { LedgerRecord } from '@healthit/core';
import { parse } from '@healthit/core';
import { z } from 'zod';
import { RecordType } from './entry.js';
import { JsonBody } from './json-value.js';

/** The most records one `append` call may carry. */
export const MAX_RECORDS_PER_APPEND = 10_000;

/**
 * zod schema of a {@link LedgerRecord} as the ledger accepts it: exactly `type` (non-empty, at most
 * 256 characters) and `body` (plain JSON, see `toJsonValue`). Parses to a fresh copy.
 */
export const LedgerRecordSchema = z.strictObject({ type: RecordType, body: JsonBody });

const Records = z.array(LedgerRecordSchema).max(MAX_RECORDS_PER_APPEND);

/**
 * Validates records at the API boundary and copies them, so later changes by the caller cannot
 * reach the log.
 * @throws {ValidationError} naming every offending record and field.
 */
export function parseRecords(records: unknown): LedgerRecord[] {
  return parse(Records, 'LedgerRecord[]', records);
}
