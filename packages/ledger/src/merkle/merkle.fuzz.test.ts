/**
 * Fuzzing Merkle proof verification with arbitrary arguments: `verifyInclusion` and
 * `verifyConsistency` get valid proofs mutated (hashes flipped, dropped, duplicated, reordered,
 * wrong lengths, wrong types, indices and sizes off by one or absurd) and random values. They never
 * throw, and `true` only when the leaf really is in the tree with that root (or the old root's tree
 * really is a prefix of the new one's).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostileScalar } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { leafHash } from './hash.js';
import { consistencyProof, inclusionProof, merkleRoot, verifyConsistency, verifyInclusion } from './index.js';

const LEAVES = Array.from({ length: 37 }, (_, i) => new TextEncoder().encode(`leaf ${i}`));
const HASHES = LEAVES.map(leafHash);
const ROOTS = [new Uint8Array(0), ...LEAVES.map((_, i) => merkleRoot(LEAVES.slice(0, i + 1)))]; // ROOTS[n]: first n leaves

const hash32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
/** Anything in a proof's place: a real hash, a random one, the wrong length, or not bytes at all. */
const anyHash: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...HASHES, ...ROOTS.slice(1)),
  hash32,
  fc.uint8Array({ maxLength: 40 }),
  hostileScalar,
  fc.constant(new Uint16Array(16)),
  fc.constant(Array.from(new Uint8Array(32))),
);
/** A count: near the real ones, or absurd. */
const anyCount: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: -1, max: 40 }), weight: 6 },
  { arbitrary: hostileScalar, weight: 1 },
  { arbitrary: fc.constantFrom(2 ** 53 - 1, 2 ** 62, 1.5, Number.NaN, Infinity, 10n), weight: 1 },
);

/** A proof's hash list changed: an element replaced, dropped, duplicated or swapped, or not an array. */
function mutateProof(proof: readonly Uint8Array[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    fc.constant([...proof]),
    fc.record({ at: fc.nat(), h: anyHash }).map(({ at, h }) => {
      const p: unknown[] = [...proof];
      if (p.length > 0) p[at % p.length] = h;
      else p.push(h);
      return p;
    }),
    fc.nat().map((at) => proof.filter((_, i) => i !== at % Math.max(1, proof.length))),
    fc
      .nat()
      .map((at) => [
        ...proof.slice(0, at % (proof.length + 1)),
        proof[at % proof.length] ?? HASHES[0],
        ...proof.slice(at % (proof.length + 1)),
      ]),
    fc.nat().map((at) => [...proof].reverse().slice(at % 2)),
    fc.array(anyHash, { maxLength: 8 }),
    hostileScalar,
  );
}

const inclusionInputs = fc
  .record({ size: fc.integer({ min: 1, max: LEAVES.length }), at: fc.nat() })
  .chain(({ size, at }) => {
    const index = at % size;
    const proof = inclusionProof(LEAVES.slice(0, size), index);
    const right = {
      leaf: HASHES[index] as unknown,
      index: index as unknown,
      size: size as unknown,
      root: ROOTS[size] as unknown,
    };
    return fc.record({
      leaf: fc.oneof({ arbitrary: fc.constant(right.leaf), weight: 3 }, { arbitrary: anyHash, weight: 1 }),
      index: fc.oneof({ arbitrary: fc.constant(right.index), weight: 3 }, { arbitrary: anyCount, weight: 1 }),
      size: fc.oneof({ arbitrary: fc.constant(right.size), weight: 3 }, { arbitrary: anyCount, weight: 1 }),
      proof: fc.oneof(
        { arbitrary: fc.constant(proof as unknown), weight: 1 },
        { arbitrary: mutateProof(proof), weight: 3 },
      ),
      root: fc.oneof({ arbitrary: fc.constant(right.root), weight: 3 }, { arbitrary: anyHash, weight: 1 }),
    });
  });

