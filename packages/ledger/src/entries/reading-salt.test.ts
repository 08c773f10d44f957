import { createHash, createHmac } from 'node:crypto';
import type { Reading } from '@healthit/core';
import { sampleReading } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../hex.js';
import { merkleRoot } from '../merkle/index.js';
import { readingBatchBody, readingLeaf, saltedReadingLeaf, verifyReadingBatchBody } from './reading-batch.js';
import { generateLeafKey, READING_SALT_DOMAIN, readingSalt, readingSalter } from './reading-salt.js';

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

function readings(n: number, deviceId = 'logger-7'): Reading[] {
  return Array.from({ length: n }, (_, i) => {
    const { patientId: _p, ...r } = sampleReading(i + 1, { deviceId: deviceId as Reading['deviceId'] });
    return r as Reading;
  });
}

/** The derivation written out with node:crypto alone, as the docs state it. */
function expectedSalt(key: Uint8Array, deviceId: string, seq: number): string {
  const deviceKey = createHmac('sha256', key).update(READING_SALT_DOMAIN).update(deviceId, 'utf8').digest();
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  return createHash('sha256').update(deviceKey).update(seqBytes).digest('hex');
}

describe('readingSalt', () => {
  it('is SHA-256(HMAC-SHA256(leafKey, domain ‖ device) ‖ u64be seq), checked against node:crypto (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
        fc.oneof(fc.nat({ max: 1000 }), fc.constant(2 ** 32), fc.constant(Number.MAX_SAFE_INTEGER)),
        (key, deviceId, seq) => {
          expect(readingSalt(key, { deviceId: deviceId as Reading['deviceId'], seq })).toBe(
            expectedSalt(key, deviceId, seq),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('differs per seq (also across 2^32), per device and per key; the same inputs give the same salt', () => {
    const r = { deviceId: 'logger-7' as Reading['deviceId'], seq: 1 };
    const salts = new Set([
      readingSalt(KEY, r),
      readingSalt(KEY, { ...r, seq: 2 }),
      readingSalt(KEY, { ...r, seq: 1 + 2 ** 32 }),
      readingSalt(KEY, { ...r, deviceId: 'logger-8' as Reading['deviceId'] }),
      readingSalt(OTHER_KEY, r),
    ]);
    expect(salts.size).toBe(5);
    expect(readingSalt(toHex(KEY), r)).toBe(readingSalt(KEY, r));
    expect(readingSalter(KEY, 'logger-7')(1)).toBe(readingSalt(KEY, r));
    expect(readingSalt(KEY, r)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a leaf key that is not 32 bytes / 64 hex characters', () => {
    const r = { deviceId: 'logger-7' as Reading['deviceId'], seq: 1 };
    expect(() => readingSalt(new Uint8Array(16), r)).toThrow(RangeError);
    expect(() => readingSalt('ab', r)).toThrow(RangeError);
  });

  it('generateLeafKey gives 32 fresh random bytes', () => {
    const a = generateLeafKey();
    expect(a).toHaveLength(32);
    expect(toHex(a)).not.toBe(toHex(generateLeafKey()));
  });
});

describe('salted reading batches', () => {
  it('the body says salted and its root is over {"reading":…,"salt":…} leaves; verify needs the key', () => {
    const rs = readings(9);
    const body = readingBatchBody([...rs].reverse(), { leafKey: KEY });
    expect(body.salted).toBe(true);
    const leaves = rs.map((r) => saltedReadingLeaf(r, readingSalt(KEY, r)));
    expect(body.root).toBe(toHex(merkleRoot(leaves)));
    const first = rs[0] as Reading;
    expect(new TextDecoder().decode(leaves[0])).toBe(
      `{"reading":${new TextDecoder().decode(readingLeaf(first))},"salt":"${readingSalt(KEY, first)}"}`,
    );
    expect(body.root).not.toBe(readingBatchBody(rs).root);
    expect(verifyReadingBatchBody(rs, body, undefined, KEY)).toBe(true);
    expect(verifyReadingBatchBody(rs, body)).toBe(false); // no key
    expect(verifyReadingBatchBody(rs, body, undefined, OTHER_KEY)).toBe(false);
    expect(verifyReadingBatchBody(rs, body, undefined, new Uint8Array(3))).toBe(false); // never throws
    const { salted: _s, ...unsaltedClaim } = body;
    expect(verifyReadingBatchBody(rs, unsaltedClaim, undefined, KEY)).toBe(false);
  });

  it('saltedReadingLeaf refuses a salt that is not 32 bytes / 64 lowercase hex', () => {
    const r = readings(1)[0] as Reading;
    expect(() => saltedReadingLeaf(r, 'AB'.repeat(32))).toThrow(RangeError);
    expect(() => saltedReadingLeaf(r, new Uint8Array(31))).toThrow(RangeError);
    expect(saltedReadingLeaf(r, new Uint8Array(32))).toEqual(saltedReadingLeaf(r, '00'.repeat(32)));
  });
});
