import { safeParse } from '@healthit/core';
import { GENESIS_HASH, hashEntry, LedgerEntry } from './entry.js';
import { LedgerIntegrityError } from './errors.js';
import { fromHex, isLowerHex } from './hex.js';
import { logIdOf, type PublicKeyInput, toPublicKeyBytes } from './key.js';
import { ed25519Verify } from './signing.js';

/** A verified chain: how many entries, and the `entryHash` of the last ({@link GENESIS_HASH} when empty). */
export interface ChainVerification {
  /** Always true: a chain that fails verification throws instead. */
  readonly ok: true;
  /** How many entries were verified (the index of the last one plus 1). */
  readonly length: number;
  /** Lowercase hex `entryHash` of the last entry; {@link GENESIS_HASH} when the chain is empty. */
  readonly head: string;
}

/**
 * A point of a log someone has seen before: its length then, and the `entryHash` of its last entry
 * then. A receipt `{ index, entryHash }` is the known head `{ length: index + 1, head: entryHash }`.
 */
export interface KnownHead {
  /** How many entries the log had then (a receipt's `index + 1`). */
  readonly length: number;
  /** Lowercase hex `entryHash` of the entry at `length - 1` then. */
  readonly head: string;
  /** When given, must be the log id of the public key being verified against. */
  readonly logId?: string;
}

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /**
   * A head known from before (a receipt, an earlier audit, a head published elsewhere). Without it
   * a verifier cannot tell a log whose newest entries were cut off from a shorter log: every prefix
   * of a valid chain is itself a valid chain. With it, a log shorter than the known head fails with
   * reason `truncated`, and one whose entry at that position differs fails with reason `fork`.
   */
  readonly knownHead?: KnownHead;
}

/** Options of {@link createChainVerifier}. */
export interface ChainVerifierOptions {
  /**
   * Verify a continuation of an already verified chain: the first entry pushed must have index
   * `start.length` and link to `start.head`. Default: the empty log (`{ length: 0, head: GENESIS_HASH }`).
   */
  readonly start?: { readonly length: number; readonly head: string };
}

/** Verifies a chain one entry at a time (streaming, constant memory). Stop using it after it throws. */
export interface ChainVerifier {
  /** The log id of the public key entries are verified against. */
  readonly logId: string;
  /**
   * Verifies the next entry: well-formed, at the next index, linked to the previous entry, hashing
   * to its `entryHash`, signed by the log's key.
   * @returns the entry, parsed (a fresh copy).
   * @throws {LedgerIntegrityError} naming the failed check (see {@link IntegrityReason}).
   */
  push(entry: unknown): LedgerEntry;
  /** The chain verified so far. */
  result(): ChainVerification;
}

function short(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 16)}…` : hash;
}

function checkHead(head: { length: number; head: string }, what: string): void {
  if (!Number.isSafeInteger(head.length) || head.length < 0) {
    throw new RangeError(`${what}.length must be a non-negative integer, got ${head.length}`);
  }
  if (typeof head.head !== 'string' || !isLowerHex(head.head, 32)) {
    throw new RangeError(`${what}.head must be 64 lowercase hex characters`);
  }
  if (head.length === 0 && head.head !== GENESIS_HASH) {
    throw new RangeError(`${what}.head of an empty log must be ${GENESIS_HASH.length} zeros`);
  }
}

/**
 * A streaming verifier of a hash chain under one public key; see {@link verifyChain}.
 *
 * @throws {TypeError} / {RangeError} for a malformed public key or `start`.
 * @example
 * ```ts
 * const v = createChainVerifier(publicKeyHex);
 * for await (const entry of readEntries()) v.push(entry);
 * const { length, head } = v.result();
 * ```
 */
export function createChainVerifier(
  publicKey: PublicKeyInput,
  options: ChainVerifierOptions = {},
): ChainVerifier {
  const key = toPublicKeyBytes(publicKey);
  const logId = logIdOf(key);
  const start = options.start ?? { length: 0, head: GENESIS_HASH };
  checkHead(start, 'start');
  let length = start.length;
  let head = start.head;

  return {
    logId,
    push(input: unknown): LedgerEntry {
      const index = length;
      const parsed = safeParse(LedgerEntry, 'LedgerEntry', input, `entry ${index}`);
      if (!parsed.ok) {
        throw new LedgerIntegrityError(
          'ledger/integrity',
          `Ledger entry at position ${index} is malformed: ${parsed.error.message}`,
          {
            reason: 'malformed',
            index,
            expected: 'a well-formed ledger entry',
            actual: parsed.error.message,
            cause: parsed.error,
          },
        );
      }
      const entry = parsed.value;
      if (entry.index !== index) {
        throw new LedgerIntegrityError(
          'ledger/integrity',
          `Ledger entry at position ${index} carries index ${entry.index}: entries were reordered, deleted or inserted`,
          { reason: 'index', index, expected: String(index), actual: String(entry.index) },
        );
      }
      if (entry.prevHash !== head) {
        throw new LedgerIntegrityError(
          'ledger/integrity',
          `Ledger entry ${index} links to ${short(entry.prevHash)} but the entry before it hashes to ${short(head)}: ` +
            'an entry was altered, removed or replaced',
          { reason: 'prev-hash', index, expected: head, actual: entry.prevHash },
        );
      }
      const computed = hashEntry(entry);
      if (computed !== entry.entryHash) {
        throw new LedgerIntegrityError(
          'ledger/integrity',
          `Ledger entry ${index} hashes to ${short(computed)} but claims ${short(entry.entryHash)}: its content was altered`,
          { reason: 'entry-hash', index, expected: computed, actual: entry.entryHash },
        );
      }
      if (
        !ed25519Verify(fromHex(entry.signature, 64, 'signature'), fromHex(computed, 32, 'entryHash'), key)
      ) {
        throw new LedgerIntegrityError(
          'ledger/signature',
          `Ledger entry ${index}'s signature does not verify under log ${short(logId)}: it was forged or signed by another key`,
          { reason: 'signature', index, expected: `a signature by log ${logId}`, actual: entry.signature },
        );
      }
      length = index + 1;
      head = computed;
      return entry;
    },
    result(): ChainVerification {
      return { ok: true, length, head };
    },
  };
}

