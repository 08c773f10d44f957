import { deviceId, type Reading, readingId } from '@healthit/core';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { rateLimitReadings } from './rate-limit-readings.js';

const scheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

function reading(dev: string, seq: number): Reading {
  return {
    id: readingId(dev, seq),
    deviceId: deviceId(dev),
    metric: 'heart-rate',
    value: 70,
    unit: '/min',
    ts: seq,
    seq,
  };
}

describe('rateLimitReadings', () => {
  it('virtual time: admits the burst, then one reading per 1/rate; the refused come out as rate-limited with the running count; other devices unaffected', () => {
    const s = scheduler();
    s.run(({ cold, expectObservable }) => {
      // `a` floods (a reading per ms); `b` sends one every 10 ms. Limit: 100/s (1 per 10 ms), burst 2.
      const a = (n: number) => reading('a', n);
      const b = (n: number) => reading('b', n);
      const values = { a: a(1), c: a(2), d: a(3), e: a(4), f: b(1), g: b(2), h: a(5), i: a(6) };
      const input = cold('(acd)e 4ms f 4ms (ghi)|', values);
      const out = input.pipe(
        rateLimitReadings({ readingsPerSecond: 100, burst: 2, clock: { now: () => s.now() } }),
      );
      const limit = { readingsPerSecond: 100, burst: 2 };
      expectObservable(out).toBe('(ACD)E 4ms F 4ms (GHI)|', {
        A: { type: 'reading', reading: a(1) },
        C: { type: 'reading', reading: a(2) },
        D: { type: 'rate-limited', reading: a(3), limit, droppedTotal: 1 },
        E: { type: 'rate-limited', reading: a(4), limit, droppedTotal: 2 }, // 1 ms: a tenth of a token
        F: { type: 'reading', reading: b(1) },
        G: { type: 'reading', reading: b(2) },
        H: { type: 'reading', reading: a(5) }, // 10 ms after the burst: one token
        I: { type: 'rate-limited', reading: a(6), limit, droppedTotal: 3 },
      });
    });
  });

  it('validates its options when called', () => {
    expect(() => rateLimitReadings({ readingsPerSecond: 0, burst: 1 })).toThrow(RangeError);
  });
});
