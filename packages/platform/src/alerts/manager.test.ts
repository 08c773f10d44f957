import type { Alert, PatientId, Principal } from '@healthit/core';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createAlertManager } from './manager.js';
import { createInMemoryAlertStore } from './store.js';
import type { AlertEvent } from './types.js';

const MIN = 60_000;

function alert(id: string, over: Partial<Alert> = {}): Alert {
  return {
    id,
    rule: 'threshold:spo2-low',
    severity: 'high',
    message: 'SpO2 85 % for p-1 is below 88 %',
    ts: 0,
    patientId: 'p-1' as PatientId,
    metric: 'spo2',
    value: 85,
    readingIds: [`ox-1:${id}`],
    ...over,
  };
}

const nurse7: Principal = { id: 'nurse-ann', roles: ['nurse'], wards: ['ward-7'], patients: [] };
const nurse3: Principal = { id: 'nurse-bob', roles: ['nurse'], wards: ['ward-3'], patients: [] };
const gateway: Principal = { id: 'gw-1', roles: ['gateway'], wards: ['ward-7'], patients: [] };

const scheduler = () => new TestScheduler((a, e) => expect(a).toEqual(e));
const ev = (type: AlertEvent['type'], extra: Record<string, unknown> = {}) =>
  expect.objectContaining({ type, ...extra });
const rec = (extra: Record<string, unknown>) => expect.objectContaining(extra);

describe('alert manager: escalation (marbles, virtual time)', () => {
  it('escalates an unacknowledged high alert at 2 and 6 minutes, level by level', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const m = createAlertManager({ scheduler: s, wardOf: () => 'ward-7' });
      expectObservable(m.events$).toBe('o 119999ms a 239999ms b 239999ms |', {
        o: ev('alert.opened', { ts: 0, alert: rec({ state: 'open', ward: 'ward-7' }) }),
        a: ev('alert.escalated', { ts: 2 * MIN, level: 1, notify: ['charge-nurse'], openForMs: 2 * MIN }),
        b: ev('alert.escalated', { ts: 6 * MIN, level: 2, notify: ['rapid-response'] }),
      });
      m.connect(cold('a', { a: alert('a1') }), 'gateway:gw-1');
      s.schedule(() => m.close(), 10 * MIN);
    });
  });

  it('stops escalating once acknowledged by a nurse of the ward, recording who and when', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const m = createAlertManager({ scheduler: s, wardOf: () => 'ward-7' });
      expectObservable(m.events$).toBe('o 59999ms k 539999ms |', {
        o: ev('alert.opened'),
        k: ev('alert.acknowledged', {
          ts: MIN,
          alert: rec({
            state: 'acknowledged',
            acknowledged: { by: 'nurse-ann', at: MIN, rule: 'nurse-ward' },
          }),
          decision: rec({ allowed: true, rule: 'nurse-ward' }),
        }),
      });
      m.connect(cold('a', { a: alert('a1') }));
      s.schedule(() => m.acknowledge({ alertId: 'a1', principal: nurse7 }), MIN);
      s.schedule(() => m.close(), 10 * MIN);
    });
  });

  it('refuses acknowledgement outside the ward or by a machine, audits each denial, keeps escalating', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const m = createAlertManager({ scheduler: s, wardOf: () => 'ward-7' });
      expectObservable(m.events$).toBe('o 29999ms (dg) 89996ms e 59999ms |', {
        o: ev('alert.opened'),
        d: ev('alert.acknowledge-denied', {
          ts: 30_000,
          alertId: 'a1',
          decision: rec({
            allowed: false,
            principal: 'nurse-bob',
            resource: { ward: 'ward-7', patientId: 'p-1' },
          }),
        }),
        g: ev('alert.acknowledge-denied', { decision: rec({ principal: 'gw-1' }) }),
        e: ev('alert.escalated', { level: 1, ts: 2 * MIN }),
      });
      m.connect(cold('a', { a: alert('a1') }));
      s.schedule(() => {
        expect(m.acknowledge({ alertId: 'a1', principal: nurse3 })).toMatchObject({
          ok: false,
          reason: 'denied',
        });
        expect(m.acknowledge({ alertId: 'a1', principal: gateway })).toMatchObject({
          ok: false,
          reason: 'denied',
        });
      }, 30_000);
      s.schedule(() => m.close(), 3 * MIN);
    });
  });

  it('re-times escalation when a later occurrence raises the severity', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const m = createAlertManager({ scheduler: s });
      // medium escalates at 10 min; the high occurrence at 1 min makes it escalate at 2 min.
      expectObservable(m.events$).toBe('o 59999ms d 59999ms e 239999ms f 239999ms |', {
        o: ev('alert.opened', { alert: rec({ severity: 'medium' }) }),
        d: ev('alert.deduplicated', { alert: rec({ severity: 'high', occurrences: 2 }), occurrenceId: 'a2' }),
        e: ev('alert.escalated', { level: 1, ts: 2 * MIN }),
        f: ev('alert.escalated', { level: 2, ts: 6 * MIN }),
      });
      m.connect(cold('a 59999ms b', { a: alert('a1', { severity: 'medium' }), b: alert('a2') }));
      s.schedule(() => m.close(), 10 * MIN);
    });
  });

  it('uses a configured policy; severities without levels never escalate', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const m = createAlertManager({
        scheduler: s,
        escalation: { low: [{ afterMs: 1000, notify: ['x'] }] },
      });
      expectObservable(m.events$).toBe('(oO) 996ms e 1999ms |', {
        o: ev('alert.opened', { alertId: 'a1' }),
        O: ev('alert.opened', { alertId: 'b1' }),
        e: ev('alert.escalated', { alertId: 'b1', notify: ['x'] }),
      });
      m.connect(
        cold('(ab)', {
          a: alert('a1'),
          b: alert('b1', { severity: 'low', patientId: 'p-2' as PatientId }),
        }),
      );
      s.schedule(() => m.close(), 3000);
    });
  });
});

