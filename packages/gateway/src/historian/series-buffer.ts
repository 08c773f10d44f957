import type { ReadingQuality } from '@healthit/core';
import {
  BYTES_PER_POINT,
  MAX_DEVICES_PER_SERIES,
  MAX_SEQ_SPAN,
  MAX_SPAN_MS,
  packTag,
  tagIdentity,
  tagQuality,
  tagSeqOffset,
  tagSlot,
} from './layout.js';
import { AppendOutcome } from './outcome.js';

/** Room left below a new series' first timestamp, so slightly late points need no rebase. */
const TS_HEADROOM_MS = 3_600_000;
/** Room left below a new device slot's first seq, for the same reason. */
const SEQ_HEADROOM = 65_536;

/** Points evicted, by cause; shared by every series of one historian. */
export interface EvictionCounters {
  /** Older than the age bound (`maxAgeMs`, or the {@link MAX_SPAN_MS} span of a series). */
  age: number;
  /** Overwritten because the series was at capacity. */
  capacity: number;
  /** Dropped because their device's seq jumped by more than {@link MAX_SEQ_SPAN}. */
  seqSpan: number;
}

/**
 * One series' points in time order, in a growable ring buffer of typed arrays (16 bytes a point,
 * see `layout.ts`). Points with equal timestamps keep their arrival order. Internal to the
 * historian: callers go through {@link createHistorian}.
 */
export class SeriesBuffer {
  private values: Float64Array;
  private tsOffsets: Uint32Array;
  private tags: Uint32Array;
  private cap: number;
  private head = 0;
  private count = 0;
  private tsBase = 0;
  private readonly slotDevice: (string | undefined)[] = [];
  private readonly slotSeqBase: number[] = [];
  private readonly slotCount: number[] = [];
  private readonly slotMaxSeq: number[] = [];
  /** True while a slot's seqs increase in time order: a duplicate search can then stop early. */
  private readonly slotMonotone: boolean[] = [];

  /**
   * @param maxCapacity the most points the series holds (its `capacityPerSeries`)
   * @param initialCapacity points allocated at first; doubled as needed up to `maxCapacity`
   * @param spanMs the age bound relative to the newest point: older points are evicted
   *   (`maxAgeMs` without a clock, else {@link MAX_SPAN_MS}; never more than that)
   * @param evictions counters to add this series' evictions to
   */
  constructor(
    private readonly maxCapacity: number,
    initialCapacity: number,
    private readonly spanMs: number,
    private readonly evictions: EvictionCounters,
  ) {
    this.cap = Math.max(1, Math.min(initialCapacity, maxCapacity));
    const buffer = new ArrayBuffer(this.cap * BYTES_PER_POINT);
    this.values = new Float64Array(buffer, 0, this.cap);
    this.tsOffsets = new Uint32Array(buffer, this.cap * 8, this.cap);
    this.tags = new Uint32Array(buffer, this.cap * 12, this.cap);
  }

  /** Points stored. */
  get size(): number {
    return this.count;
  }

  /** Bytes allocated for points (the typed arrays' shared buffer). */
  get bytesAllocated(): number {
    return this.values.buffer.byteLength;
  }

  /** Timestamp of the point at time-ordered index `i` (0 = oldest). */
  tsAt(i: number): number {
    return this.tsBase + (this.tsOffsets[this.phys(i)] ?? 0);
  }

  /** Value of the point at index `i`. */
  valueAt(i: number): number {
    return this.values[this.phys(i)] ?? Number.NaN;
  }

  /** Seq of the point at index `i`. */
  seqAt(i: number): number {
    const tag = this.tags[this.phys(i)] ?? 0;
    return (this.slotSeqBase[tagSlot(tag)] ?? 0) + tagSeqOffset(tag);
  }

  /** Device id of the point at index `i`. */
  deviceAt(i: number): string {
    return this.slotDevice[tagSlot(this.tags[this.phys(i)] ?? 0)] ?? '';
  }

