import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../time/fake-clock.js';
import { createReplayGuard } from './replay-guard.js';

const T0 = Date.UTC(2026, 0, 1);

function guard(options: Partial<Parameters<typeof createReplayGuard>[0]> = {}) {
  const clock = createFakeClock(T0);
  return { clock, g: createReplayGuard({ maxAgeMs: 60_000, clock, ...options }) };
}

describe('createReplayGuard', () => {
  it('accepts each seq of a sender once, in order or reordered inside the window', () => {
    const { g } = guard({ window: 8 });
    expect([1, 2, 3, 5, 4].map((s) => g.check('mon-1', s, T0).ok)).toEqual([true, true, true, true, true]);
    expect(g.check('mon-2', 1, T0).ok).toBe(true); // senders are independent
  });

  it('attack: a replayed message → replay; one older than the window → too-old', () => {
    const { g } = guard({ window: 8 });
    for (const s of [1, 2, 3, 20]) g.check('mon-1', s, T0);
    expect(g.check('mon-1', 3, T0)).toEqual({ ok: false, reason: 'too-old' }); // 3 ≤ 20 − 8
    expect(g.check('mon-1', 20, T0)).toEqual({ ok: false, reason: 'replay' });
    expect(g.check('mon-1', 15, T0)).toEqual({ ok: true }); // reordered, inside the window
    expect(g.check('mon-1', 15, T0)).toEqual({ ok: false, reason: 'replay' });
  });

  it('attack: an expired message (older than maxAgeMs) or one from the future → expired / future', () => {
    const { g, clock } = guard({ maxAgeMs: 60_000, maxAheadMs: 5_000 });
    expect(g.check('mon-1', 1, T0 - 60_001)).toEqual({ ok: false, reason: 'expired' });
    expect(g.check('mon-1', 1, T0 + 5_001)).toEqual({ ok: false, reason: 'future' });
    expect(g.check('mon-1', 1, T0 - 60_000)).toEqual({ ok: true });
    clock.advance(120_000);
    expect(g.check('mon-1', 2, T0)).toEqual({ ok: false, reason: 'expired' }); // captured, replayed later
    expect(g.check('mon-1', Number.NaN, T0 + 120_000)).toEqual({ ok: false, reason: 'too-old' });
  });

  it('bounded: a forgotten sender’s old messages stay refused (expired), its newer ones pass', () => {
    const { g } = guard({ maxSenders: 2 });
    expect(g.check('a', 1, T0 - 10).ok).toBe(true);
    expect(g.check('b', 1, T0 - 5).ok).toBe(true);
    expect(g.check('c', 1, T0).ok).toBe(true); // evicts a (least recently heard)
    expect(g.senders).toBe(2);
    expect(g.check('a', 1, T0 - 10)).toEqual({ ok: false, reason: 'expired' }); // the replay of a's message
    expect(g.check('a', 2, T0 + 1).ok).toBe(true);
  });

  it('property: against a model (a set of accepted seqs per sender), no seq is ever accepted twice and every fresh seq within the window is accepted', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b'), fc.nat({ max: 200 })), { maxLength: 300 }),
        (events) => {
          const { g } = guard({ window: 16 });
          const seen = new Map<string, Set<number>>();
          const highest = new Map<string, number>();
          for (const [sender, seq] of events) {
            const set = seen.get(sender) ?? new Set<number>();
            const top = highest.get(sender) ?? -1;
            const verdict = g.check(sender, seq, T0);
            const fresh = !set.has(seq) && seq > top - 16;
            expect(verdict.ok).toBe(fresh);
            if (verdict.ok) {
              set.add(seq);
              seen.set(sender, set);
              highest.set(sender, Math.max(top, seq));
            }
          }
        },
      ),
    );
  });

  it('rejects invalid options', () => {
    expect(() => createReplayGuard({ maxAgeMs: 0 })).toThrow(RangeError);
    expect(() => createReplayGuard({ maxAgeMs: 1, window: 70_000 })).toThrow(/window/);
    expect(() => createReplayGuard({ maxAgeMs: 1, maxAheadMs: -1 })).toThrow(/maxAheadMs/);
  });
});
