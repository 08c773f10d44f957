import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createMllpFrameDecoder,
  decodeMllpFrames,
  encodeMllpFrame,
  KEPT_PREFIX_BYTES,
  type MllpFrameEvent,
} from './frame.js';

const bytes = (...parts: (string | number[])[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));
const SB = [0x0b];
const EB = [0x1c, 0x0d];
const text = (u: Uint8Array): string => new TextDecoder().decode(u);
const summary = (events: readonly MllpFrameEvent[]) =>
  events.map((e) =>
    e.type === 'frame'
      ? `frame:${text(e.payload)}`
      : e.type === 'malformed'
        ? `malformed:${e.reason}:${e.bytes}`
        : `${e.type}:${e.bytes}`,
  );

describe('MLLP frames', () => {
  it('encodes 0x0B payload 0x1C 0x0D, and refuses payloads with 0x0B or 0x1C', () => {
    expect([...encodeMllpFrame(bytes('MSH|'))]).toEqual([0x0b, 0x4d, 0x53, 0x48, 0x7c, 0x1c, 0x0d]);
    expect(() => encodeMllpFrame(bytes('a', [0x1c]))).toThrow(
      expect.objectContaining({ code: 'codec/encode' }),
    );
    expect(() => encodeMllpFrame(bytes([0x0b]))).toThrow(expect.objectContaining({ code: 'codec/encode' }));
  });

  it('decodes frames split anywhere across chunks', () => {
    const stream = bytes(SB, 'first', EB, SB, 'second', EB, SB, EB);
    for (let cut1 = 0; cut1 <= stream.length; cut1++) {
      for (let cut2 = cut1; cut2 <= stream.length; cut2++) {
        const d = createMllpFrameDecoder();
        const events = [stream.subarray(0, cut1), stream.subarray(cut1, cut2), stream.subarray(cut2)].flatMap(
          (c) => d.push(c),
        );
        expect(summary(events)).toEqual(['frame:first', 'frame:second', 'frame:']);
        expect(d.buffered).toBe(0);
      }
    }
  });

  it('reports garbage between frames, in order', () => {
    const d = createMllpFrameDecoder();
    expect(summary(d.push(bytes('junk', SB, 'a', EB, '\n\r', SB, 'b', EB, 'tail')))).toEqual([
      'garbage:4',
      'frame:a',
      'garbage:2',
      'frame:b',
      'garbage:4',
    ]);
  });

  it('reports malformed frames and resynchronises', () => {
    const d = createMllpFrameDecoder();
    expect(summary(d.push(bytes(SB, 'cut', SB, 'whole', EB)))).toEqual([
      'malformed:start-block-inside-frame:3',
      'frame:whole',
    ]);
    expect(summary(d.push(bytes(SB, 'nocr', [0x1c], 'x', SB, 'ok', EB)))).toEqual([
      'malformed:end-block-without-cr:4',
      'garbage:1',
      'frame:ok',
    ]);
    expect(summary(d.push(bytes(SB, 'open')))).toEqual([]);
    expect(d.buffered).toBe(4);
    const end = d.end();
    expect(summary(end)).toEqual(['malformed:incomplete-at-end:4']);
    expect(end[0]?.type === 'malformed' && text(end[0].prefix)).toBe('open');
  });

  it('bounds a frame: an oversize one is reported once, skipped, and the next frame is read', () => {
    const d = createMllpFrameDecoder({ maxFrameBytes: 8 });
    const events = [
      ...d.push(bytes(SB, '12345')),
      ...d.push(bytes('6789')),
      ...d.push(bytes('more and more')),
      ...d.push(bytes(EB, SB, '12345678', EB)),
    ];
    expect(summary(events)).toEqual(['oversize:9', 'frame:12345678']);
    expect(events[0]?.type === 'oversize' && text(events[0].prefix)).toBe('123456789');
    expect(d.buffered).toBe(0);
  });

  it('keeps at most KEPT_PREFIX_BYTES of an oversize frame', () => {
    const d = createMllpFrameDecoder({ maxFrameBytes: 10_000 });
    const [event] = d.push(bytes(SB, 'M'.repeat(20_000)));
    expect(event?.type).toBe('oversize');
    if (event?.type === 'oversize') {
      expect(event.prefix.length).toBe(KEPT_PREFIX_BYTES);
      expect(event.bytes).toBe(20_000);
    }
  });

  it('copies what it keeps: the caller may reuse its chunk', () => {
    const d = createMllpFrameDecoder();
    const chunk = bytes(SB, 'abc');
    d.push(chunk);
    chunk.fill(0x78);
    expect(summary(d.push(bytes(EB)))).toEqual(['frame:abc']);
  });

  it('as an RxJS operator', async () => {
    const events = await lastValueFrom(
      from([bytes(SB, 'a'), bytes(EB, SB, 'b')]).pipe(decodeMllpFrames(), toArray()),
    );
    expect(summary(events)).toEqual(['frame:a', 'malformed:incomplete-at-end:1']);
  });

  it('rejects a bad maxFrameBytes', () => {
    expect(() => createMllpFrameDecoder({ maxFrameBytes: 0 })).toThrow(RangeError);
    expect(() => createMllpFrameDecoder({ maxFrameBytes: 1.5 })).toThrow(RangeError);
  });
});

