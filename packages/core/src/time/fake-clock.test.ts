import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../ports/clock.js';
import { createFakeClock } from './fake-clock.js';

describe('createFakeClock', () => {
  it('starts at 2024-01-01T00:00:00Z by default, or at the given time', () => {
    expect(createFakeClock().now()).toBe(Date.parse('2024-01-01T00:00:00Z'));
    expect(createFakeClock(0).now()).toBe(0);
    expect(createFakeClock(1_700_000_000_000).now()).toBe(1_700_000_000_000);
  });

  it('does not move by itself', async () => {
    const clock = createFakeClock(1000);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(clock.now()).toBe(1000);
  });

  it('set moves to a time, forwards or to the same time', () => {
    const clock = createFakeClock(1000);
    clock.set(5000);
    expect(clock.now()).toBe(5000);
    clock.set(5000);
    expect(clock.now()).toBe(5000);
  });

  it('set refuses to go backwards with a RangeError and keeps the time', () => {
    const clock = createFakeClock(5000);
    expect(() => clock.set(4999)).toThrow(RangeError);
    expect(() => clock.set(4999)).toThrow('FakeClock cannot go back from 5000 to 4999');
    expect(clock.now()).toBe(5000);
  });

  it('advance moves forward by a step, including 0', () => {
    const clock = createFakeClock(1000);
    clock.advance(250);
    clock.advance(0);
    clock.advance(750);
    expect(clock.now()).toBe(2000);
  });

  it('advance refuses a negative step with a RangeError and keeps the time', () => {
    const clock = createFakeClock(1000);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(-1)).toThrow('FakeClock cannot advance by a negative step (-1 ms)');
    expect(clock.now()).toBe(1000);
  });

  it('refuses non-finite times and steps, which would stop the clock for good', () => {
    const clock = createFakeClock(1000);
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clock.set(bad)).toThrow(RangeError);
      expect(() => clock.advance(bad)).toThrow(RangeError);
    }
    expect(clock.now()).toBe(1000);
    expect(() => createFakeClock(Number.NaN)).toThrow(RangeError);
  });

  it('is monotonic under any sequence of valid steps and ends at start + their sum', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 86_400_000 })), (steps) => {
        const clock = createFakeClock(0);
        let last = clock.now();
        for (const step of steps) {
          if (step % 2 === 0) clock.advance(step);
          else clock.set(clock.now() + step);
          expect(clock.now()).toBeGreaterThanOrEqual(last);
          last = clock.now();
        }
        expect(clock.now()).toBe(steps.reduce((a, b) => a + b, 0));
      }),
    );
  });

  it('keeps clocks independent', () => {
    const a = createFakeClock(0);
    const b = createFakeClock(0);
    a.advance(10);
    expect(b.now()).toBe(0);
  });
});

describe('systemClock', () => {
  it('reads Date.now()', () => {
    const before = Date.now();
    const now = systemClock.now();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
