import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createObservations } from './fhir.js';
import { type JsonValue, parseJsonText } from './json.js';
import { loadContentTemplates, loadFhirTemplates } from './load.js';
import { type NormalizedMeasurement, normalizeMessage } from './normalize.js';
import { measurementsToReadings } from './readings.js';
import { IOMT_SERVICE_SYSTEM } from './terminology.js';

const VECTORS = new URL('../../test/vectors/iomt-fhir/', import.meta.url);
const text = (path: string): string => readFileSync(new URL(path, VECTORS), 'utf8');
const vector = (path: string): JsonValue => parseJsonText(text(path), path);
const now = () => new Date('2024-01-01T00:00:00Z');

const m = (
  type: string,
  time: string,
  props: Record<string, string>,
  extra: Partial<NormalizedMeasurement> = {},
): NormalizedMeasurement => ({
  type,
  occurrenceTimeUtc: time,
  deviceId: 'dev1',
  patientId: 'pat1',
  ...extra,
  properties: Object.entries(props).map(([name, value]) => ({ name, value })),
});

describe('msdocs end-to-end heart rate', () => {
  const content = loadContentTemplates(text('msdocs-end-to-end-heartrate/2-device-mapping.json'));
  const fhir = loadFhirTemplates(text('msdocs-end-to-end-heartrate/4-fhir-destination-mapping.json'));
  const { measurements } = normalizeMessage(
    content,
    vector('msdocs-end-to-end-heartrate/1-device-message.json'),
  );
  interface Published {
    code: {
      coding: { system: { value: string }; code: { value: string }; display: { value: string } }[];
      text: { value: string };
    };
    value: { value: { value: number }; unit: { value: string } };
  }
  const published = (
    vector('msdocs-end-to-end-heartrate/5-expected-observation-AS-PUBLISHED.json') as unknown as Published[]
  )[0] as Published;

  it('faithful mode writes the published Observation content, in proper FHIR R4 JSON, plus the engine fields', () => {
    const { observations, errors } = createObservations(measurements, fhir, { corrections: 'faithful', now });
    expect(errors).toEqual([]);
    const [obs] = observations;
    const c = published.code.coding[0];
    expect(obs?.code.coding?.[0]).toEqual({
      system: c?.system.value,
      code: c?.code.value,
      display: c?.display.value,
    });
    expect(obs?.code.text).toBe(published.code.text.value);
    expect(obs?.effectivePeriod).toEqual({
      start: '2023-03-13T22:46:01.875Z',
      end: '2023-03-13T22:46:01.875Z',
    });
    expect(obs?.valueQuantity).toEqual({
      value: published.value.value.value,
      unit: 'count/min',
      system: 'http://unitsofmeasure.org',
      code: 'count/min',
    });
  });

  it('known issue: standard mode corrects the unit code count/min to /min (FHIR R4 heartrate profile) and says so', () => {
    const { observations, corrections } = createObservations(measurements, fhir, { now });
    expect(observations[0]?.valueQuantity).toEqual({
      value: 78,
      unit: 'count/min',
      system: 'http://unitsofmeasure.org',
      code: '/min',
    });
    expect(corrections.map((c) => [c.rule, c.location.path])).toEqual([
      ['ucum/non-ucum-unit', 'template[0].template.value.code'],
    ]);
  });
});