const consistencyInputs = fc
  .record({ newSize: fc.integer({ min: 1, max: LEAVES.length }), at: fc.nat() })
  .chain(({ newSize, at }) => {
    const oldSize = 1 + (at % newSize);
    const proof = consistencyProof(LEAVES.slice(0, newSize), oldSize);
    return fc.record({
      oldSize: fc.oneof(
        { arbitrary: fc.constant(oldSize as unknown), weight: 3 },
        { arbitrary: anyCount, weight: 1 },
      ),
      newSize: fc.oneof(
        { arbitrary: fc.constant(newSize as unknown), weight: 3 },
        { arbitrary: anyCount, weight: 1 },
      ),
      oldRoot: fc.oneof(
        { arbitrary: fc.constant(ROOTS[oldSize] as unknown), weight: 3 },
        { arbitrary: anyHash, weight: 1 },
      ),
      newRoot: fc.oneof(
        { arbitrary: fc.constant(ROOTS[newSize] as unknown), weight: 3 },
        { arbitrary: anyHash, weight: 1 },
      ),
      proof: fc.oneof(
        { arbitrary: fc.constant(proof as unknown), weight: 1 },
        { arbitrary: mutateProof(proof), weight: 3 },
      ),
    });
  });

/**
 * The size of the tree prefix whose root `root` is, or -1. (RFC 9162 proofs bind the leaf and the
 * root, not the size: a checkpoint signs size and root together. So "right" means: the leaf really
 * is at that index of the tree with that root.)
 */
const sizeOfRoot = (root: unknown): number => ROOTS.findIndex((r, n) => n > 0 && sameBytes(root, r));

const sameBytes = (a: unknown, b: Uint8Array | undefined): boolean =>
  a instanceof Uint8Array && b !== undefined && a.length === b.length && a.every((x, i) => x === b[i]);

describe('Merkle proof verification fuzzing', () => {
  it(
    'verifyInclusion: any arguments give a boolean, true only for a right proof',
    () => {
      const r = fuzz({
        name: 'merkle verifyInclusion (arbitrary arguments)',
        inputs: inclusionInputs,
        typed: () => undefined, // documented never to throw
        run: ({ leaf, index, size, proof, root }) => {
          const ok = verifyInclusion(
            leaf as never,
            index as never,
            size as never,
            proof as never,
            root as never,
          );
          if (typeof ok !== 'boolean') throw new Error(`returned ${String(ok)}`);
          if (ok) {
            const right =
              typeof index === 'number' && sameBytes(leaf, HASHES[index]) && index < sizeOfRoot(root);
            if (!right) throw new Error('accepted an inclusion proof of a leaf that is not in the tree');
          }
          return ok ? 'valid' : 'invalid';
        },
      });
      expect(r.outcomes.valid).toBeGreaterThan(0);
      expect(r.outcomes.invalid).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(1_000),
  );

  it(
    'verifyConsistency: any arguments give a boolean, true only for a right proof',
    () => {
      const r = fuzz({
        name: 'merkle verifyConsistency (arbitrary arguments)',
        inputs: consistencyInputs,
        typed: () => undefined,
        run: ({ oldSize, newSize, oldRoot, newRoot, proof }) => {
          const ok = verifyConsistency(
            oldSize as never,
            newSize as never,
            oldRoot as never,
            newRoot as never,
            proof as never,
          );
          if (typeof ok !== 'boolean') throw new Error(`returned ${String(ok)}`);
          if (ok) {
            const right = sizeOfRoot(oldRoot) > 0 && sizeOfRoot(oldRoot) <= sizeOfRoot(newRoot);
            if (!right) throw new Error('accepted a consistency proof between trees that are not prefixes');
          }
          return ok ? 'valid' : 'invalid';
        },
      });
      expect(r.outcomes.valid).toBeGreaterThan(0);
      expect(r.outcomes.invalid).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(1_000),
  );
});
