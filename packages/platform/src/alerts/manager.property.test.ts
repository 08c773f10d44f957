import type { Alert, PatientId } from '@healthit/core';
import * as fc from 'fast-check';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { createAlertManager } from './manager.js';
import type { AlertEvent } from './types.js';

const alertOf = (id: string, patient: number, metric: 'spo2' | 'heart-rate'): Alert => ({
  id,
  rule: 'threshold:x',
  severity: 'high',
  message: 'm',
  ts: 0,
  patientId: `p-${patient}` as PatientId,
  metric,
  readingIds: [id],
});

describe('alert manager properties', () => {
  it('one unresolved alert per episode; every distinct occurrence counted exactly once', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('submit' as const),
        id: fc.integer({ min: 0, max: 40 }),
      }),
      fc.record({ kind: fc.constant('resolve' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const m = createAlertManager({ escalation: {}, clock: { now: () => 0 } });
        const accepted = new Set<string>();
        for (const o of ops) {
          if (o.kind === 'submit') {
            // An id always names the same alert (ids are stable); episodes: 3 patients x 2 metrics.
            const r = m.submit(alertOf(`a${o.id}`, o.id % 3, o.id % 2 === 0 ? 'spo2' : 'heart-rate'));
            if (r.ok && r.outcome !== 'redelivered') accepted.add(`a${o.id}`);
          } else {
            const open = m.query({ state: ['open', 'acknowledged'] });
            const target = open[o.pick % Math.max(1, open.length)];
            if (target !== undefined) m.resolve({ alertId: target.id, by: { system: 'p' }, reason: 'r' });
          }
        }
        const all = m.query({ limit: 10_000 });
        const unresolvedKeys = all.filter((a) => a.state !== 'resolved').map((a) => a.key);
        expect(new Set(unresolvedKeys).size).toBe(unresolvedKeys.length);
        expect(all.reduce((n, a) => n + a.occurrences, 0)).toBe(accepted.size);
        m.close();
      }),
    );
  });

  it('never escalates before the level is due, nor after acknowledgement', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 * 60_000 }),
        fc.option(fc.integer({ min: 0, max: 20 * 60_000 }), { nil: undefined }),
        (horizon, ackAt) => {
          const s = new TestScheduler((a, e) => expect(a).toEqual(e));
          const events: AlertEvent[] = [];
          s.run(() => {
            const m = createAlertManager({ scheduler: s, wardOf: () => 'w' });
            m.events$.subscribe((e) => events.push(e));
            m.submit(alertOf('a', 1, 'spo2'));
            if (ackAt !== undefined) {
              s.schedule(
                () =>
                  m.acknowledge({
                    alertId: 'a',
                    principal: { id: 'n', roles: ['nurse'], wards: ['w'], patients: [] },
                  }),
                ackAt,
              );
            }
            s.schedule(() => m.close(), horizon);
          });
          const steps = [2 * 60_000, 6 * 60_000];
          for (const e of events) {
            if (e.type !== 'alert.escalated') continue;
            expect(e.ts).toBe(steps[e.level - 1]);
            if (ackAt !== undefined) expect(e.ts).toBeLessThanOrEqual(ackAt);
          }
          const expectedLevels = steps.filter(
            (t) => t < horizon && (ackAt === undefined || t < ackAt),
          ).length;
          expect(events.filter((e) => e.type === 'alert.escalated').length).toBe(expectedLevels);
        },
      ),
    );
  });
});
