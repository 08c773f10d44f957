import { utf8Encode } from '@healthit/core';
import { sha256 } from '@noble/hashes/sha2.js';
import { fromHex, toHex } from '../hex.js';
import { toPublicKeyBytes } from '../key.js';
import { ed25519VerifyStrict } from '../note/ed25519.js';
import { ed25519Sign } from '../signing.js';
import { rememberValid, validUnsignedText } from './canonical-entry.js';
import { type Entry, MAX_ENTRY_BYTES, sortSignatures, type UnsignedEntry } from './entry.js';
import { EntryError, EntrySignatureError, type SignatureFailure } from './errors.js';
import { parseEntry } from './parse.js';

/**
 * The domain-separation prefix of every entry signature (UTF-8, ending in a line feed). A
 * signature made for any other purpose (another protocol, the v1 hash chain, a signed note) never
 * verifies as an entry signature, and vice versa.
 */
export const ENTRY_SIGNING_DOMAIN = 'healthit-ledger-entry/v2\n';

const DOMAIN_BYTES = utf8Encode(ENTRY_SIGNING_DOMAIN);

/**
 * The bytes every signer of an entry signs: {@link ENTRY_SIGNING_DOMAIN} ‖ UTF-8 RFC 8785 JSON of
 * the entry without its `signatures` member. All signers sign the same message, so signatures can
 * be collected in any order.
 * @throws {EntryError} reason `invalid` or `oversized` when the entry is not a valid entry.
 */
export function entrySigningMessage(entry: UnsignedEntry | Entry): Uint8Array {
  const json = utf8Encode(validUnsignedText(entry));
  if (json.length > MAX_ENTRY_BYTES) {
    throw new EntryError(
      'oversized',
      `The entry encodes to ${json.length} bytes, more than ${MAX_ENTRY_BYTES}`,
      {
        encoding: true,
      },
    );
  }
  const message = new Uint8Array(DOMAIN_BYTES.length + json.length);
  message.set(DOMAIN_BYTES, 0);
  message.set(json, DOMAIN_BYTES.length);
  return message;
}

/** A key that signs entries: its id (as verifiers look it up) and 32-byte Ed25519 secret key. */
export interface EntrySigner {
  /**
   * The key id written into the entry's signature, by which verifiers find the public key;
   * conventionally {@link keyIdOf} it.
   */
  readonly keyId: string;
  /** The 32-byte Ed25519 secret key (seed). Never leaves its owner. */
  readonly secretKey: Uint8Array;
}

/**
 * The conventional key id of a public key: lowercase hex SHA-256 of its 32 bytes. Any other id
 * (e.g. `acme.release-2026`) works as long as verifiers map it to the key.
 * @throws {TypeError} / {RangeError} when the key is not a valid Ed25519 public key.
 */
export function keyIdOf(publicKey: Uint8Array | string): string {
  return toHex(sha256(toPublicKeyBytes(publicKey)));
}

/**
 * Adds `signer`'s signature to an entry (signed or not) and returns the new entry, signatures in
 * canonical order. Parties sign one after the other: `signEntry(signEntry(e, sender), receiver)`.
 *
 * @throws {EntryError} when the entry is invalid;
 * @throws {RangeError} when the secret key is not 32 bytes;
 * @throws {Error} when `signer.keyId` already signed the entry.
 * @example
 * ```ts
 * const signed = signEntry({ origin, kind: 'key.revoke', stream, seq, prev, ts, body }, { keyId, secretKey });
 * ```
 */
export function signEntry(entry: UnsignedEntry | Entry, signer: EntrySigner): Entry {
  if (!(signer.secretKey instanceof Uint8Array) || signer.secretKey.length !== 32) {
    throw new RangeError('signer.secretKey must be a 32-byte Ed25519 secret key');
  }
  const existing = 'signatures' in entry ? entry.signatures : [];
  if (existing.some((s) => s.keyId === signer.keyId)) {
    throw new Error(`The entry is already signed by key "${signer.keyId}"`);
  }
  const sig = toHex(ed25519Sign(entrySigningMessage(entry), signer.secretKey));
  const signed = parseEntry({
    ...entry,
    signatures: sortSignatures([...existing, { keyId: signer.keyId, sig }]),
  });
  rememberValid(signed); // appending it next (encode, decode, hash) skips the schema
  return signed;
}

/**
 * Where verifiers find public keys: a map or a function from key id to the 32-byte Ed25519 public
 * key (or 64 hex characters); `undefined` for an unknown key id.
 */
export type KeyLookup =
  | ReadonlyMap<string, Uint8Array | string>
  | ((keyId: string) => Uint8Array | string | undefined);

/** The verdict of {@link verifyEntrySignatures}. */
export interface SignatureReport {
  /** True when at least one signature verified and none failed. */
  readonly ok: boolean;
  /** The distinct key ids whose signature verified, each once, sorted. */
  readonly keyIds: readonly string[];
  /** Key ids that appear more than once (counted once in `keyIds`). */
  readonly duplicates: readonly string[];
  /** Every signature that failed, with the reason. */
  readonly failures: readonly SignatureFailure[];
}

