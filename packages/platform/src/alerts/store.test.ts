import type { Alert, PatientId } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { createInMemoryAlertStore } from './store.js';
import { episodeKey, type ManagedAlert } from './types.js';

function record(id: string, over: Partial<ManagedAlert> = {}): ManagedAlert {
  const alert: Alert = {
    id,
    rule: 'r',
    severity: 'high',
    message: 'm',
    ts: 0,
    patientId: `p-${id}` as PatientId,
    readingIds: ['x'],
  };
  return {
    id,
    key: episodeKey(alert),
    state: 'open',
    alert,
    severity: 'high',
    route: [],
    source: 't',
    openedAt: 0,
    lastSeenAt: 0,
    occurrences: 1,
    escalationLevel: 0,
    ...over,
  };
}
const resolved = (id: string, at: number) =>
  record(id, { state: 'resolved', resolved: { by: 'x', at, reason: 'done' } });

describe('in-memory alert store', () => {
  it('drops resolved records after the retention period, never open ones', () => {
    let now = 0;
    const evicted: string[] = [];
    const store = createInMemoryAlertStore({
      retainResolvedMs: 1000,
      clock: { now: () => now },
      onEvict: (a, why) => evicted.push(`${a.id}:${why}`),
    });
    store.save(record('open-1'));
    store.save(resolved('r-1', 0));
    store.save(resolved('r-2', 500));
    now = 1200;
    expect(store.query({}).map((a) => a.id)).toEqual(['open-1', 'r-2']);
    now = 100_000;
    expect(store.query({}).map((a) => a.id)).toEqual(['open-1']);
    expect(evicted).toEqual(['r-1:expired', 'r-2:expired']);
    expect(store.size()).toEqual({ total: 1, unresolved: 1 });
  });

  it('makes room by dropping the earliest resolved record; refuses when all are unresolved', () => {
    const store = createInMemoryAlertStore({ capacity: 3, clock: { now: () => 0 } });
    store.save(resolved('r-1', 0));
    store.save(record('o-1'));
    store.save(record('o-2'));
    store.save(record('o-3'));
    expect(store.get('r-1')).toBeUndefined();
    expect(() => store.save(record('o-4'))).toThrow(expect.objectContaining({ code: 'buffer/overflow' }));
    // Updating a held record is always possible.
    store.save(record('o-3', { occurrences: 2 }));
    expect(store.get('o-3')?.occurrences).toBe(2);
    expect(store.findUnresolved(record('o-2').key)?.id).toBe('o-2');
    store.save(resolved('o-2', 0));
    expect(store.findUnresolved(record('o-2').key)).toBeUndefined();
  });

  it('validates its options', () => {
    expect(() => createInMemoryAlertStore({ capacity: 0 })).toThrow(RangeError);
    expect(() => createInMemoryAlertStore({ retainResolvedMs: -1 })).toThrow(RangeError);
  });
});