describe('alert manager: de-duplication and lifecycle', () => {
  it('folds the same episode into one alert with a count and last-seen time; a re-send changes nothing', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const m = createAlertManager({ scheduler: s, escalation: {} });
      expectObservable(m.events$).toBe('o 9ms d 9ms - 9ms D', {
        o: ev('alert.opened', { alertId: 'a1' }),
        d: ev('alert.deduplicated', {
          alertId: 'a1',
          ts: 10,
          alert: rec({ occurrences: 2, lastSeenAt: 10 }),
        }),
        D: ev('alert.deduplicated', {
          alertId: 'a1',
          ts: 30,
          alert: rec({ occurrences: 3, lastSeenAt: 30, openedAt: 0, alert: rec({ id: 'a4' }) }),
        }),
      });
      m.connect(
        cold('a 9ms b 9ms c 9ms d', { a: alert('a1'), b: alert('a2'), c: alert('a2'), d: alert('a4') }),
      );
    });
  });

  it('keeps episodes of other patients, metrics, rules and devices apart', () => {
    const m = createAlertManager({ escalation: {} });
    const outcomes = [
      alert('a1'),
      alert('a2', { patientId: 'p-2' as PatientId }),
      alert('a3', { metric: 'heart-rate' }),
      alert('a4', { rule: 'news2' }),
      alert('a5', { patientId: undefined, deviceId: 'dev-1' as Alert['deviceId'] }),
      alert('a6', { patientId: undefined, deviceId: 'dev-2' as Alert['deviceId'] }),
      alert('a7', { patientId: undefined, deviceId: 'dev-2' as Alert['deviceId'] }),
    ].map((a) => {
      const { patientId, ...rest } = a;
      return m.submit(patientId === undefined ? rest : a);
    });
    expect(outcomes.map((o) => (o.ok ? o.outcome : 'error'))).toEqual([
      'opened',
      'opened',
      'opened',
      'opened',
      'opened',
      'opened',
      'deduplicated',
    ]);
    m.close();
  });

  it('opens a new episode after resolution, and records who resolved it, when and why', () => {
    const s = scheduler();
    s.run(() => {
      const m = createAlertManager({ scheduler: s, wardOf: () => 'ward-7', escalation: {} });
      const events: AlertEvent[] = [];
      m.events$.subscribe((e) => events.push(e));
      m.submit(alert('a1'));
      s.schedule(() => {
        expect(m.resolve({ alertId: 'a1', by: nurse3, reason: 'x' })).toMatchObject({ reason: 'denied' });
        const r = m.resolve({ alertId: 'a1', by: nurse7, reason: 'oxygen started, SpO2 94 %' });
        expect(r).toMatchObject({ ok: true, changed: true });
        expect(m.resolve({ alertId: 'a1', by: nurse7, reason: 'again' })).toMatchObject({
          ok: true,
          changed: false,
        });
        expect(m.acknowledge({ alertId: 'a1', principal: nurse7 })).toMatchObject({
          reason: 'already-resolved',
        });
        expect(m.submit(alert('a2'))).toMatchObject({ ok: true, outcome: 'opened' });
        expect(m.submit(alert('a1'))).toMatchObject({ ok: true, outcome: 'redelivered' });
        expect(
          m.resolve({ alertId: 'a2', by: { system: 'rules' }, reason: 'condition cleared' }),
        ).toMatchObject({
          ok: true,
          alert: { resolved: { by: 'system:rules', at: 5000, reason: 'condition cleared' } },
        });
        expect(m.resolve({ alertId: 'nope', by: nurse7, reason: 'x' })).toMatchObject({
          reason: 'not-found',
        });
      }, 5000);
      s.flush();
      expect(events.map((e) => e.type)).toEqual([
        'alert.opened',
        'alert.resolve-denied',
        'alert.resolved',
        'alert.opened',
        'alert.resolved',
      ]);
      expect(m.get('a1')?.resolved).toEqual({
        by: 'nurse-ann',
        at: 5000,
        reason: 'oxygen started, SpO2 94 %',
      });
      m.close();
    });
  });

  it('turns bad input into alert.rejected events and keeps the source flowing', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const m = createAlertManager({ scheduler: s, escalation: {} });
      expectObservable(m.events$).toBe('abcd', {
        a: ev('alert.opened'),
        b: ev('alert.rejected', {
          error: expect.objectContaining({
            code: 'validation/invalid',
            message: expect.stringContaining('severity'),
          }),
          input: { id: 'x', severity: 'urgent' },
        }),
        c: ev('alert.rejected', {
          error: expect.objectContaining({ message: expect.stringContaining('route.0') }),
        }),
        d: ev('alert.opened', { alert: rec({ route: ['ward-7-nurses'], ward: 'ward-7' }) }),
      });
      m.connect(
        cold('abcd', {
          a: alert('a1'),
          b: { id: 'x', severity: 'urgent' },
          c: { alert: alert('a2', { patientId: 'p-2' as PatientId }), route: [' bad'] },
          d: {
            alert: alert('a3', { patientId: 'p-3' as PatientId }),
            route: ['ward-7-nurses'],
            ward: 'ward-7',
          },
        }),
      );
    });
  });

  it('reports a failing source once and keeps the manager running', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      const m = createAlertManager({ scheduler: s, escalation: {} });
      expectObservable(m.events$).toBe('a-r-b', {
        a: ev('alert.opened', { alertId: 'a1' }),
        r: ev('alert.rejected', {
          error: expect.objectContaining({ message: expect.stringContaining('"gw-9"') }),
        }),
        b: ev('alert.opened', { alertId: 'b1' }),
      });
      m.connect(cold('a-#', { a: alert('a1') }, new Error('uplink lost')), 'gw-9');
      m.connect(cold('----b', { b: alert('b1', { patientId: 'p-2' as PatientId }) }));
    });
  });

  it('refuses new alerts with buffer/overflow when the store is full of unresolved ones', () => {
    const m = createAlertManager({
      escalation: {},
      store: createInMemoryAlertStore({ capacity: 2 }),
      clock: { now: () => 0 },
    });
    const events: AlertEvent[] = [];
    m.events$.subscribe((e) => events.push(e));
    m.submit(alert('a1'));
    m.submit(alert('a2', { patientId: 'p-2' as PatientId }));
    const refused = m.submit(alert('a3', { patientId: 'p-3' as PatientId }));
    expect(refused).toMatchObject({ ok: false, error: { code: 'buffer/overflow' } });
    expect(events.at(-1)).toMatchObject({ type: 'alert.rejected', alertId: 'a3', input: { id: 'a3' } });
    // Occurrences of an open episode still fold in.
    expect(m.submit(alert('a4'))).toMatchObject({ ok: true, outcome: 'deduplicated' });
    m.resolve({ alertId: 'a1', by: { system: 'test' }, reason: 'done' });
    expect(m.submit(alert('a3', { patientId: 'p-3' as PatientId }))).toMatchObject({ outcome: 'opened' });
    expect(m.get('a1')).toBeUndefined();
    m.close();
    expect(m.submit(alert('a9'))).toMatchObject({ ok: false, error: { code: 'state/invalid' } });
  });

  it('answers history queries by patient, state, severity and time range', () => {
    let now = 0;
    const m = createAlertManager({ escalation: {}, clock: { now: () => now } });
    const p = (id: string) => id as PatientId;
    m.submit(alert('a1', { patientId: p('p-1'), severity: 'high' }));
    now = 100;
    m.submit(alert('a2', { patientId: p('p-2'), severity: 'medium' }));
    now = 200;
    m.submit(alert('a3', { patientId: p('p-1'), severity: 'low', metric: 'heart-rate' }));
    m.resolve({ alertId: 'a1', by: { system: 't' }, reason: 'ok' });
    const ids = (q: Parameters<typeof m.query>[0]) => m.query(q).map((a) => a.id);
    expect(ids({})).toEqual(['a1', 'a2', 'a3']);
    expect(ids({ patientId: 'p-1' })).toEqual(['a1', 'a3']);
    expect(ids({ state: 'open' })).toEqual(['a2', 'a3']);
    expect(ids({ state: ['resolved', 'acknowledged'] })).toEqual(['a1']);
    expect(ids({ severity: 'medium' })).toEqual(['a2']);
    expect(ids({ minSeverity: 'medium' })).toEqual(['a1', 'a2']);
    expect(ids({ from: 100, to: 200 })).toEqual(['a2']);
    expect(ids({ limit: 1 })).toEqual(['a1']);
    m.close();
  });
});
