import { utf8Encode } from '@healthit/core';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { leafHash, leafHashOfUtf8 } from './hash.js';
import { verifyInclusion } from './inclusion.js';
import { inclusionProofMatches, path, rootFromInclusionProof } from './rfc9162.js';
import { mthOfHashes, rootOfLeafStream } from './root.js';
import {
  sha256,
  sha256Into,
  sha256IntoPortable,
  sha256LeafOfUtf8,
  sha256LeafOfUtf8Portable,
  sha256Portable,
} from './sha256.js';

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);
}

describe('Merkle fast paths equal the reference paths (fast-check)', () => {
  it('sha256Into (native: latin1 digest copied; portable: noble) writes SHA-256 at the offset, also into its input', () => {
    for (const into of [sha256Into, sha256IntoPortable]) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(40), (data, offset) => {
          const out = new Uint8Array(offset + 40).fill(7);
          into(data, out, offset);
          expect(out.subarray(offset, offset + 32)).toEqual(sha256Portable(data));
          expect(out.subarray(0, offset).every((b) => b === 7)).toBe(true);
          expect(out.subarray(offset + 32).every((b) => b === 7)).toBe(true);
          if (data.length >= 32) {
            const copy = Uint8Array.from(data);
            into(copy, copy, 0); // digest computed before it is written
            expect(copy.subarray(0, 32)).toEqual(sha256Portable(data));
          }
        }),
        { numRuns: 300 },
      );
    }
  });

  it('the leaf hash of a text equals leafHash of its UTF-8 bytes (lone surrogates, long texts), native and portable', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: 'grapheme', minLength: 1400, maxLength: 1600 }),
      fc.constantFrom('', '\ud800', 'a\udc00b', '\u0000', 'é\u{1F600}'),
    );
    fc.assert(
      fc.property(text, (t) => {
        const expected = leafHash(utf8Encode(t));
        expect(sha256LeafOfUtf8(t)).toEqual(expected);
        expect(sha256LeafOfUtf8Portable(t)).toEqual(expected);
        expect(leafHashOfUtf8(t)).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });

  it('the streamed root equals the RFC 9162 recursion for every size up to 300', () => {
    fc.assert(
      fc.property(fc.array(hash32, { minLength: 1, maxLength: 300 }), (hashes) => {
        const expected = mthOfHashes(hashes, 0, hashes.length);
        expect(rootOfLeafStream(hashes.length, (i) => hashes[i] as Uint8Array)).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('the in-place inclusion check gives the verdict of rootFromInclusionProof, for true and forged proofs', () => {
    const arb = fc.integer({ min: 1, max: 600 }).chain((size) =>
      fc.record({
        size: fc.constant(size),
        index: fc.nat(size - 1),
        seed: fc.nat(),
        forge: fc.oneof(
          fc.constant({ type: 'none' as const }),
          fc.record({ type: fc.constant('bit' as const), at: fc.nat(), bit: fc.nat(255) }),
          fc.record({ type: fc.constant('index' as const), delta: fc.integer({ min: -3, max: 3 }) }),
          fc.record({ type: fc.constant('size' as const), delta: fc.integer({ min: -3, max: 3 }) }),
          fc.record({ type: fc.constant('drop' as const), at: fc.nat() }),
        ),
      }),
    );
    fc.assert(
      fc.property(arb, ({ size, index, seed, forge }) => {
        const leaves = Array.from({ length: size }, (_, i) =>
          sha256(Uint8Array.of(seed & 255, i & 255, i >> 8)),
        );
        const root = mthOfHashes(leaves, 0, size);
        let proof = path(index, size, (s, e) => mthOfHashes(leaves, s, e));
        let leaf = leaves[index] as Uint8Array;
        let i = index;
        let n = size;
        if (forge.type === 'bit') {
          const all = [leaf, ...proof].map((h) => Uint8Array.from(h));
          const target = all[forge.at % all.length] as Uint8Array;
          target[(forge.bit >> 3) % 32] = (target[(forge.bit >> 3) % 32] as number) ^ (1 << (forge.bit & 7));
          [leaf] = all as [Uint8Array];
          proof = all.slice(1);
        } else if (forge.type === 'index') i = Math.min(size - 1, Math.max(0, index + forge.delta));
        else if (forge.type === 'size') n = Math.max(i + 1, size + forge.delta);
        else if (forge.type === 'drop' && proof.length > 0) proof.splice(forge.at % proof.length, 1);
        const reference = sameBytes(rootFromInclusionProof(leaf, i, n, proof), root);
        expect(inclusionProofMatches(leaf, i, n, proof, root)).toBe(reference);
        // the public verifier adds the exact-length rule to the same verdict
        const expectedLength = path(i, n, () => root).length;
        expect(verifyInclusion(leaf, i, n, proof, root)).toBe(reference && proof.length === expectedLength);
        if (forge.type === 'none') expect(reference).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
