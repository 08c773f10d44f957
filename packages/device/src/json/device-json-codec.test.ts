import {
  convertUnit,
  createEnvelope,
  type DeviceId,
  envelopeJsonCodec,
  envelopePayload,
  type HealthItError,
  isHealthItError,
  METRIC_IDS,
  METRICS,
  type MetricId,
  type PatientId,
  Reading,
  utf8Decode,
  utf8Encode,
  ValidationError,
} from '@healthit/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createDeviceJsonCodec,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEVICE_JSON_V1,
  decodeDeviceMessage,
  deviceJsonCodec,
  deviceMessageToReadings,
  encodeDeviceMessage,
  parseDeviceMessage,
  readingsToDeviceMessages,
} from './device-json-codec.js';
import { type DeviceMessage, MAX_MEASUREMENTS_PER_MESSAGE } from './device-message.js';
import { UnsupportedVersionError } from './unsupported-version-error.js';

const T0 = Date.UTC(2025, 0, 1, 8, 0, 0);
const bytes = (value: unknown): Uint8Array => utf8Encode(JSON.stringify(value));

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

function reading(deviceId: string, seq: number, metric: MetricId, value: number, ts = T0): Reading {
  return {
    id: `${deviceId}:${seq}`,
    deviceId: deviceId as DeviceId,
    metric,
    value,
    unit: METRICS[metric].unit,
    ts,
    seq,
  };
}

describe('decoding a version-1 device message', () => {
  const message = {
    v: 1,
    deviceId: 'oxi-7',
    patientId: 'pat-3',
    seq: 120,
    ts: T0,
    batteryPct: 64,
    measurements: [
      { metric: 'spo2', value: 97, unit: '%' },
      { metric: 'pulse-rate', value: 72, unit: '{beats}/min', quality: 'questionable' },
      { metric: 'body-temperature', value: 98.6, unit: '[degF]', ts: T0 - 5000 },
      { metric: 'bp-systolic', value: 16, unit: 'kPa' },
      { metric: 'glucose', value: 5.5, unit: 'mmol/L' },
    ],
  };

  it('numbers measurement i as seq + i, ids <deviceId>:<seq + i>, in canonical UCUM units', () => {
    const readings = deviceJsonCodec.decode(bytes(message));
    expect(readings.map((r) => [r.id, r.seq, r.metric, r.unit])).toEqual([
      ['oxi-7:120', 120, 'spo2', '%'],
      ['oxi-7:121', 121, 'pulse-rate', '/min'],
      ['oxi-7:122', 122, 'body-temperature', 'Cel'],
      ['oxi-7:123', 123, 'bp-systolic', 'mm[Hg]'],
      ['oxi-7:124', 124, 'glucose', 'mg/dL'],
    ]);
    expect(readings[0]).toEqual({
      id: 'oxi-7:120',
      deviceId: 'oxi-7',
      patientId: 'pat-3',
      metric: 'spo2',
      value: 97,
      unit: '%',
      ts: T0,
      seq: 120,
    });
    expect(readings[1]?.quality).toBe('questionable');
    expect(readings[1]?.value).toBe(72);
    expect(readings[2]?.value).toBeCloseTo(37, 12);
    expect(readings[2]?.ts).toBe(T0 - 5000);
    expect(readings[3]?.value).toBeCloseTo(120.00985, 5); // 16 kPa = 16 000 Pa / 133.322387415 Pa per mm Hg
    expect(readings[4]?.value).toBeCloseTo(99.0858, 4); // 5.5 mmol/L × 180.156 g/mol / 10
    for (const r of readings) expect(Reading.parse(r)).toEqual(r);
  });

  it('keeps the battery level on the message, not in the readings', () => {
    const decoded = decodeDeviceMessage(bytes(message));
    expect(decoded.batteryPct).toBe(64);
    expect(deviceMessageToReadings(decoded)).toEqual(deviceJsonCodec.decode(bytes(message)));
  });

  it('leaves plausibility to the gateway', () => {
    const [r] = deviceJsonCodec.decode(
      bytes({
        v: 1,
        deviceId: 'hr-1',
        seq: 0,
        ts: T0,
        measurements: [{ metric: 'heart-rate', value: 999, unit: '/min' }],
      }),
    );
    expect(r?.value).toBe(999);
  });

  it('has its own content type', () => {
    expect(deviceJsonCodec.contentType).toBe('application/vnd.healthit.device+json;v=1');
    expect(DEVICE_JSON_V1).toBe(deviceJsonCodec.contentType);
  });

  it('decodes from an envelope as a gateway does, looking the codec up by content type', () => {
    const registry = new Map([[deviceJsonCodec.contentType, deviceJsonCodec]]);
    const envelope = envelopeJsonCodec.decode(
      envelopeJsonCodec.encode(
        createEnvelope({
          source: 'oxi-7',
          seq: 9,
          ts: T0,
          contentType: DEVICE_JSON_V1,
          payload: bytes(message),
        }),
      ),
    );
    const readings = registry.get(envelope.contentType)?.decode(envelopePayload(envelope));
    expect(readings?.map((r) => r.id)).toEqual([
      'oxi-7:120',
      'oxi-7:121',
      'oxi-7:122',
      'oxi-7:123',
      'oxi-7:124',
    ]);
  });
});

