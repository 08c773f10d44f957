import { isHealthItError, Reading, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { UnsupportedVersionError } from '../json/unsupported-version-error.js';
import { OMH_SUPPORTED_SCHEMAS, validateOmhBody, validateOmhDataPoint } from './data-point.js';
import {
  type OmhReadingContext,
  type OmhToReadingsResult,
  omhReadingId,
  omhToReadings,
} from './to-readings.js';

const header = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
  id: '5d7c8a3e-2f0b-4f4e-9a49-1b2c3d4e5f60',
  creation_date_time: '2020-02-05T08:00:00Z',
  schema_id: { namespace: 'omh', name, version },
  acquisition_provenance: {
    source_name: 'cuff-9',
    source_creation_date_time: '2020-02-05T07:59:00Z',
    modality: 'sensed',
  },
  user_id: 'pat-1',
  ...extra,
});

const bp = {
  systolic_blood_pressure: { value: 125, unit: 'mmHg' },
  diastolic_blood_pressure: { value: 80, unit: 'mmHg' },
  effective_time_frame: { date_time: '2020-02-05T07:25:00-08:00' },
};

function readings(result: OmhToReadingsResult): Reading[] {
  if (result.type !== 'readings') throw new Error(`expected readings, got ${result.reason}`);
  return result.readings;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

const at = (iso: string) => Date.parse(iso);

describe('omhToReadings with a data point', () => {
  it('takes device, patient and a stable id from the header; blood pressure makes two readings', () => {
    const result = omhToReadings({ header: header('blood-pressure', '4.0'), body: bp }, { seq: 7 });
    expect(result.type).toBe('readings');
    expect(result.schema).toBe('omh:blood-pressure:4.0');
    const ts = at('2020-02-05T15:25:00Z');
    expect(readings(result)).toEqual([
      {
        id: 'cuff-9:omh:5d7c8a3e-2f0b-4f4e-9a49-1b2c3d4e5f60:bp-systolic',
        deviceId: 'cuff-9',
        patientId: 'pat-1',
        metric: 'bp-systolic',
        value: 125,
        unit: 'mm[Hg]',
        ts,
        seq: 7,
      },
      {
        id: 'cuff-9:omh:5d7c8a3e-2f0b-4f4e-9a49-1b2c3d4e5f60:bp-diastolic',
        deviceId: 'cuff-9',
        patientId: 'pat-1',
        metric: 'bp-diastolic',
        value: 80,
        unit: 'mm[Hg]',
        ts,
        seq: 8,
      },
    ]);
    for (const r of readings(result)) expect(Reading.parse(r)).toEqual(r);
  });

  it('gives the same ids whatever seq the same data point is imported with', () => {
    const point = { header: header('blood-pressure', '4.0'), body: bp };
    const a = readings(omhToReadings(point, { seq: 1 })).map((r) => r.id);
    const b = readings(omhToReadings(point, { seq: 500 })).map((r) => r.id);
    expect(a).toEqual(b);
    expect(a[0]).toBe(omhReadingId('cuff-9', '5d7c8a3e-2f0b-4f4e-9a49-1b2c3d4e5f60', 'bp-systolic'));
  });

  it('lets the context name the device and patient', () => {
    const [r] = readings(
      omhToReadings(
        { header: header('blood-pressure', '4.0'), body: bp },
        { seq: 0, deviceId: 'gw-cuff', patientId: 'p-7' },
      ),
    );
    expect([r?.deviceId, r?.patientId, r?.id.startsWith('gw-cuff:omh:')]).toEqual(['gw-cuff', 'p-7', true]);
  });

  it('has no patient when neither the header nor the context names one', () => {
    const { user_id: _u, ...anonymous } = header('blood-pressure', '4.0');
    const [r] = readings(omhToReadings({ header: anonymous, body: bp }, { seq: 0 }));
    expect(r).not.toHaveProperty('patientId');
  });

  it('stamps a point without a time frame with the source creation time, else skips it', () => {
    const body = { heart_rate: { value: 61, unit: 'beats/min' } };
    const [r] = readings(omhToReadings({ header: header('heart-rate', '1.1'), body }, { seq: 0 }));
    expect(r?.ts).toBe(at('2020-02-05T07:59:00Z'));
    const noSource = header('heart-rate', '1.1', { acquisition_provenance: { source_name: 'hr-1' } });
    expect(omhToReadings({ header: noSource, body }, { seq: 0 })).toEqual({
      type: 'skipped',
      schema: 'omh:heart-rate:1.1',
      reason: 'no-effective-time',
      message: 'the data point says neither when it was measured nor when its source created it',
    });
  });

  it('rejects a header whose device or patient is not a valid id, naming the field', () => {
    const badSource = header('blood-pressure', '4.0', {
      acquisition_provenance: { source_name: 'Omron BP 7250 (app)' },
    });
    const e = thrown(() => omhToReadings({ header: badSource, body: bp }, { seq: 0 })) as ValidationError;
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.issues[0]).toMatchObject({ path: 'header.acquisition_provenance.source_name' });
    expect(e.message).toContain('give context.deviceId');
    expect(
      readings(omhToReadings({ header: badSource, body: bp }, { seq: 0, deviceId: 'omron-1' })),
    ).toHaveLength(2);

    const badUser = header('blood-pressure', '4.0', { user_id: 'jane@example.org' });
    const u = thrown(() => omhToReadings({ header: badUser, body: bp }, { seq: 0 })) as ValidationError;
    expect(u.issues[0]).toMatchObject({ path: 'header.user_id' });

    const { acquisition_provenance: _a, ...noProvenance } = header('blood-pressure', '4.0');
    const d = thrown(() => omhToReadings({ header: noProvenance, body: bp }, { seq: 0 })) as ValidationError;
    expect(d.message).toContain('no device: give context.deviceId');
  });

  it('rejects a header id that would make a reading id too long', () => {
    const long = header('blood-pressure', '4.0', { id: 'x'.repeat(290) });
    const e = thrown(() => omhToReadings({ header: long, body: bp }, { seq: 0 })) as ValidationError;
    expect(e.issues[0]).toMatchObject({ path: 'header.id', code: 'too_big' });
  });

  it('prefixes body issues with body.', () => {
    const body = { ...bp, systolic_blood_pressure: { value: 'high', unit: 'mmHg' } };
    const e = thrown(() =>
      validateOmhDataPoint({ header: header('blood-pressure', '4.0'), body }, 'omh/inbox'),
    ) as ValidationError;
    expect(e.issues.map((i) => i.path)).toEqual(['body.systolic_blood_pressure.value']);
    expect(e.source).toBe('omh/inbox');
    const h = thrown(() => validateOmhDataPoint({ header: { id: 'x' }, body: bp })) as ValidationError;
    expect(h.issues.map((i) => i.path)).toEqual(['header.creation_date_time', 'header.schema_id']);
  });

  it('names the supported schemas when the header names another', () => {
    for (const [name, version] of [
      ['step-count', '2.0'],
      ['heart-rate', '3.0'],
    ]) {
      const e = thrown(() =>
        omhToReadings({ header: header(name!, version!), body: {} }, { seq: 0 }),
      ) as UnsupportedVersionError;
      expect(e).toBeInstanceOf(UnsupportedVersionError);
      expect(e.version).toBe(`omh:${name}:${version}`);
      expect(e.supportedVersions).toEqual(OMH_SUPPORTED_SCHEMAS);
      expect(e.message).toContain(
        `declares unsupported version "omh:${name}:${version}"; supported versions: omh:heart-rate:1.0, `,
      );
    }
    const ns = thrown(() =>
      omhToReadings(
        {
          header: {
            ...header('heart-rate', '2.0'),
            schema_id: { namespace: 'acme', name: 'heart-rate', version: '2.0' },
          },
          body: {},
        },
        { seq: 0 },
      ),
    );
    expect(ns).toBeInstanceOf(UnsupportedVersionError);
  });
});

