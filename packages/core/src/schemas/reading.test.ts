import { describe, expect, it } from 'vitest';
import { expectRejected, rejectionOf, SOURCE } from '../../test/expect-invalid.js';
import { METRIC_IDS, METRICS } from '../metrics/catalogue.js';
import { parse, safeParse } from '../validate.js';
import { Reading, readingId } from './reading.js';

const T0 = Date.UTC(2025, 0, 1);

/** A complete, valid reading (every optional field present). */
const full = {
  id: 'mon-1:42',
  deviceId: 'mon-1',
  patientId: 'patient-7',
  metric: 'heart-rate',
  value: 72,
  unit: '/min',
  ts: T0,
  seq: 42,
  quality: 'good',
} as const;

/** The same reading without its optional fields. */
const { patientId: _patientId, quality: _quality, ...minimal } = full;

function reject(input: unknown, path: string) {
  return expectRejected(Reading, 'Reading', input, path);
}

describe('Reading: valid input', () => {
  it('accepts a reading with every field and returns it unchanged', () => {
    expect(parse(Reading, 'Reading', full, SOURCE)).toEqual(full);
  });

  it('accepts a reading without its optional fields and does not invent them', () => {
    const r = parse(Reading, 'Reading', minimal);
    expect(r).toEqual(minimal);
    expect('patientId' in r).toBe(false);
    expect('quality' in r).toBe(false);
  });

  it.each(['good', 'questionable', 'bad'] as const)('accepts quality %s', (quality) => {
    expect(parse(Reading, 'Reading', { ...full, quality }).quality).toBe(quality);
  });

  it.each(METRIC_IDS)('accepts %s in its canonical unit', (metric) => {
    const unit = METRICS[metric].unit;
    const value = METRICS[metric].plausible.min;
    expect(parse(Reading, 'Reading', { ...minimal, metric, unit, value })).toMatchObject({
      metric,
      unit,
      value,
    });
  });

  it.each([
    ['body-temperature', '[degF]', 98.6],
    ['body-temperature', 'K', 310.15],
    ['glucose', 'mmol/L', 5.5],
    ['glucose', 'mol/L', 0.0055],
    ['glucose', 'g/L', 0.99],
    ['heart-rate', '{beats}/min', 72],
    ['respiratory-rate', '{breaths}/min', 16],
    ['pulse-rate', '/s', 1.2],
    ['spo2', '1', 0.97],
    ['bp-systolic', 'kPa', 16],
    ['bp-diastolic', 'Pa', 10_000],
    ['body-weight', '[lb_av]', 185],
    ['body-weight', 'g', 3500],
    ['device-temperature', '[degF]', 39.2],
  ] as const)('accepts %s in the non-canonical UCUM unit %s', (metric, unit, value) => {
    expect(parse(Reading, 'Reading', { ...minimal, metric, unit, value })).toMatchObject({
      metric,
      unit,
      value,
    });
  });

  it('accepts the smallest sequence number and timestamp (0) and the largest safe integer', () => {
    expect(parse(Reading, 'Reading', { ...minimal, seq: 0, ts: 0 })).toMatchObject({ seq: 0, ts: 0 });
    const max = Number.MAX_SAFE_INTEGER;
    expect(parse(Reading, 'Reading', { ...minimal, seq: max, ts: max })).toMatchObject({ seq: max, ts: max });
  });

  it('accepts values outside the plausibility range: plausibility is a preprocessing concern', () => {
    expect(parse(Reading, 'Reading', { ...minimal, value: -5 }).value).toBe(-5);
    expect(
      parse(Reading, 'Reading', { ...minimal, metric: 'device-temperature', unit: 'Cel', value: -80 }).value,
    ).toBe(-80);
  });

  it('accepts ids of the maximum length (300 characters)', () => {
    const id = 'x'.repeat(300);
    expect(parse(Reading, 'Reading', { ...minimal, id }).id).toBe(id);
  });
});

