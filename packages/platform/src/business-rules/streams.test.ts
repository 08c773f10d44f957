import type { PatientId, Reading } from '@healthit/core';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createAlertManager } from '../alerts/manager.js';
import { businessRules } from './engine.js';
import type { RuleEngineEvent } from './events.js';

const MIN = 60_000;
const scheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));
const ev = (type: RuleEngineEvent['type'], extra: Record<string, unknown> = {}) =>
  expect.objectContaining({ type, ...extra });
const alertOf = (extra: Record<string, unknown>) => expect.objectContaining(extra);

const news2Rule = {
  id: 'news2-5',
  type: 'news2-sustained',
  minScore: 5,
  forMinutes: 30,
  severity: 'high',
  route: ['ward-7-nurses', 'rapid-response'],
};
const offlineRule = {
  id: 'offline',
  type: 'device-offline',
  silenceMinutes: 10,
  severity: 'medium',
  route: ['biomed'],
};

/** A NEWS2 score event at `tsMs` (use the marble frame, so event time and virtual time agree). */
const score = (tsMs: number, value: number, patient = 'p-1') => ({
  type: 'news2-score' as const,
  patientId: patient as PatientId,
  ts: tsMs,
  score: value,
  readingIds: [`mon-1:${tsMs}`],
});
const incomplete = (tsMs: number, patient = 'p-1') => ({
  type: 'news2-incomplete' as const,
  patientId: patient as PatientId,
  ts: tsMs,
});
const beat = (tsMs: number, deviceId = 'mon-1') => ({ type: 'heartbeat' as const, deviceId, ts: tsMs });
const applied = (extra: Record<string, unknown> = {}) => ev('rule-set-applied', extra);

describe('news2-sustained (marbles, virtual time)', () => {
  it('fires once NEWS2 ≥ 5 has lasted 30 min, with severity, routing and ward; once per episode', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('r', { r: { rules: [news2Rule] } }),
          news2$: cold('a 10m b 29m c', { a: score(0, 5), b: score(600_001, 7), c: score(2_340_002, 6) }),
        },
        { scheduler: s, wardOf: () => 'ward-7' },
      );
      expectObservable(engine.events$, '^ 60m !').toBe('r 1799999ms x', {
        r: applied({ added: ['news2-5'] }),
        x: ev('rule-alert', {
          ts: 30 * MIN,
          ruleId: 'news2-5',
          route: ['ward-7-nurses', 'rapid-response'],
          ward: 'ward-7',
          alert: alertOf({
            rule: 'business:news2-5',
            severity: 'high',
            patientId: 'p-1',
            value: 7,
            readingIds: ['mon-1:0', 'mon-1:600001'],
          }),
        }),
      });
    });
  });

  it('does not fire when the score dips below 5 before 30 min; the next rise starts a new count', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('r', { r: { rules: [news2Rule] } }),
          news2$: cold('a 20m b 5m c', { a: score(0, 6), b: score(1_200_001, 4), c: score(1_500_002, 5) }),
        },
        { scheduler: s },
      );
      expectObservable(engine.events$, '^ 70m !').toBe('r 3300001ms x', {
        r: applied(),
        x: ev('rule-alert', { ts: 1_500_002 + 30 * MIN }),
      });
    });
  });

  it('clears when the patient can no longer be scored, and re-arms', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('r', { r: { rules: [news2Rule] } }),
          news2$: cold('a 40m b 1m c', { a: score(0, 5), b: incomplete(2_400_001), c: score(2_460_002, 8) }),
        },
        { scheduler: s },
      );
      expectObservable(engine.events$, '^ 80m !').toBe('r 1799999ms x 600000ms y 1860000ms z', {
        r: applied(),
        x: ev('rule-alert', { ts: 30 * MIN }),
        y: ev('rule-cleared', { ruleId: 'news2-5', subject: 'p-1', alertId: 'business:news2-5:p-1:1800000' }),
        z: ev('rule-alert', { alert: alertOf({ value: 8 }) }),
      });
    });
  });

  it('turns malformed and out-of-order scores into input-rejected events and keeps going', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('r', { r: { rules: [news2Rule] } }),
          news2$: cold('-abc', {
            a: { type: 'news2-score', patientId: 'p 1', ts: 0, score: 5 },
            b: score(2, 6),
            c: score(1, 6),
          }),
        },
        { scheduler: s },
      );
      expectObservable(engine.events$, '^ 40m !').toBe('rx-y 1799998ms z', {
        r: applied(),
        x: ev('input-rejected', {
          stream: 'news2',
          error: expect.objectContaining({ code: 'validation/invalid' }),
        }),
        y: ev('input-rejected', {
          stream: 'news2',
          ruleId: 'news2-5',
          error: expect.objectContaining({ code: 'state/invalid' }),
        }),
        z: ev('rule-alert', { ts: 2 + 30 * MIN }),
      });
    });
  });

  it("accepts the gateway's news2Scores output shape", () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const gatewayScore = {
        type: 'news2-score',
        patientId: 'p-1',
        ts: 0,
        result: { total: 5, redScore: false, clinicalRisk: 'medium', subscores: {} },
        input: {},
        readingIds: ['x:1'],
      };
      const engine = businessRules(
        { ruleSets$: cold('r', { r: { rules: [news2Rule] } }), news2$: cold('a', { a: gatewayScore }) },
        { scheduler: s },
      );
      expectObservable(engine.events$, '^ 31m !').toBe('r 1799999ms x', {
        r: applied(),
        x: ev('rule-alert', { alert: alertOf({ readingIds: ['x:1'], value: 5 }) }),
      });
    });
  });
});

