import type { PatientId } from '@healthit/core';
import * as fc from 'fast-check';
import { Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { businessRules } from './engine.js';
import type { RuleEngineEvent } from './events.js';

const MIN = 60_000;
const FOR_MS = 30 * MIN;

/** Emits `values[i]` at virtual time `frames[i]` on the scheduler. */
function timed(s: TestScheduler, frames: readonly number[], values: readonly unknown[]): Observable<unknown> {
  return new Observable<unknown>((subscriber) => {
    const subs = frames.map((at, i) => s.schedule(() => subscriber.next(values[i]), at));
    return () => {
      for (const x of subs) x.unsubscribe();
    };
  });
}

/** Runs the engine in virtual time over items at the given times, until `horizon`; returns what it emitted. */
function runImpl(
  rules: unknown[],
  input: 'news2$' | 'heartbeats$',
  items: readonly { readonly at: number; readonly value: unknown }[],
  horizon: number,
): RuleEngineEvent[] {
  const s = new TestScheduler((a, e) => expect(a).toEqual(e));
  const out: RuleEngineEvent[] = [];
  s.run(() => {
    const source = timed(
      s,
      items.map((i) => i.at),
      items.map((i) => i.value),
    );
    const engine = businessRules({ ruleSets$: of({ rules }), [input]: source }, { scheduler: s });
    const sub = engine.events$.subscribe((e) => out.push(e));
    s.schedule(() => sub.unsubscribe(), horizon);
  });
  return out;
}

describe('business rule properties', () => {
  it('news2-sustained never fires before the score has held for its duration, and once per episode', () => {
    const step = fc.record({
      gap: fc.integer({ min: 1, max: 20 * MIN }),
      score: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let t = 0;
        const items = steps.map(({ gap, score }) => {
          t += gap;
          return {
            at: t,
            value: { type: 'news2-score', patientId: 'p-1' as PatientId, ts: t, score },
          };
        });
        const rule = { id: 'n', type: 'news2-sustained', minScore: 5, forMinutes: 30, severity: 'high' };
        const events = runImpl([rule], 'news2$', items, t + 2 * FOR_MS);
        const alerts = events.filter((e) => e.type === 'rule-alert');
        const episodes = new Set<number>();
        for (const a of alerts) {
          // The episode: from the first score ≥ 5 after the last score < 5 before the alert.
          const before = items.filter((i) => i.at <= a.ts);
          let start: number | undefined;
          for (const i of before) {
            const sc = (i.value as { score: number }).score;
            if (sc < 5) start = undefined;
            else start ??= i.at;
          }
          expect(start).toBeDefined();
          expect(a.ts - (start ?? 0)).toBeGreaterThanOrEqual(FOR_MS);
          expect(episodes.has(start ?? -1)).toBe(false);
          episodes.add(start ?? -1);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('device-offline fires exactly once per silence longer than its limit, never during activity', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 25 * MIN }), { minLength: 1, maxLength: 25 }),
        (gaps) => {
          let t = 0;
          const items = gaps.map((gap) => {
            t += gap;
            return { at: t, value: { type: 'heartbeat', deviceId: 'mon-1', ts: t } };
          });
          const rule = { id: 'off', type: 'device-offline', silenceMinutes: 10, severity: 'medium' };
          const horizon = t + 5 * MIN; // the last silence is shorter than the limit
          const alerts = runImpl([rule], 'heartbeats$', items, horizon).filter(
            (e) => e.type === 'rule-alert',
          );
          const silences = items.slice(1).filter((it, i) => it.at - items[i]!.at > 10 * MIN);
          expect(alerts).toHaveLength(silences.length);
          for (const a of alerts) {
            const last = items.filter((i) => i.at < a.ts).at(-1)!;
            expect(a.ts - last.at).toBe(10 * MIN);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