describe('Reading: invalid input names the schema, the source and the field', () => {
  it.each(['id', 'deviceId', 'metric', 'value', 'unit', 'ts', 'seq'] as const)(
    'rejects a missing %s',
    (field) => {
      const { [field]: _gone, ...rest } = full;
      const error = reject(rest, field);
      // A missing enum field is reported as an invalid option, the others as a wrong type.
      expect(error.issues.find((i) => i.path === field)?.code).toBe(
        field === 'metric' ? 'invalid_value' : 'invalid_type',
      );
    },
  );

  it.each([
    ['an empty id', { id: '' }, 'id'],
    ['an id longer than 300 characters', { id: 'x'.repeat(301) }, 'id'],
    ['a numeric id', { id: 42 }, 'id'],
    ['an empty deviceId', { deviceId: '' }, 'deviceId'],
    ['a deviceId with a topic separator', { deviceId: 'ward/mon-1' }, 'deviceId'],
    ['a deviceId with an MQTT wildcard', { deviceId: 'mon+1' }, 'deviceId'],
    ['a deviceId starting with a dot', { deviceId: '.mon' }, 'deviceId'],
    ['a malformed patientId', { patientId: 'patient 7' }, 'patientId'],
    ['a null patientId', { patientId: null }, 'patientId'],
    ['an unknown metric', { metric: 'blood-alcohol' }, 'metric'],
    ['a string value', { value: '72' }, 'value'],
    ['a null value', { value: null }, 'value'],
    ['a NaN value', { value: Number.NaN }, 'value'],
    ['an infinite value', { value: Number.POSITIVE_INFINITY }, 'value'],
    ['a negative infinite value', { value: Number.NEGATIVE_INFINITY }, 'value'],
    ['an empty unit', { unit: '' }, 'unit'],
    ['a numeric unit', { unit: 1 }, 'unit'],
    ['a negative ts', { ts: -1 }, 'ts'],
    ['a fractional ts', { ts: T0 + 0.5 }, 'ts'],
    ['a ts string', { ts: '2025-01-01T00:00:00Z' }, 'ts'],
    ['a ts beyond the safe integers', { ts: 2 ** 60 }, 'ts'],
    ['a negative seq', { seq: -1 }, 'seq'],
    ['a fractional seq', { seq: 1.5 }, 'seq'],
    ['a NaN seq', { seq: Number.NaN }, 'seq'],
    ['an infinite seq', { seq: Number.POSITIVE_INFINITY }, 'seq'],
    ['an unknown quality', { quality: 'excellent' }, 'quality'],
  ])('rejects %s', (_name, override, path) => {
    reject({ ...full, ...override }, path);
  });

  it.each([
    ['heart-rate', 'Cel'],
    ['heart-rate', 'bpm'],
    ['respiratory-rate', '%'],
    ['spo2', '/min'],
    ['body-temperature', 'degF'],
    ['body-temperature', 'mm[Hg]'],
    ['bp-systolic', 'mmHg'],
    ['bp-systolic', 'kg'],
    ['body-weight', 'lb'],
    ['glucose', 'mg/dl'],
    ['glucose', 'kg'],
    ['device-temperature', '/min'],
    ['heart-rate', 'toString'],
    ['heart-rate', '__proto__'],
  ] as const)(
    'rejects %s in %s, a unit that cannot express it, naming the canonical unit',
    (metric, unit) => {
      const error = reject({ ...full, metric, unit }, 'unit');
      const issue = error.issues.find((i) => i.path === 'unit');
      expect(issue?.message).toBe(
        `"${unit}" is not a UCUM unit for ${metric} (canonical unit ${METRICS[metric].unit})`,
      );
      expect(error.message).toContain(`unit: "${unit}" is not a UCUM unit for ${metric}`);
    },
  );

  it('rejects unknown fields (strict), naming the field in the message', () => {
    const error = reject({ ...full, bpm: 72 }, '');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.code).toBe('unrecognized_keys');
    expect(error.message).toContain('(root): ');
    expect(error.message).toContain('"bpm"');
  });

  it.each([
    ['null', null],
    ['an array', [full]],
    ['a string', JSON.stringify(full)],
    ['undefined', undefined],
  ])('rejects %s as input, at the root', (_name, input) => {
    expect(reject(input, '').issues[0]?.code).toBe('invalid_type');
  });

  it('reports every offending field at once', () => {
    const error = rejectionOf(Reading, 'Reading', { ...full, value: 'high', seq: -3, quality: 'meh' });
    expect(error.issues.map((i) => i.path).sort()).toEqual(['quality', 'seq', 'value']);
    expect(error.message).toMatch(/value: .*; seq: .*; quality: /);
  });

  it('safeParse returns the same error instead of throwing', () => {
    const result = safeParse(Reading, 'Reading', { ...full, value: Number.NaN }, SOURCE);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.issues.map((i) => i.path)).toEqual(['value']);
    expect(result.error.source).toBe(SOURCE);
    expect(safeParse(Reading, 'Reading', full)).toEqual({ ok: true, value: full });
  });
});

describe('readingId', () => {
  it('is deviceId:seq, stable for the same reading', () => {
    expect(readingId('mon-1', 42)).toBe('mon-1:42');
    expect(readingId('mon-1', 42)).toBe(readingId('mon-1', 42));
    expect(readingId('mon-1', 0)).not.toBe(readingId('mon-1', 1));
  });

  it('makes an id the Reading schema accepts', () => {
    const id = readingId(full.deviceId, full.seq);
    expect(parse(Reading, 'Reading', { ...full, id }).id).toBe(full.id);
  });
});
