import { HealthItError, Reading } from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzRuns, fuzzTimeout, recordFuzzResult } from '../../../../test/fuzz/fuzz.js';
import { OMH_SUPPORTED_SCHEMAS } from './data-point.js';
import { type OmhToReadingsResult, omhToReadings } from './to-readings.js';

/** Cheap JSON scalars, biased towards values near the schemas' edges. */
const scalar = fc.oneof(
  fc.constantFrom(
    null,
    true,
    '',
    'beats/min',
    'mmHg',
    'F',
    'lb',
    'mmol/L',
    '%',
    'average',
    'min',
    'Mo',
    'morning',
    '2020-02-05T07:25:00-08:00',
    '2020-02-30T07:25:00Z',
    '1969-12-31T23:59:59Z',
    '2016-12-31T23:59:60Z',
    '2020-02-05',
    -1,
    0,
    1e308,
  ),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 6 }),
);
const json: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: scalar, weight: 4 },
  {
    arbitrary: fc.dictionary(
      fc.constantFrom('value', 'unit', 'date_time', 'start_date_time', 'duration'),
      scalar,
      { maxKeys: 2 },
    ),
    weight: 1,
  },
);

const MEASURE: Record<string, [string, ...string[]]> = {
  'heart-rate': ['heart_rate', 'beats/min'],
  'blood-pressure': ['systolic_blood_pressure', 'mmHg', 'diastolic_blood_pressure', 'mmHg'],
  'body-temperature': ['body_temperature', 'F'],
  'oxygen-saturation': ['oxygen_saturation', '%'],
  'respiratory-rate': ['respiratory_rate', 'breaths/min'],
  'body-weight': ['body_weight', 'lb'],
  'blood-glucose': ['blood_glucose', 'mmol/L'],
};

const FRAMES = [
  { date_time: '2020-02-05T07:25:00-08:00' },
  { time_interval: { start_date_time: '2020-02-05T07:00:00Z', end_date_time: '2020-02-05T07:05:00Z' } },
  { time_interval: { start_date_time: '2020-02-05T07:00:00Z', duration: { value: 5, unit: 'min' } } },
  { time_interval: { end_date_time: '2020-02-05T07:05:00Z', duration: { value: 1, unit: 'Mo' } } },
  { time_interval: { date: '2020-02-05', part_of_day: 'morning' } },
];
const KEYS = [
  'effective_time_frame',
  'descriptive_statistic',
  'temporal_relationship_to_sleep',
  'measurement_location',
  'body_posture',
  'specimen_source',
  'value',
  'unit',
  'date_time',
];

const input = fc
  .record({
    schema: fc.constantFrom(...OMH_SUPPORTED_SCHEMAS),
    frame: fc.nat({ max: FRAMES.length }),
    value: fc.oneof(fc.double({ min: -1e3, max: 1e3, noNaN: true }), scalar),
    wrap: fc.constantFrom('body', 'point', 'point-bad-header'),
    edits: fc.array(
      fc.record({
        key: fc.nat({ max: KEYS.length - 1 }),
        deep: fc.boolean(),
        remove: fc.boolean(),
        value: json,
      }),
      {
        maxLength: 2,
      },
    ),
  })
  .map(({ schema, frame, value, wrap, edits }) => {
    const [, name, version] = schema.split(':') as [string, string, string];
    const spec = MEASURE[name]!;
    const body: Record<string, unknown> = {};
    for (let i = 0; i < spec.length; i += 2) body[spec[i]!] = { value, unit: spec[i + 1] };
    if (frame < FRAMES.length) body.effective_time_frame = structuredClone(FRAMES[frame]);
    for (const e of edits) {
      const key = KEYS[e.key]!;
      const target = e.deep ? (body[spec[0]] as Record<string, unknown>) : body;
      if (e.remove) delete target[key];
      else target[key] = e.value;
    }
    if (wrap === 'body') return { schema, input: body as unknown };
    const header: Record<string, unknown> = {
      id: 'a1b2',
      creation_date_time: '2020-02-05T08:00:00Z',
      schema_id: { namespace: 'omh', name, version },
      acquisition_provenance: { source_name: wrap === 'point' ? 'dev-1' : 'Dev 1 (app)' },
    };
    return { schema, input: { header, body } as unknown };
  });

const RUNS = fuzzRuns();
const FUZZ_TIMEOUT_MS = fuzzTimeout(400); // ~4 s per 100 000 on an idle core

describe('Open mHealth mapping fuzzing', () => {
  it('random data points and bodies each give a result or a HealthItError, never anything else', {
    timeout: FUZZ_TIMEOUT_MS,
  }, () => {
    const outcomes = { readings: 0, skipped: 0, rejected: 0 };
    let maxInputMs = 0;
    const t0 = performance.now();
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0; // rejected inputs need no stack traces; capturing them is most of their cost
    try {
      fc.assert(
        fc.property(input, ({ schema, input }) => {
          let result: OmhToReadingsResult;
          const start = performance.now();
          try {
            result = omhToReadings(input, { seq: 0, schema });
          } catch (e) {
            maxInputMs = Math.max(maxInputMs, performance.now() - start);
            if (!(e instanceof HealthItError) || e.message.length === 0) throw e;
            outcomes.rejected++;
            return;
          }
          maxInputMs = Math.max(maxInputMs, performance.now() - start);
          outcomes[result.type]++;
          // Plain checks, not expect(): this runs 100 000 times.
          if (result.type === 'readings') {
            for (const r of result.readings) {
              if (!Reading.safeParse(r).success)
                throw new Error(`made an invalid reading ${JSON.stringify(r)}`);
            }
          }
        }),
        { seed: 0x0e1f, numRuns: RUNS },
      );
    } finally {
      Error.stackTraceLimit = stackTraceLimit;
    }
    recordFuzzResult({
      name: 'Open mHealth omhToReadings (JSON)',
      runs: RUNS,
      returned: outcomes.readings + outcomes.skipped,
      rejected: outcomes.rejected,
      outcomes: {
        readings: outcomes.readings,
        skipped: outcomes.skipped,
        'rejected: HealthItError': outcomes.rejected,
      },
      totalMs: Math.round(performance.now() - t0),
      maxInputMs: Math.round(maxInputMs * 10) / 10,
    });
    expect(outcomes.readings).toBeGreaterThan(RUNS / 20);
    expect(outcomes.skipped).toBeGreaterThan(RUNS / 20);
    expect(outcomes.rejected).toBeGreaterThan(RUNS / 20);
  });
});
