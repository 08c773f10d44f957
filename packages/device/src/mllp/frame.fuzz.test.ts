/**
 * Fuzzing the MLLP frame decoder: streams of valid frames (the HL7 v2 vectors), mutated at the byte
 * level (start/end blocks inserted, dropped, duplicated; noise between frames; truncation), and
 * random bytes, fed in random chunks and with a small frame limit. The decoder never throws, never
 * buffers more than its limit, finds the same frames however the stream is chunked, and every frame
 * it finds parses as HL7 v2 or is refused with an `Hl7ParseError` (`codec/decode`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { HealthItError } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutatedBytes } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzTimeout, healthItError } from '../../../../test/fuzz/fuzz.js';
import { decodeHl7Bytes } from '../hl7v2/charset.js';
import { parseHl7 } from '../hl7v2/parse.js';
import { createMllpFrameDecoder, encodeMllpFrame, type MllpFrameEvent } from './frame.js';

const dir = new URL('../../test/vectors/hl7v2/', import.meta.url);
const messages = readdirSync(dir)
  .filter((f) => f.endsWith('.hl7'))
  .map((f) => new Uint8Array(readFileSync(new URL(f, dir))))
  .filter((m) => !m.includes(0x0b) && !m.includes(0x1c));
const frames = messages.map(encodeMllpFrame);
/** Streams of two or three frames back to back, some with noise between them. */
const streams = [
  ...frames,
  Uint8Array.from([...(frames[0] ?? []), ...(frames[1] ?? frames[0] ?? [])]),
  Uint8Array.from([0x0d, 0x0a, ...(frames[0] ?? []), 0x41, 0x0d, ...(frames.at(-1) ?? []), 0x1c]),
];

/** The stream and where to cut it into chunks. */
const inputs = fc.record({
  stream: fc.oneof(
    { arbitrary: mutatedBytes(streams, 4), weight: 6 },
    { arbitrary: fc.constantFrom(...streams), weight: 1 },
    {
      arbitrary: fc
        .uint8Array({ maxLength: 256 })
        .map((b) =>
          b.map((x) => (x % 5 === 0 ? ([0x0b, 0x1c, 0x0d, 0x41, 0x0a][(x % 25) / 5] as number) : x)),
        ),
      weight: 2,
    },
  ),
  cuts: fc.array(fc.nat(), { maxLength: 8 }),
  maxFrameBytes: fc.constantFrom(16, 200, 1_048_576),
});

function decode(stream: Uint8Array, cuts: readonly number[], maxFrameBytes: number): MllpFrameEvent[] {
  const decoder = createMllpFrameDecoder({ maxFrameBytes });
  const at = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const events: MllpFrameEvent[] = [];
  let from = 0;
  for (const to of [...at, stream.length]) {
    events.push(...decoder.push(stream.subarray(from, to)));
    if (decoder.buffered > maxFrameBytes) throw new Error(`buffered ${decoder.buffered} > ${maxFrameBytes}`);
    from = to;
  }
  events.push(...decoder.end());
  return events;
}

/**
 * What must not depend on chunking: every event but garbage (whose counts per event do) with the
 * total garbage; of an `oversize` event only that it happened (it is reported when the limit is
 * crossed, with the bytes seen by then).
 */
function summary(events: readonly MllpFrameEvent[]): string {
  const garbage = events.reduce((n, e) => n + (e.type === 'garbage' ? e.bytes : 0), 0);
  const rest = events
    .filter((e) => e.type !== 'garbage')
    .map((e) =>
      e.type === 'frame'
        ? `frame ${Buffer.from(e.payload).toString('hex')}`
        : e.type === 'oversize'
          ? 'oversize'
          : `${e.type} ${e.bytes} ${'reason' in e ? e.reason : ''}`,
    );
  return JSON.stringify({ garbage, rest });
}

describe('MLLP frame decoder fuzzing', () => {
  it(
    'any byte stream in any chunks: no throw, bounded buffer, the same frames as in one chunk, frames parse or are refused typed',
    () => {
      const r = fuzz({
        name: 'MLLP frame decoder (+ HL7 v2 parse of each frame)',
        inputs,
        run: ({ stream, cuts, maxFrameBytes }) => {
          let events: MllpFrameEvent[];
          try {
            events = decode(stream, cuts, maxFrameBytes);
            const whole = decode(stream, [], maxFrameBytes);
            if (summary(events) !== summary(whole)) throw new Error('chunking changed what was decoded');
          } catch (e) {
            throw new Error(`the frame decoder failed: ${String(e)}`, { cause: e }); // never typed
          }
          let parsed = 0;
          for (const e of events) {
            if (e.type !== 'frame') continue;
            if (e.payload.length > maxFrameBytes || e.payload.includes(0x0b) || e.payload.includes(0x1c))
              throw new Error('a frame payload over the limit or holding a block byte');
            parseHl7(decodeHl7Bytes(e.payload)); // throws Hl7ParseError (codec/decode) for a bad one
            parsed++;
          }
          return parsed > 0 ? 'frames parsed' : 'no frame';
        },
        typed: (e) =>
          e instanceof HealthItError && e.code === 'codec/decode' ? healthItError(e) : undefined,
      });
      expect(r.outcomes['frames parsed']).toBeGreaterThan(0);
    },
    fuzzTimeout(2_000),
  );
});
