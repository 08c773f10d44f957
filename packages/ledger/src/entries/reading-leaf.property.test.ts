import { METRICS, type Reading, Reading as ReadingSchema, utf8Encode, ValidationError } from '@healthit/core';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJsonReference } from '../canonical-json.js';
import { toHex } from '../hex.js';
import { merkleRoot } from '../merkle/index.js';
import { readingBatchRecord } from '../reading-batch.js';
import { readingBatchBody, readingLeaf } from './reading-batch.js';
import { isCertainlyReading, readingJson, readingText } from './reading-leaf.js';

const metric = fc.constantFrom(...(Object.keys(METRICS) as (keyof typeof METRICS)[]));
const validReading = fc
  .record(
    {
      deviceId: fc.constantFrom('oxi-7', 'bp.2', 'a'),
      patientId: fc.constantFrom('patient-42', 'p:1'),
      metric,
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      ts: fc.nat(4e12),
      seq: fc.nat(1e6),
      quality: fc.constantFrom('good', 'questionable', 'bad'),
      id: fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
    },
    { requiredKeys: ['deviceId', 'metric', 'value', 'ts', 'seq', 'id'] },
  )
  .map((r) => ({ ...r, unit: METRICS[r.metric].unit }) as Reading);

/** Values at and past every member's limits, and shapes the schema refuses. */
const edge = fc.constantFrom<unknown>(
  undefined,
  null,
  '',
  'x'.repeat(300),
  'x'.repeat(301),
  ' bad id',
  'é',
  -1,
  1.5,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  -0,
  'spo2',
  'no-such-metric',
  '%',
  'mm[Hg]',
  'kg',
  'good',
  'excellent',
  {},
  [],
);
const field = fc.constantFrom(
  'id',
  'deviceId',
  'patientId',
  'metric',
  'value',
  'unit',
  'ts',
  'seq',
  'quality',
  'extra',
);
const nearReading = fc.oneof(
  validReading,
  fc.tuple(validReading, field, edge).map(([r, k, v]) => ({ ...r, [k]: v })),
  fc.tuple(validReading, field).map(([r, k]) => {
    const { [k as keyof Reading]: _dropped, ...rest } = r;
    return rest;
  }),
  validReading.map((r) => Object.assign(Object.create({ inherited: 1 }) as object, r)),
  validReading.map((r) => Object.assign(Object.create(null) as object, r)),
);

describe('reading fast paths equal the schema and canonicalize (fast-check)', () => {
  it('isCertainlyReading never accepts what the Reading schema refuses, and accepts what it returns unchanged', () => {
    let accepted = 0;
    fc.assert(
      fc.property(nearReading, (value) => {
        const fast = isCertainlyReading(value);
        const parsed = ReadingSchema.safeParse(value);
        if (fast) {
          accepted++;
          expect(parsed.success).toBe(true);
          expect(canonicalJsonReference(parsed.data)).toBe(canonicalJsonReference({ ...(value as object) }));
        }
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(300); // the fast path is taken, not only refused
  });

  it('readingText is the RFC 8785 text of the reading (any field types, lone surrogates)', () => {
    fc.assert(
      fc.property(nearReading, (value) => {
        const r = value as Reading;
        let reference: string | undefined;
        try {
          reference = canonicalJsonReference(readingJson(r));
        } catch {
          expect(() => readingText(r)).toThrow();
          return;
        }
        expect(readingText(r)).toBe(reference);
        expect(readingLeaf(r)).toEqual(utf8Encode(reference as string));
      }),
      { numRuns: 2000 },
    );
  });

  it('readingBatchBody equals the schema + canonicalize + merkleRoot reference, error for error', () => {
    const batch = fc
      .array(nearReading, { minLength: 0, maxLength: 12 })
      .map((rs) =>
        rs.map((r, i) => (typeof r === 'object' && r !== null ? { ...r, deviceId: 'oxi-7', seq: i * 3 } : r)),
      );
    const reference = (readings: unknown[]) => {
      const parsed = ReadingSchema.array().min(1).max(100_000).safeParse(readings);
      if (!parsed.success) return 'invalid';
      const sorted = [...parsed.data].sort((a, b) => a.seq - b.seq);
      return toHex(
        merkleRoot(sorted.map((r) => utf8Encode(canonicalJsonReference(readingJson(r)) as string))),
      );
    };
    fc.assert(
      fc.property(batch, fc.boolean(), (readings, reverse) => {
        // no patient: a patient batch needs its commitment (tested in reading-batch.test.ts)
        const input = (reverse ? [...readings].reverse() : readings).map((r) => {
          if (typeof r !== 'object' || r === null) return r;
          const { patientId: _dropped, ...rest } = r as Reading;
          return rest;
        }) as unknown[];
        let actual: string;
        try {
          actual = readingBatchBody(input as Reading[]).root;
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          actual = 'invalid';
        }
        expect(actual).toBe(reference(input));
      }),
      { numRuns: 1000 },
    );
  });

  it('the v1 reading-batch digest equals SHA-256 of the canonicalize text of the sorted readings', () => {
    fc.assert(
      fc.property(fc.array(validReading, { minLength: 1, maxLength: 20 }), (readings) => {
        const distinct = readings.map((r, i) => ({ ...r, id: `${i}:${r.id}` }));
        const sorted = [...distinct].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const text = canonicalJsonReference(sorted.map(readingJson)) as string;
        expect(readingBatchRecord(distinct).body.digest).toBe(toHex(nobleSha256(utf8Encode(text))));
      }),
      { numRuns: 300 },
    );
  });
});
