import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectRejected } from '../../test/expect-invalid.js';
import { parse } from '../validate.js';
import { ALERT_SEVERITIES, Alert, AlertSeverity, compareSeverity } from './alert.js';

const T0 = Date.UTC(2025, 0, 1);

const minimal = {
  id: 'alert-1',
  rule: 'threshold:spo2-low',
  severity: 'high',
  message: 'SpO2 below 88 % for 30 s',
  ts: T0,
  readingIds: ['oximeter-3:42'],
} as const;

const full = {
  ...minimal,
  patientId: 'patient-7',
  deviceId: 'oximeter-3',
  metric: 'spo2',
  value: 86,
  readingIds: ['oximeter-3:41', 'oximeter-3:42'],
} as const;

describe('Alert: valid input', () => {
  it('accepts an alert with every field', () => {
    expect(parse(Alert, 'Alert', full)).toEqual(full);
  });

  it('accepts an alert without its optional fields and adds none', () => {
    const a = parse(Alert, 'Alert', minimal);
    expect(a).toEqual(minimal);
    expect(Object.keys(a).sort()).toEqual(['id', 'message', 'readingIds', 'rule', 'severity', 'ts']);
  });

  it.each(ALERT_SEVERITIES)('accepts severity %s', (severity) => {
    expect(parse(Alert, 'Alert', { ...minimal, severity }).severity).toBe(severity);
  });
});

describe('Alert: invalid input names the field', () => {
  it.each(['id', 'rule', 'severity', 'message', 'ts', 'readingIds'] as const)(
    'rejects a missing %s',
    (field) => {
      const { [field]: _gone, ...rest } = full;
      expectRejected(Alert, 'Alert', rest, field);
    },
  );

  it.each([
    ['an empty id', { id: '' }, 'id'],
    ['an empty rule', { rule: '' }, 'rule'],
    ['an unknown severity', { severity: 'urgent' }, 'severity'],
    ['an upper-case severity', { severity: 'HIGH' }, 'severity'],
    ['an empty message', { message: '' }, 'message'],
    ['a fractional ts', { ts: 1.25 }, 'ts'],
    ['a malformed patientId', { patientId: '' }, 'patientId'],
    ['a malformed deviceId', { deviceId: 'a/b' }, 'deviceId'],
    ['an unknown metric', { metric: 'mood' }, 'metric'],
    ['a NaN value', { value: Number.NaN }, 'value'],
    ['an empty readingIds', { readingIds: [] }, 'readingIds'],
    ['an empty reading id', { readingIds: ['ok:1', ''] }, 'readingIds.1'],
  ])('rejects %s', (_why, override, path) => {
    expectRejected(Alert, 'Alert', { ...full, ...override }, path);
  });

  it('rejects unknown fields (strict)', () => {
    const error = expectRejected(Alert, 'Alert', { ...full, acknowledged: true }, '');
    expect(error.message).toContain('"acknowledged"');
  });
});

describe('compareSeverity', () => {
  it('orders info < low < low-medium < medium < high < critical', () => {
    const shuffled: AlertSeverity[] = ['high', 'info', 'critical', 'low-medium', 'medium', 'low'];
    expect(shuffled.sort(compareSeverity)).toEqual([...ALERT_SEVERITIES]);
    expect(AlertSeverity.options).toEqual([...ALERT_SEVERITIES]);
  });

  it('is antisymmetric and zero only for equal severities', () => {
    const severity = fc.constantFrom(...ALERT_SEVERITIES);
    fc.assert(
      fc.property(severity, severity, (a, b) => {
        expect(compareSeverity(a, b) + compareSeverity(b, a)).toBe(0);
        expect(compareSeverity(a, b) === 0).toBe(a === b);
      }),
    );
  });
});