/**
 * Verifies a hash-chained log with nothing but its public key: no trust in the writer or the
 * storage. Each entry must be well-formed, carry its position as `index`, link by `prevHash` to the
 * `entryHash` of the entry before it (64 zeros for entry 0), hash to its `entryHash`, and carry a
 * valid Ed25519 signature of that hash under `publicKey`.
 *
 * Limitation: every prefix of a valid chain is valid, so a log cut short at the end verifies unless
 * the caller passes a {@link VerifyChainOptions.knownHead}. (The RFC 9162 Merkle log with signed,
 * witnessed checkpoints closes this gap.)
 *
 * @param entries the whole log, from index 0, in order (parsed JSON is fine).
 * @param publicKey the log's Ed25519 public key (32 bytes or 64 hex characters), obtained out of band.
 * @throws {LedgerIntegrityError} `ledger/integrity` or `ledger/signature` at the first failed check.
 * @throws {TypeError} / {RangeError} for a malformed public key or known head.
 * @example
 * ```ts
 * const { length, head } = verifyChain(await ledger.entries(), ledger.publicKey);
 * ```
 */
export function verifyChain(
  entries: Iterable<unknown>,
  publicKey: PublicKeyInput,
  options: VerifyChainOptions = {},
): ChainVerification {
  const verifier = createChainVerifier(publicKey);
  const known = options.knownHead;
  if (known !== undefined) {
    checkHead(known, 'knownHead');
    if (known.logId !== undefined && known.logId !== verifier.logId) {
      throw new LedgerIntegrityError(
        'ledger/signature',
        `The known head belongs to log ${short(known.logId)}, not to log ${short(verifier.logId)} of this public key`,
        { reason: 'log-id', index: -1, expected: known.logId, actual: verifier.logId },
      );
    }
  }
  let atKnown = GENESIS_HASH;
  for (const input of entries) {
    const entry = verifier.push(input);
    if (known !== undefined && entry.index === known.length - 1) atKnown = entry.entryHash;
  }
  const result = verifier.result();
  if (known !== undefined) {
    if (result.length < known.length) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `The log has ${result.length} entries but a head of ${known.length} entries was known: it was truncated`,
        {
          reason: 'truncated',
          index: known.length - 1,
          expected: `at least ${known.length} entries`,
          actual: `${result.length} entries`,
        },
      );
    }
    if (atKnown !== known.head) {
      throw new LedgerIntegrityError(
        'ledger/integrity',
        `Entry ${known.length - 1} hashes to ${short(atKnown)} but the known head is ${short(known.head)}: ` +
          'the log was rewritten (a fork)',
        { reason: 'fork', index: known.length - 1, expected: known.head, actual: atKnown },
      );
    }
  }
  return result;
}

/**
 * Verifies one entry on its own (well-formed, hashes to its `entryHash`, signed under `publicKey`),
 * without its neighbours: e.g. to check an entry against a receipt. Does not check the chain.
 *
 * @returns the entry, parsed.
 * @throws {LedgerIntegrityError} reason `malformed`, `entry-hash` or `signature`.
 */
export function verifyEntry(entry: unknown, publicKey: PublicKeyInput): LedgerEntry {
  const parsed = safeParse(LedgerEntry, 'LedgerEntry', entry);
  // Start the verifier right before the entry, linked to what the entry claims to follow; entry 0
  // must still link to GENESIS_HASH. A malformed entry is reported by push().
  const start =
    parsed.ok && parsed.value.index > 0
      ? { length: parsed.value.index, head: parsed.value.prevHash }
      : undefined;
  return createChainVerifier(publicKey, start === undefined ? {} : { start }).push(entry);
}
