import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envelopeArb, readingArb } from '../../test/arbitraries.js';
import { type HealthItError, isHealthItError } from '../errors/health-it-error.js';
import { ValidationError } from '../errors/validation-error.js';
import type { Envelope } from '../schemas/envelope.js';
import type { Reading } from '../schemas/reading.js';
import { utf8Encode } from './bytes.js';
import { createEnvelope, envelopePayload } from './envelope.js';
import {
  alertJsonCodec,
  COMMAND_JSON,
  commandJsonCodec,
  commandStatusJsonCodec,
  ENVELOPE_JSON,
  envelopeJsonCodec,
  jsonCodec,
  READINGS_JSON,
  readingsJsonCodec,
} from './json-codecs.js';

const reading = {
  id: 'mon-1:1',
  deviceId: 'mon-1',
  metric: 'spo2',
  value: 97,
  unit: '%',
  ts: Date.UTC(2025, 0, 1),
  seq: 1,
} as Reading;

const envelope: Envelope = createEnvelope({
  source: 'mon-1',
  seq: 1,
  ts: Date.UTC(2025, 0, 1),
  contentType: READINGS_JSON,
  payload: utf8Encode('[]'),
});

function decodeError(fn: () => unknown): HealthItError {
  try {
    fn();
  } catch (e) {
    expect(isHealthItError(e, 'codec/decode')).toBe(true);
    return e as HealthItError;
  }
  throw new Error('expected codec/decode');
}

