import {
  type Clock,
  type LedgerReceipt,
  type LedgerRecord,
  type LedgerSink,
  systemClock,
  ValidationError,
} from '@healthit/core';
import { Id, Origin } from '../entries/fields.js';
import {
  type Entry,
  type EntrySigner,
  entryHash,
  MAX_SIGNATURES,
  type StreamHead,
  StreamId,
  StreamOrderError,
  signEntry,
  type UnsignedEntry,
  ZERO_HASH,
} from '../entries/index.js';
import { toHex } from '../hex.js';
import { logIdOf } from '../key.js';
import { parseVerifierKey } from '../note/index.js';
import { MAX_RECORDS_PER_APPEND } from '../record.js';
import type { TransparencyLog } from '../tlog/index.js';
import { PartialAppendError, type RecordFailure } from './errors.js';
import { defaultStreamOf, type MappedRecord, mapRecord, type StreamNaming } from './record-kinds.js';
import { createStreamHeads } from './stream-heads.js';

/** The log's public key: a C2SP verifier key string, 32 raw bytes (or 64 hex), or a note key. */
export type LogKeyInput =
  | string
  | Uint8Array
  | {
      /** The log's 32-byte Ed25519 public key. */
      readonly publicKey: Uint8Array;
    };

/** Options of {@link createTransparencyLogSink}. */
export interface TransparencyLogSinkOptions {
  /** The log to append to. The caller's: the sink never closes it. */
  readonly log: Pick<TransparencyLog, 'origin' | 'size' | 'append' | 'entry'>;
  /**
   * The log's public key, to name the log in receipts: `logId` = lowercase hex SHA-256 of the 32
   * raw key bytes, exactly as the v1 hash-chain ledger's `logIdOf`. A verifier key string
   * (`name+keyid+base64`), the raw key, or anything with a `publicKey` (a note signer or verifier).
   */
  readonly logKey: LogKeyInput;
  /** Every entry is signed by each of these submitter keys (1 to 16, distinct key ids). */
  readonly signers: readonly EntrySigner[];
  /** The origin entries name. Default: `log.origin`. */
  readonly origin?: string;
  /**
   * The stream of records whose body names no device or shipment (`config.change`,
   * `security.event`, `model.approve` ...). Default: `device:<first signer's keyId>`, the
   * submitter's own stream.
   */
  readonly auditStream?: string;
  /** Overrides the stream of a record; return `undefined` to keep the default rule. */
  readonly streamOf?: StreamNaming;
  /** Entry timestamps (`ts`, epoch ms). Default: the system clock. */
  readonly clock?: Clock;
  /**
   * The most stream heads kept in memory (default 100 000). Beyond it the least recently used are
   * evicted and found again by scanning the log backwards (O(log size)).
   */
  readonly maxStreams?: number;
}

/** A {@link LedgerSink} over a transparency log (see {@link createTransparencyLogSink}). */
export interface TransparencyLogSink extends LedgerSink {
  /** The log id receipts carry: lowercase hex SHA-256 of the log's public key. */
  readonly logId: string;
  /** The origin the sink's entries name. */
  readonly origin: string;
  /**
   * Appends records as entries, in order. Resolves with one receipt per record once the log has
   * durably sequenced them (`entryHash` = hex RFC 9162 leaf hash of the entry).
   * @throws {ValidationError} for an unknown record type, a body that does not match its kind, a
   *   bad stream name or more than 10 000 records: nothing is appended.
   * @throws the log's error when it refused every record (nothing was appended): e.g. a retryable
   *   `buffer/overflow`, an `EntrySignatureError` when the log does not know the sink's keys.
   * @throws {PartialAppendError} when the log refused some records after sequencing others, with
   *   the receipts of those it holds.
   */
  append(records: readonly LedgerRecord[]): Promise<LedgerReceipt[]>;
  /**
   * The receipt of the log's entry at `index` (any entry, not only the sink's), checked against
   * the tree's leaf hash; `undefined` past the end.
   * @throws {RangeError} when `index` is not a non-negative integer.
   * @throws {LedgerIntegrityError} when the stored entry was altered.
   */
  receipt(index: number): Promise<LedgerReceipt | undefined>;
}

function publicKeyOf(logKey: LogKeyInput): Uint8Array | string {
  if (typeof logKey === 'string') return logKey.includes('+') ? parseVerifierKey(logKey).publicKey : logKey;
  if (logKey instanceof Uint8Array) return logKey;
  if (typeof logKey === 'object' && logKey !== null && logKey.publicKey instanceof Uint8Array) {
    return logKey.publicKey;
  }
  throw new TypeError('logKey must be a verifier key string, 32 bytes or an object with a publicKey');
}

