import { utf8Decode } from '@healthit/core';
import { z } from 'zod';
import { canonicalJson } from '../canonical-json.js';
import { Hash, type LedgerEntry } from '../entry.js';
import { LedgerIntegrityError } from '../errors.js';

/** The `format` member of a ledger file's header line. */
export const LEDGER_FILE_FORMAT = 'healthit-ledger-jsonl';

/** The first line of a ledger file: which log the file holds. */
export const LedgerFileHeader = z.strictObject({
  format: z.literal(LEDGER_FILE_FORMAT),
  v: z.literal(1),
  /** Lowercase hex SHA-256 of `publicKey`. */
  logId: Hash,
  /** The log's Ed25519 public key, lowercase hex. */
  publicKey: Hash,
});
export type LedgerFileHeader = z.infer<typeof LedgerFileHeader>;

/** A line of the file: the canonical JSON of `value` and a line feed. */
export function encodeLine(value: LedgerFileHeader | LedgerEntry): string {
  return `${canonicalJson({ ...value })}\n`;
}

function malformed(where: string, index: number, actual: string, cause?: unknown): LedgerIntegrityError {
  return new LedgerIntegrityError('ledger/integrity', `${where} is not a ledger line: ${actual}`, {
    reason: 'malformed',
    index,
    expected: 'the RFC 8785 canonical JSON of a ledger entry on one line',
    actual,
    cause,
  });
}

/**
 * Decodes one line (without its line feed): UTF-8, JSON, and in canonical form (the line must be
 * exactly the canonical JSON of what it holds, so any changed byte is caught).
 * @throws {LedgerIntegrityError} `malformed`.
 */
export function decodeLine(bytes: Uint8Array, where: string, index: number): unknown {
  let text: string;
  let value: unknown;
  try {
    text = utf8Decode(bytes);
    value = JSON.parse(text);
  } catch (error) {
    throw malformed(where, index, (error as Error).message, error);
  }
  let canonical: string | undefined;
  try {
    canonical = canonicalJson(value as never);
  } catch {
    canonical = undefined;
  }
  if (canonical !== text) throw malformed(where, index, 'the line is not in RFC 8785 canonical form');
  return value;
}