describe('device-offline (marbles, virtual time)', () => {
  it('fires once per silence of 10 min and clears when the device is heard again', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('r', { r: { rules: [offlineRule] } }),
          heartbeats$: cold('a 5m b 35m c', { a: beat(0), b: beat(300_001), c: beat(2_400_002) }),
        },
        { scheduler: s },
      );
      expectObservable(engine.events$, '^ 60m !').toBe('r 900000ms x 1500000ms y 599999ms z', {
        r: applied(),
        x: ev('rule-alert', {
          ts: 900_001,
          route: ['biomed'],
          alert: alertOf({ rule: 'business:offline', deviceId: 'mon-1', severity: 'medium' }),
        }),
        y: ev('rule-cleared', { subject: 'mon-1', alertId: 'business:offline:mon-1:900001' }),
        z: ev('rule-alert', { ts: 3_000_002 }),
      });
    });
  });

  it('uses readings as signs of life when no heartbeat stream is given, per device', () => {
    const reading = (deviceId: string, ts: number): Reading =>
      ({ id: `${deviceId}:${ts}`, deviceId, metric: 'spo2', value: 97, unit: '%', ts, seq: ts }) as Reading;
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('r', { r: { rules: [{ ...offlineRule, deviceIds: ['mon-1', 'mon-2'] }] } }),
          readings$: cold('(ab) 1m c', {
            a: reading('mon-1', 0),
            b: reading('mon-2', 0),
            c: reading('mon-2', 60_002),
          }),
        },
        { scheduler: s },
      );
      expectObservable(engine.events$, '^ 20m !').toBe('r 599999ms x 60001ms y', {
        r: applied(),
        x: ev('rule-alert', { alert: alertOf({ deviceId: 'mon-1', readingIds: ['mon-1:0'] }) }),
        y: ev('rule-alert', { alert: alertOf({ deviceId: 'mon-2', readingIds: ['mon-2:60002'] }) }),
      });
    });
  });
});

describe('hot reload (marbles)', () => {
  it('keeps the state of unchanged rules, refuses an invalid set and keeps the old one running', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('a 10m b 5m c', {
            a: { rules: [news2Rule] },
            b: JSON.stringify({ version: '2', rules: [news2Rule, offlineRule] }),
            c: { rules: [{ ...news2Rule, minScore: 0 }] },
          }),
          news2$: cold('s', { s: score(0, 6) }),
        },
        { scheduler: s },
      );
      expectObservable(engine.events$, '^ 40m !').toBe('a 600000ms b 300000ms c 899997ms x', {
        a: applied({ added: ['news2-5'], kept: [] }),
        b: applied({ version: '2', added: ['offline'], kept: ['news2-5'], replaced: [], removed: [] }),
        c: ev('rule-set-rejected', {
          error: expect.objectContaining({
            code: 'validation/invalid',
            message: expect.stringContaining('rules.0.minScore: rule "news2-5"'),
          }),
        }),
        x: ev('rule-alert', { ts: 30 * MIN }),
      });
    });
  });

  it('restarts a changed rule with fresh state and stops a removed one', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('a 9m b', {
            a: { rules: [news2Rule, offlineRule] },
            b: { rules: [{ ...news2Rule, forMinutes: 40 }] },
          }),
          news2$: cold('s', { s: score(0, 6) }),
          heartbeats$: cold('h', { h: beat(0) }),
        },
        { scheduler: s },
      );
      expectObservable(engine.events$, '^ 90m !').toBe('a 540000ms b', {
        a: applied(),
        b: applied({ replaced: ['news2-5'], removed: ['offline'], kept: [] }),
      });
    });
  });

  it('refuses a set it cannot run (weight-gain without a store) with config/invalid', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const weight = {
        id: 'hf',
        type: 'weight-gain',
        conditionTag: 'heart-failure',
        gainKg: 2,
        windowDays: 3,
        severity: 'medium',
      };
      const engine = businessRules({ ruleSets$: cold('a', { a: { rules: [weight] } }) }, { scheduler: s });
      expectObservable(engine.events$).toBe('x', {
        x: ev('rule-set-rejected', {
          error: expect.objectContaining({
            code: 'config/invalid',
            detail: expect.objectContaining({ ruleId: 'hf' }),
          }),
        }),
      });
    });
  });
});

describe('business rules → alert manager', () => {
  it('feeds routed rule alerts into the manager, which de-duplicates and escalates them', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const engine = businessRules(
        {
          ruleSets$: cold('r', { r: { rules: [offlineRule] } }),
          heartbeats$: cold('a 20m b', { a: beat(0), b: beat(1_200_001) }),
        },
        { scheduler: s },
      );
      const manager = createAlertManager({ scheduler: s, escalation: { medium: [{ afterMs: 5 * MIN }] } });
      expectObservable(manager.events$, '^ 40m !').toBe('600000ms o 299999ms e 900000ms p', {
        o: expect.objectContaining({
          type: 'alert.opened',
          alert: expect.objectContaining({ route: ['biomed'], source: 'business-rules', state: 'open' }),
        }),
        e: expect.objectContaining({ type: 'alert.escalated', level: 1 }),
        p: expect.objectContaining({
          type: 'alert.deduplicated',
          alert: expect.objectContaining({ occurrences: 2 }),
        }),
      });
      manager.connect(engine.alerts$, 'rules');
    });
  });
});