describe('Observation shape (cases.json observation_shape_assertions)', () => {
  const fhir = loadFhirTemplates(text('mapping-generator/Expected_fhirMapping_HeartRate.json'));
  const content = loadContentTemplates(text('mapping-generator/Expected_deviceData_HeartRate.json'));
  const { measurements } = normalizeMessage(
    content,
    vector('mapping-generator/TestInput_deviceData_HeartRate.json'),
  );
  const { observations } = createObservations(measurements, fhir, { now });
  const obs = observations[0];

  it('status final, code.text = typeName, template codes then the iomt-fhir coding, issued set', () => {
    expect(obs?.status).toBe('final');
    expect(obs?.code.text).toBe('Heart Rate');
    expect(obs?.code.coding?.map((c) => c.code)).toEqual(['8867-4', '364075005', 'Heart Rate']);
    expect(obs?.code.coding?.at(-1)).toEqual({
      system: IOMT_SERVICE_SYSTEM,
      code: 'Heart Rate',
      display: 'Heart Rate',
    });
    expect(obs?.issued).toBe('2024-01-01T00:00:00.000Z');
    expect(obs?.category?.[0]?.coding?.[0]?.code).toBe('vital-signs');
  });

  it('subject, device, encounter references; identifier and id as iomt-fhir computes them', () => {
    expect(obs?.subject).toEqual({ reference: 'Patient/TestPatientId' });
    expect(obs?.device).toEqual({ reference: 'Device/TestDeviceId' });
    expect(obs?.encounter).toEqual({ reference: 'Encounter/TestEncounter' });
    const value = 'TestPatientId.TestDeviceId.Heart Rate.20220701120000Z.20220701120000Z';
    expect(obs?.identifier).toEqual([{ system: IOMT_SERVICE_SYSTEM, value }]);
    expect(obs?.id).toBe(createHash('sha256').update(`${IOMT_SERVICE_SYSTEM}_${value}`).digest('hex'));
  });

  it('Quantity: "22.4" → 22.4; NaN, zero or several values are errors, not Observations', () => {
    const hr = loadFhirTemplates({
      templateType: 'CodeValueFhir',
      template: {
        typeName: 'hr',
        periodInterval: 60,
        codes: [{ code: '8867-4', system: 'http://loinc.org' }],
        value: {
          valueType: 'Quantity',
          valueName: 'hr',
          unit: '/min',
          code: '/min',
          system: 'http://unitsofmeasure.org',
        },
      },
    });
    expect(
      createObservations([m('hr', '2024-01-01T10:00:00Z', { hr: '22.4' })], hr, { now }).observations[0]
        ?.valueQuantity?.value,
    ).toBe(22.4);
    const bad = createObservations([m('hr', '2024-01-01T10:00:00Z', { hr: 'NaN' })], hr, { now });
    expect(bad.observations).toEqual([]);
    expect(bad.errors[0]?.error.code).toBe('validation/invalid');
    const two = createObservations(
      [m('hr', '2024-01-01T10:00:00Z', { hr: '60' }), m('hr', '2024-01-01T10:30:00Z', { hr: '61' })],
      hr,
      { now },
    );
    expect(two.errors[0]?.error.message).toMatch(/exactly one measurement.*got 2/);
  });
});

