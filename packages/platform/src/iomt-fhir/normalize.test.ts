import { readFileSync } from 'node:fs';
import { HealthItError } from '@healthit/core';
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type JsonValue, parseJsonText } from './json.js';
import { loadContentTemplates } from './load.js';
import { iotHubMessage, type NormalizeEvent, normalizeMessage, normalizeMessages } from './normalize.js';

const VECTORS = new URL('../../test/vectors/iomt-fhir/', import.meta.url);
const text = (path: string): string => readFileSync(new URL(path, VECTORS), 'utf8');
const vector = (path: string): JsonValue => parseJsonText(text(path), path);

interface ExpectedMeasurement {
  type?: string;
  deviceId: string;
  occurrenceTimeUtc?: string;
  occurrenceTimeUtc_seconds?: string;
  properties: { name: string; value?: string; value_float_4dp?: number }[];
}
interface NormalizationCase {
  id: string;
  payload: string;
  template?: string;
  template_inline?: unknown;
  expected_measurements?: ExpectedMeasurement[];
  expected_measurements_file?: string;
}
const cases = (vector('cases.json') as unknown as { normalization_cases: NormalizationCase[] })
  .normalization_cases;

describe('normalisation cases of cases.json (iomt-fhir unit tests and MS docs)', () => {
  it('indexes 8 cases', () => expect(cases.map((c) => c.id)).toHaveLength(8));

  it.each(cases.map((c) => [c.id, c] as const))('%s produces the expected measurements', (_id, c) => {
    const set = loadContentTemplates(c.template === undefined ? c.template_inline : text(c.template), {
      source: c.template ?? c.id,
    });
    const { measurements, errors } = normalizeMessage(set, vector(c.payload));
    expect(errors).toEqual([]);
    const expected =
      c.expected_measurements ??
      (vector(c.expected_measurements_file as string) as unknown as ExpectedMeasurement[]);
    expect(measurements).toHaveLength(expected.length);
    expected.forEach((e, i) => {
      const m = measurements[i];
      if (m === undefined) throw new Error('missing measurement');
      expect(m.deviceId).toBe(e.deviceId);
      if (e.type !== undefined) expect(m.type).toBe(e.type);
      if (e.occurrenceTimeUtc !== undefined) expect(m.occurrenceTimeUtc).toBe(e.occurrenceTimeUtc);
      if (e.occurrenceTimeUtc_seconds !== undefined)
        expect(m.occurrenceTimeUtc.slice(0, 19)).toBe(e.occurrenceTimeUtc_seconds);
      expect(m.properties.map((p) => p.name)).toEqual(e.properties.map((p) => p.name));
      e.properties.forEach((p, k) => {
        const actual = m.properties[k]?.value as string;
        if (p.value !== undefined) expect(actual).toBe(p.value);
        if (p.value_float_4dp !== undefined) expect(Number(actual)).toBeCloseTo(p.value_float_4dp, 4);
      });
    });
  });

  it('msdocs: the measurement serialises exactly like the documented normalised message', () => {
    const set = loadContentTemplates(text('msdocs-end-to-end-heartrate/2-device-mapping.json'));
    const { measurements } = normalizeMessage(
      set,
      vector('msdocs-end-to-end-heartrate/1-device-message.json'),
    );
    expect(JSON.parse(JSON.stringify(measurements))).toEqual(
      vector('msdocs-end-to-end-heartrate/3-expected-normalized.json'),
    );
  });
});

