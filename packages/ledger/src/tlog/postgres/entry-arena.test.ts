import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEntryArena } from './entry-arena.js';

describe('createEntryArena', () => {
  it('property: every pushed entry reads back unchanged, across chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 40_000 }), { maxLength: 60 }),
        (entries) => {
          const arena = createEntryArena();
          for (const e of entries) arena.push(e);
          expect(arena.length).toBe(entries.length);
          entries.forEach((e, i) => {
            expect(arena.get(i)).toEqual(e);
          });
          expect(arena.get(entries.length)).toBeUndefined();
          expect(arena.get(-1)).toBeUndefined();
          expect(arena.get(0.5)).toBeUndefined();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('copies what it is given and holds many small entries (index growth)', () => {
    const arena = createEntryArena();
    const input = new Uint8Array([1, 2, 3]);
    arena.push(input);
    input.fill(0);
    expect(arena.get(0)).toEqual(new Uint8Array([1, 2, 3]));
    for (let i = 1; i < 5_000; i++) arena.push(new Uint8Array([i & 0xff, i >> 8]));
    expect(arena.get(4_999)).toEqual(new Uint8Array([4_999 & 0xff, 4_999 >> 8]));
    expect(arena.get(1_024)).toEqual(new Uint8Array([0, 4]));
  });

  it('fills a largest entry exactly and refuses a larger one', () => {
    const arena = createEntryArena();
    arena.push(new Uint8Array(65_536).fill(7));
    arena.push(new Uint8Array([8]));
    expect(arena.get(0)?.length).toBe(65_536);
    expect(arena.get(1)).toEqual(new Uint8Array([8]));
    expect(() => arena.push(new Uint8Array(65_537))).toThrow(RangeError);
    expect(arena.length).toBe(2);
  });
});