function validationError(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('content types', () => {
  it('are the SDK media types', () => {
    expect(READINGS_JSON).toBe('application/vnd.healthit.readings+json');
    expect(ENVELOPE_JSON).toBe('application/vnd.healthit.envelope+json');
    expect(readingsJsonCodec.contentType).toBe(READINGS_JSON);
    expect(envelopeJsonCodec.contentType).toBe(ENVELOPE_JSON);
  });
});

describe('readingsJsonCodec', () => {
  it('encodes a batch as UTF-8 JSON', () => {
    expect(new TextDecoder().decode(readingsJsonCodec.encode([reading]))).toBe(JSON.stringify([reading]));
  });

  it('round-trips any batch of valid readings', () => {
    fc.assert(
      fc.property(fc.array(readingArb, { minLength: 1, maxLength: 5 }), (batch) => {
        expect(readingsJsonCodec.decode(readingsJsonCodec.encode(batch))).toEqual(batch);
      }),
      { numRuns: 300 },
    );
  });

  it.each([
    ['a byte that never occurs in UTF-8', [0xff, 0x5b, 0x5d]],
    ['a truncated UTF-8 sequence', [0x5b, 0x22, 0xc3, 0x22, 0x5d]],
    ['an encoded surrogate', [0x22, 0xed, 0xa0, 0x80, 0x22]],
  ])('refuses %s with codec/decode, keeping the TypeError as cause', (_why, bytes) => {
    const e = decodeError(() => readingsJsonCodec.decode(new Uint8Array(bytes)));
    expect(e.message).toMatch(/^Reading\[\] is not UTF-8 JSON: /);
    expect(e.cause).toBeInstanceOf(TypeError);
    expect(e.detail).toEqual({ byteLength: bytes.length });
    expect(e.retryable).toBe(false);
  });

  it.each([
    ['empty bytes', ''],
    ['plain text', 'heart rate 72'],
    ['truncated JSON', '[{"id":"mon-1:1",'],
    ['JSON with a trailing comma', '[1,]'],
    ['single-quoted JSON', "['a']"],
    ['NaN, which JSON does not have', '[NaN]'],
  ])('refuses %s with codec/decode, keeping the SyntaxError as cause', (_why, text) => {
    const e = decodeError(() => readingsJsonCodec.decode(utf8Encode(text)));
    expect(e.message).toMatch(/^Reading\[\] is not UTF-8 JSON: /);
    expect(e.cause).toBeInstanceOf(SyntaxError);
  });

  it('refuses JSON with a bad field with a ValidationError naming the reading and the field', () => {
    const bad = [reading, { ...reading, id: 'mon-1:2', seq: 2, value: 'ninety-seven' }];
    const e = validationError(() => readingsJsonCodec.decode(utf8Encode(JSON.stringify(bad))));
    expect(e.schema).toBe('Reading[]');
    expect(e.issues.map((i) => i.path)).toEqual(['1.value']);
    expect(e.message).toContain('1.value: ');
    expect(e.code).toBe('validation/invalid');
  });

  it('refuses a unit that cannot express the metric, and a null value (what NaN encodes to)', () => {
    const e = validationError(() =>
      readingsJsonCodec.decode(readingsJsonCodec.encode([{ ...reading, unit: 'Cel' } as Reading])),
    );
    expect(e.issues.map((i) => i.path)).toEqual(['0.unit']);
    const nan = validationError(() =>
      readingsJsonCodec.decode(readingsJsonCodec.encode([{ ...reading, value: Number.NaN }])),
    );
    expect(nan.issues.map((i) => i.path)).toEqual(['0.value']);
  });

  it.each([
    ['an empty batch', '[]'],
    ['a single reading not in an array', JSON.stringify(reading)],
    ['null', 'null'],
  ])('refuses %s at the root', (_why, text) => {
    expect(validationError(() => readingsJsonCodec.decode(utf8Encode(text))).issues[0]?.path).toBe('');
  });

  it('refuses unknown fields', () => {
    const e = validationError(() =>
      readingsJsonCodec.decode(utf8Encode(JSON.stringify([{ ...reading, x: 1 }]))),
    );
    expect(e.issues).toEqual([expect.objectContaining({ path: '0', code: 'unrecognized_keys' })]);
  });
});

describe('envelopeJsonCodec', () => {
  it('round-trips any valid envelope', () => {
    fc.assert(
      fc.property(envelopeArb, (e) => {
        expect(envelopeJsonCodec.decode(envelopeJsonCodec.encode(e))).toEqual(e);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses non-UTF-8 bytes and non-JSON with codec/decode naming the envelope', () => {
    expect(decodeError(() => envelopeJsonCodec.decode(new Uint8Array([0x7b, 0xfe, 0x7d]))).message).toMatch(
      /^Envelope is not UTF-8 JSON: /,
    );
    expect(decodeError(() => envelopeJsonCodec.decode(utf8Encode('{"v":1'))).message).toMatch(
      /^Envelope is not UTF-8 JSON: /,
    );
  });

  it.each([
    ['a padded payload', { payload: 'W10=' }, 'payload'],
    ['version 2', { v: 2 }, 'v'],
    ['a negative seq', { seq: -1 }, 'seq'],
    ['a signature with another algorithm', { sig: { alg: 'RS256', kid: 'k', value: 'AA' } }, 'sig.alg'],
  ])('refuses JSON with %s with a ValidationError naming the field', (_why, override, path) => {
    const e = validationError(() =>
      envelopeJsonCodec.decode(utf8Encode(JSON.stringify({ ...envelope, ...override }))),
    );
    expect(e.schema).toBe('Envelope');
    expect(e.issues.map((i) => i.path)).toEqual([path]);
  });
});

describe('createEnvelope and envelopePayload', () => {
  it('wraps bytes in a valid unsigned envelope with id source:seq and gives them back', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ maxLength: 300 }),
        (source, seq, ts, payload) => {
          const e = createEnvelope({ source, seq, ts, contentType: READINGS_JSON, payload });
          expect(e).toEqual({
            v: 1,
            id: `${source}:${seq}`,
            source,
            seq,
            ts,
            contentType: READINGS_JSON,
            payload: Buffer.from(payload).toString('base64url'),
          });
          expect('sig' in e).toBe(false);
          expect(envelopeJsonCodec.decode(envelopeJsonCodec.encode(e))).toEqual(e);
          expect(envelopePayload(e)).toEqual(payload);
        },
      ),
    );
  });

  it('carries a readings batch end to end: readings → envelope → bytes → envelope → readings', () => {
    fc.assert(
      fc.property(fc.array(readingArb, { minLength: 1, maxLength: 3 }), (batch) => {
        const first = batch[0] as Reading;
        const wire = envelopeJsonCodec.encode(
          createEnvelope({
            source: first.deviceId,
            seq: first.seq,
            ts: first.ts,
            contentType: readingsJsonCodec.contentType,
            payload: readingsJsonCodec.encode(batch),
          }),
        );
        const received = envelopeJsonCodec.decode(wire);
        expect(received.contentType).toBe(READINGS_JSON);
        expect(readingsJsonCodec.decode(envelopePayload(received))).toEqual(batch);
      }),
      { numRuns: 100 },
    );
  });

  it('envelopePayload throws on a payload that is not base64url', () => {
    expect(() => envelopePayload({ ...envelope, payload: 'Zh' })).toThrow(Error);
    expect(() => envelopePayload({ ...envelope, payload: 'Z' })).toThrow(Error);
  });
});

