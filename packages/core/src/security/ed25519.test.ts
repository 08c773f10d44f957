import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ed25519Sign,
  ed25519VerifyStrict,
  isStrictEd25519PublicKey,
  nativeEd25519Available,
} from './ed25519.js';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const P = 2n ** 255n - 19n;
const msg = new TextEncoder().encode('checkpoint');

const le = (b: Uint8Array): bigint => b.reduceRight((n, x) => (n << 8n) + BigInt(x), 0n);
const toLE = (n: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
};
const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => [...p]));
const challenge = (r: Uint8Array, a: Uint8Array, m: Uint8Array): bigint => le(sha512(cat(r, a, m))) % L;

/** A point of order 8 (generates the torsion subgroup). */
const T8 = Point.fromHex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a');
const TORSION = Array.from({ length: 8 }, (_, i) => T8.multiplyUnsafe(BigInt(i)));

function both(sig: Uint8Array, m: Uint8Array, pub: Uint8Array): { native: boolean; noble: boolean } {
  return {
    native: ed25519VerifyStrict(sig, m, pub, 'native'),
    noble: ed25519VerifyStrict(sig, m, pub, 'noble'),
  };
}

/** Signs as a key holder who knows scalar `a` of a (possibly crafted) public key `A`. */
function craftedSign(a: bigint, pub: Uint8Array, r: bigint, rTorsion = Point.ZERO): Uint8Array {
  const R = Point.BASE.multiply(r).add(rTorsion).toBytes();
  const s = (r + challenge(R, pub, msg) * a) % L;
  return cat(R, toLE(s));
}

