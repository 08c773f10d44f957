import { Alert, type Reading } from '@healthit/core';
import { from } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { declarativeAlerts, type RuleEvent } from './operator.js';
import { MAX_ALERT_READING_IDS, parseRuleSet } from './spec.js';

/** An SpO2 reading of `patient` with value `value` taken at `tsSec` seconds. */
function spo2(value: number, tsSec: number, patient: string | null = 'p1'): Reading {
  const deviceId = `ox-${patient ?? 'x'}` as Reading['deviceId'];
  return {
    id: `${deviceId}:${tsSec}`,
    deviceId,
    ...(patient === null ? {} : { patientId: patient as NonNullable<Reading['patientId']> }),
    metric: 'spo2',
    value,
    unit: '%',
    ts: tsSec * 1000,
    seq: tsSec,
  };
}

const base = { id: 'spo2-low', metric: 'spo2', comparison: '<', value: 88, severity: 'high' };

const raised = (readingIds: string[], extra: Record<string, unknown> = {}) =>
  expect.objectContaining({
    type: 'alert-raised',
    alert: expect.objectContaining({ rule: 'rule:spo2-low', readingIds, ...extra }),
  });
const cleared = (series: string, readingId: string) =>
  expect.objectContaining({ type: 'alert-cleared', ruleId: 'spo2-low', series, readingId });

function scheduler(): TestScheduler {
  return new TestScheduler((a, e) => expect(a).toEqual(e));
}

function run(
  rules: unknown,
  marbles: string,
  values: Record<string, Reading>,
  expected: string,
  out: Record<string, unknown>,
  wardOf?: (r: Reading) => string | undefined,
) {
  const s = scheduler();
  s.run(({ cold, expectObservable }) => {
    const op = declarativeAlerts(parseRuleSet(rules), { scheduler: s, ...(wardOf ? { wardOf } : {}) });
    expectObservable(cold(marbles, values).pipe(op)).toBe(expected, out);
  });
}