describe('jsonCodec', () => {
  const Pair = z.strictObject({ a: z.number(), b: z.string() });
  const codec = jsonCodec(Pair, 'Pair', 'application/x-pair+json');

  it('builds a codec for any schema, validating on decode', () => {
    expect(codec.contentType).toBe('application/x-pair+json');
    expect(codec.decode(codec.encode({ a: 1, b: 'x' }))).toEqual({ a: 1, b: 'x' });
    const e = validationError(() => codec.decode(utf8Encode('{"a":"1","b":"x"}')));
    expect(e.message).toMatch(/^Invalid Pair: a: /);
    expect(decodeError(() => codec.decode(utf8Encode('{a:1}'))).message).toMatch(/^Pair is not UTF-8 JSON: /);
  });

  it('accepts JSON behind a UTF-8 byte order mark', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8Encode('{"a":1,"b":"x"}')]);
    expect(codec.decode(bom)).toEqual({ a: 1, b: 'x' });
  });
});

describe('command, command status and alert codecs', () => {
  const command = {
    id: 'ctl:spo2-low:sensor-1:9',
    deviceId: 'o2-001',
    action: 'oxygen.set-flow',
    params: { flowLpm: 2 },
    issuedBy: 'rule:spo2-low',
    issuedAt: Date.UTC(2025, 0, 1),
    causedBy: ['sensor-1:9'],
  };

  it('round-trip a command, a status and an alert', () => {
    expect(commandJsonCodec.contentType).toBe(COMMAND_JSON);
    expect(commandJsonCodec.decode(commandJsonCodec.encode(command as never))).toEqual(command);
    const status = {
      commandId: command.id,
      deviceId: 'o2-001',
      state: 'completed',
      at: Date.UTC(2025, 0, 1),
    };
    expect(commandStatusJsonCodec.decode(commandStatusJsonCodec.encode(status as never))).toEqual(status);
    const alert = {
      id: 'a-1',
      rule: 'threshold:spo2',
      severity: 'high',
      message: 'SpO2 80 %',
      ts: Date.UTC(2025, 0, 1),
      readingIds: ['sensor-1:9'],
    };
    expect(alertJsonCodec.decode(alertJsonCodec.encode(alert as never))).toEqual(alert);
  });

  it('refuses a status in an unknown state, naming the field', () => {
    const bad = utf8Encode(JSON.stringify({ commandId: 'c', deviceId: 'o2-001', state: 'done', at: 1 }));
    expect(() => commandStatusJsonCodec.decode(bad)).toThrow(ValidationError);
    try {
      commandStatusJsonCodec.decode(bad);
    } catch (e) {
      expect((e as ValidationError).issues.map((i) => i.path)).toContain('state');
    }
  });
});
