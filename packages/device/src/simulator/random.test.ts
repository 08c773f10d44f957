import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derivedStream, seededRandom, seededStreams } from './random.js';

function sample(draw: () => number, n: number): { mean: number; variance: number } {
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sumSq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sumSq / n - mean * mean };
}

describe('seededStreams', () => {
  it('derives the same streams from the same seed and different ones from another seed', () => {
    const first = (seed: number) => seededStreams(seed, 3).map((g) => g.next());
    expect(first(42)).toEqual(first(42));
    expect(first(42)).not.toEqual(first(43));
  });

  it('mixes both 32-bit halves of a safe-integer seed', () => {
    const first = (seed: number) => seededStreams(seed, 1).map((g) => g.next());
    expect(first(2 ** 32 + 5)).not.toEqual(first(5));
    expect(first(-5)).not.toEqual(first(5));
    expect(first(Number.MAX_SAFE_INTEGER)).toEqual(first(Number.MAX_SAFE_INTEGER));
  });

  it('gives streams that differ from one another', () => {
    const outputs = seededStreams(7, 8).map((g) => [g.next(), g.next(), g.next()].join(','));
    expect(new Set(outputs).size).toBe(8);
  });

  it('rejects seeds that are not safe integers and bad counts', () => {
    expect(() => seededStreams(1.5, 1)).toThrow(RangeError);
    expect(() => seededStreams(2 ** 53, 1)).toThrow(/safe integer/);
    expect(() => seededStreams(1, -1)).toThrow(RangeError);
  });
});

describe('seededRandom', () => {
  it('draws uniform numbers in [0, 1) and integers in range', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: -50, max: 50 }),
        fc.integer({ min: 0, max: 50 }),
        (seed, lo, span) => {
          const [g] = seededStreams(seed, 1);
          const random = seededRandom(g as NonNullable<typeof g>);
          for (let i = 0; i < 50; i++) {
            const u = random.uniform();
            expect(u).toBeGreaterThanOrEqual(0);
            expect(u).toBeLessThan(1);
            const k = random.int(lo, lo + span);
            expect(Number.isInteger(k) && k >= lo && k <= lo + span).toBe(true);
          }
        },
      ),
    );
  });

  it('draws standard normals (mean 0, variance 1) for fixed seeds', () => {
    for (const seed of [1, 2, 3]) {
      const [g] = seededStreams(seed, 1);
      const random = seededRandom(g as NonNullable<typeof g>);
      const { mean, variance } = sample(random.normal, 40_000);
      // Standard errors: 0.005 for the mean, about 0.007 for the variance.
      expect(Math.abs(mean)).toBeLessThan(0.03);
      expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    }
  });

  it('keeps truncated normals inside their bounds (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 10, noNaN: true }),
        (seed, mean, sd, min, width) => {
          const [g] = seededStreams(seed, 1);
          const random = seededRandom(g as NonNullable<typeof g>);
          const x = random.truncatedNormal(mean, sd, min, min + width);
          expect(x).toBeGreaterThanOrEqual(min);
          expect(x).toBeLessThanOrEqual(min + width);
        },
      ),
    );
  });
});

describe('derivedStream', () => {
  it('gives the same stream for the same seed and path, another for any other seed or path', () => {
    const first = (seed: number, ...path: number[]) => {
      const g = derivedStream(seed, ...path);
      return [g.next(), g.next(), g.next()].join(',');
    };
    expect(first(42, 1, 7)).toBe(first(42, 1, 7));
    const variants = [
      first(42, 1, 7),
      first(43, 1, 7),
      first(42, 2, 7),
      first(42, 1, 8),
      first(42, 1),
      first(42, 1, 7, 0),
    ];
    expect(new Set(variants).size).toBe(variants.length);
    expect(first(2 ** 40 + 3, 1)).not.toBe(first(3, 1));
    const outputs = Array.from({ length: 2_000 }, (_, i) => first(9, 2, i));
    expect(new Set(outputs).size).toBe(2_000);
  });

  it('draws uniform numbers with the expected mean from neighbouring paths', () => {
    let sum = 0;
    for (let i = 0; i < 1_000; i++) sum += seededRandom(derivedStream(1, 2, i)).uniform();
    expect(Math.abs(sum / 1_000 - 0.5)).toBeLessThan(0.04);
  });

  it('rejects bad seeds and paths', () => {
    expect(() => derivedStream(1.5)).toThrow(RangeError);
    expect(() => derivedStream(1, 0.5)).toThrow(/stream path must be integers/);
  });
});