/**
 * Checks one signature of an entry (`index` in its `signatures`) under the public key its key id
 * maps to. The default is {@link ed25519VerifyStrict}; a log that verified signatures ahead of time
 * (in worker threads) passes a check that answers from those verdicts and falls back to it.
 */
export type SignatureCheck = (
  index: number,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
) => boolean;

const strictCheck: SignatureCheck = (_index, signature, message, publicKey) =>
  ed25519VerifyStrict(signature, message, publicKey);

/**
 * @internal The 32-byte public key `keys` maps `keyId` to; `undefined` for an unknown id, an empty array
 * for a malformed configured key (every signature under it fails).
 */
export function lookupKey(keys: KeyLookup, keyId: string): Uint8Array | undefined {
  const found = typeof keys === 'function' ? keys(keyId) : keys.get(keyId);
  if (found === undefined) return undefined;
  try {
    return typeof found === 'string' ? fromHex(found, 32, 'publicKey') : found;
  } catch {
    return new Uint8Array(0); // a malformed configured key: every signature under it fails
  }
}

/**
 * Checks every signature of an entry against the public key its key id maps to, with the strict
 * RFC 8032 rules (`zip215: false`: non-canonical R, S or key encodings fail). A key that signed
 * twice counts once and is reported in `duplicates`; an unknown key id and a signature that does
 * not verify are reported in `failures`. Never throws on a valid entry. `check` verifies one
 * signature (default: strict Ed25519, see {@link SignatureCheck}).
 *
 * @throws {EntryError} when the entry itself is invalid.
 * @example
 * ```ts
 * const report = verifyEntrySignatures(entry, new Map([[keyId, publicKey]]));
 * if (!report.ok) console.warn(report.failures);
 * ```
 */
export function verifyEntrySignatures(
  entry: Entry,
  keys: KeyLookup,
  check: SignatureCheck = strictCheck,
): SignatureReport {
  const message = entrySigningMessage(entry);
  const valid = new Set<string>();
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  const failures: SignatureFailure[] = [];
  entry.signatures.forEach(({ keyId, sig }, index) => {
    if (seen.has(keyId)) duplicates.add(keyId);
    seen.add(keyId);
    const publicKey = lookupKey(keys, keyId);
    if (publicKey === undefined) {
      failures.push({ index, keyId, reason: 'unknown-key' });
    } else if (check(index, fromHex(sig, 64, 'sig'), message, publicKey)) {
      valid.add(keyId);
    } else {
      failures.push({ index, keyId, reason: 'bad-signature' });
    }
  });
  return {
    ok: failures.length === 0 && valid.size > 0,
    keyIds: [...valid].sort(),
    duplicates: [...duplicates].sort(),
    failures,
  };
}

/** What {@link assertEntrySignatures} requires besides every signature verifying. */
export interface SignatureRequirements {
  /** Distinct keys that must have signed (default 1). */
  readonly minSigners?: number;
  /** Keys that must be among the signers (e.g. both parties of a custody transfer). */
  readonly requiredKeyIds?: readonly string[];
}

/**
 * Like {@link verifyEntrySignatures} (with the same optional `check`) but throws unless every signature verifies, at least
 * `minSigners` distinct keys signed (duplicates count once) and every required key signed.
 *
 * @throws {EntrySignatureError} reason `unknown-key` or `bad-signature` (the first failure; all in
 *   `failures`), `insufficient` or `missing-signer`;
 * @throws {EntryError} when the entry itself is invalid.
 */
export function assertEntrySignatures(
  entry: Entry,
  keys: KeyLookup,
  requirements: SignatureRequirements = {},
  check: SignatureCheck = strictCheck,
): SignatureReport {
  const report = verifyEntrySignatures(entry, keys, check);
  const where = `${entry.kind} entry ${entry.stream}#${entry.seq}`;
  const first = report.failures[0];
  if (first !== undefined) {
    const what = first.reason === 'unknown-key' ? 'is an unknown key id' : 'signature does not verify';
    throw new EntrySignatureError(
      first.reason,
      `${where}: signature ${first.index} by "${first.keyId}" ${what} (${report.failures.length} failed)`,
      report.failures,
      report.keyIds,
    );
  }
  const minSigners = requirements.minSigners ?? 1;
  if (report.keyIds.length < minSigners) {
    throw new EntrySignatureError(
      'insufficient',
      `${where}: ${report.keyIds.length} distinct signer(s), ${minSigners} required` +
        (report.duplicates.length > 0 ? ` (duplicated: ${report.duplicates.join(', ')})` : ''),
      [],
      report.keyIds,
    );
  }
  const missing = (requirements.requiredKeyIds ?? []).filter((k) => !report.keyIds.includes(k));
  if (missing.length > 0) {
    throw new EntrySignatureError(
      'missing-signer',
      `${where}: not signed by ${missing.map((k) => `"${k}"`).join(', ')}`,
      [],
      report.keyIds,
    );
  }
  return report;
}
