import { HealthItError } from '@healthit/core';
import { Observable, type OperatorFunction } from 'rxjs';

/** MLLP start block, VT (0x0B). */
export const MLLP_START_BLOCK = 0x0b;
/** MLLP end block, FS (0x1C), followed by {@link MLLP_CARRIAGE_RETURN}. */
export const MLLP_END_BLOCK = 0x1c;
/** The carriage return (0x0D) that ends an MLLP frame after the end block. */
export const MLLP_CARRIAGE_RETURN = 0x0d;
/** Default bound of one frame's payload: 1 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 1_048_576;
/** How many leading bytes of a frame that is discarded are kept, so the receiver can still read its MSH. */
export const KEPT_PREFIX_BYTES = 4096;

/**
 * What the MLLP frame decoder found in the byte stream.
 * - `frame`: a complete frame's payload (between 0x0B and 0x1C 0x0D).
 * - `garbage`: bytes outside any frame (reported, discarded).
 * - `oversize`: a frame grew past `maxFrameBytes`; it is discarded up to its end block (or the
 *   next start block). Reported once, when the limit is crossed.
 * - `malformed`: a frame that ended wrongly: `end-block-without-cr` (0x1C not followed by
 *   0x0D), `start-block-inside-frame` (a new 0x0B before the end block: the first frame was cut
 *   short) or `incomplete-at-end` (the stream ended inside a frame). Discarded.
 *
 * `oversize` and `malformed` carry up to {@link KEPT_PREFIX_BYTES} leading bytes of the frame, so a
 * receiver can read its MSH and answer with a rejecting acknowledgement.
 */
export type MllpFrameEvent =
  | {
      /** A complete frame. */
      readonly type: 'frame';
      /** The frame's payload, without the 0x0B start and the 0x1C 0x0D end (an HL7 message's bytes). */
      readonly payload: Uint8Array;
    }
  | {
      /** Bytes outside any frame, discarded. */
      readonly type: 'garbage';
      /** How many bytes were discarded before the next start block (or the end of the chunk). */
      readonly bytes: number;
    }
  | {
      /** A frame grew past `maxFrameBytes`; the rest of it is skipped. */
      readonly type: 'oversize';
      /** The payload bytes received of that frame when the limit was crossed (more than `maxFrameBytes`). */
      readonly bytes: number;
      /** The limit in force, bytes. */
      readonly maxFrameBytes: number;
      /** Up to {@link KEPT_PREFIX_BYTES} leading payload bytes of the frame, for its MSH. */
      readonly prefix: Uint8Array;
    }
  | {
      /** A frame that ended wrongly, discarded. */
      readonly type: 'malformed';
      /** How it ended wrongly (see above). */
      readonly reason: 'end-block-without-cr' | 'start-block-inside-frame' | 'incomplete-at-end';
      /** The payload bytes received of the frame before it ended wrongly. */
      readonly bytes: number;
      /** Up to {@link KEPT_PREFIX_BYTES} leading payload bytes of the frame, for its MSH. */
      readonly prefix: Uint8Array;
    };

/** Options of {@link createMllpFrameDecoder}. */
export interface MllpFrameDecoderOptions {
  /** The largest payload accepted, in bytes (an integer >= 1). Default 1 MiB. */
  readonly maxFrameBytes?: number;
}

/** A streaming MLLP frame decoder: feed it chunks as they arrive, in order. */
export interface MllpFrameDecoder {
  /** Decodes a chunk; returns what it completed. The chunk may be reused by the caller afterwards. */
  push(chunk: Uint8Array): MllpFrameEvent[];
  /** The stream ended: reports a frame left incomplete. The decoder is then reset. */
  end(): MllpFrameEvent[];
  /** Bytes held for the frame in progress (at most `maxFrameBytes`). */
  readonly buffered: number;
}

const OUTSIDE = 0;
const INSIDE = 1;
const INSIDE_AFTER_END_BLOCK = 2;
const SKIPPING = 3;
const SKIPPING_AFTER_END_BLOCK = 4;

/**
 * Creates a streaming decoder of MLLP frames (`0x0B payload 0x1C 0x0D`, HL7 MLLP release 1).
 * Memory is bounded: a frame in progress holds at most `maxFrameBytes`; a larger one is reported
 * as `oversize` and skipped without buffering. Bytes between frames are reported as `garbage`;
 * frames that end wrongly as `malformed`. The decoder never throws on input and always
 * resynchronises at the next start block.
 *
 * @throws {RangeError} when `maxFrameBytes` is not an integer >= 1.
 * @example
 * ```ts
 * const decoder = createMllpFrameDecoder({ maxFrameBytes: 65_536 });
 * socket.on('data', (chunk) => { for (const e of decoder.push(chunk)) if (e.type === 'frame') handle(e.payload); });
 * ```
 */