describe('versions', () => {
  it.each([
    [2, 'declares unsupported version 2; supported versions: 1'],
    ['1', 'declares unsupported version "1"; supported versions: 1'],
    [0, 'declares unsupported version 0; supported versions: 1'],
    [undefined, 'has no version field "v"; supported versions: 1'],
  ])('v = %j is an UnsupportedVersionError naming the supported versions', (v, text) => {
    const e = thrown(() =>
      deviceJsonCodec.decode(bytes({ v, deviceId: 'd1', seq: 1, ts: T0, measurements: [] })),
    ) as UnsupportedVersionError;
    expect(e).toBeInstanceOf(UnsupportedVersionError);
    expect(e).toBeInstanceOf(ValidationError);
    expect(isHealthItError(e, 'validation/invalid')).toBe(true);
    expect(e.retryable).toBe(false);
    expect(e.version).toBe(v);
    expect(e.supportedVersions).toEqual([1]);
    expect(e.message).toBe(`Invalid DeviceMessage: v: DeviceMessage ${text}`);
    expect(e.issues).toEqual([{ path: 'v', code: 'unsupported_version', message: `DeviceMessage ${text}` }]);
  });

  it('names the source in the error', () => {
    const e = thrown(() => parseDeviceMessage({ v: 3 }, 'devices/d1/readings')) as ValidationError;
    expect(e.message).toContain('(from devices/d1/readings)');
    expect(e.source).toBe('devices/d1/readings');
  });
});

