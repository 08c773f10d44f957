import { EpochMs, type JsonValue, utf8Encode } from '@healthit/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { z } from 'zod';
import { canonicalJson } from './canonical-json.js';
import { fromHex, toHex } from './hex.js';
import { isWellFormedString, JsonBody } from './json-value.js';
import type { LedgerKey } from './key.js';
import { ed25519Sign } from './signing.js';

/** The domain-separation prefix of every entry's hashed bytes (UTF-8, ending in a line feed). */
export const ENTRY_DOMAIN = 'healthit-ledger-entry-v1\n';

/** The `prevHash` of entry 0, and the head of an empty log: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** The longest record type, in UTF-16 code units. */
export const MAX_RECORD_TYPE_LENGTH = 256;

const DOMAIN_BYTES = utf8Encode(ENTRY_DOMAIN);

/** A lowercase hex SHA-256 hash. */
export const Hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters (SHA-256)');

/** A record type: a non-empty, well-formed string of at most {@link MAX_RECORD_TYPE_LENGTH} characters. */
export const RecordType = z
  .string()
  .min(1, 'must be a non-empty string')
  .max(MAX_RECORD_TYPE_LENGTH)
  .refine(isWellFormedString, 'must not contain lone surrogates');

/**
 * zod schema of a stored {@link LedgerEntry}: exactly these seven members, hashes and signature as
 * lowercase hex. Parsing returns a fresh copy (the body included).
 */
export const LedgerEntry = z.strictObject({
  index: z.number().int().nonnegative(),
  prevHash: Hash,
  ts: EpochMs,
  type: RecordType,
  body: JsonBody,
  entryHash: Hash,
  signature: z.string().regex(/^[0-9a-f]{128}$/, 'must be 128 lowercase hex characters (Ed25519)'),
});

/** The fields of an entry that its hash commits to. */
export interface EntryFields {
  /** 0-based position in the log. */
  readonly index: number;
  /** Lowercase hex `entryHash` of the entry at `index - 1`; {@link GENESIS_HASH} for index 0. */
  readonly prevHash: string;
  /** Epoch ms when the writer appended the entry (the writer's claim, from its injected clock). */
  readonly ts: number;
  /** What the record is, e.g. `reading-batch`. */
  readonly type: string;
  /** The record's JSON body. */
  readonly body: JsonValue;
}

/**
 * One entry of a hash-chained log, as stored and as given to verifiers.
 *
 * `entryHash` = lowercase hex SHA-256 of {@link encodeEntry}(the five {@link EntryFields});
 * `signature` = lowercase hex Ed25519 signature, under the log's key, of the 32 raw bytes of
 * `entryHash`.
 */
export interface LedgerEntry extends EntryFields {
  /** Lowercase hex SHA-256 of {@link encodeEntry} of the entry's five fields (64 characters). */
  readonly entryHash: string;
  /** The log key's Ed25519 signature of the 32 raw bytes of `entryHash`, lowercase hex (128 characters). */
  readonly signature: string;
}

/**
 * The exact bytes an entry's hash covers: the UTF-8 bytes of {@link ENTRY_DOMAIN}
 * (`healthit-ledger-entry-v1\n`) followed by the UTF-8 bytes of the RFC 8785 canonical JSON of
 * `{ index, prevHash, ts, type, body }` (these five members only).
 *
 * These are also the bytes a Merkle log (RFC 9162) will use as the entry's leaf data.
 *
 * @example
 * ```ts
 * new TextDecoder().decode(encodeEntry({ index: 0, prevHash: GENESIS_HASH, ts: 1, type: 't', body: {} }));
 * // 'healthit-ledger-entry-v1\n{"body":{},"index":0,"prevHash":"000…000","ts":1,"type":"t"}'
 * ```
 */
export function encodeEntry(fields: EntryFields): Uint8Array {
  const { index, prevHash, ts, type, body } = fields;
  const json = utf8Encode(canonicalJson({ index, prevHash, ts, type, body }));
  const bytes = new Uint8Array(DOMAIN_BYTES.length + json.length);
  bytes.set(DOMAIN_BYTES, 0);
  bytes.set(json, DOMAIN_BYTES.length);
  return bytes;
}

/** The lowercase hex SHA-256 of {@link encodeEntry}(fields): the entry's `entryHash`. */
export function hashEntry(fields: EntryFields): string {
  return toHex(sha256(encodeEntry(fields)));
}

/**
 * Hashes and signs entry fields with the log's key. The fields must already be valid (see
 * {@link LedgerEntry}); the ledger validates them before calling this.
 */
export function signEntry(fields: EntryFields, key: LedgerKey): LedgerEntry {
  const entryHash = hashEntry(fields);
  const signature = toHex(ed25519Sign(fromHex(entryHash, 32, 'entryHash'), key.secretKey));
  const { index, prevHash, ts, type, body } = fields;
  return { index, prevHash, ts, type, body, entryHash, signature };
}
