import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from './canonical-json.js';
import { MAX_JSON_DEPTH, toJsonValue } from './json-value.js';

function issuesOf(input: unknown): { path: string; message: string }[] {
  const result = toJsonValue(input);
  if (result.ok) return [];
  return result.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('toJsonValue', () => {
  it('accepts plain JSON and returns an equal, independent copy', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'grapheme' }), (value) => {
        const result = toJsonValue(value);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect(canonicalJson(result.value)).toBe(canonicalJson(value as never));
        expect(result.value).toEqual(JSON.parse(JSON.stringify(value)));
        if (typeof value === 'object' && value !== null) expect(result.value).not.toBe(value);
      }),
    );
  });

  it('turns -0 into 0, as JSON writes it', () => {
    expect(toJsonValue({ z: -0 })).toEqual({ ok: true, value: { z: 0 } });
    const result = toJsonValue([-0]);
    expect(result.ok && Object.is((result.value as number[])[0], 0)).toBe(true);
  });

  it('refuses what has no single JSON meaning, with the path of each offender', () => {
    class Point {
      x = 1;
    }
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    // biome-ignore lint/suspicious/noSparseArray: a sparse array is what is being refused
    const sparse = [1, , 3];
    expect(issuesOf({ a: undefined })).toEqual([{ path: 'a', message: 'undefined is not a JSON value' }]);
    expect(issuesOf([1, Number.NaN, Number.NEGATIVE_INFINITY])).toEqual([
      { path: '1', message: 'NaN is not a JSON number' },
      { path: '2', message: '-Infinity is not a JSON number' },
    ]);
    expect(issuesOf({ d: new Date(0), p: new Point(), m: new Map() }).map((i) => i.path)).toEqual([
      'd',
      'p',
      'm',
    ]);
    expect(issuesOf({ f: () => 1, b: 1n, s: Symbol('x') }).map((i) => i.path)).toEqual(['f', 'b', 's']);
    expect(issuesOf(circular)).toEqual([{ path: 'self', message: 'circular reference' }]);
    expect(issuesOf(sparse)).toEqual([{ path: '1', message: 'sparse array hole is not a JSON value' }]);
    expect(issuesOf({ t: 'a\ud800b' })[0]?.path).toBe('t');
    expect(issuesOf({ '\udc00': 1 })[0]?.message).toMatch(/lone surrogate/);
    expect(issuesOf('\ud83d\ude00')).toEqual([]);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels`, () => {
    let deep: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) deep = [deep];
    expect(toJsonValue(deep).ok).toBe(true);
    expect(issuesOf([deep])[0]?.message).toMatch(/deeper than 64/);
  });
});
