import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  canonicalJsonPair,
  canonicalJsonReference,
  canonicalJsonStrict,
  isSortedPlainJson,
} from './canonical-json.js';

/** JSON values with unicode (lone surrogates included), integer-like and `__proto__` keys, -0. */
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('10', '9', '0', '__proto__', 'a', 'b', 'B', 'é', '\u{1F600}', 'signatures'),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string({ unit: 'binary', maxLength: 12 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -0, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 5 }),
  ),
})).value;

/** Values canonicalize accepts that are not plain JSON: undefined members, toJSON, class instances. */
class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}
const notPlain = fc.oneof(
  json.map((v) => ({ kept: v, dropped: undefined })),
  json.map((v) => ({ toJSON: () => v })),
  fc.tuple(fc.integer(), fc.integer()).map(([x, y]) => new Point(x, y)),
  json.map((v) => [v, undefined]),
);

function outcome(f: () => string | undefined): string {
  try {
    return `ok ${f()}`;
  } catch (error) {
    return `throws ${(error as Error).constructor.name}`;
  }
}

describe('canonicalJson fast path (fast-check)', () => {
  it('equals the canonicalize package on any JSON value, and the strict text exists for each', () => {
    fc.assert(
      fc.property(json, (value) => {
        const reference = canonicalJsonReference(value);
        expect(canonicalJson(value as never)).toBe(reference);
        expect(canonicalJsonStrict(value)).toBe(reference);
      }),
      { numRuns: 2000 },
    );
  });

  it('JSON.stringify is the canonical text exactly when isSortedPlainJson says so (members sorted)', () => {
    fc.assert(
      fc.property(json, (value) => {
        const sorted = JSON.parse(canonicalJsonReference(value) as string) as unknown;
        // JSON.parse of canonical text keeps canonical member order, except integer-like keys
        if (isSortedPlainJson(sorted)) expect(JSON.stringify(sorted)).toBe(canonicalJsonReference(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('anything else gives the same text or the same error as canonicalize; the strict text refuses it', () => {
    fc.assert(
      fc.property(notPlain, (value) => {
        expect(outcome(() => canonicalJson(value as never))).toBe(
          outcome(() => canonicalJsonReference(value)),
        );
        expect(canonicalJsonStrict(value)).toBeUndefined();
        expect(isSortedPlainJson(value)).toBe(false);
      }),
      { numRuns: 500 },
    );
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, { a: Number.NaN }]) {
      expect(outcome(() => canonicalJson(bad as never))).toBe(outcome(() => canonicalJsonReference(bad)));
    }
  });

  it('objects without a prototype are plain JSON too', () => {
    fc.assert(
      fc.property(json, (v) => {
        const bare = Object.assign(Object.create(null) as object, { v, a: 1 });
        expect(canonicalJsonStrict(bare)).toBe(canonicalJsonReference(bare));
      }),
      { numRuns: 200 },
    );
  });

  it('canonicalJsonPair gives the texts of the object with and without the member', () => {
    fc.assert(
      fc.property(fc.dictionary(key, json, { maxKeys: 6 }), key, (object, skip) => {
        const pair = canonicalJsonPair(object, skip);
        const { [skip]: _dropped, ...rest } = object;
        expect(pair).toEqual({ full: canonicalJsonReference(object), without: canonicalJsonReference(rest) });
      }),
      { numRuns: 1000 },
    );
  });
});
