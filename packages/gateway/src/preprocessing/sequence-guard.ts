/**
 * What {@link SequenceGuard.check} made of a device's `seq`:
 *
 * - `new` — above every seq seen from the device (it becomes the device's highest);
 * - `late` — below the highest, inside the window, not seen before: a genuine reading that arrived
 *   after a newer one (accepted);
 * - `duplicate` — inside the window and seen before (a redelivery, a replay, two inputs);
 * - `too-old` — `window` or more below the highest: the guard can no longer tell whether it was
 *   seen, so it is refused.
 */
export const SEQUENCE_VERDICTS = ['new', 'late', 'duplicate', 'too-old'] as const;
/** One of {@link SEQUENCE_VERDICTS}. */
export type SequenceVerdict = (typeof SEQUENCE_VERDICTS)[number];

/** Default number of seqs remembered per device (`window` of {@link createSequenceGuard}). */
export const DEFAULT_SEQUENCE_WINDOW = 1024;
/** Largest `window` of {@link createSequenceGuard}. */
export const MAX_SEQUENCE_WINDOW = 65_536;

/** Options of {@link createSequenceGuard}. */
export interface SequenceGuardOptions {
  /**
   * Devices remembered at most (default 100 000); past that, the device heard from least recently
   * is forgotten (a forgotten device's next reading is accepted as `new`).
   */
  readonly maxDevices?: number;
  /**
   * Seqs remembered per device, counting back from its highest (default
   * {@link DEFAULT_SEQUENCE_WINDOW}, 1024): a multiple of 32 from 32 to {@link MAX_SEQUENCE_WINDOW}.
   * Memory: `window / 8` bytes per device (a bitmap, as the anti-replay window of RFC 4303 /
   * RFC 6479) plus its entry in a `Map`.
   */
  readonly window?: number;
}

/**
 * Remembers, per device, the highest accepted `seq` and which of the `window` seqs up to it were
 * seen: a sliding-window bitmap (RFC 4303 §3.4.3, RFC 6479) instead of a high-water mark, so a
 * reading that arrives after a newer one is still accepted once. Bounded: at most `maxDevices`
 * devices, `window / 8` bytes each; past that, the device heard from least recently is forgotten.
 */
export interface SequenceGuard {
  /**
   * Judges `seq` of `deviceId` and, when it is `new` or `late`, records it as seen.
   * @throws {RangeError} when `seq` is not a non-negative safe integer (the `Reading` schema refuses such).
   */
  check(deviceId: string, seq: number): SequenceVerdict;
  /**
   * Judges like {@link SequenceGuard.check} without recording anything (the device counts as heard,
   * for the eviction order). Follow with {@link SequenceGuard.record} to accept it.
   * @throws {RangeError} as `check`.
   */
  peek(deviceId: string, seq: number): SequenceVerdict;
  /**
   * Records `seq` of `deviceId` as seen (as `check` does for `new` and `late`); a seq `window` or
   * more below the device's highest is ignored.
   * @throws {RangeError} as `check`.
   */
  record(deviceId: string, seq: number): void;
  /** The highest seq recorded for `deviceId`, or undefined when it is not remembered. */
  highestSeq(deviceId: string): number | undefined;
  /** How many devices are remembered now (at most `maxDevices`). */
  readonly size: number;
  /** Seqs remembered per device. */
  readonly window: number;
}

/**
 * Creates a {@link SequenceGuard}: de-duplication by (device, seq) that tolerates reordering
 * within `window` seqs.
 *
 * @throws {RangeError} when `maxDevices` is not a positive integer or `window` is not a multiple
 *   of 32 in [32, 65 536].
 * @example
 * ```ts
 * const guard = createSequenceGuard({ window: 1024 });
 * guard.check('mon-1', 5); // 'new'
 * guard.check('mon-1', 3); // 'late' (accepted, once)
 * guard.check('mon-1', 3); // 'duplicate'
 * ```
 */
