import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { toHex } from './hex.js';
import { assertLedgerKey, generateLedgerKey, ledgerKeyFromSeed, logIdOf, toPublicKeyBytes } from './key.js';

describe('ledger keys', () => {
  it('logId is the hex SHA-256 of the raw public key', () => {
    const key = ledgerKeyFromSeed(new Uint8Array(32).fill(7));
    expect(key.logId).toBe(createHash('sha256').update(key.publicKey).digest('hex'));
    expect(logIdOf(key.publicKey)).toBe(key.logId);
    expect(logIdOf(toHex(key.publicKey))).toBe(key.logId);
  });

  it('the same seed gives the same key; the seed is copied', () => {
    const seed = new Uint8Array(32).fill(9);
    const a = ledgerKeyFromSeed(seed);
    seed.fill(0);
    const b = ledgerKeyFromSeed(new Uint8Array(32).fill(9));
    expect(a.publicKey).toEqual(b.publicKey);
    expect(a.secretKey).toEqual(new Uint8Array(32).fill(9));
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('generateLedgerKey gives fresh random keys', () => {
    const a = generateLedgerKey();
    const b = generateLedgerKey();
    expect(a.secretKey).toHaveLength(32);
    expect(a.publicKey).toHaveLength(32);
    expect(a.logId).not.toBe(b.logId);
  });

  it('refuses seeds of the wrong type or length, and public keys that are not curve points', () => {
    expect(() => ledgerKeyFromSeed('00'.repeat(32) as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => ledgerKeyFromSeed(new Uint8Array(31))).toThrow(RangeError);
    expect(() => toPublicKeyBytes(new Uint8Array(33))).toThrow(RangeError);
    // y = 2 is not the y-coordinate of a point on edwards25519.
    expect(() => toPublicKeyBytes(Uint8Array.of(2, ...new Uint8Array(31)))).toThrow(RangeError);
    expect(() => toPublicKeyBytes([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('assertLedgerKey refuses keys whose parts do not belong together', () => {
    const a = ledgerKeyFromSeed(new Uint8Array(32).fill(1));
    const b = ledgerKeyFromSeed(new Uint8Array(32).fill(2));
    expect(() => assertLedgerKey(a)).not.toThrow();
    expect(() => assertLedgerKey({ ...a, publicKey: b.publicKey })).toThrow(RangeError);
    expect(() => assertLedgerKey({ ...a, logId: b.logId })).toThrow(RangeError);
    expect(() => assertLedgerKey({ publicKey: a.publicKey } as never)).toThrow(TypeError);
  });
});
