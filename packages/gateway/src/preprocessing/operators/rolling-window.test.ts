import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, medianAbsoluteDeviation, RollingWindow } from './rolling-window.js';

const naiveMedian = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 === 1 ? (s[n >> 1] as number) : (s[n / 2 - 1] as number) / 2 + (s[n / 2] as number) / 2;
};

describe('RollingWindow', () => {
  it('median of nothing is undefined; of an even count, the mean of the middle two', () => {
    expect(median([])).toBeUndefined();
    expect(medianAbsoluteDeviation([], 0)).toBeUndefined();
    expect(median([1, 2, 10, 11])).toBe(6);
    expect(median([1e308, 1e308])).toBe(1e308); // no overflow to Infinity
  });

  it('property: keeps the last `capacity` values sorted; median and MAD match a naive computation', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: 1, maxLength: 100 }),
        fc.integer({ min: 1, max: 15 }),
        (values, capacity) => {
          const w = new RollingWindow(capacity);
          values.forEach((v, i) => {
            w.push(v);
            const last = values.slice(Math.max(0, i + 1 - capacity), i + 1);
            expect(w.sorted).toEqual([...last].sort((a, b) => a - b));
            const m = naiveMedian(last);
            expect(w.median()).toBe(m);
            expect(medianAbsoluteDeviation(w.sorted, m)).toBe(naiveMedian(last.map((x) => Math.abs(x - m))));
          });
        },
      ),
    );
  });
});