describe('omhToReadings with a bare body', () => {
  const ctx = (schema: string, extra: Partial<OmhReadingContext> = {}): OmhReadingContext => ({
    seq: 3,
    deviceId: 'dev-1',
    schema,
    ...extra,
  });
  const frame = (time_interval: Record<string, unknown>) => ({ time_interval });

  it('numbers readings <deviceId>:<seq>', () => {
    const [s, d] = readings(omhToReadings(bp, ctx('omh:blood-pressure:4.0', { patientId: 'p1' })));
    expect([s?.id, s?.seq, d?.id, d?.seq, d?.patientId]).toEqual(['dev-1:3', 3, 'dev-1:4', 4, 'p1']);
  });

  it.each([
    [
      { start_date_time: '2020-01-01T10:00:00Z', end_date_time: '2020-01-01T10:01:00Z' },
      '2020-01-01T10:01:00.000Z',
    ],
    [
      { end_date_time: '2020-01-01T10:01:00Z', duration: { value: 1, unit: 'min' } },
      '2020-01-01T10:01:00.000Z',
    ],
    [
      { start_date_time: '2020-01-01T10:00:00Z', duration: { value: 90, unit: 'sec' } },
      '2020-01-01T10:01:30.000Z',
    ],
    [
      { start_date_time: '2020-01-01T10:00:00Z', duration: { value: 1.5, unit: 'h' } },
      '2020-01-01T11:30:00.000Z',
    ],
    [
      { start_date_time: '2020-01-01T10:00:00Z', duration: { value: 250, unit: 'ms' } },
      '2020-01-01T10:00:00.250Z',
    ],
    [
      { start_date_time: '2020-01-01T10:00:00Z', duration: { value: 1500, unit: 'us' } },
      '2020-01-01T10:00:00.001Z',
    ],
    [
      { start_date_time: '2020-01-01T00:00:00Z', duration: { value: 1, unit: 'wk' } },
      '2020-01-08T00:00:00.000Z',
    ],
    [
      { start_date_time: '2020-01-01T00:00:00Z', duration: { value: 1, unit: 'Mo' } },
      '2020-01-31T10:30:00.000Z',
    ],
    [
      { start_date_time: '2020-01-01T00:00:00Z', duration: { value: 1, unit: 'yr' } },
      '2020-12-31T06:00:00.000Z',
    ],
  ])('stamps an interval measurement with its end: %j → %s', (interval, iso) => {
    const body = { heart_rate: { value: 70, unit: 'beats/min' }, effective_time_frame: frame(interval) };
    const [r] = readings(omhToReadings(body, ctx('omh:heart-rate:2.0')));
    expect(new Date(r!.ts).toISOString()).toBe(iso);
  });

  it('rejects an interval that ends before it starts, or a negative duration', () => {
    const inverted = frame({
      start_date_time: '2020-01-02T00:00:00Z',
      end_date_time: '2020-01-01T00:00:00Z',
    });
    const e = thrown(() =>
      omhToReadings(
        { heart_rate: { value: 70, unit: 'beats/min' }, effective_time_frame: inverted },
        ctx('omh:heart-rate:2.0'),
      ),
    ) as ValidationError;
    expect(e.issues).toEqual([
      {
        path: 'effective_time_frame.time_interval.end_date_time',
        code: 'custom',
        message: '2020-01-01T00:00:00Z is before start_date_time 2020-01-02T00:00:00Z',
      },
    ]);
    for (const interval of [
      { start_date_time: '2020-01-01T00:00:00Z', duration: { value: -1, unit: 'min' } },
      { end_date_time: '2020-01-01T00:00:00Z', duration: { value: -1, unit: 'min' } },
    ]) {
      const n = thrown(() =>
        omhToReadings(
          { heart_rate: { value: 70, unit: 'beats/min' }, effective_time_frame: frame(interval) },
          ctx('omh:heart-rate:2.0'),
        ),
      ) as ValidationError;
      expect(n.issues[0]?.path).toBe('effective_time_frame.time_interval.duration.value');
    }
  });

  it('skips a date with a part of the day (OMH 1.x time frames only)', () => {
    const body = {
      heart_rate: { value: 70, unit: 'beats/min' },
      effective_time_frame: frame({ date: '2020-01-01', part_of_day: 'morning' }),
    };
    expect(omhToReadings(body, ctx('omh:heart-rate:2.0'))).toEqual({
      type: 'skipped',
      schema: 'omh:heart-rate:2.0',
      reason: 'imprecise-time',
      message: 'effective_time_frame.time_interval is 2020-01-01 morning, which is no instant',
    });
    // IEEE 1752.1 time intervals (4.0 schemas) have no such form.
    expect(() =>
      omhToReadings(
        { ...bp, effective_time_frame: body.effective_time_frame },
        ctx('omh:blood-pressure:4.0'),
      ),
    ).toThrow(ValidationError);
    expect(
      omhToReadings({ ...bp, effective_time_frame: body.effective_time_frame }, ctx('omh:blood-pressure:3.1'))
        .type,
    ).toBe('skipped');
  });

  it('skips descriptive statistics: an average over a week is not a measurement', () => {
    const body = { ...bp, descriptive_statistic: 'average' };
    expect(omhToReadings(body, ctx('omh:blood-pressure:4.0'))).toEqual({
      type: 'skipped',
      schema: 'omh:blood-pressure:4.0',
      reason: 'descriptive-statistic',
      message: 'the average over a period',
    });
  });

  it.each([
    ['omh:body-weight:3.0', { body_weight: { value: 154, unit: 'lb' } }, 'body-weight', 69.85322498, 'kg'],
    ['omh:body-weight:3.0', { body_weight: { value: 70_000, unit: 'g' } }, 'body-weight', 70, 'kg'],
    ['omh:body-weight:3.0', { body_weight: { value: 16, unit: 'oz' } }, 'body-weight', 0.45359237, 'kg'],
    ['omh:body-weight:3.0', { body_weight: { value: 0.07, unit: 'Metric Ton' } }, 'body-weight', 70, 'kg'],
    ['omh:body-weight:3.0', { body_weight: { value: 0.1, unit: 'Ton' } }, 'body-weight', 90.718474, 'kg'],
    ['omh:body-weight:3.0', { body_weight: { value: 7000, unit: 'gr' } }, 'body-weight', 0.45359237, 'kg'],
    ['omh:body-weight:3.0', { body_weight: { value: 70_000_000, unit: 'mg' } }, 'body-weight', 70, 'kg'],
    ['omh:body-weight:2.0', { body_weight: { value: 7e10, unit: 'ug' } }, 'body-weight', 70, 'kg'],
    [
      'omh:body-temperature:4.0',
      { body_temperature: { value: 310.15, unit: 'K' } },
      'body-temperature',
      37,
      'Cel',
    ],
    [
      'omh:body-temperature:4.0',
      { body_temperature: { value: 37.2, unit: 'C' } },
      'body-temperature',
      37.2,
      'Cel',
    ],
    ['omh:blood-glucose:4.0', { blood_glucose: { value: 5.5, unit: 'mmol/L' } }, 'glucose', 99.0858, 'mg/dL'],
    ['omh:oxygen-saturation:2.0', { oxygen_saturation: { value: 93, unit: '%' } }, 'spo2', 93, '%'],
    [
      'omh:respiratory-rate:2.0',
      { respiratory_rate: { value: 16, unit: 'breaths/min' } },
      'respiratory-rate',
      16,
      '/min',
    ],
  ])('%s %j → %s %d %s', (schema, measure, metric, value, unit) => {
    const body = { ...measure, effective_time_frame: { date_time: '2020-01-01T00:00:00Z' } };
    const [r] = readings(omhToReadings(body, ctx(schema)));
    expect(r?.metric).toBe(metric);
    expect(r?.unit).toBe(unit);
    expect(r?.value).toBeCloseTo(value, 5);
  });

  it('rejects times before 1970 and values that do not fit the canonical unit', () => {
    const old = {
      heart_rate: { value: 70, unit: 'beats/min' },
      effective_time_frame: { date_time: '1969-12-31T23:59:59Z' },
    };
    const e = thrown(() => omhToReadings(old, ctx('omh:heart-rate:2.0'))) as ValidationError;
    expect(e.issues[0]?.path).toBe('effective_time_frame');
    const heavy = {
      body_weight: { value: 1e306, unit: 'Ton' },
      effective_time_frame: { date_time: '2020-01-01T00:00:00Z' },
    };
    const h = thrown(() => omhToReadings(heavy, ctx('omh:body-weight:3.0'))) as ValidationError;
    expect(h.issues[0]?.path).toBe('body_weight.value');
    const far = {
      heart_rate: { value: 70, unit: 'beats/min' },
      effective_time_frame: frame({
        start_date_time: '2020-01-01T00:00:00Z',
        duration: { value: 1e300, unit: 'yr' },
      }),
    };
    expect(() => omhToReadings(far, ctx('omh:heart-rate:2.0'))).toThrow(ValidationError);
  });

  it('needs a schema for a bare body and a valid context', () => {
    const e = thrown(() => omhToReadings(bp, { seq: 0, deviceId: 'd' })) as ValidationError;
    expect(isHealthItError(e, 'validation/invalid')).toBe(true);
    expect(e.message).toContain('give context.schema');
    expect(() => omhToReadings(bp, { seq: -1, schema: 'omh:blood-pressure:4.0' })).toThrow(RangeError);
    expect(() => omhToReadings(bp, { seq: 0.5, schema: 'omh:blood-pressure:4.0' })).toThrow(RangeError);
    expect(() =>
      omhToReadings(bp, { seq: 0, deviceId: 'no spaces', schema: 'omh:blood-pressure:4.0' }),
    ).toThrow(RangeError);
    expect(() => omhToReadings(bp, { seq: 0, patientId: '', schema: 'omh:blood-pressure:4.0' })).toThrow(
      RangeError,
    );
    const noDevice = thrown(() =>
      omhToReadings(bp, { seq: 0, schema: 'omh:blood-pressure:4.0' }),
    ) as ValidationError;
    expect(noDevice.message).toContain('no device: give context.deviceId');
  });
});

