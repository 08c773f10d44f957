import { ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { compileControlRule } from './compile.js';
import { conditionsOverlap, resolveCondition } from './condition.js';
import { parseControlRules } from './spec.js';

const ok = {
  id: 'spo2-oxygen',
  metric: 'spo2',
  scope: { patientIds: ['p1'] },
  actuator: { deviceId: 'o2-1', action: 'oxygen.set-flow', param: 'flowLpm' },
  steps: [
    { when: { below: 88, forMs: 30_000 }, set: 2 },
    { when: { below: 85, forMs: 30_000 }, set: 4 },
  ],
  stepDown: { when: { atLeast: 92, forMs: 60_000 }, by: 1, min: 0 },
  limits: { min: 0, max: 6, maxChangePerMinute: 2 },
  commandTimeoutMs: 10_000,
};

function issuesOf(input: unknown): { path: string; message: string; code: string }[] {
  try {
    parseControlRules(input);
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return [...(e as ValidationError).issues];
  }
  throw new Error('expected a ValidationError');
}

describe('parseControlRules', () => {
  it('accepts JSON text and values, and compiles defaults', () => {
    const full = {
      ...ok,
      id: 'full',
      scope: { patientIds: ['p2'] },
      actuator: { ...ok.actuator, deviceId: 'o2-2', params: { mode: 'continuous' } },
      limits: { ...ok.limits, maxStepPerCommand: 1 },
      initialSetPoint: 1,
      retryAfterMs: 5_000,
      maxGapMs: 20_000,
      alertSeverity: 'critical',
    };
    expect(parseControlRules(JSON.stringify([ok, full]))).toEqual([ok, full]);
    const { scope: _s, stepDown: _d, commandTimeoutMs: _c, ...minimal } = ok;
    const { deviceId: _id, ...actuator } = ok.actuator;
    const [rule] = parseControlRules([{ ...minimal, actuator }]);
    expect(compileControlRule(rule as NonNullable<typeof rule>)).toMatchObject({
      floor: 0,
      initialSetPoint: 0,
      commandTimeoutMs: 30_000,
      retryAfterMs: 60_000,
      alertSeverity: 'high',
      downCondition: undefined,
    });
  });

  it('refuses text that is not JSON, naming the source', () => {
    expect(() => parseControlRules('[{', 'control.json')).toThrow(
      /Invalid ControlRuleSet \(from control\.json\): \(root\): not JSON/,
    );
  });

  it('names the rule index and field of each problem', () => {
    const issues = issuesOf([
      { ...ok, id: 'a', steps: [] },
      {
        ...ok,
        id: 'b',
        actuator: { ...ok.actuator, deviceId: 'o2-b' },
        steps: [{ when: { forMs: 0 }, set: 1 }],
      },
      {
        ...ok,
        id: 'c',
        actuator: { ...ok.actuator, deviceId: 'o2-c' },
        steps: [{ when: { below: 88, above: 80, forMs: 0 }, set: 1 }],
      },
      {
        ...ok,
        id: 'd',
        actuator: { ...ok.actuator, deviceId: 'o2-d' },
        steps: [{ when: { below: 88, forMs: 0 }, set: 8 }],
      },
      {
        ...ok,
        id: 'e',
        actuator: { ...ok.actuator, deviceId: 'o2-e' },
        limits: { min: 3, max: 3, maxChangePerMinute: 1 },
      },
      { ...ok, id: 'f', actuator: { ...ok.actuator, deviceId: 'o2-f' }, commandTimeoutMs: 0 },
      { ...ok, id: 'g', actuator: { ...ok.actuator, deviceId: 'o2-g', params: { flowLpm: 1 } } },
      {
        ...ok,
        id: 'h',
        actuator: { ...ok.actuator, deviceId: 'o2-h' },
        limits: { ...ok.limits, maxChangePerMinute: 0 },
      },
    ]);
    expect(issues.map((i) => i.path)).toEqual(
      expect.arrayContaining([
        '0.steps',
        '1.steps.0.when',
        '2.steps.0.when',
        '3.steps.0.set',
        '4.limits.max',
        '5.commandTimeoutMs',
        '6.actuator.params',
        '7.limits.maxChangePerMinute',
      ]),
    );
    expect(issues.find((i) => i.path === '3.steps.0.set')?.message).toBe('set 8 must be within limits 0…6');
    expect(issues.find((i) => i.path === '2.steps.0.when')?.message).toMatch(
      /exactly one of .*got below, above/,
    );
  });

  it('refuses a step-down that overlaps a step', () => {
    const issues = issuesOf([{ ...ok, stepDown: { ...ok.stepDown, when: { atLeast: 87, forMs: 60_000 } } }]);
    expect(issues).toEqual([
      expect.objectContaining({
        path: '0.stepDown.when',
        message: expect.stringMatching(/">= 87 for 60 s" overlaps step 0 "< 88 for 30 s"/),
      }),
    ]);
    expect(
      parseControlRules([{ ...ok, stepDown: { ...ok.stepDown, when: { atLeast: 88, forMs: 1 } } }]),
    ).toHaveLength(1);
  });

  it('requires a fixed actuator to serve exactly one patient, and one rule per actuator', () => {
    const { scope: _s, ...unscoped } = ok;
    expect(issuesOf([unscoped])[0]?.path).toBe('0.actuator.deviceId');
    expect(issuesOf([{ ...ok, scope: { patientIds: ['p1', 'p2'] } }])[0]?.path).toBe('0.actuator.deviceId');
    expect(issuesOf([{ ...ok, scope: { wardId: 'w' } }])[0]?.path).toBe('0.actuator.deviceId');
    const issues = issuesOf([ok, { ...ok, id: 'other', scope: { patientIds: ['p2'] } }]);
    expect(issues).toEqual([
      expect.objectContaining({
        path: '1.actuator.deviceId',
        message: expect.stringMatching(/"o2-1" is already commanded by rule 0/),
      }),
    ]);
  });

  it('refuses duplicate ids at the same level and overrides of another metric', () => {
    const { deviceId: _id, ...actuator } = ok.actuator;
    const ward = { ...ok, actuator, scope: { wardId: 'w1' } };
    const issues = issuesOf([ward, ward, { ...ward, metric: 'heart-rate', scope: { wardId: 'w2' } }]);
    expect(issues.map((i) => i.path)).toEqual(['1.id', '2.metric']);
  });
});

describe('conditionsOverlap', () => {
  const c = (when: Record<string, number>) => resolveCondition({ forMs: 0, ...when });
  it('is true for the same direction, and across a shared bound only when both include it', () => {
    expect(conditionsOverlap(c({ below: 88 }), c({ below: 80 }))).toBe(true);
    expect(conditionsOverlap(c({ below: 88 }), c({ atLeast: 88 }))).toBe(false);
    expect(conditionsOverlap(c({ atMost: 88 }), c({ atLeast: 88 }))).toBe(true);
    expect(conditionsOverlap(c({ atMost: 88 }), c({ above: 88 }))).toBe(false);
    expect(conditionsOverlap(c({ above: 38 }), c({ below: 37.5 }))).toBe(false);
    expect(conditionsOverlap(c({ above: 37 }), c({ below: 37.5 }))).toBe(true);
  });
});
