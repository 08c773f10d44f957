import type { Reading, ReadingStore } from '@healthit/core';
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPgliteReadingStore } from '../pglite/index.js';
import { businessRules } from './engine.js';
import type { RuleEngineEvent } from './events.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2025, 0, 1);
const rule = {
  id: 'hf-weight-gain',
  type: 'weight-gain',
  conditionTag: 'heart-failure',
  gainKg: 2,
  windowDays: 3,
  severity: 'medium',
  route: ['ward-7-nurses', 'heart-failure-team'],
};

let seq = 0;
function weight(patient: string, day: number, value: number, unit = 'kg'): Reading {
  seq += 1;
  return {
    id: `scale-${patient}:${seq}`,
    deviceId: `scale-${patient}`,
    patientId: patient,
    metric: 'body-weight',
    value,
    unit,
    ts: T0 + day * DAY,
    seq,
  } as Reading;
}

const conditionsOf = async (p: string) => (p === 'p-hf' ? ['heart-failure', 'diabetes'] : ['diabetes']);

function engineOver(store: ReadingStore, maxPendingPerRule?: number) {
  const ruleSets$ = new Subject<unknown>();
  const readings$ = new Subject<unknown>();
  const events: RuleEngineEvent[] = [];
  const sub = businessRules(
    { ruleSets$, readings$ },
    {
      store,
      conditionsOf,
      wardOf: () => 'ward-7',
      clock: { now: () => T0 + 10 * DAY },
      ...(maxPendingPerRule === undefined ? {} : { maxPendingPerRule }),
    },
  ).events$.subscribe((e) => events.push(e));
  ruleSets$.next({ rules: [rule] });
  return { readings$, events, stop: () => sub.unsubscribe() };
}

const of = (events: RuleEngineEvent[], type: RuleEngineEvent['type']) =>
  events.filter((e) => e.type === type);

describe('weight-gain over stored history (PGlite in memory)', () => {
  let store: ReadingStore;
  beforeAll(async () => {
    store = await createPgliteReadingStore();
  }, 120_000);
  afterAll(async () => {
    await store?.close();
  });

  it('alerts when weight is up > 2 kg within 3 days for a heart-failure patient, once per episode', async () => {
    const history = [
      weight('p-hf', -6, 70), // outside the 3-day window
      weight('p-hf', 0, 80),
      weight('p-hf', 1, 81),
      weight('p-other', 0, 60),
      weight('p-other', 1, 61),
    ];
    await store.append(history);
    const { readings$, events, stop } = engineOver(store);
    const first = weight('p-hf', 2.5, 82.5); // 2.5 kg over day 0 (80 kg)
    readings$.next(first); // not yet stored: counted anyway
    readings$.next(weight('p-other', 1.5, 64)); // +4 kg, but no heart failure
    await vi.waitFor(() => expect(of(events, 'rule-alert')).toHaveLength(1));
    expect(of(events, 'rule-alert')[0]).toMatchObject({
      ruleId: 'hf-weight-gain',
      route: ['ward-7-nurses', 'heart-failure-team'],
      ward: 'ward-7',
      alert: {
        rule: 'business:hf-weight-gain',
        severity: 'medium',
        patientId: 'p-hf',
        metric: 'body-weight',
        value: 2.5,
        readingIds: [history[1]!.id, first.id],
      },
    });
    await store.append([first]);
    // Still up: same episode, no second alert. In pounds: 83 kg.
    const stillUp = weight('p-hf', 3, 83 / 0.45359237, '[lb_av]');
    readings$.next(stillUp);
    await store.append([stillUp]);
    // Day 6: the window (day 3..6) holds 83 kg; 82 kg is no gain: the episode ends.
    readings$.next(weight('p-hf', 6, 82));
    await vi.waitFor(() => expect(of(events, 'rule-cleared')).toHaveLength(1));
    expect(of(events, 'rule-alert')).toHaveLength(1);
    expect(of(events, 'evaluation-failed')).toHaveLength(0);
    stop();
  });

  it('reports a failing store as evaluation-failed and keeps evaluating', async () => {
    let fail = true;
    const flaky: ReadingStore = {
      ...store,
      query: (q) => (fail ? Promise.reject(new Error('connection reset')) : store.query(q)),
      append: (r) => store.append(r),
      count: () => store.count(),
      close: async () => undefined,
    };
    const { readings$, events, stop } = engineOver(flaky);
    readings$.next(weight('p-hf', 2.6, 83));
    await vi.waitFor(() => expect(of(events, 'evaluation-failed')).toHaveLength(1));
    expect(of(events, 'evaluation-failed')[0]).toMatchObject({
      ruleId: 'hf-weight-gain',
      error: { code: 'store/query-failed', message: expect.stringContaining('connection reset') },
    });
    fail = false;
    readings$.next({ not: 'a reading' });
    readings$.next(weight('p-hf', 2.7, 83));
    await vi.waitFor(() => expect(of(events, 'rule-alert')).toHaveLength(1));
    expect(of(events, 'input-rejected')[0]).toMatchObject({
      stream: 'readings',
      error: { code: 'validation/invalid' },
    });
    stop();
  });

  it('bounds waiting evaluations (reject-newest with buffer/overflow)', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const slow: ReadingStore = {
      ...store,
      query: async (q) => {
        await gate;
        return store.query(q);
      },
    };
    const { readings$, events, stop } = engineOver(slow, 2);
    for (let i = 0; i < 4; i++) readings$.next(weight('p-hf', 7 + i / 10, 80));
    expect(of(events, 'input-rejected').map((e) => e.type === 'input-rejected' && e.error.code)).toEqual([
      'buffer/overflow',
      'buffer/overflow',
    ]);
    release();
    stop();
  });
});