  /** Quality of the point at index `i` (undefined when the reading had none). */
  qualityAt(i: number): ReadingQuality | undefined {
    return tagQuality(this.tags[this.phys(i)] ?? 0);
  }

  /** Index of the first point with `ts ≥ tsMs` (`size` when there is none). */
  lowerBound(tsMs: number): number {
    const target = tsMs - this.tsBase;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.tsOffsets[this.phys(mid)] ?? 0) < target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first point with `ts > tsMs` (`size` when there is none). */
  upperBound(tsMs: number): number {
    const target = tsMs - this.tsBase;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.tsOffsets[this.phys(mid)] ?? 0) <= target) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Evicts the points older than `cutoffMs` (a point at exactly `cutoffMs` stays); returns how many. */
  evictBefore(cutoffMs: number): number {
    const target = cutoffMs - this.tsBase;
    let n = 0;
    while (this.count > 0 && (this.tsOffsets[this.head] ?? 0) < target) {
      this.evictOldest();
      n += 1;
    }
    this.evictions.age += n;
    return n;
  }

  /**
   * Stores one point in time order, or says why not. `clockCutoffMs` is the clock's age cutoff
   * (`clock.now() − maxAgeMs`, or −∞ without a clock): older points are evicted first and an older
   * reading is refused. Refusals change nothing else.
   */
  append(
    deviceId: string,
    seq: number,
    tsMs: number,
    value: number,
    quality: ReadingQuality | undefined,
    clockCutoffMs: number,
  ): AppendOutcome {
    // 1. Decide, changing nothing but the eviction of points the clock has aged out.
    const newest = this.count > 0 ? this.newestTs() : Number.NEGATIVE_INFINITY;
    const cutoff = Math.max(clockCutoffMs, newest - this.spanMs);
    this.evictBefore(cutoff);
    if (tsMs < cutoff) return AppendOutcome.expired;
    let slot = this.findSlot(deviceId);
    if (slot >= 0 && this.isDuplicate(slot, seq)) return AppendOutcome.duplicate;
    if (this.count === this.maxCapacity && tsMs < this.tsAt(0)) return AppendOutcome.full;
    if (slot < 0 && this.freeSlot() < 0) return AppendOutcome.tooManyDevices;
    if (slot >= 0 && seq < (this.slotSeqBase[slot] ?? 0) && this.seqBoundsOf(slot)[1] - seq > MAX_SEQ_SPAN) {
      return AppendOutcome.seqOutOfSpan;
    }

    // 2. Make room: points aged out by the new newest point, then the oldest one if at capacity.
    if (tsMs > newest) this.evictBefore(tsMs - this.spanMs);
    if (this.count === this.maxCapacity) {
      this.evictOldest();
      this.evictions.capacity += 1;
    }
    if (slot >= 0 && this.slotDevice[slot] !== deviceId) slot = -1; // its last point was evicted
    if (slot < 0) slot = this.openSlot(deviceId, seq);
    this.fitSeq(slot, seq);
    if (this.slotDevice[slot] !== deviceId) slot = this.openSlot(deviceId, seq);
    this.fitTs(tsMs);
    if (this.count === this.cap) this.grow();

    // 3. Insert after every point with ts ≤ tsMs, shifting the newer ones up by one.
    const at = this.count === 0 || tsMs >= this.newestTs() ? this.count : this.upperBound(tsMs);
    for (let i = this.count; i > at; i--) {
      const dst = this.phys(i);
      const src = this.phys(i - 1);
      this.values[dst] = this.values[src] ?? 0;
      this.tsOffsets[dst] = this.tsOffsets[src] ?? 0;
      this.tags[dst] = this.tags[src] ?? 0;
    }
    const p = this.phys(at);
    this.values[p] = value;
    this.tsOffsets[p] = tsMs - this.tsBase;
    this.tags[p] = packTag(seq - (this.slotSeqBase[slot] ?? 0), slot, quality);
    this.count += 1;
    this.slotCount[slot] = (this.slotCount[slot] ?? 0) + 1;
    if (seq > (this.slotMaxSeq[slot] ?? -1)) this.slotMaxSeq[slot] = seq;
    if (this.slotMonotone[slot] === true && !this.inSeqOrder(at, slot)) this.slotMonotone[slot] = false;
    return AppendOutcome.stored;
  }

  /** Timestamp of the newest point; only meaningful when `size > 0`. */
  newestTs(): number {
    return this.tsAt(this.count - 1);
  }

  private phys(i: number): number {
    const p = this.head + i;
    return p >= this.cap ? p - this.cap : p;
  }

  private evictOldest(): void {
    const slot = tagSlot(this.tags[this.head] ?? 0);
    this.release(slot, 1);
    this.head = this.head + 1 === this.cap ? 0 : this.head + 1;
    this.count -= 1;
    if (this.count === 0) this.head = 0;
  }

  private release(slot: number, n: number): void {
    const left = (this.slotCount[slot] ?? 0) - n;
    this.slotCount[slot] = left;
    if (left === 0) this.slotDevice[slot] = undefined;
  }

  private findSlot(deviceId: string): number {
    for (let s = 0; s < this.slotDevice.length; s++) if (this.slotDevice[s] === deviceId) return s;
    return -1;
  }

  private freeSlot(): number {
    for (let s = 0; s < this.slotDevice.length; s++) if (this.slotDevice[s] === undefined) return s;
    return this.slotDevice.length < MAX_DEVICES_PER_SERIES ? this.slotDevice.length : -1;
  }

  private openSlot(deviceId: string, seq: number): number {
    const s = this.freeSlot();
    this.slotDevice[s] = deviceId;
    this.slotSeqBase[s] = Math.max(0, seq - SEQ_HEADROOM);
    this.slotCount[s] = 0;
    this.slotMaxSeq[s] = -1;
    this.slotMonotone[s] = true;
    return s;
  }

  /** True when the point at `at` has a higher seq than its slot's previous point and a lower one than its next. */
  private inSeqOrder(at: number, slot: number): boolean {
    const offset = tagSeqOffset(this.tags[this.phys(at)] ?? 0);
    for (let i = at - 1; i >= 0; i--) {
      const tag = this.tags[this.phys(i)] ?? 0;
      if (tagSlot(tag) === slot) {
        if (tagSeqOffset(tag) >= offset) return false;
        break;
      }
    }
    for (let i = at + 1; i < this.count; i++) {
      const tag = this.tags[this.phys(i)] ?? 0;
      if (tagSlot(tag) === slot) return tagSeqOffset(tag) > offset;
    }
    return true;
  }

  /**
   * True when a point of `slot` with this seq is stored. Free for a new highest seq; otherwise a
   * scan from the newest point back, which stops at the first lower seq of the slot while the
   * slot's seqs are in time order (the usual case), so a late reading costs a few steps.
   */
  private isDuplicate(slot: number, seq: number): boolean {
    if (seq > (this.slotMaxSeq[slot] ?? -1)) return false;
    const offset = seq - (this.slotSeqBase[slot] ?? 0);
    if (offset < 0) return false;
    const identity = offset * 16 + slot;
    const monotone = this.slotMonotone[slot] === true;
    for (let i = this.count - 1; i >= 0; i--) {
      const tag = this.tags[this.phys(i)] ?? 0;
      if (tagIdentity(tag) === identity) return true;
      if (monotone && tagSlot(tag) === slot && tagSeqOffset(tag) < offset) return false;
    }
    return false;
  }

  /** The lowest and highest stored seq of `slot` (slot must hold points). */
  private seqBoundsOf(slot: number): [number, number] {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.count; i++) {
      const tag = this.tags[this.phys(i)] ?? 0;
      if (tagSlot(tag) !== slot) continue;
      const off = tagSeqOffset(tag);
      if (off < lo) lo = off;
      if (off > hi) hi = off;
    }
    const base = this.slotSeqBase[slot] ?? 0;
    return [base + lo, base + hi];
  }

  /** Moves `slot`'s seq base so that `seq` fits in {@link MAX_SEQ_SPAN}, dropping too-old points. */
  private fitSeq(slot: number, seq: number): void {
    const base = this.slotSeqBase[slot] ?? 0;
    const offset = seq - base;
    if (offset >= 0 && offset <= MAX_SEQ_SPAN) return;
    if ((this.slotCount[slot] ?? 0) === 0) {
      this.slotSeqBase[slot] = Math.max(0, seq - SEQ_HEADROOM);
      return;
    }
    let [lo, hi] = this.seqBoundsOf(slot);
    if (seq - lo > MAX_SEQ_SPAN) {
      const floor = seq - MAX_SEQ_SPAN;
      this.evictions.seqSpan += this.removeWhere(
        (tag) => tagSlot(tag) === slot && base + tagSeqOffset(tag) < floor,
      );
      if ((this.slotCount[slot] ?? 0) === 0) return; // the slot was released; the caller reopens it
      [lo, hi] = this.seqBoundsOf(slot);
    }
    const newBase = Math.max(0, Math.min(lo, seq) - SEQ_HEADROOM, Math.max(hi, seq) - MAX_SEQ_SPAN);
    const shift = base - newBase;
    for (let i = 0; i < this.count; i++) {
      const p = this.phys(i);
      const tag = this.tags[p] ?? 0;
      if (tagSlot(tag) === slot) this.tags[p] = tag + shift * 64;
    }
    this.slotSeqBase[slot] = newBase;
  }

  /** Moves the series' time base so that `tsMs` fits in a uint32 offset (span already ensured). */
  private fitTs(tsMs: number): void {
    if (this.count === 0) {
      this.tsBase = tsMs - TS_HEADROOM_MS;
      return;
    }
    const offset = tsMs - this.tsBase;
    if (offset >= 0 && offset <= MAX_SPAN_MS) return;
    const oldest = Math.min(this.tsAt(0), tsMs);
    const newest = Math.max(this.newestTs(), tsMs);
    const newBase = Math.max(oldest - TS_HEADROOM_MS, newest - MAX_SPAN_MS);
    const shift = this.tsBase - newBase;
    for (let i = 0; i < this.count; i++) {
      const p = this.phys(i);
      this.tsOffsets[p] = (this.tsOffsets[p] ?? 0) + shift;
    }
    this.tsBase = newBase;
  }

  /** Drops the points whose tag matches, keeping the rest in order; returns how many went. */
  private removeWhere(drop: (tag: number) => boolean): number {
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      const pr = this.phys(r);
      const tag = this.tags[pr] ?? 0;
      if (drop(tag)) {
        this.release(tagSlot(tag), 1);
        continue;
      }
      if (w !== r) {
        const pw = this.phys(w);
        this.values[pw] = this.values[pr] ?? 0;
        this.tsOffsets[pw] = this.tsOffsets[pr] ?? 0;
        this.tags[pw] = tag;
      }
      w += 1;
    }
    const removed = this.count - w;
    this.count = w;
    return removed;
  }

  private grow(): void {
    const cap = Math.min(this.maxCapacity, this.cap * 2);
    const buffer = new ArrayBuffer(cap * BYTES_PER_POINT);
    const values = new Float64Array(buffer, 0, cap);
    const tsOffsets = new Uint32Array(buffer, cap * 8, cap);
    const tags = new Uint32Array(buffer, cap * 12, cap);
    const first = Math.min(this.count, this.cap - this.head);
    values.set(this.values.subarray(this.head, this.head + first), 0);
    tsOffsets.set(this.tsOffsets.subarray(this.head, this.head + first), 0);
    tags.set(this.tags.subarray(this.head, this.head + first), 0);
    const rest = this.count - first;
    values.set(this.values.subarray(0, rest), first);
    tsOffsets.set(this.tsOffsets.subarray(0, rest), first);
    tags.set(this.tags.subarray(0, rest), first);
    this.values = values;
    this.tsOffsets = tsOffsets;
    this.tags = tags;
    this.cap = cap;
    this.head = 0;
  }
}
