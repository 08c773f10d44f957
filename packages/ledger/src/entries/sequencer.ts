import { HealthItError } from '@healthit/core';
import { entryHash } from './codec.js';
import { type Entry, ZERO_HASH } from './entry.js';
import { StreamOrderError } from './errors.js';

/** The last accepted entry of a stream: its `seq` and `entryHash`. */
export interface StreamHead {
  /** The `seq` of the stream's last accepted entry. */
  readonly seq: number;
  /**
   * The {@link entryHash} of that entry (64 lowercase hex characters): the `prev` the next entry
   * must name.
   */
  readonly hash: string;
}

/**
 * The pure per-stream order rule: given the stream's last accepted entry (`undefined` for a new
 * stream), returns the stream's new head if `entry` may follow it, and throws otherwise.
 * `seq` must be exactly last + 1 (0 for a new stream) and `prev` the last entry's hash
 * ({@link ZERO_HASH} for `seq` 0). Use it over any store: look the head up, check, persist.
 *
 * @param hash the entry's {@link entryHash}, when the caller already has it.
 * @throws {StreamOrderError} reason `gap`, `stale`, `replay` or `prev`, naming the stream, the
 *   expected and the received `seq` and `prev`.
 * @example
 * ```ts
 * const head = checkStreamOrder(await store.head(entry.stream), entry);
 * await store.append(entry, head);
 * ```
 */
export function checkStreamOrder(
  head: StreamHead | undefined,
  entry: Entry,
  hash = entryHash(entry),
): StreamHead {
  const expectedSeq = head === undefined ? 0 : head.seq + 1;
  const expectedPrev = head === undefined ? ZERO_HASH : head.hash;
  let reason: 'gap' | 'stale' | 'replay' | 'prev' | undefined;
  if (entry.seq > expectedSeq) reason = 'gap';
  else if (entry.seq < expectedSeq)
    reason = head !== undefined && entry.seq === head.seq && hash === head.hash ? 'replay' : 'stale';
  else if (entry.prev !== expectedPrev) reason = 'prev';
  if (reason !== undefined) {
    throw new StreamOrderError({
      reason,
      stream: entry.stream,
      expectedSeq,
      gotSeq: entry.seq,
      expectedPrev,
      gotPrev: entry.prev,
    });
  }
  return { seq: entry.seq, hash };
}

/** Options of {@link createStreamSequencer}. */
export interface StreamSequencerOptions {
  /**
   * The most stream heads held in memory (bounded state). When a new stream would exceed it:
   * with a `lookup`, the least recently used head is evicted (the lookup finds it again later);
   * without one, the entry is refused with a `buffer/overflow` {@link HealthItError}.
   */
  readonly maxStreams: number;
  /** Reject entries for any other log origin (reason `origin`). */
  readonly origin?: string;
  /**
   * The durable head of a stream the sequencer does not hold (e.g. from the log's storage); must
   * reflect every entry accepted so far. Without it, a stream the sequencer does not hold is new.
   */
  readonly lookup?: (stream: string) => StreamHead | undefined;
}

/** Enforces per-stream order in front of a log (see {@link createStreamSequencer}). */
export interface StreamSequencer {
  /** The stream head `entry` would produce, without changing any state. @throws as {@link accept}. */
  check(entry: Entry, hash?: string): StreamHead;
  /**
   * Accepts `entry` as its stream's next entry and returns the new head. `hash`, when given, must
   * be its {@link entryHash} (e.g. hex of the leaf hash of its canonical bytes, which a log has
   * already computed); it is trusted, not recomputed.
   * @throws {StreamOrderError} for a gap, replay, reordering, wrong `prev` or origin;
   * @throws {HealthItError} `buffer/overflow` when `maxStreams` is reached and there is no lookup.
   */
  accept(entry: Entry, hash?: string): StreamHead;
  /** The head of a stream (from memory or the lookup), `undefined` for a new stream. */
  head(stream: string): StreamHead | undefined;
  /** How many stream heads are held in memory (at most `maxStreams`). */
  readonly size: number;
}

/**
 * A per-stream sequencer with bounded state: at most `maxStreams` heads (`seq` + hash) in memory,
 * least recently used evicted when a `lookup` can restore them, otherwise new streams refused.
 * Synchronous and deterministic; one sequencer per log, called in append order.
 *
 * @throws {RangeError} when `maxStreams` is not a positive integer.
 * @example
 * ```ts
 * const sequencer = createStreamSequencer({ maxStreams: 100_000, origin: 'ledger.example.org/cold-chain' });
 * sequencer.accept(entry); // throws StreamOrderError on a gap, replay or wrong prev
 * ```
 */
export function createStreamSequencer(options: StreamSequencerOptions): StreamSequencer {
  const { maxStreams, origin, lookup } = options;
  if (!Number.isSafeInteger(maxStreams) || maxStreams < 1) {
    throw new RangeError(`maxStreams must be a positive integer, got ${maxStreams}`);
  }
  const heads = new Map<string, StreamHead>();

  function head(stream: string): StreamHead | undefined {
    const held = heads.get(stream);
    if (held !== undefined) return held;
    return lookup?.(stream);
  }

  function check(entry: Entry, hash?: string): StreamHead {
    if (origin !== undefined && entry.origin !== origin) {
      throw new StreamOrderError({
        reason: 'origin',
        stream: entry.stream,
        expectedSeq: entry.seq,
        gotSeq: entry.seq,
        expectedPrev: origin,
        gotPrev: entry.origin,
      });
    }
    const next = checkStreamOrder(head(entry.stream), entry, hash ?? entryHash(entry));
    if (!heads.has(entry.stream) && heads.size >= maxStreams && lookup === undefined) {
      throw new HealthItError(
        'buffer/overflow',
        `The sequencer holds ${maxStreams} streams (maxStreams) and has no lookup: stream ${entry.stream} refused`,
        { detail: { stream: entry.stream, maxStreams } },
      );
    }
    return next;
  }

  return {
    check,
    accept(entry, hash) {
      const next = check(entry, hash);
      heads.delete(entry.stream); // re-insert: Map order is least recently used first
      heads.set(entry.stream, next);
      if (heads.size > maxStreams) {
        const oldest = heads.keys().next();
        if (oldest.done !== true) heads.delete(oldest.value);
      }
      return next;
    },
    head,
    get size() {
      return heads.size;
    },
  };
}
