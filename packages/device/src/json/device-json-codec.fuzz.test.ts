import { HealthItError, Reading, utf8Encode } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzTimeout, recordFuzzResult } from '../../../../test/fuzz/fuzz.js';
import { deviceJsonCodec } from './device-json-codec.js';

/** Cheap JSON scalars, biased towards values that sit at the edges of the schema. */
const scalar = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    '',
    'spo2',
    '%',
    '/min',
    'Cel',
    'kPa',
    'good',
    'd1',
    -1,
    0,
    1,
    2,
    1e308,
    -0.5,
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 8 }),
);
const json = fc.oneof(
  scalar,
  fc.array(scalar, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), scalar, { maxKeys: 3 }),
);

const template = () => ({
  v: 1 as unknown,
  deviceId: 'oxi-7' as unknown,
  seq: 41 as unknown,
  ts: 1_735_689_600_000 as unknown,
  batteryPct: 50 as unknown,
  measurements: [
    { metric: 'spo2', value: 97, unit: '%' },
    { metric: 'body-temperature', value: 98.6, unit: '[degF]', ts: 1_735_689_599_000, quality: 'good' },
  ] as unknown[],
});

const MESSAGE_KEYS = ['v', 'deviceId', 'seq', 'ts', 'batteryPct', 'measurements', 'patientId', 'extra'];
const MEASUREMENT_KEYS = ['metric', 'value', 'unit', 'ts', 'quality', 'id'];

/** A valid message with up to three random edits: a field set to a random value, or deleted. */
const mutated = fc
  .array(
    fc.record({
      level: fc.constantFrom('message', 'measurement'),
      index: fc.nat({ max: 2 }),
      key: fc.nat({ max: 7 }),
      remove: fc.boolean(),
      value: json,
    }),
    { maxLength: 3 },
  )
  .map((edits) => {
    const msg = template() as Record<string, unknown>;
    for (const e of edits) {
      if (e.level === 'message') {
        const key = MESSAGE_KEYS[e.key]!;
        if (e.remove) delete msg[key];
        else msg[key] = e.value;
      } else if (Array.isArray(msg.measurements)) {
        const m = msg.measurements[e.index % Math.max(1, msg.measurements.length)];
        if (typeof m === 'object' && m !== null) {
          const key = MEASUREMENT_KEYS[e.key % MEASUREMENT_KEYS.length]!;
          if (e.remove) delete (m as Record<string, unknown>)[key];
          else (m as Record<string, unknown>)[key] = e.value;
        }
      }
    }
    return utf8Encode(JSON.stringify(msg));
  });

const frames = fc.oneof(
  { arbitrary: mutated, weight: 6 },
  { arbitrary: json.map((v) => utf8Encode(JSON.stringify(v) ?? 'undefined')), weight: 2 },
  { arbitrary: fc.uint8Array({ maxLength: 48 }), weight: 1 },
  { arbitrary: mutated.map((b) => b.subarray(0, Math.floor(b.length / 2))), weight: 1 },
);

const RUNS = fuzzRuns();
const FUZZ_TIMEOUT_MS = fuzzTimeout(400); // ~4 s per 100 000 on an idle core

describe('device JSON codec fuzzing', () => {
  it('random frames each give valid readings or a HealthItError, never anything else', {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    let decoded = 0;
    let rejected = 0;
    let maxInputMs = 0;
    const t0 = performance.now();
    // Capturing a stack trace is most of the cost of a rejected frame; the frames need none.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      fc.assert(
        fc.property(frames, (frame) => {
          let readings: Reading[];
          const start = performance.now();
          try {
            readings = deviceJsonCodec.decode(frame);
          } catch (e) {
            maxInputMs = Math.max(maxInputMs, performance.now() - start);
            if (!(e instanceof HealthItError)) throw e;
            expect(e.message.length).toBeGreaterThan(0);
            rejected++;
            return;
          }
          maxInputMs = Math.max(maxInputMs, performance.now() - start);
          decoded++;
          for (const r of readings) {
            expect(Reading.safeParse(r).success).toBe(true);
            expect(r.id).toBe(`${r.deviceId}:${r.seq}`);
          }
        }),
        { seed: 20_250_101, numRuns: RUNS },
      );
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    recordFuzzResult({
      name: 'device JSON codec decode (bytes)',
      runs: RUNS,
      returned: decoded,
      rejected,
      outcomes: { decoded, 'rejected: HealthItError': rejected },
      totalMs: Math.round(performance.now() - t0),
      maxInputMs: Math.round(maxInputMs * 10) / 10,
    });
    // Both outcomes are exercised, not just rejection.
    expect(decoded).toBeGreaterThan(RUNS / 20);
    expect(rejected).toBeGreaterThan(RUNS / 20);
  });
});