describe('malformed input is a typed error', () => {
  const valid = {
    v: 1,
    deviceId: 'd1',
    seq: 1,
    ts: T0,
    measurements: [{ metric: 'spo2', value: 97, unit: '%' }],
  };

  function issuesOf(input: unknown): string[] {
    const e = thrown(() => deviceJsonCodec.decode(bytes(input)));
    expect(e).toBeInstanceOf(ValidationError);
    return (e as ValidationError).issues.map((i) => `${i.path}: ${i.message}`);
  }

  it.each([
    [null, ': expected a JSON object, got null'],
    [[valid], ': expected a JSON object, got an array'],
    [42, ': expected a JSON object, got number'],
  ])('rejects %j at the root', (input, issue) => {
    expect(issuesOf(input)).toEqual([issue]);
  });

  it('rejects unknown fields (a new field is a new version)', () => {
    expect(issuesOf({ ...valid, firmware: '1.2' })[0]).toMatch(/^: Unrecognized key: "firmware"/);
    expect(issuesOf({ ...valid, measurements: [{ ...valid.measurements[0], id: 'x' }] })[0]).toMatch(
      /^measurements\.0: Unrecognized key: "id"/,
    );
  });

  it('needs a time for every measurement', () => {
    const { ts: _ts, ...noTs } = valid;
    expect(
      issuesOf({
        ...noTs,
        measurements: [{ metric: 'spo2', value: 97, unit: '%', ts: T0 }, valid.measurements[0]],
      }),
    ).toEqual(['measurements.1.ts: missing: give each measurement a ts or give the message one']);
  });

  it('needs a unit that can express the metric', () => {
    expect(issuesOf({ ...valid, measurements: [{ metric: 'spo2', value: 97, unit: 'mm[Hg]' }] })).toEqual([
      'measurements.0.unit: "mm[Hg]" is not a UCUM unit for spo2 (canonical unit %)',
    ]);
  });

  it('bounds the number of measurements', () => {
    expect(issuesOf({ ...valid, measurements: [] })[0]).toMatch(/^measurements: /);
    const many = Array.from({ length: MAX_MEASUREMENTS_PER_MESSAGE + 1 }, () => valid.measurements[0]);
    expect(issuesOf({ ...valid, measurements: many })[0]).toMatch(/^measurements: /);
    const max = Array.from({ length: MAX_MEASUREMENTS_PER_MESSAGE }, () => valid.measurements[0]);
    expect(deviceJsonCodec.decode(bytes({ ...valid, measurements: max }))).toHaveLength(
      MAX_MEASUREMENTS_PER_MESSAGE,
    );
  });

  it('keeps every sequence number a safe integer', () => {
    const two = [valid.measurements[0], valid.measurements[0]];
    expect(issuesOf({ ...valid, seq: Number.MAX_SAFE_INTEGER, measurements: two })).toEqual([
      `seq: seq + measurements.length - 1 must be a safe integer (at most ${Number.MAX_SAFE_INTEGER})`,
    ]);
    expect(issuesOf({ ...valid, seq: -1 })[0]).toMatch(/^seq: /);
    expect(issuesOf({ ...valid, seq: 1.5 })[0]).toMatch(/^seq: /);
  });

  it('rejects ids, times, battery levels and qualities out of range', () => {
    expect(issuesOf({ ...valid, deviceId: 'bad id' })[0]).toMatch(/^deviceId: /);
    expect(issuesOf({ ...valid, patientId: '' })[0]).toMatch(/^patientId: /);
    expect(issuesOf({ ...valid, ts: -1 })[0]).toMatch(/^ts: /);
    expect(issuesOf({ ...valid, batteryPct: 101 })[0]).toMatch(/^batteryPct: /);
    expect(issuesOf({ ...valid, measurements: [{ ...valid.measurements[0], quality: 'great' }] })[0]).toMatch(
      /^measurements\.0\.quality: /,
    );
    expect(issuesOf({ ...valid, measurements: [{ ...valid.measurements[0], metric: 'mood' }] })[0]).toMatch(
      /^measurements\.0\.metric: /,
    );
  });

  it('rejects a value that does not fit the canonical unit', () => {
    const huge = { ...valid, measurements: [{ metric: 'glucose', value: 1e308, unit: 'kg/L' }] };
    expect(issuesOf(huge)).toEqual(['measurements.0.value: 1e+308 kg/L is not finite in mg/dL']);
  });

  it('rejects bytes that are not UTF-8 JSON with codec/decode', () => {
    for (const input of [new Uint8Array([0xff, 0xfe]), utf8Encode('{"v":1,'), new Uint8Array()]) {
      const e = thrown(() => deviceJsonCodec.decode(input));
      expect(isHealthItError(e, 'codec/decode')).toBe(true);
      expect((e as HealthItError).message).toMatch(/^Device message is not UTF-8 JSON: /);
    }
  });

  it('rejects payloads over the bound before parsing them', () => {
    const small = createDeviceJsonCodec({ maxMessageBytes: 64, source: 'devices/d1/readings' });
    const payload = bytes(valid);
    expect(payload.byteLength).toBeGreaterThan(64);
    const e = thrown(() => small.decode(payload)) as HealthItError;
    expect(e.code).toBe('codec/decode');
    expect(e.message).toBe(
      `Device message of ${payload.byteLength} bytes exceeds the bound of 64 bytes (from devices/d1/readings); split it or raise maxMessageBytes`,
    );
    expect(deviceJsonCodec.decode(payload)).toHaveLength(1);
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(262_144);
  });

  it('checks its options', () => {
    expect(() => createDeviceJsonCodec({ maxMessageBytes: 1 })).toThrow(RangeError);
    expect(() => createDeviceJsonCodec({ maxMessageBytes: 2.5 })).toThrow(RangeError);
    expect(() => createDeviceJsonCodec({ maxMessageBytes: '9' as unknown as number })).toThrow(TypeError);
  });
});

