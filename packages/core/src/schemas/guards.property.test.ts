import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { METRIC_IDS, METRICS } from '../metrics/catalogue.js';
import { Envelope } from './envelope.js';
import { isEnvelope } from './envelope-guard.js';
import { Reading } from './reading.js';
import { isReading } from './reading-guard.js';

const UNITS = [
  ...new Set(Object.values(METRICS).map((m) => m.unit)),
  '[degF]',
  'kPa',
  'mmol/L',
  'kg',
  'x',
  '',
  '%/min',
];
const idChars = fc.constantFrom(...'aZ09._:-/ é'.split(''));
const id = fc.oneof(
  fc.constantFrom('mon-1', 'p-7', 'a', '.x', '-x', 'x'.repeat(128), 'x'.repeat(129)),
  fc.string({ unit: idChars, maxLength: 12 }),
);
const num = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -0, 1.5, -1, 2 ** 53, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY),
);
const anyValue = fc.oneof(
  num,
  id,
  fc.constant(null),
  fc.boolean(),
  fc.constant(undefined),
  fc.constant([]),
  fc.constant({}),
);

const validReading = fc
  .record(
    {
      id: fc.string({ minLength: 1, maxLength: 300 }),
      deviceId: fc.constantFrom('mon-1', 'A.b_c:d-9', 'x'.repeat(128)),
      patientId: fc.constantFrom('patient-7', 'p'),
      metric: fc.constantFrom(...METRIC_IDS),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      ts: fc.nat(),
      seq: fc.nat(),
      quality: fc.constantFrom('good', 'questionable', 'bad'),
    },
    { requiredKeys: ['id', 'deviceId', 'metric', 'value', 'ts', 'seq'] },
  )
  .map((r) => ({ ...r, unit: METRICS[r.metric].unit }));

/** A valid reading with one field replaced, removed, or an extra field added. */
const mutated = fc
  .tuple(
    validReading,
    fc.constantFrom(
      'id',
      'deviceId',
      'patientId',
      'metric',
      'value',
      'unit',
      'ts',
      'seq',
      'quality',
      'extra',
    ),
    fc.oneof(anyValue, fc.constantFrom(...UNITS), fc.constantFrom(...METRIC_IDS, 'good', 'bad', 'unknown')),
    fc.boolean(),
  )
  .map(([r, key, value, remove]) => {
    const copy: Record<string, unknown> = { ...r };
    if (remove) delete copy[key];
    else copy[key] = value;
    return copy;
  });

describe('isReading (the decoders’ fast path)', () => {
  it('accepts every valid reading, as the schema does, and the schema returns an equal value', () => {
    fc.assert(
      fc.property(validReading, (r) => {
        expect(isReading(r)).toBe(true);
        expect(Reading.parse(r)).toEqual(r);
      }),
    );
  });

  it('never accepts what the schema rejects (mutated readings, wrong units, bad ids, non-integers)', () => {
    fc.assert(
      fc.property(mutated, (r) => {
        if (isReading(r)) expect(Reading.safeParse(r).success).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });

  it('rejects non-objects, arrays, inherited and explicitly undefined optional fields', () => {
    for (const v of [null, 1, 'x', [], [{}]]) expect(isReading(v)).toBe(false);
    const base = { id: 'm:1', deviceId: 'm', metric: 'spo2', value: 97, unit: '%', ts: 1, seq: 1 };
    expect(isReading(base)).toBe(true);
    expect(isReading({ ...base, patientId: undefined })).toBe(false);
    expect(isReading(Object.assign(Object.create({ extra: 1 }), base))).toBe(false);
    expect(
      isReading(
        JSON.parse(
          '{"__proto__":1,"id":"m:1","deviceId":"m","metric":"spo2","value":97,"unit":"%","ts":1,"seq":1}',
        ),
      ),
    ).toBe(false);
    expect(isReading({ ...base, unit: 'mm[Hg]' })).toBe(false);
    expect(isReading({ ...base, unit: '[degF]', metric: 'body-temperature' })).toBe(true);
  });
});

const validEnvelope = fc.record(
  {
    v: fc.constant(1),
    id: fc.string({ minLength: 1, maxLength: 300 }),
    source: fc.string({ minLength: 1, maxLength: 128 }),
    seq: fc.nat(),
    ts: fc.nat(),
    contentType: fc.string({ minLength: 1 }),
    payload: fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b).toString('base64url')),
    sig: fc.record({
      alg: fc.constant('Ed25519'),
      kid: fc.string({ minLength: 1 }),
      value: fc.string({ minLength: 1 }),
    }),
  },
  { requiredKeys: ['v', 'id', 'source', 'seq', 'ts', 'contentType', 'payload'] },
);

const mutatedEnvelope = fc
  .tuple(
    validEnvelope,
    fc.constantFrom('v', 'id', 'source', 'seq', 'ts', 'contentType', 'payload', 'sig', 'extra'),
    fc.oneof(
      anyValue,
      fc.constantFrom(
        'abc',
        'a',
        'ab=',
        'AAAA',
        'x'.repeat(301),
        { alg: 'Ed25519', kid: 'k', value: '' },
        { alg: 'Ed25519', kid: 'k', value: 'v', x: 1 },
      ),
    ),
    fc.boolean(),
  )
  .map(([e, key, value, remove]) => {
    const copy: Record<string, unknown> = { ...e };
    if (remove) delete copy[key];
    else copy[key] = value;
    return copy;
  });

describe('isEnvelope (the decoders’ fast path)', () => {
  it('accepts every valid envelope, as the schema does', () => {
    fc.assert(
      fc.property(validEnvelope, (e) => {
        expect(isEnvelope(e)).toBe(true);
        expect(Envelope.parse(e)).toEqual(e);
      }),
    );
  });

  it('never accepts what the schema rejects', () => {
    fc.assert(
      fc.property(mutatedEnvelope, (e) => {
        if (isEnvelope(e)) expect(Envelope.safeParse(e).success).toBe(true);
      }),
      { numRuns: 20_000 },
    );
  });
});
