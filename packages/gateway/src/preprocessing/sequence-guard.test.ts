import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSequenceGuard, type SequenceVerdict } from './sequence-guard.js';

describe('createSequenceGuard', () => {
  it('accepts new and late seqs once; repeats are duplicates; seqs below the window are too old', () => {
    const g = createSequenceGuard({ window: 32 });
    expect(g.check('a', 1)).toBe('new');
    expect(g.check('a', 2)).toBe('new');
    expect(g.check('a', 2)).toBe('duplicate');
    expect(g.check('a', 1)).toBe('duplicate');
    expect(g.check('a', 5)).toBe('new');
    expect(g.check('a', 4)).toBe('late'); // arrived after 5, never seen: accepted
    expect(g.check('a', 4)).toBe('duplicate');
    expect(g.check('a', 3)).toBe('late');
    expect(g.highestSeq('a')).toBe(5);
    expect(g.check('a', 40)).toBe('new'); // the window is now 9…40
    expect(g.check('a', 8)).toBe('too-old');
    expect(g.check('a', 9)).toBe('late');
    expect(g.check('a', 5)).toBe('too-old');
    expect(g.check('b', 1)).toBe('new');
    expect(g.highestSeq('a')).toBe(40);
    expect(g.highestSeq('zz')).toBeUndefined();
  });

  it('forgets the seqs a jump leaves behind, also when the jump is smaller than the window', () => {
    const g = createSequenceGuard({ window: 64 });
    for (let s = 0; s < 64; s++) g.check('a', s);
    expect(g.check('a', 100)).toBe('new'); // window 37…100: 37…63 were seen, 64…99 were not
    expect(g.check('a', 40)).toBe('duplicate');
    expect(g.check('a', 70)).toBe('late');
    expect(g.check('a', 5000)).toBe('new');
    expect(g.check('a', 4990)).toBe('late');
    expect(g.check('a', 2 ** 45)).toBe('new'); // GATT receive-time seqs are this large
    expect(g.check('a', 2 ** 45 - 63)).toBe('late');
    expect(g.check('a', 2 ** 45 - 64)).toBe('too-old');
  });

  it('peek judges without recording; record accepts', () => {
    const g = createSequenceGuard();
    expect(g.peek('a', 3)).toBe('new');
    expect(g.size).toBe(0);
    g.record('a', 3);
    expect(g.peek('a', 3)).toBe('duplicate');
    expect(g.peek('a', 2)).toBe('late');
    expect(g.peek('a', 2)).toBe('late');
    g.record('a', 2);
    expect(g.check('a', 2)).toBe('duplicate');
    expect(g.size).toBe(1);
  });

  it('is bounded: forgets the device heard from least recently', () => {
    const g = createSequenceGuard({ maxDevices: 2 });
    g.check('a', 1);
    g.check('b', 1);
    g.check('a', 2);
    g.check('c', 1);
    expect(g.size).toBe(2);
    expect(g.check('b', 1)).toBe('new');
    expect(g.check('a', 2)).toBe('new'); // a was evicted when b came back
    // A reused slot starts empty.
    expect(g.check('c', 1)).toBe('new');
    expect(g.check('c', 0)).toBe('late');
  });

  it('grows its storage up to maxDevices and keeps every device apart', () => {
    const g = createSequenceGuard({ maxDevices: 500 });
    for (let d = 0; d < 500; d++) expect(g.check(`d${d}`, d)).toBe('new');
    for (let d = 0; d < 500; d++) expect(g.check(`d${d}`, d), `d${d}`).toBe('duplicate');
    expect(g.size).toBe(500);
  });

  it('rejects bad options and bad seqs', () => {
    expect(() => createSequenceGuard({ maxDevices: 0 })).toThrow(RangeError);
    expect(() => createSequenceGuard({ window: 100 })).toThrow(RangeError);
    expect(() => createSequenceGuard({ window: 0 })).toThrow(RangeError);
    expect(() => createSequenceGuard({ window: 2 ** 17 })).toThrow(RangeError);
    const g = createSequenceGuard();
    expect(() => g.check('a', -1)).toThrow(RangeError);
    expect(() => g.check('a', 1.5)).toThrow(RangeError);
  });

  /** The reference model: every seq ever accepted, and the highest. */
  function model(window: number) {
    const seen = new Map<string, { top: number; all: Set<number> }>();
    return (d: string, s: number): SequenceVerdict => {
      const m = seen.get(d);
      if (m === undefined) {
        seen.set(d, { top: s, all: new Set([s]) });
        return 'new';
      }
      if (s > m.top) {
        m.top = s;
        m.all.add(s);
        return 'new';
      }
      if (m.top - s >= window) return 'too-old';
      if (m.all.has(s)) return 'duplicate';
      m.all.add(s);
      return 'late';
    };
  }

  it('property: agrees with an unbounded model of every seq seen (any devices, any order)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(32, 64, 1024),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.nat(3000)), { maxLength: 300 }),
        (window, events) => {
          const g = createSequenceGuard({ window });
          const m = model(window);
          for (const [d, s] of events) expect(g.check(d, s)).toBe(m(d, s));
        },
      ),
    );
  });

  it('property: any permutation with repeats of a stream spanning less than the window — every distinct seq accepted exactly once', () => {
    fc.assert(
      fc.property(
        fc.nat(2 ** 40),
        fc.uniqueArray(fc.nat(1023), { minLength: 1, maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 100 }),
        fc.nat(),
        (base, offsets, repeats, seed) => {
          const distinct = offsets.map((o) => base + o);
          const stream = [...distinct, ...repeats.map((r) => distinct[r % distinct.length] as number)];
          // A deterministic shuffle from the seed.
          let x = seed || 1;
          for (let i = stream.length - 1; i > 0; i--) {
            x = (x * 1103515245 + 12345) % 2 ** 31;
            const j = x % (i + 1);
            [stream[i], stream[j]] = [stream[j] as number, stream[i] as number];
          }
          const g = createSequenceGuard({ window: 1024 });
          const accepted: number[] = [];
          const refused: SequenceVerdict[] = [];
          for (const s of stream) {
            const v = g.check('dev', s);
            if (v === 'new' || v === 'late') accepted.push(s);
            else refused.push(v);
          }
          expect([...accepted].sort((a, b) => a - b)).toEqual([...distinct].sort((a, b) => a - b));
          expect(refused.every((v) => v === 'duplicate')).toBe(true);
          expect(refused).toHaveLength(stream.length - distinct.length);
        },
      ),
    );
  });
});
