import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METRIC_IDS, METRICS } from '../metrics/catalogue.js';
import { Reading } from '../schemas/reading.js';
import { readingToJson } from './reading-json.js';

/** Valid readings with fields in schema order, ids and units with characters that need escaping. */
const reading = fc
  .record(
    {
      id: fc.string({ minLength: 1, maxLength: 300, unit: 'binary' }),
      deviceId: fc.constantFrom('mon-1', 'A.b_c:d-9'),
      patientId: fc.constantFrom('patient-7', 'p'),
      metric: fc.constantFrom(...METRIC_IDS),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      unit: fc.constant(''),
      ts: fc.nat(),
      seq: fc.nat(),
      quality: fc.constantFrom('good', 'questionable', 'bad'),
    },
    { requiredKeys: ['id', 'deviceId', 'metric', 'value', 'unit', 'ts', 'seq'] },
  )
  .map((r) => Reading.parse({ ...r, unit: METRICS[r.metric].unit }));

describe('readingToJson', () => {
  it('gives exactly JSON.stringify of a reading in schema order (escapes, -0, exponents, optional fields)', () => {
    fc.assert(
      fc.property(reading, (r) => {
        expect(readingToJson(r)).toBe(JSON.stringify(r));
      }),
      { numRuns: 5_000 },
    );
  });

  it('escapes quotes, backslashes, control characters and lone surrogates in id and unit', () => {
    const r = Reading.parse({
      id: 'a"b\\c\n\u0001\ud800',
      deviceId: 'm',
      metric: 'spo2',
      value: -0,
      unit: '%',
      ts: 0,
      seq: 0,
    });
    expect(readingToJson(r)).toBe(JSON.stringify(r));
    expect(JSON.parse(readingToJson(r))).toEqual({ ...r, value: 0 });
  });
});
