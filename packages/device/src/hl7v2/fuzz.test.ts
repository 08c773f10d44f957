import { readdirSync, readFileSync } from 'node:fs';
import { HealthItError, METRICS, Reading, readingId } from '@healthit/core';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzTimeout, recordFuzzResult } from '../../../../test/fuzz/fuzz.js';
import { hl7Repetitions } from './access.js';
import { buildAck, readAck } from './ack.js';
import { buildOruR01 } from './build-oru.js';
import { decodeHl7Bytes } from './charset.js';
import { Hl7ParseError, Hl7UnsupportedMessageError } from './errors.js';
import { oruToReadings } from './oru-to-readings.js';
import { parseHl7, parseHl7Header } from './parse.js';

const dir = new URL('../../test/vectors/hl7v2/', import.meta.url);
const T = Date.UTC(2025, 0, 1);

const seeds: string[] = [
  ...readdirSync(dir)
    .filter((f) => f.endsWith('.hl7'))
    .map((f) => readFileSync(new URL(f, dir), 'latin1')),
  buildOruR01(
    (
      ['heart-rate', 'spo2', 'respiratory-rate', 'body-temperature', 'bp-systolic', 'bp-diastolic'] as const
    ).map((metric, i) =>
      Reading.parse({
        id: readingId('mon-1', i + 1),
        deviceId: 'mon-1',
        patientId: 'P-1',
        metric,
        value: [72, 97, 16, 37.2, 120, 80][i],
        unit: METRICS[metric].unit,
        ts: T,
        seq: i + 1,
        quality: 'good',
      }),
    ),
    { controlId: 'FUZZ-1', timestamp: T },
  ),
  'MSH|^~\\&|A\\F\\B|||||ORU^R01|X\\X41\\|P|2.6||||||8859/1\rPID|||\\E\\p\rOBR|1\rOBX|1|SN|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.0.0.1|=^95|%^^UCUM|||||R|||20250101\r',
];

/** Characters a mutation inserts: the delimiters and segment ends most of the time. */
const INSERTS = [
  '|',
  '^',
  '~',
  '\\',
  '&',
  '\r',
  '\n',
  '\r\n',
  '#',
  'X',
  '0',
  '.',
  '"',
  '\u0000',
  '\u00e9',
  '\ud83d\ude00',
  'MSH|',
  'OBX|',
  '\\X',
  '\\F\\',
];

const RUNS = fuzzRuns();
const FUZZ_TIMEOUT_MS = fuzzTimeout(600);

describe('HL7 v2 fuzzing (seeded)', () => {
  it('mutated messages (1 in 8 also as damaged bytes): a value or a typed error, never anything else', {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const rng = xoroshiro128plus(20_250_101);
    const int = (min: number, max: number): number => uniformInt(rng, min, max);
    const counts = { mapped: 0, readings: 0, parseErrors: 0, unsupported: 0 };
    const t0 = performance.now();
    let maxInputMs = 0;
    for (let run = 0; run < RUNS; run++) {
      const start = performance.now();
      let text = seeds[int(0, seeds.length - 1)] as string;
      const mutations = int(1, 4);
      for (let k = 0; k < mutations; k++) {
        const at = int(0, text.length);
        switch (int(0, 4)) {
          case 0: // flip a character
            text = text.slice(0, at) + String.fromCharCode(int(0, 0x7f)) + text.slice(at + 1);
            break;
          case 1: // truncate
            text = text.slice(0, at);
            break;
          case 2: // insert a separator or another structural fragment
            text = text.slice(0, at) + INSERTS[int(0, INSERTS.length - 1)] + text.slice(at);
            break;
          case 3: // delete a range
            text = text.slice(0, at) + text.slice(at + int(1, 12));
            break;
          default: // duplicate a range
            text = text.slice(0, at) + text.slice(at, at + int(1, 40)) + text.slice(at);
        }
      }
      // (the time of one input includes its mutation: a few string operations)
      if (run % 8 === 1) {
        // Byte-level damage too, as an MLLP frame would carry it: bytes → text → message.
        const bytes = new TextEncoder().encode(text);
        if (bytes.length > 0) bytes[int(0, bytes.length - 1)] = int(0, 255);
        try {
          parseHl7(decodeHl7Bytes(bytes));
        } catch (e) {
          if (!(e instanceof HealthItError) || e.code !== 'codec/decode')
            throw new Error(`bytes: ${String(e)}`, { cause: e });
        }
      }
      try {
        const m = parseHl7(text);
        // Decoding any field of a parsed message never fails, and any parsed message can be acknowledged.
        if (run % 16 === 0) {
          for (const seg of m.segments) for (let f = 1; f < seg.fields.length; f++) hl7Repetitions(m, seg, f);
        }
        if (run % 4 === 0) buildAck(m, { code: 'AA', controlId: 'ACK', timestamp: T });
        const { readings } = oruToReadings(m);
        counts.mapped++;
        counts.readings += readings.length;
        if (run % 8 === 0) {
          for (const r of readings)
            if (!Reading.safeParse(r).success) throw new Error(`invalid reading ${JSON.stringify(r)}`);
        }
      } catch (e) {
        if (e instanceof Hl7UnsupportedMessageError) counts.unsupported++;
        else if (e instanceof Hl7ParseError) counts.parseErrors++;
        else throw new Error(`untyped failure for ${JSON.stringify(text)}: ${String(e)}`, { cause: e });
        if (!(e instanceof HealthItError) || e.code !== 'codec/decode')
          throw new Error(`not a codec/decode error: ${String(e)}`);
        if (run % 8 !== 0) continue;
        // The receiver can still answer: from the header when it reads, or without one.
        let header: ReturnType<typeof parseHl7Header> | undefined;
        try {
          header = parseHl7Header(text);
        } catch (headerError) {
          if (!(headerError instanceof Hl7ParseError)) throw headerError;
        }
        readAck(
          parseHl7(
            buildAck(header, {
              code: 'AR',
              controlId: 'ACK',
              timestamp: T,
              errors: [{ hl7ErrorCode: 207 }],
            }),
          ),
        );
      } finally {
        maxInputMs = Math.max(maxInputMs, performance.now() - start);
      }
    }
    recordFuzzResult({
      name: 'HL7 v2 parseHl7 + oruToReadings + ACK (text; 1 in 8 also as damaged bytes)',
      runs: RUNS,
      returned: counts.mapped,
      rejected: counts.parseErrors + counts.unsupported,
      outcomes: {
        mapped: counts.mapped,
        'rejected: Hl7ParseError codec/decode': counts.parseErrors,
        'rejected: Hl7UnsupportedMessageError codec/decode': counts.unsupported,
      },
      totalMs: Math.round(performance.now() - t0),
      maxInputMs: Math.round(maxInputMs * 10) / 10,
    });
    expect(counts.mapped + counts.parseErrors + counts.unsupported).toBe(RUNS);
    // The mutations reach every outcome.
    expect(counts.mapped).toBeGreaterThan(RUNS / 10);
    expect(counts.parseErrors).toBeGreaterThan(RUNS / 10);
    expect(counts.unsupported).toBeGreaterThan(RUNS / 1_000);
    expect(counts.readings).toBeGreaterThan(RUNS / 10);
  });
});
