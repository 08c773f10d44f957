import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../hex.js';
import {
  sha256,
  sha256Backend,
  sha256Native,
  sha256Portable,
  sha256Prefixed,
  sha256PrefixedPortable,
} from './sha256.js';

const parts = fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 4 });

describe('sha256: native (node:crypto) and portable (@noble/hashes) agree', () => {
  it('uses node:crypto on Node, reached without a static import', () => {
    expect(sha256Backend).toBe('node:crypto');
    expect(sha256Native).toBeDefined();
    expect(sha256).toBe(sha256Native);
  });

  it('FIPS 180-2 vectors: "", "abc"', () => {
    for (const f of [sha256, sha256Portable]) {
      expect(toHex(f())).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
      expect(toHex(f(new TextEncoder().encode('abc')))).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
      expect(toHex(f(new TextEncoder().encode('a'), new TextEncoder().encode('bc')))).toBe(
        'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      );
    }
  });

  it('both give the same digest of random inputs split into random parts, as plain Uint8Arrays', () => {
    fc.assert(
      fc.property(parts, (ps) => {
        const native = (sha256Native as NonNullable<typeof sha256Native>)(...ps);
        expect(native.constructor).toBe(Uint8Array);
        expect(native).toEqual(sha256Portable(...ps));
      }),
      { numRuns: 300 },
    );
  });

  it('the prefixed fast paths (native scratch buffer, reused noble hasher) equal hashing the concatenation', () => {
    for (const prefixed of [sha256Prefixed, sha256PrefixedPortable])
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 255 }),
          fc.uint8Array({ maxLength: 6000 }),
          fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
          (prefix, data, more) => {
            const expected = sha256Portable(Uint8Array.of(prefix), data, more ?? new Uint8Array());
            expect(prefixed(prefix, data, more)).toEqual(expected);
            // a second call must not see leftovers of the first in the scratch buffer
            expect(prefixed(prefix, data.subarray(0, 3), undefined)).toEqual(
              sha256Portable(Uint8Array.of(prefix), data.subarray(0, 3)),
            );
          },
        ),
        { numRuns: 300 },
      );
  });

  it('results are independent copies (mutating one digest does not change the next)', () => {
    const a = sha256(Uint8Array.of(1));
    a.fill(0);
    expect(sha256(Uint8Array.of(1))).not.toEqual(a);
  });
});