describe('encoding readings', () => {
  it('writes one message per run of a device with consecutive seq, sharing ts when it can', () => {
    const readings = [
      reading('m1', 5, 'heart-rate', 80),
      reading('m1', 6, 'spo2', 95),
      reading('m1', 7, 'respiratory-rate', 18, T0 + 1000),
      reading('m2', 1, 'spo2', 99),
      reading('m1', 9, 'spo2', 96),
    ];
    const messages = readingsToDeviceMessages(readings, { batteryPct: 50 });
    expect(messages).toEqual([
      {
        v: 1,
        deviceId: 'm1',
        seq: 5,
        measurements: [
          { metric: 'heart-rate', value: 80, unit: '/min', ts: T0 },
          { metric: 'spo2', value: 95, unit: '%', ts: T0 },
          { metric: 'respiratory-rate', value: 18, unit: '/min', ts: T0 + 1000 },
        ],
        batteryPct: 50,
      },
      {
        v: 1,
        deviceId: 'm2',
        seq: 1,
        ts: T0,
        measurements: [{ metric: 'spo2', value: 99, unit: '%' }],
        batteryPct: 50,
      },
      {
        v: 1,
        deviceId: 'm1',
        seq: 9,
        ts: T0,
        measurements: [{ metric: 'spo2', value: 96, unit: '%' }],
        batteryPct: 50,
      },
    ]);
    expect(messages.flatMap((m) => deviceJsonCodec.decode(encodeDeviceMessage(m)))).toEqual(readings);
  });

  it('starts a new message when the patient changes or a message is full', () => {
    const a = { ...reading('m1', 1, 'spo2', 97), patientId: 'p1' as PatientId };
    const b = { ...reading('m1', 2, 'spo2', 97), patientId: 'p2' as PatientId };
    const c = reading('m1', 3, 'spo2', 97);
    expect(readingsToDeviceMessages([a, b, c]).map((m) => [m.seq, m.patientId])).toEqual([
      [1, 'p1'],
      [2, 'p2'],
      [3, undefined],
    ]);
    const run = Array.from({ length: 5 }, (_, i) => reading('m1', i, 'spo2', 97));
    expect(readingsToDeviceMessages(run, { maxMeasurements: 2 }).map((m) => m.measurements.length)).toEqual([
      2, 2, 1,
    ]);
  });

  it('encodes one message through the codec and refuses what needs more', () => {
    const run = [reading('m1', 1, 'spo2', 97), reading('m1', 2, 'heart-rate', 70)];
    expect(deviceJsonCodec.decode(deviceJsonCodec.encode(run))).toEqual(run);
    expect(JSON.parse(utf8Decode(deviceJsonCodec.encode(run)))).toEqual({
      v: 1,
      deviceId: 'm1',
      seq: 1,
      ts: T0,
      measurements: [
        { metric: 'spo2', value: 97, unit: '%' },
        { metric: 'heart-rate', value: 70, unit: '/min' },
      ],
    });
    const gap = thrown(() =>
      deviceJsonCodec.encode([run[0]!, reading('m1', 3, 'spo2', 97)]),
    ) as HealthItError;
    expect(gap.code).toBe('codec/encode');
    expect(gap.message).toContain('need 2 device messages');
    expect(gap.message).toContain('readingsToDeviceMessages');
    expect((thrown(() => deviceJsonCodec.encode([])) as HealthItError).code).toBe('codec/encode');
  });

  it('refuses readings whose id the decoder could not give back', () => {
    const odd = { ...reading('m1', 1, 'spo2', 97), id: 'm1-reading-1' };
    const e = thrown(() => readingsToDeviceMessages([odd])) as HealthItError;
    expect(e.code).toBe('codec/encode');
    expect(e.message).toBe(
      'Cannot encode readings[0] as a device message: its id "m1-reading-1" is not "m1:1"; ' +
        'device messages carry no ids, the decoder derives them from deviceId and seq',
    );
  });

  it('refuses invalid readings, messages and options', () => {
    const bad = { ...reading('m1', 1, 'spo2', 97), unit: 'kg' };
    expect((thrown(() => deviceJsonCodec.encode([bad])) as HealthItError).code).toBe('codec/encode');
    const message = readingsToDeviceMessages([reading('m1', 1, 'spo2', 97)])[0]!;
    const e = thrown(() => encodeDeviceMessage({ ...message, seq: -1 } as DeviceMessage)) as HealthItError;
    expect(e.code).toBe('codec/encode');
    expect(e.message).toMatch(/^Cannot encode the device message: seq: /);
    expect(() => readingsToDeviceMessages([], { maxMeasurements: 0 })).toThrow(RangeError);
    expect(() => readingsToDeviceMessages([], { maxMeasurements: MAX_MEASUREMENTS_PER_MESSAGE + 1 })).toThrow(
      RangeError,
    );
    expect(() => readingsToDeviceMessages([], { batteryPct: -1 })).toThrow(RangeError);
    expect(() => readingsToDeviceMessages([], { batteryPct: Number.NaN })).toThrow(RangeError);
  });

  it('refuses to encode more bytes than the bound', () => {
    const small = createDeviceJsonCodec({ maxMessageBytes: 80 });
    const run = [reading('a-long-device-name', 1, 'spo2', 97), reading('a-long-device-name', 2, 'spo2', 98)];
    expect((thrown(() => small.encode(run)) as HealthItError).code).toBe('codec/encode');
  });
});