export function createMllpFrameDecoder(options: MllpFrameDecoderOptions = {}): MllpFrameDecoder {
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (!Number.isInteger(max) || max < 1)
    throw new RangeError(`maxFrameBytes must be an integer >= 1, got ${max}`);
  let state = OUTSIDE;
  let pieces: Uint8Array[] = [];
  let size = 0;

  const keepPrefix = (): Uint8Array => {
    const out = new Uint8Array(Math.min(size, KEPT_PREFIX_BYTES));
    let at = 0;
    for (const p of pieces) {
      if (at >= out.length) break;
      const n = Math.min(p.length, out.length - at);
      out.set(p.subarray(0, n), at);
      at += n;
    }
    return out;
  };
  const startFrame = (): void => {
    state = INSIDE;
    pieces = [];
    size = 0;
  };
  /** Appends bytes to the frame in progress; false when that made it oversize (now skipping). */
  const append = (chunk: Uint8Array, from: number, to: number, out: MllpFrameEvent[]): boolean => {
    if (to <= from) return true;
    if (size + (to - from) > max) {
      // Keep the leading bytes for the receiver's MSH, then skip the rest of this frame.
      const room = Math.max(0, KEPT_PREFIX_BYTES - size);
      if (room > 0) pieces.push(chunk.slice(from, Math.min(to, from + room)));
      size += Math.min(room, to - from);
      const bytes = size + Math.max(0, to - from - room);
      out.push({ type: 'oversize', bytes, maxFrameBytes: max, prefix: keepPrefix() });
      pieces = [];
      size = 0;
      state = SKIPPING;
      return false;
    }
    pieces.push(chunk.slice(from, to));
    size += to - from;
    return true;
  };
  const frame = (): Uint8Array => {
    if (pieces.length === 1) return pieces[0] as Uint8Array;
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of pieces) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  const malformed = (
    reason: 'end-block-without-cr' | 'start-block-inside-frame' | 'incomplete-at-end',
  ): MllpFrameEvent => {
    const event: MllpFrameEvent = { type: 'malformed', reason, bytes: size, prefix: keepPrefix() };
    pieces = [];
    size = 0;
    return event;
  };

  return {
    get buffered() {
      return size;
    },
    push(chunk) {
      const out: MllpFrameEvent[] = [];
      const n = chunk.length;
      let i = 0;
      let garbage = 0;
      while (i < n) {
        if (state === OUTSIDE) {
          const start = chunk.indexOf(MLLP_START_BLOCK, i);
          const stop = start === -1 ? n : start;
          garbage += stop - i;
          if (start === -1) break;
          if (garbage > 0) {
            out.push({ type: 'garbage', bytes: garbage });
            garbage = 0;
          }
          startFrame();
          i = start + 1;
        } else if (state === INSIDE) {
          let k = i;
          while (k < n && chunk[k] !== MLLP_END_BLOCK && chunk[k] !== MLLP_START_BLOCK) k++;
          if (!append(chunk, i, k, out)) {
            i = k;
            continue;
          }
          if (k === n) break;
          if (chunk[k] === MLLP_START_BLOCK) {
            out.push(malformed('start-block-inside-frame'));
            startFrame();
          } else {
            state = INSIDE_AFTER_END_BLOCK;
          }
          i = k + 1;
        } else if (state === INSIDE_AFTER_END_BLOCK) {
          if (chunk[i] === MLLP_CARRIAGE_RETURN) {
            out.push({ type: 'frame', payload: frame() });
            pieces = [];
            size = 0;
            i++;
          } else {
            out.push(malformed('end-block-without-cr'));
          }
          state = OUTSIDE;
        } else if (state === SKIPPING) {
          let k = i;
          while (k < n && chunk[k] !== MLLP_END_BLOCK && chunk[k] !== MLLP_START_BLOCK) k++;
          if (k === n) break;
          if (chunk[k] === MLLP_START_BLOCK) {
            startFrame();
          } else {
            state = SKIPPING_AFTER_END_BLOCK;
          }
          i = k + 1;
        } else {
          if (chunk[i] === MLLP_CARRIAGE_RETURN) i++;
          state = OUTSIDE;
        }
      }
      if (garbage > 0) out.push({ type: 'garbage', bytes: garbage });
      return out;
    },
    end() {
      const out: MllpFrameEvent[] = [];
      if (state === INSIDE || state === INSIDE_AFTER_END_BLOCK) out.push(malformed('incomplete-at-end'));
      state = OUTSIDE;
      pieces = [];
      size = 0;
      return out;
    },
  };
}

/**
 * Wraps an HL7 message's bytes in an MLLP frame: `0x0B payload 0x1C 0x0D`.
 *
 * @throws {HealthItError} `codec/encode` when the payload contains 0x0B or 0x1C, which MLLP
 *   cannot carry.
 */
export function encodeMllpFrame(payload: Uint8Array): Uint8Array {
  const bad = payload.findIndex((b) => b === MLLP_START_BLOCK || b === MLLP_END_BLOCK);
  if (bad !== -1) {
    throw new HealthItError(
      'codec/encode',
      `MLLP: the payload has byte 0x${(payload[bad] as number).toString(16).padStart(2, '0')} at offset ${bad}; 0x0B and 0x1C cannot be framed (escape them in the HL7 text)`,
      { detail: { offset: bad } },
    );
  }
  const out = new Uint8Array(payload.length + 3);
  out[0] = MLLP_START_BLOCK;
  out.set(payload, 1);
  out[payload.length + 1] = MLLP_END_BLOCK;
  out[payload.length + 2] = MLLP_CARRIAGE_RETURN;
  return out;
}

/**
 * The frame decoder as an RxJS operator: chunks in, {@link MllpFrameEvent}s out; when the source
 * completes, an unfinished frame is reported as `incomplete-at-end`.
 */
export function decodeMllpFrames(
  options: MllpFrameDecoderOptions = {},
): OperatorFunction<Uint8Array, MllpFrameEvent> {
  return (source) =>
    new Observable<MllpFrameEvent>((subscriber) => {
      const decoder = createMllpFrameDecoder(options);
      return source.subscribe({
        next(chunk) {
          for (const e of decoder.push(chunk)) subscriber.next(e);
        },
        error(err) {
          subscriber.error(err);
        },
        complete() {
          for (const e of decoder.end()) subscriber.next(e);
          subscriber.complete();
        },
      });
    });
}