export function createSequenceGuard(options: SequenceGuardOptions = {}): SequenceGuard {
  const maxDevices = options.maxDevices ?? 100_000;
  if (!Number.isInteger(maxDevices) || maxDevices < 1) {
    throw new RangeError(`maxDevices must be a positive integer, got ${maxDevices}`);
  }
  const window = options.window ?? DEFAULT_SEQUENCE_WINDOW;
  if (!Number.isInteger(window) || window < 32 || window > MAX_SEQUENCE_WINDOW || window % 32 !== 0) {
    throw new RangeError(
      `window must be a multiple of 32 from 32 to ${MAX_SEQUENCE_WINDOW}, got ${String(window)}`,
    );
  }
  const words = window / 32;
  // Device → slot; the Map's order is the recency order (least recently heard first).
  const slots = new Map<string, number>();
  // Per slot: the highest seq, and `words` 32-bit words of bitmap (bit `seq % window` = seen).
  // Grown by doubling up to `maxDevices` slots, so an idle guard costs little.
  let capacity = Math.min(maxDevices, 64);
  let highest = new Float64Array(capacity);
  let bits = new Int32Array(capacity * words);
  let used = 0;
  // The device heard from most recently (the Map's last key) and its slot: a device's readings come
  // in runs (a message's batch), so keeping it last costs no delete and re-insert, and `record`
  // after `peek` costs no lookup.
  let newest: string | undefined;
  let newestSlot = -1;

  const validSeq = (seq: number): void => {
    if (!Number.isSafeInteger(seq) || seq < 0) {
      throw new RangeError(`seq must be a non-negative safe integer, got ${String(seq)}`);
    }
  };

  /** The slot of `deviceId`, marked most recently heard; -1 when not remembered. */
  const find = (deviceId: string): number => {
    if (deviceId === newest) return newestSlot;
    const slot = slots.get(deviceId);
    if (slot === undefined) return -1;
    slots.delete(deviceId);
    slots.set(deviceId, slot);
    newest = deviceId;
    newestSlot = slot;
    return slot;
  };

  /** A slot for a device not remembered, evicting the least recently heard when full. */
  const open = (deviceId: string): number => {
    let slot: number;
    if (slots.size >= maxDevices) {
      const [oldest, freed] = slots.entries().next().value as [string, number];
      slots.delete(oldest);
      slot = freed;
    } else {
      if (used === capacity) {
        capacity = Math.min(maxDevices, capacity * 2);
        const h = new Float64Array(capacity);
        h.set(highest);
        highest = h;
        const b = new Int32Array(capacity * words);
        b.set(bits);
        bits = b;
      }
      slot = used++;
    }
    slots.set(deviceId, slot);
    newest = deviceId;
    newestSlot = slot;
    return slot;
  };

  const isSeen = (slot: number, seq: number): boolean => {
    const index = seq % window;
    return ((bits[slot * words + (index >>> 5)] as number) & (1 << (index & 31))) !== 0;
  };

  const judge = (slot: number, seq: number): SequenceVerdict => {
    if (slot < 0) return 'new';
    const top = highest[slot] as number;
    if (seq > top) return 'new';
    if (top - seq >= window) return 'too-old';
    return isSeen(slot, seq) ? 'duplicate' : 'late';
  };

  /** Records `seq` as seen in `slot`, sliding the window up when it is above the highest. */
  const mark = (slot: number, seq: number): void => {
    const base = slot * words;
    const top = highest[slot] as number;
    if (seq > top) {
      // Slide the window up to `seq`: forget the seqs it leaves behind.
      if (seq - top >= window) bits.fill(0, base, base + words);
      else {
        for (let s = top + 1; s < seq; s++) {
          const index = s % window;
          bits[base + (index >>> 5)] = (bits[base + (index >>> 5)] as number) & ~(1 << (index & 31));
        }
      }
      highest[slot] = seq;
    } else if (top - seq >= window) return;
    const index = seq % window;
    bits[base + (index >>> 5)] = (bits[base + (index >>> 5)] as number) | (1 << (index & 31));
  };

  /** A slot for `deviceId`, which is not remembered: empty, nothing seen. */
  const start = (deviceId: string): number => {
    const slot = open(deviceId);
    // -window: the first seq (≥ 0) slides the whole window, clearing a reused slot's bits.
    highest[slot] = -window;
    return slot;
  };

  return {
    window,
    get size() {
      return slots.size;
    },
    peek(deviceId, seq) {
      validSeq(seq);
      return judge(find(deviceId), seq);
    },
    record(deviceId, seq) {
      validSeq(seq);
      const slot = find(deviceId);
      mark(slot < 0 ? start(deviceId) : slot, seq);
    },
    check(deviceId, seq) {
      validSeq(seq);
      const slot = find(deviceId);
      if (slot < 0) {
        mark(start(deviceId), seq);
        return 'new';
      }
      const verdict = judge(slot, seq);
      if (verdict === 'new' || verdict === 'late') mark(slot, seq);
      return verdict;
    },
    highestSeq(deviceId) {
      const slot = slots.get(deviceId);
      return slot === undefined ? undefined : (highest[slot] as number);
    },
  };
}
