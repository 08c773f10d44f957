import type { ReadingQuality } from '@healthit/core';

/**
 * The memory layout of one stored point: 16 bytes, in three parallel typed arrays sharing one
 * `ArrayBuffer` per series.
 *
 * | array      | type         | bytes | holds                                                        |
 * | ---------- | ------------ | ----- | ------------------------------------------------------------ |
 * | `values`   | Float64Array | 8     | the value in the metric's canonical unit, exactly as given   |
 * | `tsOffsets`| Uint32Array  | 4     | `ts − tsBase` in ms (a series spans at most 2³²−1 ms)         |
 * | `tags`     | Uint32Array  | 4     | `seq − seqBase[slot]` (26 bits) · device slot (4) · quality (2) |
 *
 * The device id is kept once per series per device slot (16 slots), the id is rebuilt as
 * `${deviceId}:${seq}` and the unit is the metric's canonical unit: a stored point gives back the
 * whole `Reading` it came from.
 */
export const BYTES_PER_POINT = 16;

/** The longest time span one series can hold: 2³² − 1 ms ≈ 49.7 days. */
export const MAX_SPAN_MS = 0xffff_ffff;

/** The widest seq span one device can have inside one series: 2²⁶ − 1. */
export const MAX_SEQ_SPAN = 0x3ff_ffff;

/** Device slots per series: at most this many devices can have points in one series at a time. */
export const MAX_DEVICES_PER_SERIES = 16;

const QUALITY_CODES = { good: 1, questionable: 2, bad: 3 } as const;
const QUALITY_BY_CODE: readonly (ReadingQuality | undefined)[] = [undefined, 'good', 'questionable', 'bad'];

/** Packs a seq offset (0..2²⁶−1), a device slot (0..15) and a quality into one uint32. */
export function packTag(seqOffset: number, slot: number, quality: ReadingQuality | undefined): number {
  const q = quality === undefined ? 0 : QUALITY_CODES[quality];
  return seqOffset * 64 + slot * 4 + q;
}

/** The seq offset of a packed tag. */
export function tagSeqOffset(tag: number): number {
  return tag >>> 6;
}

/** The device slot of a packed tag. */
export function tagSlot(tag: number): number {
  return (tag >>> 2) & 15;
}

/** The seq offset and slot of a packed tag, without the quality (for equality tests). */
export function tagIdentity(tag: number): number {
  return tag >>> 2;
}

/** The quality of a packed tag (undefined when the reading had none). */
export function tagQuality(tag: number): ReadingQuality | undefined {
  return QUALITY_BY_CODE[tag & 3];
}
