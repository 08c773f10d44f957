import { p256 } from '@noble/curves/nist.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { es256Sign, es256Verify } from './es256.js';

describe('ES256', () => {
  it('node:crypto and @noble give the same verdict on valid, high-S, changed and foreign signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }).filter((k) => p256.utils.isValidSecretKey(k)),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(63),
        fc.boolean(),
        (secretKey, message, at, compressed) => {
          const publicKey = p256.getPublicKey(secretKey, compressed);
          const signature = es256Sign(message, secretKey);
          const sig = p256.Signature.fromBytes(signature);
          const highS = new p256.Signature(sig.r, p256.Point.CURVE().n - sig.s).toBytes();
          const changed = signature.slice();
          changed[at]! ^= 1;
          const other = p256.getPublicKey(new Uint8Array(32).fill(9));
          const cases: [Uint8Array, Uint8Array, boolean][] = [
            [signature, publicKey, true],
            [highS, publicKey, true],
            [changed, publicKey, false],
            [signature, other, false],
            [signature.subarray(1), publicKey, false],
            [signature, publicKey.subarray(1), false],
          ];
          for (const [s, k, expected] of cases) {
            expect(es256Verify(s, message, k, 'noble')).toBe(expected);
            expect(es256Verify(s, message, k, 'native')).toBe(expected);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
