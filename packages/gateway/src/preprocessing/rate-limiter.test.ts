import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

describe('createRateLimiter', () => {
  it('admits a burst at once, then readingsPerSecond, and counts what it refuses', () => {
    const l = createRateLimiter({ readingsPerSecond: 10, burst: 3 });
    expect([0, 0, 0, 0].map(() => l.take('a', 1_000))).toEqual([true, true, true, false]);
    expect(l.take('a', 1_099)).toBe(false); // 0.99 of a token
    expect(l.take('a', 1_100)).toBe(true); // 100 ms = 1 token
    expect(l.take('a', 1_100)).toBe(false);
    expect(l.state('a')).toEqual({ limit: { readingsPerSecond: 10, burst: 3 }, dropped: 3, admitted: 4 });
    // A quiet spell refills up to the burst, not beyond.
    expect([0, 0, 0, 0].map(() => l.take('a', 60_000))).toEqual([true, true, true, false]);
    expect(l.state('zz')).toBeUndefined();
  });

  it('keeps devices apart, and takes a per-device limit (null: unlimited) when the device is first tracked', () => {
    const asked: string[] = [];
    const l = createRateLimiter({
      readingsPerSecond: 1,
      burst: 1,
      perDevice: (id) => {
        asked.push(id);
        return id === 'pump' ? null : id === 'ecg' ? { readingsPerSecond: 500, burst: 500 } : undefined;
      },
    });
    expect(l.take('a', 0)).toBe(true);
    expect(l.take('a', 0)).toBe(false);
    expect(l.take('b', 0)).toBe(true);
    for (let i = 0; i < 1_000; i++) expect(l.take('pump', 0)).toBe(true);
    let ecg = 0;
    for (let i = 0; i < 1_000; i++) if (l.take('ecg', 0)) ecg++;
    expect(ecg).toBe(500);
    expect(asked).toEqual(['a', 'b', 'pump', 'ecg']);
    expect(l.state('pump')).toEqual({ limit: null, dropped: 0, admitted: 1_000 });
  });

  it('refills nothing when the clock goes back, and counts from there', () => {
    const l = createRateLimiter({ readingsPerSecond: 1, burst: 1 });
    expect(l.take('a', 10_000)).toBe(true);
    expect(l.take('a', 5_000)).toBe(false);
    expect(l.take('a', 5_999)).toBe(false);
    expect(l.take('a', 6_000)).toBe(true);
  });

  it('is bounded: forgets the device heard from least recently, which returns with a full bucket', () => {
    const l = createRateLimiter({ readingsPerSecond: 1, burst: 1, maxDevices: 2 });
    l.take('a', 0);
    l.take('b', 0);
    l.take('a', 0);
    l.take('c', 0); // b forgotten
    expect(l.size).toBe(2);
    expect(l.state('b')).toBeUndefined();
    expect(l.take('b', 0)).toBe(true); // full bucket again (a forgotten now)
    expect(l.state('a')).toBeUndefined();
  });

  it('rejects bad limits with TypeError / RangeError', () => {
    expect(() => createRateLimiter({ readingsPerSecond: 0, burst: 1 })).toThrow(RangeError);
    expect(() => createRateLimiter({ readingsPerSecond: Number.POSITIVE_INFINITY, burst: 1 })).toThrow(
      RangeError,
    );
    expect(() => createRateLimiter({ readingsPerSecond: 1, burst: 0.5 })).toThrow(RangeError);
    expect(() => createRateLimiter({ readingsPerSecond: '1' as unknown as number, burst: 1 })).toThrow(
      TypeError,
    );
    expect(() => createRateLimiter({ readingsPerSecond: 1, burst: 1, maxDevices: 0 })).toThrow(RangeError);
    const l = createRateLimiter({
      readingsPerSecond: 1,
      burst: 1,
      perDevice: () => ({ readingsPerSecond: -1, burst: 1 }),
    });
    expect(() => l.take('a', 0)).toThrow(/perDevice\(a\)/);
  });

  const limit = fc.record({
    readingsPerSecond: fc.integer({ min: 1, max: 1_000 }),
    burst: fc.integer({ min: 1, max: 50 }),
  });
  /** Non-decreasing request times (ms). */
  const times = fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 200 }).map((gaps) => {
    let t = 0;
    return gaps.map((g) => (t += g));
  });

  it('property: over any span, a device is admitted at most burst + rate × span, and admitted + dropped = taken', () => {
    fc.assert(
      fc.property(limit, times, ({ readingsPerSecond, burst }, ts) => {
        const l = createRateLimiter({ readingsPerSecond, burst });
        const admittedAt = ts.filter((t) => l.take('d', t));
        for (let i = 0; i < admittedAt.length; i++) {
          for (let j = i; j < admittedAt.length; j++) {
            const span = (admittedAt[j] as number) - (admittedAt[i] as number);
            expect(j - i + 1).toBeLessThanOrEqual(burst + (readingsPerSecond * span) / 1_000);
          }
        }
        const s = l.state('d');
        expect((s?.admitted ?? 0) + (s?.dropped ?? 0)).toBe(ts.length);
        expect(s?.admitted).toBe(admittedAt.length);
      }),
    );
  });

  it('property: a device that keeps to its rate is never limited, whatever another device does', () => {
    fc.assert(
      fc.property(
        limit,
        fc.integer({ min: 1, max: 300 }),
        times,
        ({ readingsPerSecond, burst }, n, flood) => {
          const l = createRateLimiter({ readingsPerSecond, burst });
          const period = Math.ceil(1_000 / readingsPerSecond);
          // The honest device at exactly its rate, interleaved (by time) with any flood of the other.
          const honest = Array.from({ length: n }, (_, i) => i * period);
          const events = [
            ...honest.map((t) => ({ t, d: 'honest' })),
            ...flood.map((t) => ({ t, d: 'flood' })),
          ].sort((a, b) => a.t - b.t);
          for (const e of events) {
            const ok = l.take(e.d, e.t);
            if (e.d === 'honest') expect(ok).toBe(true);
          }
          expect(l.state('honest')?.dropped).toBe(0);
        },
      ),
    );
  });
});
