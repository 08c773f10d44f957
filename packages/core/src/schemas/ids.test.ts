import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { expectRejected } from '../../test/expect-invalid.js';
import { topicMatches } from '../transport/topics.js';
import { parse } from '../validate.js';
import { DeviceId, deviceId, EpochMs, PatientId, patientId } from './ids.js';

const GOOD_IDS = ['a', '7', 'mon-1', 'ward.3:bed_2', 'MAC:00:1B:44:11:3A:B7', 'x'.repeat(128)];
const BAD_IDS = [
  ['empty', ''],
  ['129 characters', 'x'.repeat(129)],
  ['leading dash', '-mon'],
  ['leading dot', '.mon'],
  ['leading colon', ':mon'],
  ['a slash (MQTT level separator)', 'ward/mon'],
  ['a + wildcard', 'mon+1'],
  ['a # wildcard', 'mon#1'],
  ['a NATS wildcard', 'mon*'],
  ['a space', 'mon 1'],
  ['a trailing newline', 'mon\n'],
  ['a NUL', 'mon\u0000'],
  ['a non-ASCII letter', 'mön'],
] as const;

describe.each([
  ['DeviceId', DeviceId, deviceId],
  ['PatientId', PatientId, patientId],
] as const)('%s', (name, schema, brand) => {
  it.each(GOOD_IDS)('accepts %s', (id) => {
    expect(parse(schema, name, id)).toBe(id);
    expect(brand(id)).toBe(id);
  });

  it.each(BAD_IDS)('rejects an id with %s', (_why, id) => {
    const error = expectRejected(schema, name, id, '');
    expect(error.message).toContain('must be 1-128 characters of letters, digits');
    expect(() => brand(id)).toThrow(ZodError);
  });

  it('rejects non-strings', () => {
    for (const input of [42, null, undefined, {}, ['mon-1']]) expectRejected(schema, name, input, '');
  });

  it('every valid id fills exactly one MQTT topic level and one NATS subject token', () => {
    const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
    fc.assert(
      fc.property(id, (s) => {
        expect(parse(schema, name, s)).toBe(s);
        expect(topicMatches('devices/+/readings', `devices/${s}/readings`)).toBe(true);
        expect(/[/+#*>\s]/.test(s)).toBe(false);
      }),
    );
  });
});

describe('EpochMs', () => {
  it.each([0, 1, Date.UTC(2025, 0, 1), Number.MAX_SAFE_INTEGER])('accepts %d', (ms) => {
    expect(parse(EpochMs, 'EpochMs', ms)).toBe(ms);
  });

  it.each([
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['beyond the safe integers', Number.MAX_SAFE_INTEGER + 2],
    ['a numeric string', '1700000000000'],
    ['a Date', new Date(0)],
    ['null', null],
  ])('rejects %s', (_why, value) => {
    expectRejected(EpochMs, 'EpochMs', value, '');
  });
});