describe('MLLP frame decoder fuzzing (seeded)', () => {
  it('100 000 random byte streams: only well-formed events, bounded memory, never a throw', () => {
    const rng = xoroshiro128plus(2575);
    const int = (min: number, max: number): number => uniformInt(rng, min, max);
    const alphabet = [0x0b, 0x1c, 0x0d, 0x0a, 0x4d, 0x7c, 0x00, 0xff];
    const max = 64;
    const d = createMllpFrameDecoder({ maxFrameBytes: max });
    const seen = { frame: 0, garbage: 0, oversize: 0, malformed: 0 };
    const fail = (why: string): never => {
      throw new Error(why);
    };
    for (let run = 0; run < 100_000; run++) {
      const chunk = new Uint8Array(int(0, 96));
      for (let i = 0; i < chunk.length; i += 4) {
        let word = rng.next();
        for (let k = i; k < Math.min(i + 4, chunk.length); k++, word >>>= 8) {
          // One byte in four is a framing or structural byte, the others anything.
          chunk[k] = (word & 0x3) === 0 ? (alphabet[(word >>> 2) & 0x7] as number) : word & 0xff;
        }
      }
      const events = run % 97 === 0 ? [...d.push(chunk), ...d.end()] : d.push(chunk);
      for (const e of events) {
        seen[e.type]++;
        if (e.type === 'frame') {
          if (e.payload.length > max) fail(`frame of ${e.payload.length} bytes > ${max}`);
          if (e.payload.includes(0x0b) || e.payload.includes(0x1c)) fail('framing byte inside a frame');
        } else if (e.type !== 'malformed' && e.bytes <= 0) {
          fail(`empty ${e.type} event`);
        }
      }
      if (d.buffered > max) fail(`buffered ${d.buffered} > ${max}`);
    }
    expect(Object.values(seen).every((n) => n > 100)).toBe(true);
  });

  it('valid frames cut into random chunks, with garbage between them, come out exactly (property)', () => {
    const rng = xoroshiro128plus(7);
    const int = (min: number, max: number): number => uniformInt(rng, min, max);
    for (let run = 0; run < 2_000; run++) {
      const payloads: Uint8Array[] = [];
      const parts: number[] = [];
      for (let f = int(1, 6); f > 0; f--) {
        for (let g = int(0, 3); g > 0; g--) parts.push(int(0, 1) === 0 ? 0x0a : 0x20 + int(0, 90)); // garbage without 0x0B
        const payload = new Uint8Array(int(0, 200)).map(() => {
          const b = rng.next() & 0xff;
          return b === 0x0b || b === 0x1c ? 0x41 : b;
        });
        payloads.push(payload);
        parts.push(...encodeMllpFrame(payload));
      }
      const stream = new Uint8Array(parts);
      const d = createMllpFrameDecoder({ maxFrameBytes: 200 });
      const frames: Uint8Array[] = [];
      for (let at = 0; at < stream.length; ) {
        const n = int(1, 64);
        for (const e of d.push(stream.subarray(at, at + n))) if (e.type === 'frame') frames.push(e.payload);
        at += n;
      }
      // Compared as hex: vitest's deep equality is slow on typed arrays.
      const hex = (list: Uint8Array[]): string[] => list.map((u) => Buffer.from(u).toString('hex'));
      expect(hex(frames)).toEqual(hex(payloads));
      expect(d.end()).toEqual([]);
    }
  });
});