describe('periodInterval grouping and SampledData', () => {
  const fhir = loadFhirTemplates(text('iothub/data_CodeValueFhirTemplate_SampledData.json'));

  it('60 = hourly: one Observation per UTC hour, effectivePeriod = [hh:00, hh:59:59.9999999], E for empty slots', () => {
    const { observations } = createObservations(
      [
        m('heartrate', '2019-01-30T22:00:00Z', { hr: '1' }),
        m('heartrate', '2019-01-30T22:00:05Z', { hr: '1' }),
        m('heartrate', '2019-01-30T23:10:00Z', { hr: '9' }),
      ],
      fhir,
      { now },
    );
    expect(observations).toHaveLength(2);
    const [first] = observations;
    expect(first?.effectivePeriod).toEqual({
      start: '2019-01-30T22:00:00Z',
      end: '2019-01-30T22:59:59.9999999Z',
    });
    expect(first?.identifier?.[0]?.value).toBe('pat1.dev1.heartrate.20190130220000Z.20190130225959Z');
    const data = first?.valueSampledData?.data?.split(' ') ?? [];
    expect(data).toHaveLength(720);
    expect(data.slice(0, 10).join(' ')).toBe('1 1 E E E E E E E E');
    // "bpm" is not UCUM: standard mode writes /min (the heart-rate profile's unit).
    expect(first?.valueSampledData).toMatchObject({
      origin: { value: 0, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
      period: 5000,
      dimensions: 1,
    });
  });

  it('1440 = daily and 0 = one Observation per instant', () => {
    const daily = loadFhirTemplates({
      templateType: 'CodeValueFhir',
      template: {
        typeName: 'steps',
        periodInterval: 1440,
        codes: [{ code: '55423-8' }],
        value: { valueType: 'SampledData', valueName: 's', defaultPeriod: 3600000 },
      },
    });
    const d = createObservations(
      [m('steps', '2024-03-01T01:30:00Z', { s: '10' }), m('steps', '2024-03-01T23:00:00Z', { s: '20' })],
      daily,
      { now },
    );
    expect(d.observations).toHaveLength(1);
    expect(d.observations[0]?.effectivePeriod).toEqual({
      start: '2024-03-01T00:00:00Z',
      end: '2024-03-01T23:59:59.9999999Z',
    });
    expect(d.observations[0]?.valueSampledData?.data?.split(' ').filter((x) => x !== 'E')).toEqual([
      '10',
      '20',
    ]);
    const single = loadFhirTemplates(text('sample-templates-basic/fhirmapping.json'));
    const s = createObservations(
      [
        m('deviceWorn', '2024-03-01T01:30:00Z', { deviceWorn: '1' }),
        m('deviceWorn', '2024-03-01T01:31:00Z', { deviceWorn: '1' }),
      ],
      single,
      { now },
    );
    expect(s.observations).toHaveLength(2);
    expect(s.observations[0]?.valueCodeableConcept).toEqual({
      text: 'Device Worn',
      coding: [{ system: 'https://www.mydevice.com/v1', code: 'deviceWorn', display: 'Device Worn' }],
    });
  });

  it('-1 groups by correlation id', () => {
    const corr = loadFhirTemplates({
      templateType: 'CodeValueFhir',
      template: {
        typeName: 't',
        periodInterval: -1,
        codes: [{ code: 'x' }],
        value: { valueType: 'String', valueName: 'v' },
      },
    });
    const r = createObservations(
      [m('t', '2024-03-01T01:30:00Z', { v: 'a' }, { correlationId: 'c1' })],
      corr,
      { now },
    );
    expect(r.observations[0]?.identifier?.[0]?.value).toBe('pat1.dev1.t.c1');
    expect(r.observations[0]?.valueString).toBe('a');
  });
});

describe('known issues: diastolic coded 8867-4 and mmHg', () => {
  const fhir = loadFhirTemplates(text('iothub/data_CodeValueFhirTemplate_Components.json'));
  const bp = [m('bloodpressure', '2019-01-30T22:00:00Z', { systolic: '120', diastolic: '80' })];

  it('faithful mode reproduces iomt-fhir, errors included', () => {
    const [obs] = createObservations(bp, fhir, { corrections: 'faithful', now }).observations;
    expect(obs?.component?.[0]?.code.coding?.[0]?.code).toBe('8867-4');
    expect(obs?.component?.[0]?.code.text).toBe('diastolic');
    expect(obs?.component?.[0]?.valueSampledData?.origin).toEqual({ value: 0, unit: 'mmHg' });
  });

  it('standard mode writes LOINC 8462-4 and mm[Hg] (FHIR R4 bp profile) and reports each correction', () => {
    const { observations, corrections } = createObservations(bp, fhir, { now });
    const dia = observations[0]?.component?.[0];
    expect(dia?.code.coding?.[0]).toEqual({
      code: '8462-4',
      display: 'Diastolic blood pressure',
      system: 'http://loinc.org',
    });
    expect(dia?.valueSampledData?.origin).toEqual({
      value: 0,
      unit: 'mm[Hg]',
      system: 'http://unitsofmeasure.org',
      code: 'mm[Hg]',
    });
    expect(corrections.map((c) => c.rule).sort()).toEqual([
      'loinc/wrong-code',
      'ucum/non-ucum-unit',
      'ucum/non-ucum-unit',
    ]);
  });

  it('the Quantity variant already has mm[Hg]: only the LOINC code is corrected', () => {
    const q = loadFhirTemplates(text('iothub/data_CodeValueFhirTemplate_Quantity.json'));
    const single = [m('bloodpressure', '2019-01-30T22:00:00Z', { systolic: '120', diastolic: '80' })];
    const { observations, corrections } = createObservations(single, q, { now });
    expect(corrections.map((c) => c.rule)).toEqual(['loinc/wrong-code']);
    expect(observations[0]?.component?.map((c) => c.valueQuantity)).toEqual([
      { value: 80, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
      { value: 120, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    ]);
  });
});

describe('measurementsToReadings', () => {
  it('maps blood pressure, heart rate and SpO2 from the mapping-generator templates to core Readings', () => {
    const names = ['BloodPressure', 'HeartRate', 'OxygenSaturation'];
    const measurements = names.flatMap(
      (n) =>
        normalizeMessage(
          loadContentTemplates(text(`mapping-generator/Expected_deviceData_${n}.json`)),
          vector(`mapping-generator/TestInput_deviceData_${n}.json`),
        ).measurements,
    );
    const fhir = loadFhirTemplates({
      templateType: 'CollectionFhir',
      template: names.map((n) => vector(`mapping-generator/Expected_fhirMapping_${n}.json`)),
    });
    const { readings, skipped } = measurementsToReadings(measurements, fhir);
    expect(skipped).toEqual([]);
    expect(readings.map((r) => [r.metric, r.value, r.unit])).toEqual([
      ['bp-diastolic', 79, 'mm[Hg]'],
      ['bp-systolic', 119, 'mm[Hg]'],
      ['heart-rate', 66, '/min'],
      ['spo2', 99, '%'],
    ]);
    expect(new Set(readings.map((r) => r.id)).size).toBe(4);
    expect(readings[0]).toMatchObject({
      deviceId: 'TestDeviceId',
      patientId: 'TestPatientId',
      ts: Date.parse('2022-07-01T12:01:00Z'),
    });
    const faithful = measurementsToReadings(measurements, fhir, { corrections: 'faithful' });
    // Without corrections, mmHg and count/min are not UCUM: only SpO2 qualifies.
    expect(faithful.readings.map((r) => r.metric)).toEqual(['spo2']);
    expect(faithful.skipped.map((s) => s.valueName)).toEqual(['diastolic', 'systolic', 'beatsPerMinute']);
  });
});