function checkSigners(signers: readonly EntrySigner[]): void {
  if (!Array.isArray(signers) || signers.length === 0 || signers.length > MAX_SIGNATURES) {
    throw new RangeError(`signers must list 1 to ${MAX_SIGNATURES} entry signers`);
  }
  const ids = new Set<string>();
  for (const s of signers) {
    if (!Id.safeParse(s?.keyId).success)
      throw new RangeError(`signer keyId ${JSON.stringify(s?.keyId)} is not an Id`);
    if (!(s.secretKey instanceof Uint8Array) || s.secretKey.length !== 32) {
      throw new RangeError(`signer ${s.keyId}: secretKey must be 32 bytes`);
    }
    if (ids.has(s.keyId)) throw new RangeError(`signer ${s.keyId} is listed twice`);
    ids.add(s.keyId);
  }
}

function invalidStream(position: number, stream: unknown): ValidationError {
  return new ValidationError(
    'LedgerRecord',
    [
      {
        path: `${position}`,
        message: `stream ${JSON.stringify(stream)} is not "device:<id>", "shipment:<id>" or "lot:<id>"`,
        code: 'custom',
      },
    ],
    { source: 'transparency-log sink' },
  );
}

/** An entry the sink built, with where it goes and what its stream head was before it. */
interface Built {
  readonly entry: Entry;
  readonly stream: string;
  readonly head: StreamHead;
  readonly before: StreamHead | undefined;
}

/**
 * Implements core's {@link LedgerSink} port over a {@link TransparencyLog}, so a gateway or platform
 * depends on the port only. Each record becomes one signed entry:
 *
 * | record `type`                                   | entry `kind`              | stream                    |
 * | ----------------------------------------------- | ------------------------- | ------------------------- |
 * | `reading-batch`                                 | `reading.batch`           | `device:<body.device>`    |
 * | `custody-transfer`                              | `custody.transfer`        | `shipment:<body.shipment>`|
 * | `device-onboarded`, `device-decommissioned`     | `device.onboarded` ...    | `device:<body.device>`    |
 * | `config-change`, `security-event`, `key-revoke`, `firmware-authorize`, `model-approve`, `policy-update` | the dotted kind | `auditStream` |
 *
 * (the dotted kind names are accepted as types too). The body must match the kind's schema.
 *
 * **Atomicity.** The log validates each entry on its own and writes in batches; it cannot take
 * back an entry once another was refused. So the sink (1) validates every record, names every
 * stream and signs every entry before handing any to the log (a bad record: `ValidationError`,
 * nothing appended, no state changed); (2) hands the call's entries over in one synchronous step,
 * so they are consecutive in the log and, when the call fits in `batch.maxEntries`, in one
 * all-or-nothing storage write; (3) if the log still refuses some (queue full, a key or policy it
 * does not accept, another writer on the same stream), those refused are reported with the
 * receipts of those held ({@link PartialAppendError}), or the log's error when none was held, and
 * the sink rolls its stream heads back so the next call continues from what the log holds. An
 * entry that follows a refused one in its stream is always refused too (gap), so each stream keeps
 * a gap-free prefix.
 *
 * The sink must be the only writer of its streams; it learns the heads of a reopened log by
 * reading it once, at its first append.
 *
 * @throws {TypeError} / {RangeError} for a bad `logKey`, signer list, origin, stream or limit.
 * @example
 * ```ts
 * const sink = createTransparencyLogSink({ log, logKey: logVkey, signers: [{ keyId, secretKey }] });
 * const [receipt] = await sink.append([{ type: 'security-event', body: event }]);
 * ```
 */