describe('known issue: UTF-8 byte-order mark', () => {
  it('the iomt-fhir TestInput files start with EF BB BF and still load', () => {
    const raw = readFileSync(
      new URL(
        'unit-test-calculatedfunction/data_Documentation_CalculatedFunction_HeartRate_Template.json',
        VECTORS,
      ),
    );
    expect([...raw.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(() => JSON.parse(raw.toString('utf8'))).toThrow();
    expect(loadContentTemplates(raw.toString('utf8')).templates).toHaveLength(1);
  });
});

describe('device-content templates', () => {
  it('JsonPathContent: CollectionContent of heart rate and steps (iothub test input)', () => {
    const set = loadContentTemplates(text('iothub/data_CollectionContentTemplateHrAndSteps.json'));
    const { measurements } = normalizeMessage(set, {
      device: 'd1',
      date: '2021-01-01T10:00:00Z',
      heartrate: 61,
      steps: 12,
    });
    expect(measurements).toEqual([
      {
        type: 'heartrate',
        occurrenceTimeUtc: '2021-01-01T10:00:00Z',
        deviceId: 'd1',
        properties: [{ name: 'hr', value: '61' }],
      },
      {
        type: 'steps',
        occurrenceTimeUtc: '2021-01-01T10:00:00Z',
        deviceId: 'd1',
        properties: [{ name: 'steps', value: '12' }],
      },
    ]);
  });

  it('IotJsonPathContent reads the IoT Hub shape and falls back to the enqueued time', () => {
    const set = loadContentTemplates(text('iothub/data_IotJsonPathContentTemplateValid.json'));
    const msg = iotHubMessage({
      body: new TextEncoder().encode('{"heartrate": 88}'),
      properties: {},
      systemProperties: {
        'iothub-connection-device-id': 'dev-9',
        'iothub-enqueuedtime': '2024-05-01T08:00:00.5Z',
      },
    });
    expect(normalizeMessage(set, msg).measurements).toEqual([
      {
        type: 'heartrate',
        occurrenceTimeUtc: '2024-05-01T08:00:00.5Z',
        deviceId: 'dev-9',
        properties: [{ name: 'hr', value: '88' }],
      },
    ]);
  });

  it('CalculatedContent with the mapping-generator templates carries patient, encounter and correlation ids', () => {
    const set = loadContentTemplates(text('mapping-generator/Expected_deviceData_BloodPressure.json'));
    const { measurements } = normalizeMessage(
      set,
      vector('mapping-generator/TestInput_deviceData_BloodPressure.json'),
    );
    expect(measurements).toEqual([
      {
        type: 'Blood Pressure',
        occurrenceTimeUtc: '2022-07-01T12:01:00Z',
        deviceId: 'TestDeviceId',
        patientId: 'TestPatientId',
        encounterId: 'TestEncounter',
        correlationId: 'TestCorrelation',
        properties: [
          { name: 'diastolic', value: '79' },
          { name: 'systolic', value: '119' },
        ],
      },
    ]);
  });

  it('CalculatedContent JmesPath with custom functions: epoch seconds and string building', () => {
    const set = loadContentTemplates({
      templateType: 'CalculatedContent',
      template: {
        typeName: 'temp',
        typeMatchExpression: { value: 'readings', language: 'JmesPath' },
        deviceIdExpression: { value: "appendString('dev-', Body.serial)", language: 'JmesPath' },
        timestampExpression: { value: 'fromUnixTimestamp(matchedToken.ts)', language: 'JmesPath' },
        values: [
          {
            valueName: 't',
            valueExpression: { value: 'divide(matchedToken.centi, `100.0`)', language: 'JmesPath' },
            required: true,
          },
        ],
      },
    });
    const { measurements, errors } = normalizeMessage(set, {
      Body: { serial: '42' },
      readings: [
        { ts: 1549061161, centi: 3712 },
        { ts: 1549061221, centi: 3720 },
      ],
    });
    expect(errors).toEqual([]);
    expect(measurements.map((m) => [m.deviceId, m.occurrenceTimeUtc, m.properties[0]?.value])).toEqual([
      ['dev-42', '2019-02-01T22:46:01Z', '37.12'],
      ['dev-42', '2019-02-01T22:47:01Z', '37.2'],
    ]);
  });

  it('property names are case-insensitive and required may be the string "true", as in Newtonsoft', () => {
    const set = loadContentTemplates({
      TemplateType: 'JsonPathContent',
      Template: {
        TypeName: 'hr',
        TypeMatchExpression: '$..[?(@hr)]',
        DeviceIdExpression: '$.d',
        TimestampExpression: '$.t',
        Values: [{ ValueName: 'hr', ValueExpression: '$.hr', Required: 'True' }],
      },
    });
    expect(
      normalizeMessage(set, { d: 'x', t: '2020-01-01T00:00:00+02:00', hr: 70 }).measurements[0]
        ?.occurrenceTimeUtc,
    ).toBe('2019-12-31T22:00:00Z');
  });

  it('a missing required value is a typed per-token error; other tokens still produce measurements', () => {
    const set = loadContentTemplates(
      text('unit-test-calculatedfunction/data_Documentation_CalculatedFunction_HeartRate_Template.json'),
    );
    const { measurements, errors } = normalizeMessage(set, {
      Body: [
        { heartRate: '70', endDate: '2019-02-01T20:46:01Z', deviceId: 'a' },
        { heartRate: '71', endDate: '2019-02-01T21:46:01Z' },
        { heartRate: '72', endDate: 'yesterday', deviceId: 'a' },
      ],
    });
    expect(measurements).toHaveLength(1);
    expect(errors).toHaveLength(2);
    for (const e of errors) {
      expect(e.error).toBeInstanceOf(HealthItError);
      expect(e.error.code).toBe('validation/invalid');
      expect(e.templateIndex).toBe(0);
    }
    expect(errors[0]?.error.message).toContain('[DeviceIdExpression]');
    expect(errors[1]?.error.message).toContain('not an ISO 8601 date-time');
  });

  it('normalizeMessages: an operator that turns bad input into rejection events, never into a stream error', async () => {
    const set = loadContentTemplates(text('msdocs-end-to-end-heartrate/2-device-mapping.json'));
    const events: NormalizeEvent[] = await firstValueFrom(
      from([
        '{"heartRate":"78","endDate":"2023-03-13T22:46:01Z","deviceId":"d"}',
        'not json',
        { heartRate: 1 },
      ]).pipe(normalizeMessages(set), toArray()),
    );
    expect(events.map((e) => e.type)).toEqual([
      'measurement',
      'measurement-rejected',
      'measurement-rejected',
    ]);
  });
});