describe('declarativeAlerts', () => {
  it('raises once the breach has lasted forSeconds of reading time, once per episode', () => {
    run(
      [{ ...base, forSeconds: 30 }],
      'abcdef|',
      { a: spo2(85, 0), b: spo2(86, 10), c: spo2(84, 20), d: spo2(80, 30), e: spo2(80, 40), f: spo2(70, 50) },
      '---r--|',
      {
        r: raised(['ox-p1:0', 'ox-p1:10', 'ox-p1:20', 'ox-p1:30'], {
          value: 80,
          ts: 3,
          patientId: 'p1',
          deviceId: 'ox-p1',
        }),
      },
    );
  });

  it('does not raise when a non-breaching reading or a gap interrupts the breach', () => {
    run(
      [{ ...base, forSeconds: 30, maxGapSeconds: 15 }],
      'abcdefgh|',
      {
        a: spo2(85, 0),
        b: spo2(85, 20),
        c: spo2(88, 25), // not < 88: resets
        d: spo2(85, 30),
        e: spo2(85, 50),
        f: spo2(85, 70), // 20 s gap > 15 s: restarts at 70
        g: spo2(85, 80),
        h: spo2(85, 99),
      },
      '--------|',
      {},
    );
  });

  it('raises at once without forSeconds', () => {
    run([base], 'ab|', { a: spo2(90, 0), b: spo2(87, 1) }, '-r|', { r: raised(['ox-p1:1']) });
  });

  it('does not flap around the threshold with hysteresis, and clears at clearValue', () => {
    run(
      [{ ...base, clearValue: 92 }],
      'abcdefg|',
      {
        a: spo2(87, 0),
        b: spo2(89, 1),
        c: spo2(87, 2),
        d: spo2(91, 3),
        e: spo2(86, 4),
        f: spo2(92, 5),
        g: spo2(91, 6),
      },
      'r----c-|',
      { r: raised(['ox-p1:0']), c: cleared('p1', 'ox-p1:5') },
    );
  });

  it('without hysteresis clears on the first non-breaching reading', () => {
    run([base], 'abc|', { a: spo2(87, 0), b: spo2(88, 1), c: spo2(87, 2) }, 'rcs|', {
      r: raised(['ox-p1:0']),
      c: cleared('p1', 'ox-p1:1'),
      s: raised(['ox-p1:2']),
    });
  });

  it('raises a new alert after a clear, and keeps series apart', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const values = {
        a: spo2(85, 0),
        b: spo2(85, 0, 'p2'),
        c: spo2(93, 10),
        d: spo2(84, 20),
        e: spo2(84, 50),
        f: spo2(85, 10, null),
      };
      const op = declarativeAlerts(parseRuleSet([{ ...base, forSeconds: 0, clearValue: 92 }]), {
        scheduler: s,
      });
      expectObservable(cold('abcdef|', values).pipe(op)).toBe('xycz-w|', {
        x: raised(['ox-p1:0'], { id: 'rule:spo2-low:ox-p1:0' }),
        y: raised(['ox-p2:0'], { id: 'rule:spo2-low:ox-p2:0', patientId: 'p2' }),
        c: expect.objectContaining({ type: 'alert-cleared', series: 'p1', alertId: 'rule:spo2-low:ox-p1:0' }),
        z: raised(['ox-p1:20'], { id: 'rule:spo2-low:ox-p1:20' }),
        w: expect.objectContaining({
          type: 'alert-raised',
          alert: expect.not.objectContaining({ patientId: expect.anything() }),
        }),
      });
    });
  });

  it('lets a patient rule override a ward rule override the rule for everyone', () => {
    const rules = [
      base,
      { ...base, value: 90, severity: 'medium', scope: { wardId: 'resp' } },
      { ...base, value: 85, severity: 'low', scope: { patientIds: ['p3'] } },
    ];
    const wards: Record<string, string> = { p2: 'resp', p3: 'resp' };
    run(
      rules,
      'abcdef|',
      {
        a: spo2(87, 0, 'p1'), // everyone: < 88 → raise
        b: spo2(89, 0, 'p2'), // ward resp: < 90 → raise
        c: spo2(87, 0, 'p3'), // patient p3: < 85 → no
        d: spo2(84, 1, 'p3'), // → raise, low
        e: spo2(89, 0, 'p4'), // no ward: < 88 → no
        f: spo2(89, 0, null), // no patient: everyone's rule → no
      },
      'ab-c--|',
      {
        a: raised(['ox-p1:0'], { severity: 'high' }),
        b: raised(['ox-p2:0'], { severity: 'medium' }),
        c: raised(['ox-p3:1'], { severity: 'low' }),
      },
      (r) => (r.patientId === undefined ? undefined : wards[r.patientId]),
    );
  });

  it('emits alerts valid against the core schema, with the readings of the episode capped', () => {
    const events: RuleEvent[] = [];
    const op = declarativeAlerts(parseRuleSet([{ ...base, forSeconds: 200, message: 'Oxygen low' }]), {
      clock: { now: () => 42 },
    });
    const readings = Array.from({ length: 201 }, (_, i) => spo2(80, i));
    op(from(readings)).subscribe((e) => events.push(e));
    expect(events).toHaveLength(1);
    const alert = Alert.parse((events[0] as { alert: unknown }).alert);
    expect(alert.readingIds).toHaveLength(MAX_ALERT_READING_IDS);
    expect(alert.readingIds.at(-1)).toBe('ox-p1:200');
    expect(alert).toMatchObject({ ts: 42, message: 'Oxygen low', metric: 'spo2', value: 80 });
  });

  it('ignores readings older than the last one of the series', () => {
    run([base], 'abc|', { a: spo2(80, 10), b: spo2(95, 5), c: spo2(95, 11) }, 'r-c|', {
      r: raised(['ox-p1:10']),
      c: cleared('p1', 'ox-p1:11'),
    });
  });

  it('evicts the least recently updated episode past maxSeries, reporting a raised one', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const op = declarativeAlerts(parseRuleSet([base]), { scheduler: s, maxSeries: 1 });
      const values = { a: spo2(80, 0, 'p1'), b: spo2(80, 0, 'p2'), c: spo2(80, 1, 'p1') };
      expectObservable(cold('ab----c---|', values).pipe(op)).toBe('a(eb)-(fc)|', {
        a: raised(['ox-p1:0']),
        e: {
          type: 'episode-evicted',
          ruleId: 'spo2-low',
          series: 'p1',
          alertId: 'rule:spo2-low:ox-p1:0',
          ts: 1,
        },
        b: raised(['ox-p2:0']),
        f: {
          type: 'episode-evicted',
          ruleId: 'spo2-low',
          series: 'p2',
          alertId: 'rule:spo2-low:ox-p2:0',
          ts: 6,
        },
        c: raised(['ox-p1:1']),
      });
    });
  });

  it('ignores readings of other metrics and passes errors and completion through', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const hr: Reading = { ...spo2(0, 0), metric: 'heart-rate', unit: '/min' };
      const op = declarativeAlerts(parseRuleSet([base]), { scheduler: s });
      expectObservable(cold('a#', { a: hr }).pipe(op)).toBe('-#');
    });
  });

  it('refuses bad options', () => {
    expect(() => declarativeAlerts([], { maxSeries: 0 })).toThrow(RangeError);
    expect(() => declarativeAlerts(parseRuleSet([{ ...base, scope: { wardId: 'w' } }]))).toThrow(
      /scoped to a ward; pass the "wardOf" option/,
    );
  });
});