export function createTransparencyLogSink(options: TransparencyLogSinkOptions): TransparencyLogSink {
  const { log, signers } = options;
  checkSigners(signers);
  const logId = logIdOf(publicKeyOf(options.logKey));
  const origin = options.origin ?? log.origin;
  if (!Origin.safeParse(origin).success)
    throw new RangeError(`origin ${JSON.stringify(origin)} is not a log origin`);
  const auditStream = options.auditStream ?? `device:${(signers[0] as EntrySigner).keyId}`;
  if (!StreamId.safeParse(auditStream).success) {
    throw new RangeError(`auditStream ${JSON.stringify(auditStream)} is not a stream id`);
  }
  const maxStreams = options.maxStreams ?? 100_000;
  if (!Number.isSafeInteger(maxStreams) || maxStreams < 1) {
    throw new RangeError(`maxStreams must be a positive integer, got ${maxStreams}`);
  }
  const clock = options.clock ?? systemClock;
  const streamOf = options.streamOf;

  /** The last entry of `stream` the log holds, by a backward scan. */
  function scan(stream: string): StreamHead | undefined {
    for (let i = log.size - 1; i >= 0; i--) {
      const { entry, leafHash } = log.entry(i);
      if (entry.stream === stream && entry.origin === origin)
        return { seq: entry.seq, hash: toHex(leafHash) };
    }
    return undefined;
  }
  const heads = createStreamHeads(maxStreams, scan);
  let loaded = false;

  /** Reads the stream heads of entries the log held before the sink's first append. */
  function load(): void {
    if (loaded) return;
    const size = log.size;
    for (let i = 0; i < size; i++) {
      const { entry, leafHash } = log.entry(i);
      if (entry.origin === origin) heads.fold(entry.stream, { seq: entry.seq, hash: toHex(leafHash) });
    }
    loaded = true;
  }

  function streamFor(record: MappedRecord, position: number): string {
    const stream =
      streamOf?.(record.kind, record.body) ?? defaultStreamOf(record.kind, record.body, auditStream);
    if (!StreamId.safeParse(stream).success) throw invalidStream(position, stream);
    return stream;
  }

  function readClock(): number {
    const ts = clock.now();
    if (!Number.isSafeInteger(ts) || ts < 0) {
      throw new RangeError(
        `The clock returned ${ts}; entry timestamps must be non-negative integer epoch ms`,
      );
    }
    return ts;
  }

  /** Validates, names and signs every record; changes no state. */
  function build(records: readonly LedgerRecord[]): Built[] {
    if (!Array.isArray(records)) throw new TypeError('records must be an array of LedgerRecord');
    if (records.length > MAX_RECORDS_PER_APPEND) {
      throw new ValidationError(
        'LedgerRecord[]',
        [
          {
            path: '',
            message: `at most ${MAX_RECORDS_PER_APPEND} records per call, got ${records.length}`,
            code: 'too_big',
          },
        ],
        { source: 'transparency-log sink' },
      );
    }
    const mapped = records.map((r, i) => ({ record: mapRecord(r, i), stream: '' }));
    for (const [i, m] of mapped.entries()) m.stream = streamFor(m.record, i);
    if (mapped.length === 0) return [];
    load();
    const ts = readClock();
    const overlay = new Map<string, StreamHead | undefined>();
    return mapped.map(({ record, stream }) => {
      const before = overlay.has(stream) ? overlay.get(stream) : heads.get(stream);
      const unsigned = {
        origin,
        kind: record.kind,
        stream,
        seq: before === undefined ? 0 : before.seq + 1,
        prev: before?.hash ?? ZERO_HASH,
        ts,
        body: record.body,
      } as UnsignedEntry;
      let entry = signEntry(unsigned, signers[0] as EntrySigner);
      for (const s of signers.slice(1)) entry = signEntry(entry, s);
      const head = { seq: entry.seq, hash: entryHash(entry) };
      overlay.set(stream, head);
      return { entry, stream, head, before };
    });
  }

  return {
    logId,
    origin,
    async append(records) {
      const built = build(records);
      // Hand every entry over in one synchronous step: nothing interleaves, order is kept.
      const results = built.map((b) => {
        heads.advance(b.stream, b.head);
        return log.append(b.entry);
      });
      const settled = await Promise.allSettled(results);
      const receipts: (LedgerReceipt | undefined)[] = [];
      const failures: RecordFailure[] = [];
      settled.forEach((outcome, position) => {
        const b = built[position] as Built;
        if (outcome.status === 'fulfilled') {
          heads.settle(b.stream);
          receipts.push(
            Object.freeze({ logId, index: outcome.value.index, entryHash: toHex(outcome.value.leafHash) }),
          );
          return;
        }
        heads.settle(b.stream, { before: b.before });
        if (outcome.reason instanceof StreamOrderError && outcome.reason.reason !== 'gap')
          heads.forget(b.stream);
        receipts.push(undefined);
        failures.push({ position, error: outcome.reason });
      });
      if (failures.length === 0) return receipts as LedgerReceipt[];
      if (failures.length === built.length) throw (failures[0] as RecordFailure).error;
      throw new PartialAppendError(receipts, failures);
    },
    async receipt(index) {
      if (!Number.isSafeInteger(index) || index < 0) {
        throw new RangeError(`index must be a non-negative integer, got ${index}`);
      }
      if (index >= log.size) return undefined;
      const { leafHash } = log.entry(index);
      return Object.freeze({ logId, index, entryHash: toHex(leafHash) });
    },
  };
}
