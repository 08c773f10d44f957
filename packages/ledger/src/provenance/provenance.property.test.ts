import { type Reading, readingId } from '@healthit/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProvenanceBundle } from './bundle.js';
import { type AnchoredBundle, anchoredBundle } from './test-fixtures/bundle.js';
import { type VerifyProvenanceOptions, verifyProvenanceBundle } from './verify.js';

/** A random batch of one device: distinct seqs, any heart-rate values and times. */
const batchArb = fc
  .uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 40 })
  .chain((seqs) =>
    fc.tuple(
      fc.constant(seqs),
      fc.array(fc.double({ min: 20, max: 250, noNaN: true }), {
        minLength: seqs.length,
        maxLength: seqs.length,
      }),
      fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: seqs.length, maxLength: seqs.length }),
      fc.boolean(),
      fc.nat(),
    ),
  )
  .map(([seqs, values, times, withPatient, pick]) => {
    const batch = seqs.map(
      (seq, i): Reading =>
        ({
          id: readingId('mon-7', seq),
          deviceId: 'mon-7',
          ...(withPatient ? { patientId: 'patient-42' } : {}),
          metric: 'heart-rate',
          value: values[i],
          unit: '/min',
          ts: times[i],
          seq,
        }) as Reading,
    );
    return { batch, pick: pick % batch.length };
  });

describe('provenance: properties', () => {
  it('for any batch, the bundle of any of its readings verifies', async () => {
    await fc.assert(
      fc.asyncProperty(batchArb, async ({ batch, pick }) => {
        const a = await anchoredBundle({ batch, pick });
        try {
          const verdict = verifyProvenanceBundle(JSON.parse(JSON.stringify(a.bundle)), {
            logKey: a.stack.logVkey,
            witnesses: a.stack.witnessVkeys,
          });
          expect(verdict.ok).toBe(true);
          const sorted = [...batch].sort((x, y) => x.seq - y.seq);
          if (verdict.ok) expect(verdict.reading).toEqual(sorted[pick]);
        } finally {
          await a.stack.log.close();
        }
      }),
      { numRuns: 25 },
    );
  });

  describe('any single bit flip fails', () => {
    let a: AnchoredBundle;
    let trust: VerifyProvenanceOptions;
    let text: Uint8Array;

    beforeAll(async () => {
      a = await anchoredBundle({ size: 9, pick: 4, witnessCount: 2 });
      trust = { logKey: a.stack.logVkey, witnesses: a.stack.witnessVkeys };
      text = new TextEncoder().encode(JSON.stringify(a.bundle));
      expect(verifyProvenanceBundle(a.bundle, trust).ok).toBe(true);
    });
    afterAll(async () => {
      await a.stack.log.close();
    });

    /** True when the mutated JSON text is rejected: unparseable, or the verdict is a failure. */
    function rejected(bytes: Uint8Array): boolean {
      let value: unknown;
      try {
        value = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        return true;
      }
      return !verifyProvenanceBundle(value, trust).ok;
    }

    it('anywhere in the bundle JSON', () => {
      fc.assert(
        fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), (at, bit) => {
          const bytes = text.slice();
          const i = at % bytes.length;
          bytes[i] = (bytes[i] as number) ^ (1 << bit);
          expect(rejected(bytes)).toBe(true);
        }),
        { numRuns: 1500 },
      );
    });

    /** Every leaf value of the bundle with its path. */
    function leaves(
      value: unknown,
      path: (string | number)[] = [],
    ): { path: (string | number)[]; value: string | number }[] {
      if (typeof value === 'string' || typeof value === 'number') return [{ path, value }];
      if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
      if (typeof value === 'object' && value !== null) {
        return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
      }
      return [];
    }

    it('in any field, chosen field by field', () => {
      const fields = leaves(a.bundle);
      fc.assert(
        fc.property(fc.nat(fields.length - 1), fc.nat(), fc.integer({ min: 0, max: 7 }), (f, at, bit) => {
          const { path, value } = fields[f] as (typeof fields)[number];
          const json = new TextEncoder().encode(JSON.stringify(value));
          const i = at % json.length;
          json[i] = (json[i] as number) ^ (1 << bit);
          let mutated: unknown;
          try {
            mutated = JSON.parse(new TextDecoder().decode(json));
          } catch {
            return; // the bundle file would not parse: rejected
          }
          const copy = JSON.parse(JSON.stringify(a.bundle)) as ProvenanceBundle;
          let target = copy as unknown as Record<string | number, unknown>;
          for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
          target[path[path.length - 1] as string | number] = mutated;
          expect(verifyProvenanceBundle(copy, trust).ok).toBe(false);
        }),
        { numRuns: 1500 },
      );
    });
  });
});