describe('Ed25519: one RFC 8032 rule set, native (node:crypto) and noble agree', () => {
  it('native Ed25519 is found on Node through process.getBuiltinModule', () => {
    expect(nativeEd25519Available()).toBe(true);
  });

  const seed = new Uint8Array(32).fill(7);
  const pub = ed25519.getPublicKey(seed);
  const sig = ed25519Sign(msg, seed);

  it('control: both accept a valid signature', () => {
    expect(both(sig, msg, pub)).toEqual({ native: true, noble: true });
  });

  it('malleable signature: S + L and S + 2L (non-canonical S) rejected by both', () => {
    const s = le(sig.subarray(32));
    for (const k of [1n, 2n]) {
      expect(both(cat(sig.subarray(0, 32), toLE(s + k * L)), msg, pub)).toEqual({
        native: false,
        noble: false,
      });
    }
  });

  it('small-order public keys (all 8 torsion points) rejected by both, though plain OpenSSL accepts some', () => {
    for (const T of TORSION) {
      const A = T.toBytes();
      expect(isStrictEd25519PublicKey(A)).toBe(false);
      // With A of small order, [k]A vanishes whenever 8 | k: R = [s]B then verifies for cofactorless verifiers.
      for (let r = 1n; r < 400n; r++) {
        const R = Point.BASE.multiply(r).toBytes();
        if (challenge(R, A, msg) % 8n !== 0n) continue;
        expect(both(cat(R, toLE(r)), msg, A)).toEqual({ native: false, noble: false });
        break;
      }
    }
  });

  it('non-canonical public key encodings (y >= p) rejected by both', () => {
    for (const y of [P, P + 1n, P + 2n]) {
      const A = toLE(y);
      expect(isStrictEd25519PublicKey(A)).toBe(false);
      const R = Point.BASE.multiply(5n).toBytes();
      expect(both(cat(R, toLE(5n)), msg, A)).toEqual({ native: false, noble: false });
    }
  });

  it('mixed-order public key (aB + T): both reject, where noble alone accepts and OpenSSL alone does 1 time in 8', () => {
    const a = 987654321n;
    const A = Point.BASE.multiply(a).add(T8).toBytes();
    expect(isStrictEd25519PublicKey(A)).toBe(false);
    for (let r = 1n; r <= 16n; r++) {
      const crafted = craftedSign(a, A, r * 7919n);
      expect(ed25519.verify(crafted, msg, A, { zip215: false })).toBe(true); // control: bare noble accepts
      expect(both(crafted, msg, A)).toEqual({ native: false, noble: false });
    }
  });

  it('R with a torsion component (signer-made divergent signature) rejected by both', () => {
    const a = 5555n;
    const A = Point.BASE.multiply(a).toBytes();
    expect(isStrictEd25519PublicKey(A)).toBe(true);
    expect(both(craftedSign(a, A, 31n), msg, A)).toEqual({ native: true, noble: true }); // control
    for (const T of TORSION.slice(1)) {
      const crafted = craftedSign(a, A, 31n, T);
      expect(ed25519.verify(crafted, msg, A, { zip215: false })).toBe(true); // control: bare noble accepts
      expect(both(crafted, msg, A)).toEqual({ native: false, noble: false });
    }
  });

  it('non-canonical R encoding rejected by both', () => {
    // R = identity encoded as y = p + 1; any S.
    expect(both(cat(toLE(P + 1n), toLE(3n)), msg, pub)).toEqual({ native: false, noble: false });
  });

  it('wrong lengths and non-Uint8Array inputs give false, never a throw', () => {
    expect(ed25519VerifyStrict(sig.subarray(0, 63), msg, pub)).toBe(false);
    expect(ed25519VerifyStrict(sig, msg, pub.subarray(0, 31))).toBe(false);
    expect(ed25519VerifyStrict('x' as unknown as Uint8Array, msg, pub)).toBe(false);
  });

  it('property: on random keys, messages and bit flips, native and noble give the same verdict', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.option(fc.nat({ max: 511 }), { nil: undefined }),
        (sk, m, flip) => {
          const pk = ed25519.getPublicKey(sk);
          const s = ed25519Sign(m, sk);
          if (flip !== undefined) s[flip >> 3] = (s[flip >> 3] as number) ^ (1 << (flip & 7));
          const r = both(s, m, pk);
          expect(r.native).toBe(r.noble);
          expect(r.native).toBe(flip === undefined);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('Ed25519: the last-key shortcut never outlives the key bytes', () => {
  it('a key array changed in place, or another key, gets the verdict of its current bytes', () => {
    const a = ed25519.getPublicKey(new Uint8Array(32).fill(1));
    const b = ed25519.getPublicKey(new Uint8Array(32).fill(2));
    const sigA = ed25519Sign(msg, new Uint8Array(32).fill(1));
    const key = Uint8Array.from(a);
    expect(ed25519VerifyStrict(sigA, msg, key)).toBe(true);
    expect(ed25519VerifyStrict(sigA, msg, key)).toBe(true); // the shortcut
    key.set(b); // same array, other key
    expect(ed25519VerifyStrict(sigA, msg, key)).toBe(false);
    key.set(TORSION[1]?.toBytes() as Uint8Array); // same array, a small-order key
    expect(ed25519VerifyStrict(sigA, msg, key)).toBe(false);
    key.set(a);
    expect(ed25519VerifyStrict(sigA, msg, key)).toBe(true);
  });

  it('property: over random sequences of keys, arrays and edits, auto agrees with noble on every call', () => {
    const seeds = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
    const pubs = seeds.map((s) => ed25519.getPublicKey(s));
    const arrays = pubs.map((p) => Uint8Array.from(p));
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ array: fc.nat(2), signer: fc.nat(2), edit: fc.option(fc.nat(2), { nil: undefined }) }),
          {
            maxLength: 12,
          },
        ),
        (steps) => {
          for (const { array, signer, edit } of steps) {
            const key = arrays[array] as Uint8Array;
            if (edit !== undefined) key.set(pubs[edit] as Uint8Array);
            const sig = ed25519Sign(msg, seeds[signer] as Uint8Array);
            expect(ed25519VerifyStrict(sig, msg, key)).toBe(ed25519VerifyStrict(sig, msg, key, 'noble'));
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('ed25519Sign: native and noble', () => {
  it('give the same (deterministic RFC 8032) signature, which verifies (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 300 }),
        (seed, m) => {
          const native = ed25519Sign(m, seed, 'native');
          expect(native).toEqual(ed25519Sign(m, seed, 'noble'));
          expect(ed25519VerifyStrict(native, m, ed25519.getPublicKey(seed))).toBe(true);
        },
      ),
      { numRuns: 50 },
    );
  });
});
