import type { Reading } from '@healthit/core';
import fc from 'fast-check';
import { from } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { declarativeAlerts, type RuleEvent } from './operator.js';
import {
  breaches,
  COMPARISONS,
  MAX_ALERT_READING_IDS,
  parseRuleSet,
  type ThresholdRuleSpec,
} from './spec.js';

const ruleArb = fc
  .record({
    comparison: fc.constantFrom(...COMPARISONS),
    value: fc.integer({ min: 85, max: 95 }),
    forSeconds: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
    margin: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
    maxGapSeconds: fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
  })
  .map(({ comparison, value, forSeconds, margin, maxGapSeconds }) => {
    const below = comparison.startsWith('<');
    const strict = comparison.length === 2 ? 1 : 0;
    const clearValue =
      margin === undefined ? undefined : below ? value + margin + strict : value - margin - strict;
    return {
      comparison,
      value,
      ...(forSeconds === undefined ? {} : { forSeconds }),
      ...(clearValue === undefined ? {} : { clearValue }),
      ...(maxGapSeconds === undefined ? {} : { maxGapSeconds }),
    };
  });

const stepsArb = fc.array(
  fc.record({
    patient: fc.constantFrom('p1', 'p2', null),
    value: fc.integer({ min: 80, max: 100 }),
    dtSec: fc.integer({ min: -5, max: 30 }),
  }),
  { maxLength: 200 },
);

function readingsOf(steps: { patient: string | null; value: number; dtSec: number }[]): Reading[] {
  let tsSec = 1000;
  return steps.map((s, i) => {
    tsSec += s.dtSec;
    const deviceId = `ox-${s.patient ?? 'x'}` as Reading['deviceId'];
    return {
      id: `${deviceId}:${i}`,
      deviceId,
      ...(s.patient === null ? {} : { patientId: s.patient as NonNullable<Reading['patientId']> }),
      metric: 'spo2',
      value: s.value,
      unit: '%',
      ts: tsSec * 1000,
      seq: i,
    };
  });
}

describe('declarativeAlerts properties', () => {
  it('raised and cleared alternate per series and rule, starting with a raise', () => {
    fc.assert(
      fc.property(ruleArb, ruleArb, stepsArb, (general, override, steps) => {
        const rules = parseRuleSet([
          { id: 'a', metric: 'spo2', severity: 'high', ...general },
          { id: 'a', metric: 'spo2', severity: 'low', ...override, scope: { patientIds: ['p2'] } },
          { id: 'b', metric: 'spo2', severity: 'medium', ...override },
        ]);
        const ruleFor = (id: string, series: string): ThresholdRuleSpec =>
          rules.find((r) => r.id === id && (id === 'b' || (series === 'p2') === (r.scope !== undefined)))!;
        const readings = readingsOf(steps);
        const byId = new Map(readings.map((r) => [r.id, r]));
        const events: RuleEvent[] = [];
        declarativeAlerts(rules, { clock: { now: () => 0 } })(from(readings)).subscribe((e) =>
          events.push(e),
        );

        const open = new Map<string, string>();
        for (const e of events) {
          expect(e.type).not.toBe('episode-evicted');
          if (e.type === 'alert-raised') {
            const ruleId = e.alert.rule.replace(/^rule:/, '');
            const series = e.alert.patientId ?? e.alert.deviceId ?? '';
            const key = `${ruleId}/${series}`;
            expect(open.has(key)).toBe(false);
            open.set(key, e.alert.id);
            const rule = ruleFor(ruleId, series);
            const ids = e.alert.readingIds;
            expect(ids.length).toBeGreaterThan(0);
            expect(ids.length).toBeLessThanOrEqual(MAX_ALERT_READING_IDS);
            for (const id of ids)
              expect(breaches(rule.comparison, byId.get(id)!.value, rule.value)).toBe(true);
            const first = byId.get(ids[0]!)!;
            const last = byId.get(ids.at(-1)!)!;
            if (ids.length < MAX_ALERT_READING_IDS) {
              expect(last.ts - first.ts).toBeGreaterThanOrEqual((rule.forSeconds ?? 0) * 1000);
            }
          } else if (e.type === 'alert-cleared') {
            const key = `${e.ruleId}/${e.series}`;
            expect(open.get(key)).toBe(e.alertId);
            open.delete(key);
            const rule = ruleFor(e.ruleId, e.series);
            const clearing = byId.get(e.readingId)!;
            // clearValue is reached inclusively; without it the reading just leaves the breach.
            const below = rule.comparison.startsWith('<');
            if (rule.clearValue === undefined) {
              expect(breaches(rule.comparison, clearing.value, rule.value)).toBe(false);
            } else
              expect(below ? clearing.value >= rule.clearValue : clearing.value <= rule.clearValue).toBe(
                true,
              );
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
