import { describe, expect, it } from 'vitest';
import { createTextMemo } from './text-memo.js';

describe('createTextMemo', () => {
  it('remembers recent strings and forgets the oldest within its bounds', () => {
    const memo = createTextMemo(8, 1000);
    for (let i = 0; i < 100; i++) memo.add(`text-${i}`);
    expect(memo.size).toBeLessThanOrEqual(8);
    expect(memo.has('text-99')).toBe(true);
    expect(memo.has('text-96')).toBe(true);
    expect(memo.has('text-0')).toBe(false);
  });

  it('bounds the characters held, and never keeps a string longer than half of them', () => {
    const memo = createTextMemo(1000, 100);
    memo.add('x'.repeat(51));
    expect(memo.has('x'.repeat(51))).toBe(false);
    for (let i = 0; i < 50; i++) memo.add(`${i}`.padStart(10, '0'));
    expect(memo.size * 10).toBeLessThanOrEqual(100);
    expect(memo.has('0000000049')).toBe(true);
  });

  it('refuses bounds that are not safe integers ≥ 2', () => {
    expect(() => createTextMemo(1, 10)).toThrow(RangeError);
    expect(() => createTextMemo(10, Number.NaN)).toThrow(RangeError);
  });
});
