import { ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { parseRuleSet } from './spec.js';

const ok = { id: 'spo2-low', metric: 'spo2', comparison: '<', value: 88, severity: 'high' };

function issuesOf(input: unknown): { path: string; message: string; code: string }[] {
  try {
    parseRuleSet(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  throw new Error('expected a ValidationError');
}

describe('parseRuleSet', () => {
  it('accepts JSON text and parsed values, with every optional field', () => {
    const full = {
      ...ok,
      forSeconds: 30,
      clearValue: 92,
      maxGapSeconds: 20,
      scope: { wardId: 'icu-1' },
      message: 'SpO2 low',
    };
    expect(parseRuleSet(JSON.stringify([ok, full]))).toEqual([ok, full]);
    expect(parseRuleSet([{ ...ok, scope: { patientIds: ['p1', 'p2'] } }])).toHaveLength(1);
    expect(parseRuleSet('[]')).toEqual([]);
  });

  it('refuses text that is not JSON, naming the source', () => {
    expect(() => parseRuleSet('[{', 'rules.json')).toThrow(
      /Invalid ThresholdRuleSet \(from rules\.json\): \(root\): not JSON/,
    );
    expect(issuesOf('[{')).toEqual([expect.objectContaining({ path: '', code: 'invalid_json' })]);
  });

  it('refuses a value that is not an array of rules', () => {
    expect(issuesOf({ rules: [] })).toEqual([expect.objectContaining({ path: '', code: 'invalid_type' })]);
  });

  it('names the rule index and field of each problem', () => {
    const { severity: _s, ...noSeverity } = ok;
    const issues = issuesOf([
      ok,
      noSeverity,
      { ...ok, id: 'b', metric: 'pulse' },
      { ...ok, id: 'c', comparison: '=<' },
      { ...ok, id: 'd', forSeconds: -1 },
      { ...ok, id: 'e', extra: 1 },
      { ...ok, id: 'f', value: '88' },
    ]);
    expect(issues.map((i) => i.path)).toEqual([
      '1.severity',
      '2.metric',
      '3.comparison',
      '4.forSeconds',
      '5',
      '6.value',
    ]);
    expect(issues[4]?.code).toBe('unrecognized_keys');
  });

  it('requires clearValue on the safe side of value', () => {
    expect(issuesOf([{ ...ok, clearValue: 85 }])).toEqual([
      expect.objectContaining({
        path: '0.clearValue',
        message: expect.stringMatching(/breaching side of "< 88".*at or above 88/),
      }),
    ]);
    // `<=` includes the value itself, so clearing at the value would flap.
    expect(issuesOf([{ ...ok, comparison: '<=', clearValue: 88 }])[0]?.path).toBe('0.clearValue');
    expect(issuesOf([{ ...ok, comparison: '>', value: 130, clearValue: 131 }])[0]?.path).toBe('0.clearValue');
    expect(issuesOf([{ ...ok, comparison: '>=', value: 130, clearValue: 130 }])[0]?.path).toBe(
      '0.clearValue',
    );
    expect(
      parseRuleSet([
        { ...ok, clearValue: 88 },
        { ...ok, id: 'hr', comparison: '>=', value: 130, clearValue: 120 },
      ]),
    ).toHaveLength(2);
  });

  it('requires exactly one of patientIds or wardId in a scope', () => {
    expect(issuesOf([{ ...ok, scope: {} }])[0]?.path).toBe('0.scope');
    expect(issuesOf([{ ...ok, scope: { wardId: 'w', patientIds: ['p'] } }])[0]?.path).toBe('0.scope');
    expect(issuesOf([{ ...ok, scope: { patientIds: [] } }])[0]?.path).toBe('0.scope.patientIds');
  });

  it('refuses duplicate ids at the same level and overrides of another metric', () => {
    const issues = issuesOf([
      ok,
      { ...ok, scope: { wardId: 'w1' } },
      { ...ok, scope: { patientIds: ['p1'] } },
      { ...ok, scope: { patientIds: ['p2', 'p1'] } },
      { ...ok, value: 90 },
      { ...ok, scope: { wardId: 'w1' } },
      { ...ok, metric: 'heart-rate', scope: { wardId: 'w2' } },
    ]);
    expect(issues.map((i) => i.path)).toEqual(['3.id', '4.id', '5.id', '6.metric']);
    expect(issues[0]?.message).toMatch(/for patient p1 is already defined by rule 2/);
    expect(issues[3]?.message).toMatch(/watches heart-rate but rule 0 .* watches spo2/);
  });
});
