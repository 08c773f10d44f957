import { JsonValue, type LedgerSink, type PatientId } from '@healthit/core';
import { recordingLedger } from '@healthit/core/testing';
import { lastValueFrom, Subject, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { alertEventToLedgerRecord, auditAlertEvents } from './audit.js';
import { createAlertManager } from './manager.js';
import type { AlertEvent } from './types.js';

const sink = (fail = false) => recordingLedger(fail ? { fail: new Error('disk full') } : {});

function lifecycle(): AlertEvent[] {
  const events: AlertEvent[] = [];
  const m = createAlertManager({ escalation: {}, clock: { now: () => 7 }, wardOf: () => 'ward-7' });
  m.events$.subscribe((e) => events.push(e));
  m.submit({
    alert: {
      id: 'a1',
      rule: 'news2',
      severity: 'high',
      message: 'NEWS2 7',
      ts: 1,
      patientId: 'p-1' as PatientId,
      readingIds: ['r1'],
    },
    route: ['rapid-response'],
  });
  m.acknowledge({ alertId: 'a1', principal: { id: 'dev', roles: ['device'], wards: [], patients: [] } });
  m.acknowledge({
    alertId: 'a1',
    principal: { id: 'nurse', roles: ['nurse'], wards: ['ward-7'], patients: [] },
  });
  m.resolve({
    alertId: 'a1',
    by: { id: 'nurse', roles: ['nurse'], wards: ['ward-7'], patients: [] },
    reason: 'seen',
  });
  m.submit({ nonsense: true });
  m.close();
  return events;
}

describe('alert audit records', () => {
  it('maps every event to a JSON ledger record naming who, what and the access decision', () => {
    const records = lifecycle().map(alertEventToLedgerRecord);
    expect(records.map((r) => (r.body as { event: string }).event)).toEqual([
      'alert.opened',
      'alert.acknowledge-denied',
      'alert.acknowledged',
      'alert.resolved',
      'alert.rejected',
    ]);
    for (const r of records) {
      expect(r.type).toBe('alert-event');
      expect(JsonValue.safeParse(r.body).success).toBe(true);
      expect(JSON.parse(JSON.stringify(r.body))).toEqual(r.body);
    }
    expect(records[1]?.body).toMatchObject({
      alertId: 'a1',
      decision: { allowed: false, principal: 'dev', action: 'alert.acknowledge' },
    });
    expect(records[3]?.body).toMatchObject({ alert: { resolved: { by: 'nurse', reason: 'seen' } } });
  });

  async function run(target: LedgerSink, events: readonly AlertEvent[], maxBatch: number) {
    const subject = new Subject<AlertEvent>();
    const out = lastValueFrom(subject.pipe(auditAlertEvents(target, { maxBatch, maxWaitMs: 10 }), toArray()));
    for (const e of events) subject.next(e);
    subject.complete();
    return out;
  }

  it('appends batches to a LedgerSink in order', async () => {
    const ok = sink();
    const outcomes = await run(ok, lifecycle(), 2);
    expect(outcomes.map((o) => o.type)).toEqual(['audited', 'audited', 'audited']);
    expect(ok.records.map((r) => (r.body as { event: string }).event)).toEqual([
      'alert.opened',
      'alert.acknowledge-denied',
      'alert.acknowledged',
      'alert.resolved',
      'alert.rejected',
    ]);
  });

  it('turns a failing ledger into audit-failed values with the records, not a stream error', async () => {
    const outcomes = await run(sink(true), lifecycle(), 10);
    expect(outcomes).toEqual([expect.objectContaining({ type: 'audit-failed', records: expect.any(Array) })]);
    expect(outcomes[0]?.type === 'audit-failed' && outcomes[0].records.length).toBe(5);
  });
});
