import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../src/hex.js';
import { ledgerKeyFromSeed } from '../src/key.js';
import { ed25519Sign, ed25519Verify } from '../src/signing.js';

interface Vector {
  readonly name: string;
  readonly secretKey: string;
  readonly publicKey: string;
  readonly message: string;
  readonly signature: string;
}

const file = JSON.parse(readFileSync(new URL('./vectors/rfc8032-ed25519.json', import.meta.url), 'utf8')) as {
  vectors: Vector[];
};

function bytes(hex: string): Uint8Array {
  return hex === '' ? new Uint8Array(0) : fromHex(hex, hex.length / 2, 'vector');
}

describe('Ed25519 signing primitive: RFC 8032 section 7.1 test vectors', () => {
  it('has the vectors', () => {
    expect(file.vectors.map((v) => v.name)).toEqual(['TEST 1', 'TEST 2', 'TEST 3']);
  });

  for (const v of file.vectors) {
    describe(v.name, () => {
      it('derives the public key from the secret key (ledgerKeyFromSeed)', () => {
        expect(toHex(ledgerKeyFromSeed(bytes(v.secretKey)).publicKey)).toBe(v.publicKey);
      });

      it('produces the exact signature', () => {
        expect(toHex(ed25519Sign(bytes(v.message), bytes(v.secretKey)))).toBe(v.signature);
      });

      it('verifies the signature, and rejects it for another message or a flipped bit', () => {
        const sig = bytes(v.signature);
        const pub = bytes(v.publicKey);
        expect(ed25519Verify(sig, bytes(v.message), pub)).toBe(true);
        expect(ed25519Verify(sig, Uint8Array.of(...bytes(v.message), 0), pub)).toBe(false);
        for (const bit of [0, 255, 256, 511]) {
          const flipped = Uint8Array.from(sig);
          flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
          expect(ed25519Verify(flipped, bytes(v.message), pub)).toBe(false);
        }
      });
    });
  }

  it('rejects a signature with S not reduced modulo L (no malleability)', () => {
    const v = file.vectors[0] as Vector;
    const sig = bytes(v.signature);
    // S' = S + L (little-endian): a different encoding of the same scalar; strict verifiers refuse it.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) + BigInt(sig[i] as number);
    let t = s + L;
    const malleated = Uint8Array.from(sig);
    for (let i = 32; i < 64; i++) {
      malleated[i] = Number(t & 0xffn);
      t >>= 8n;
    }
    expect(ed25519Verify(malleated, bytes(v.message), bytes(v.publicKey))).toBe(false);
  });
});
