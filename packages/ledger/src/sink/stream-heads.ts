import type { StreamHead } from '../entries/index.js';

interface Slot {
  /** -1 while the stream's first entry is refused but others are still in flight: a new stream. */
  seq: number;
  hash: string;
  /** Entries of this stream handed to the log and not settled yet (never evicted while > 0). */
  pending: number;
}

/**
 * The sink's view of its streams' heads, at most `maxStreams` of them (least recently used
 * evicted, unless entries of the stream are still in flight). A stream the cache does not hold is
 * new unless it was evicted or marked stale, in which case `lookup` finds its head in the log.
 */
export interface StreamHeads {
  /** The head of `stream` (from the cache or, after an eviction, the log), `undefined` for a new stream. */
  get(stream: string): StreamHead | undefined;
  /** Records `head` as the stream's tentative head and counts one entry in flight. */
  advance(stream: string, head: StreamHead): void;
  /** One entry of `stream` settled; `rejected` rolls the head back to `before` if it is older. */
  settle(stream: string, rejected?: { readonly before: StreamHead | undefined }): void;
  /** Forgets a stream whose head the log disagrees with: it is looked up again next time. */
  forget(stream: string): void;
  /** Folds a sequenced entry of the log into the cache (keeps a newer tentative head). */
  fold(stream: string, head: StreamHead): void;
  /** How many heads are cached. */
  readonly size: number;
}

/**
 * A bounded cache of stream heads.
 * @param lookup finds the head of a stream in the log (a backward scan), used only for evicted or
 *   forgotten streams.
 */
export function createStreamHeads(
  maxStreams: number,
  lookup: (stream: string) => StreamHead | undefined,
): StreamHeads {
  const slots = new Map<string, Slot>();
  const stale = new Set<string>();
  let evicted = false;

  function touch(stream: string, slot: Slot): void {
    slots.delete(stream);
    slots.set(stream, slot);
  }

  function evict(): void {
    if (slots.size <= maxStreams) return;
    for (const [stream, slot] of slots) {
      if (slots.size <= maxStreams) return;
      if (slot.pending === 0) {
        slots.delete(stream);
        evicted = true;
      }
    }
  }

  return {
    get(stream) {
      const slot = slots.get(stream);
      if (slot !== undefined) {
        touch(stream, slot);
        return slot.seq < 0 ? undefined : { seq: slot.seq, hash: slot.hash };
      }
      if (!evicted && !stale.has(stream)) return undefined;
      const found = lookup(stream);
      stale.delete(stream);
      if (found !== undefined) {
        slots.set(stream, { seq: found.seq, hash: found.hash, pending: 0 });
        evict();
      }
      return found;
    },
    advance(stream, head) {
      const slot = slots.get(stream);
      const pending = (slot?.pending ?? 0) + 1;
      touch(stream, { seq: head.seq, hash: head.hash, pending });
      evict();
    },
    settle(stream, rejected) {
      const slot = slots.get(stream);
      if (slot === undefined) return;
      slot.pending = Math.max(0, slot.pending - 1);
      if (rejected === undefined) return;
      const before = rejected.before;
      if (before === undefined) {
        // the stream's first entry was refused: it is new again (its later entries fail too)
        if (slot.pending === 0) slots.delete(stream);
        else {
          slot.seq = -1;
          slot.hash = '';
        }
        return;
      }
      if (before.seq < slot.seq) {
        slot.seq = before.seq;
        slot.hash = before.hash;
      }
    },
    forget(stream) {
      slots.delete(stream);
      stale.add(stream);
    },
    fold(stream, head) {
      const slot = slots.get(stream);
      if (slot !== undefined && slot.seq >= head.seq) return;
      touch(stream, { seq: head.seq, hash: head.hash, pending: slot?.pending ?? 0 });
      evict();
    },
    get size() {
      return slots.size;
    },
  };
}
