import { type ErrorCode, HealthItError } from '@healthit/core';

/**
 * What an {@link EntryError} found:
 * - `oversized`: the encoding is longer than `MAX_ENTRY_BYTES`;
 * - `malformed`: the bytes are not UTF-8 JSON;
 * - `non-canonical`: the bytes are JSON but not exactly the RFC 8785 encoding of what they decode
 *   to (reordered or duplicated members, whitespace, escapes, `-0`, `1.0` ...);
 * - `invalid`: the value does not match the entry schema (unknown kind or field, bad body ...);
 *   the `cause` is the `ValidationError` (of `@healthit/core`) with every issue.
 */
export const EntryErrorReasons = ['oversized', 'malformed', 'non-canonical', 'invalid'] as const;

/** One of {@link EntryErrorReasons}. */
export type EntryErrorReason = (typeof EntryErrorReasons)[number];

/**
 * An entry could not be encoded or decoded. Code `validation/invalid` for reason `invalid`,
 * `codec/decode` (or `codec/encode` when encoding) otherwise. Permanent.
 *
 * @example
 * ```ts
 * try { decodeEntry(bytes) } catch (e) {
 *   if (e instanceof EntryError && e.reason === 'non-canonical') reject(bytes);
 * }
 * ```
 */
export class EntryError extends HealthItError {
  /** Always `EntryError`. */
  override readonly name = 'EntryError';
  /** Which check failed. */
  readonly reason: EntryErrorReason;

  /**
   * Makes an entry error; its code follows from `reason` and `options.encoding`, and `reason` is
   * also put in `detail`.
   * @param reason - Which check failed.
   * @param message - The human-readable message.
   * @param options - `encoding`: true when encoding failed (code `codec/encode`, not
   *   `codec/decode`); `cause`: the underlying error, e.g. the `ValidationError` for reason
   *   `invalid`.
   */
  constructor(
    reason: EntryErrorReason,
    message: string,
    options: { readonly encoding?: boolean; readonly cause?: unknown } = {},
  ) {
    const code: ErrorCode =
      reason === 'invalid'
        ? 'validation/invalid'
        : options.encoding === true
          ? 'codec/encode'
          : 'codec/decode';
    super(code, message, { cause: options.cause, detail: { reason } });
    this.reason = reason;
  }
}

/**
 * Why a {@link StreamOrderError} rejected an entry (see `checkStreamOrder`):
 * - `gap`: `seq` is beyond last + 1 (an entry is missing, or a later one came first);
 * - `stale`: `seq` is at or below the last accepted one (a replay of an older entry or a
 *   reordering) and the entry is not the last accepted one;
 * - `replay`: the entry is exactly the last accepted entry of the stream, again;
 * - `prev`: `seq` is right but `prev` is not the hash of the last accepted entry (the zero hash
 *   for `seq` 0): a forked or rewritten stream;
 * - `origin`: the entry names another log than the sequencer's.
 */
export const StreamOrderReasons = ['gap', 'stale', 'replay', 'prev', 'origin'] as const;

/** One of {@link StreamOrderReasons}. */
export type StreamOrderReason = (typeof StreamOrderReasons)[number];

/** Structured detail of a {@link StreamOrderError}. */
export interface StreamOrderDetail {
  /** Why the entry was rejected: `gap`, `stale`, `replay`, `prev` or `origin`. */
  readonly reason: StreamOrderReason;
  /** The stream, e.g. `device:monitor-1`. */
  readonly stream: string;
  /** The `seq` the stream needed next (last + 1; 0 for a new stream). */
  readonly expectedSeq: number;
  /** The entry's `seq`. */
  readonly gotSeq: number;
  /** The `prev` the stream needed (lowercase hex), or the expected origin for reason `origin`. */
  readonly expectedPrev: string;
  /** The entry's `prev`, or its origin for reason `origin`. */
  readonly gotPrev: string;
}

/**
 * An entry is out of order in its stream: a gap, a replay, a reordering or a wrong `prev`. Code
 * `ledger/integrity`, permanent: the same entry is rejected again until the stream moves on.
 *
 * @example
 * ```ts
 * try { sequencer.accept(entry) } catch (e) {
 *   if (e instanceof StreamOrderError) log(e.stream, e.reason, e.expectedSeq, e.gotSeq);
 * }
 * ```
 */