/** Readings with canonical units and conventional ids: what a device layer emits. */
const arbReadingRun = (deviceId: string) =>
  fc
    .record({
      seq: fc.nat({ max: 1e9 }),
      patientId: fc.option(fc.constantFrom('p1', 'p-2'), { nil: undefined }),
      items: fc.array(
        fc.record({
          metric: fc.constantFrom(...METRIC_IDS),
          value: fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (Object.is(v, -0) ? 0 : v)),
          ts: fc.nat({ max: 4e12 }),
          quality: fc.option(fc.constantFrom('good' as const, 'questionable' as const, 'bad' as const), {
            nil: undefined,
          }),
        }),
        { minLength: 1, maxLength: 8 },
      ),
    })
    .map(({ seq, patientId, items }) =>
      items.map(
        (item, i): Reading => ({
          id: `${deviceId}:${seq + i}`,
          deviceId: deviceId as DeviceId,
          ...(patientId === undefined ? {} : { patientId: patientId as PatientId }),
          metric: item.metric,
          value: item.value,
          unit: METRICS[item.metric].unit,
          ts: item.ts,
          seq: seq + i,
          ...(item.quality === undefined ? {} : { quality: item.quality }),
        }),
      ),
    );

describe('round trips (fast-check)', () => {
  it('Reading → device message → Reading is the identity for one run through the codec', () => {
    fc.assert(
      fc.property(arbReadingRun('dev-1'), (run) => {
        expect(deviceJsonCodec.decode(deviceJsonCodec.encode(run))).toEqual(run);
      }),
      { seed: 0x5eed, numRuns: 2000 },
    );
  });

  it('any batch survives readingsToDeviceMessages → bytes → readings, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(arbReadingRun('a'), arbReadingRun('b.2')), { maxLength: 6 }), (runs) => {
        const readings = runs.flat();
        const messages = readingsToDeviceMessages(readings, { maxMeasurements: 5 });
        const back = messages.flatMap((m) => deviceJsonCodec.decode(encodeDeviceMessage(m)));
        expect(back).toEqual(readings);
        for (const m of messages) expect(m.measurements.length).toBeLessThanOrEqual(5);
      }),
      { seed: 0xbeef, numRuns: 500 },
    );
  });

  it('a measurement in any unit of its metric decodes to the canonical value', () => {
    const pairs: [MetricId, string][] = [
      ['body-temperature', '[degF]'],
      ['body-temperature', 'K'],
      ['bp-systolic', 'kPa'],
      ['body-weight', '[lb_av]'],
      ['body-weight', 'g'],
      ['glucose', 'mmol/L'],
      ['spo2', '1'],
      ['heart-rate', '/s'],
    ];
    fc.assert(
      fc.property(
        fc.constantFrom(...pairs),
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        ([metric, unit], value) => {
          const [r] = deviceJsonCodec.decode(
            bytes({ v: 1, deviceId: 'd', seq: 0, ts: 0, measurements: [{ metric, value, unit }] }),
          );
          const molar = metric === 'glucose' ? { molarMassGPerMol: 180.156 } : {};
          expect(r?.unit).toBe(METRICS[metric].unit);
          expect(r?.value).toBe(convertUnit(value, unit, METRICS[metric].unit, molar));
        },
      ),
      { seed: 7, numRuns: 1000 },
    );
  });
});
