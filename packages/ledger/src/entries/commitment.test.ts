import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { COMMITMENT_DOMAIN, saltedCommitment, verifyCommitment } from './commitment.js';

const SALT = '5a'.repeat(32);

describe('saltedCommitment', () => {
  it('is SHA-256(domain || salt || RFC 8785 JSON of the value), recomputed with node:crypto', () => {
    const _value = { mrn: 'H-123', site: 'north' };
    const expected = createHash('sha256')
      .update(COMMITMENT_DOMAIN)
      .update(Buffer.from(SALT, 'hex'))
      .update('{"mrn":"H-123","site":"north"}')
      .digest('hex');
    expect(saltedCommitment({ site: 'north', mrn: 'H-123' }, SALT)).toEqual({
      commitment: expected,
      salt: SALT,
    });
    expect(COMMITMENT_DOMAIN).toBe('healthit-ledger-commitment/v1\n');
  });

  it('a fresh random 32-byte salt each time: the same value gives unlinkable commitments', () => {
    const a = saltedCommitment('patient-1');
    const b = saltedCommitment('patient-1');
    expect(a.salt).toMatch(/^[0-9a-f]{64}$/);
    expect(a.salt).not.toBe(b.salt);
    expect(a.commitment).not.toBe(b.commitment);
    expect(verifyCommitment('patient-1', a.salt, a.commitment)).toBe(true);
  });

  it('accepts the salt as bytes or hex alike', () => {
    expect(saltedCommitment('p', Buffer.from(SALT, 'hex'))).toEqual(saltedCommitment('p', SALT));
  });

  it('verifyCommitment is false for another value, salt or malformed input, and never throws', () => {
    const { commitment } = saltedCommitment('patient-1', SALT);
    expect(verifyCommitment('patient-2', SALT, commitment)).toBe(false);
    expect(verifyCommitment('patient-1', '5b'.repeat(32), commitment)).toBe(false);
    expect(verifyCommitment('patient-1', 'short', commitment)).toBe(false);
    expect(verifyCommitment('patient-1', SALT, commitment.toUpperCase())).toBe(false);
    expect(verifyCommitment('patient-1', SALT, 42 as unknown as string)).toBe(false);
  });

  it('rejects salts of the wrong length and values that are not JSON', () => {
    expect(() => saltedCommitment('p', new Uint8Array(16))).toThrow(RangeError);
    expect(() => saltedCommitment('p', 'ab')).toThrow(RangeError);
    expect(() => saltedCommitment(Number.NaN, SALT)).toThrow(TypeError);
  });
});