describe('validateOmhBody', () => {
  it('accepts schema references as strings or objects', () => {
    expect(validateOmhBody({ name: 'blood-pressure', version: '4.0' }, bp).name).toBe('blood-pressure');
    expect(validateOmhBody({ namespace: 'omh', name: 'blood-pressure', version: '4.0' }, bp).version).toBe(
      '4.0',
    );
    for (const ref of [
      'omh:blood-pressure',
      'omh:blood-pressure:4.0:x',
      'blood-pressure:4.0',
      'omh:toString:1.0',
    ]) {
      expect(() => validateOmhBody(ref, bp)).toThrow(UnsupportedVersionError);
    }
  });

  it('follows JSON Schema: unknown properties are allowed, oneOf means exactly one', () => {
    const result = validateOmhBody('omh:blood-pressure:4.0', { ...bp, cuff_size: 'large' });
    expect(result.body).not.toHaveProperty('cuff_size');
    const both = {
      ...bp,
      effective_time_frame: {
        date_time: '2020-01-01T00:00:00Z',
        time_interval: { start_date_time: '2020-01-01T00:00:00Z', end_date_time: '2020-01-01T00:01:00Z' },
      },
    };
    const e = thrown(() => validateOmhBody('omh:blood-pressure:4.0', both)) as ValidationError;
    expect(e.issues[0]?.message).toBe(
      'effective_time_frame matches more than one of {date_time} | {time_interval}; give exactly one',
    );
    const three = frameOf({
      start_date_time: '2020-01-01T00:00:00Z',
      end_date_time: '2020-01-01T00:01:00Z',
      duration: { value: 1, unit: 'min' },
    });
    expect(() => validateOmhBody('omh:blood-pressure:4.0', { ...bp, effective_time_frame: three })).toThrow(
      ValidationError,
    );
    // The one matching form wins; the rest of the object is not looked at (JSON Schema oneOf).
    const extra = frameOf({
      start_date_time: '2020-01-01T00:00:00Z',
      duration: { value: 1, unit: 'min' },
      end_date_time: 'soon',
    });
    const ok = validateOmhBody('omh:blood-pressure:4.0', { ...bp, effective_time_frame: extra });
    expect(ok.name === 'blood-pressure' && ok.body.effective_time_frame).toEqual({
      time_interval: { start_date_time: '2020-01-01T00:00:00Z', duration: { value: 1, unit: 'min' } },
    });
  });

  it('explains what is wrong with a time frame', () => {
    const issues = (frame: unknown) =>
      (
        thrown(() =>
          validateOmhBody('omh:blood-pressure:4.0', { ...bp, effective_time_frame: frame }),
        ) as ValidationError
      ).issues;
    expect(issues('2020-01-01')[0]?.message).toBe('effective_time_frame must be a JSON object, got string');
    expect(issues({})[0]?.message).toBe('effective_time_frame must be one of {date_time} | {time_interval}');
    expect(issues({ date_time: '2020-02-30T00:00:00Z' })[0]).toMatchObject({
      path: 'effective_time_frame.date_time',
      message: 'must be an RFC 3339 date-time, e.g. 2020-02-05T07:25:00-08:00',
    });
  });
});

function frameOf(time_interval: Record<string, unknown>) {
  return { time_interval };
}
