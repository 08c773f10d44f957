import { type HealthItError, isHealthItError, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { checkRunnable, parseBusinessRuleSet } from './spec.js';

export const EXAMPLE_RULE_SET = {
  version: '2025-01-15',
  rules: [
    {
      id: 'hf-weight-gain',
      type: 'weight-gain',
      conditionTag: 'heart-failure',
      gainKg: 2,
      windowDays: 3,
      severity: 'medium',
      route: ['ward-7-nurses', 'heart-failure-team'],
    },
    {
      id: 'news2-5-sustained',
      type: 'news2-sustained',
      minScore: 5,
      forMinutes: 30,
      severity: 'high',
      route: ['ward-7-nurses', 'rapid-response'],
    },
    {
      id: 'device-offline',
      type: 'device-offline',
      silenceMinutes: 10,
      severity: 'medium',
      route: ['biomed'],
    },
  ],
};

function errorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('business rule set', () => {
  it('parses the documented example, from a value or from JSON text, with defaults', () => {
    const set = parseBusinessRuleSet(JSON.stringify(EXAMPLE_RULE_SET), 'rules.json');
    expect(set.rules.map((r) => r.type)).toEqual(['weight-gain', 'news2-sustained', 'device-offline']);
    expect(set.rules.every((r) => r.enabled)).toBe(true);
    expect(
      parseBusinessRuleSet({ rules: [{ ...EXAMPLE_RULE_SET.rules[2], route: undefined }] }).rules[0]?.route,
    ).toEqual([]);
  });

  it('names the rule and the field of every problem', () => {
    const bad = structuredClone(EXAMPLE_RULE_SET) as { rules: Record<string, unknown>[] };
    bad.rules[1]!.forMinutes = -5;
    bad.rules[2]!.severity = 'urgent';
    const e = errorOf(() => parseBusinessRuleSet(bad, 'rules.json'));
    expect(e).toBeInstanceOf(ValidationError);
    const v = e as ValidationError;
    expect(v.code).toBe('validation/invalid');
    expect(v.issues.map((i) => i.path)).toEqual(['rules.1.forMinutes', 'rules.2.severity']);
    expect(v.message).toContain('(from rules.json)');
    expect(v.message).toContain('rules.1.forMinutes: rule "news2-5-sustained"');
    expect(v.message).toContain('rules.2.severity: rule "device-offline"');
  });

  it('refuses unknown types and fields, duplicate ids, bad scopes and text that is not JSON', () => {
    const paths = (input: unknown) => (errorOf(() => parseBusinessRuleSet(input)) as ValidationError).issues;
    expect(paths({ rules: [{ id: 'x', type: 'magic', severity: 'low' }] })[0]?.path).toBe('rules.0.type');
    expect(paths({ rules: [{ ...EXAMPLE_RULE_SET.rules[2], silence: 3 }] })[0]?.message).toContain('silence');
    expect(paths({ rules: [EXAMPLE_RULE_SET.rules[2], EXAMPLE_RULE_SET.rules[2]] })[0]).toMatchObject({
      path: 'rules.1.id',
      message: expect.stringContaining('duplicate rule id "device-offline"'),
    });
    expect(
      paths({ rules: [{ ...EXAMPLE_RULE_SET.rules[1], scope: { patientIds: ['p-1'], wardIds: ['w'] } }] })[0]
        ?.path,
    ).toBe('rules.0.scope');
    expect(paths('{ rules: ')[0]?.code).toBe('invalid_json');
  });

  it('refuses a set the engine cannot run, naming rule and field', () => {
    const set = parseBusinessRuleSet(EXAMPLE_RULE_SET);
    const e = errorOf(() => checkRunnable(set, { hasStore: false, hasConditions: true, hasWards: false }));
    expect(isHealthItError(e, 'config/invalid')).toBe(true);
    expect((e as HealthItError).detail).toMatchObject({ ruleId: 'hf-weight-gain', field: 'type' });
    expect(() => checkRunnable(set, { hasStore: true, hasConditions: true, hasWards: false })).not.toThrow();
  });
});