export class StreamOrderError extends HealthItError {
  /** Always `StreamOrderError`. */
  override readonly name = 'StreamOrderError';
  /** Why the entry was rejected: `gap`, `stale`, `replay`, `prev` or `origin`. */
  readonly reason: StreamOrderReason;
  /** The stream, e.g. `device:monitor-1`. */
  readonly stream: string;
  /** The `seq` the stream needed next (last + 1; 0 for a new stream). */
  readonly expectedSeq: number;
  /** The entry's `seq`. */
  readonly gotSeq: number;
  /** The `prev` the stream needed (lowercase hex), or the expected origin for reason `origin`. */
  readonly expectedPrev: string;
  /** The entry's `prev`, or its origin for reason `origin`. */
  readonly gotPrev: string;

  /**
   * Makes a `ledger/integrity` error whose message and `detail` carry every field of `detail`.
   * @param detail - Why the entry was rejected, the stream, and the expected and actual `seq` and
   *   `prev`.
   */
  constructor(detail: StreamOrderDetail) {
    const { reason, stream, expectedSeq, gotSeq, expectedPrev, gotPrev } = detail;
    const what =
      reason === 'origin'
        ? `entry for log "${gotPrev}", expected log "${expectedPrev}"`
        : reason === 'prev'
          ? `seq ${gotSeq} has prev ${gotPrev}, expected ${expectedPrev}`
          : `expected seq ${expectedSeq}, got ${gotSeq}`;
    super('ledger/integrity', `Stream ${stream} rejected an entry (${reason}): ${what}`, {
      detail: { reason, stream, expectedSeq, gotSeq, expectedPrev, gotPrev },
    });
    this.reason = reason;
    this.stream = stream;
    this.expectedSeq = expectedSeq;
    this.gotSeq = gotSeq;
    this.expectedPrev = expectedPrev;
    this.gotPrev = gotPrev;
  }
}

/**
 * Why one signature of an entry failed (see `verifyEntrySignatures`):
 * - `unknown-key`: no public key is known for its key id;
 * - `bad-signature`: it does not verify (strict RFC 8032) over the entry's signing message.
 */
export type SignatureFailureReason = 'unknown-key' | 'bad-signature';

/** One failed signature. */
export interface SignatureFailure {
  /** Its position in `entry.signatures`. */
  readonly index: number;
  /** The key id the signature names, as in `entry.signatures[index].keyId`. */
  readonly keyId: string;
  /** Why it failed: `unknown-key` or `bad-signature`. */
  readonly reason: SignatureFailureReason;
}

/**
 * Why an {@link EntrySignatureError} rejected an entry: a signature failed (`unknown-key`,
 * `bad-signature`), or too few distinct keys signed (`insufficient`), or a required key did not
 * sign (`missing-signer`).
 */
export type EntrySignatureReason = SignatureFailureReason | 'insufficient' | 'missing-signer';

/**
 * An entry's signatures are not acceptable. Code `ledger/signature`, permanent. `failures` lists
 * every failed signature; `keyIds` the distinct keys whose signatures verified.
 */
export class EntrySignatureError extends HealthItError {
  /** Always `EntrySignatureError`. */
  override readonly name = 'EntrySignatureError';
  /**
   * Why the entry was rejected: a failed signature (`unknown-key`, `bad-signature`), too few
   * distinct signers (`insufficient`) or a required key that did not sign (`missing-signer`).
   */
  readonly reason: EntrySignatureReason;
  /** Every signature that failed, with its position and reason; may be empty (e.g. for `insufficient`). */
  readonly failures: readonly SignatureFailure[];
  /** The distinct key ids whose signatures verified. */
  readonly keyIds: readonly string[];

  /**
   * Makes a `ledger/signature` error; `reason`, `failures` and `keyIds` are also put in `detail`.
   * @param reason - Why the entry was rejected.
   * @param message - The human-readable message.
   * @param failures - Every signature that failed.
   * @param keyIds - The distinct key ids whose signatures verified.
   */
  constructor(
    reason: EntrySignatureReason,
    message: string,
    failures: readonly SignatureFailure[],
    keyIds: readonly string[],
  ) {
    super('ledger/signature', message, {
      detail: { reason, failures: failures.map((f) => ({ ...f })), keyIds: [...keyIds] },
    });
    this.reason = reason;
    this.failures = failures;
    this.keyIds = keyIds;
  }
}
