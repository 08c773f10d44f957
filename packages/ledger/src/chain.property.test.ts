import type { JsonValue, LedgerRecord } from '@healthit/core';
import { createFakeClock } from '@healthit/core/testing';
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WRITER } from '../test/fixtures.js';
import { canonicalJson } from './canonical-json.js';
import type { LedgerEntry } from './entry.js';
import { LedgerIntegrityError } from './errors.js';
import { createHashChainLedger } from './ledger.js';
import { verifyChain } from './verify.js';

const body = fc.jsonValue({ maxDepth: 3, stringUnit: 'grapheme' }) as fc.Arbitrary<JsonValue>;
const record: fc.Arbitrary<LedgerRecord> = fc.record({
  type: fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme' }),
  body,
});
/** A sequence of append calls, each with 0-4 records. */
const calls = fc.array(fc.array(record, { maxLength: 4 }), { maxLength: 6 });

async function appendAll(batches: readonly LedgerRecord[][]) {
  const clock = createFakeClock(Date.UTC(2025, 0, 1));
  const ledger = createHashChainLedger({ key: WRITER, clock });
  const receipts = [];
  for (const batch of batches) {
    receipts.push(...(await ledger.append(batch)));
    clock.advance(250);
  }
  return { ledger, receipts, entries: await ledger.entries() };
}

const hexDigit = (c: string, delta: number): string => ((Number.parseInt(c, 16) + delta) % 16).toString(16);

/** Changes one hex character of `hex` at `position` (mod its length) to another hex character. */
function flipHex(hex: string, position: number, delta: number): string {
  const p = position % hex.length;
  return `${hex.slice(0, p)}${hexDigit(hex[p] as string, delta)}${hex.slice(p + 1)}`;
}

type Tamper = (
  e: LedgerEntry,
  n: { position: number; delta: number; value: JsonValue; text: string },
) => unknown;

const tampers: Record<string, Tamper> = {
  index: (e, { delta }) => ({ ...e, index: e.index + delta }),
  prevHash: (e, { position, delta }) => ({ ...e, prevHash: flipHex(e.prevHash, position, delta) }),
  ts: (e, { delta }) => ({ ...e, ts: e.ts + delta }),
  type: (e, { text }) => ({ ...e, type: e.type === text ? `${text}!` : text }),
  body: (e, { value }) => ({
    ...e,
    body: canonicalJson(value) === canonicalJson(e.body) ? { was: e.body } : value,
  }),
  entryHash: (e, { position, delta }) => ({ ...e, entryHash: flipHex(e.entryHash, position, delta) }),
  signature: (e, { position, delta }) => ({ ...e, signature: flipHex(e.signature, position, delta) }),
  dropped: () => undefined,
};

describe('hash chain properties (fast-check)', () => {
  it('any sequence of appends verifies, with receipts matching the entries and bodies kept as JSON', async () => {
    await fc.assert(
      fc.asyncProperty(calls, async (batches) => {
        const { ledger, receipts, entries } = await appendAll(batches);
        const total = batches.reduce((n, b) => n + b.length, 0);
        const result = verifyChain(entries, WRITER.publicKey);
        expect(result.length).toBe(total);
        expect(result.head).toBe(total === 0 ? '0'.repeat(64) : receipts[total - 1]?.entryHash);
        expect(await ledger.head()).toEqual({ logId: WRITER.logId, length: total, head: result.head });
        expect(receipts.map((r) => [r.index, r.entryHash])).toEqual(
          entries.map((e) => [e.index, e.entryHash]),
        );
        const sent = batches.flat().map((r) => canonicalJson(r.body));
        expect(entries.map((e) => canonicalJson(e.body))).toEqual(sent);
        // What a third party downloads (JSON) verifies the same.
        expect(verifyChain(JSON.parse(JSON.stringify(entries)), WRITER.publicKey)).toEqual(result);
      }),
      { numRuns: 40 },
    );
  });

  it('any single-field tamper of any entry fails verification', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(record, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.constantFrom(...Object.keys(tampers)),
        fc.record({
          position: fc.nat(),
          delta: fc.integer({ min: 1, max: 15 }),
          value: body,
          text: fc.string({ minLength: 1, maxLength: 8 }),
        }),
        async (records, which, field, n) => {
          const { entries } = await appendAll([records]);
          const i = which % entries.length;
          const tampered = entries
            .map((e, k) => (k === i ? (tampers[field] as Tamper)(e, n) : e))
            .filter((e) => e !== undefined);
          if (field === 'dropped' && i === entries.length - 1) {
            // Dropping the last entry is truncation: detected only against a known head.
            const last = entries[i] as LedgerEntry;
            expect(() =>
              verifyChain(tampered, WRITER.publicKey, { knownHead: { length: i + 1, head: last.entryHash } }),
            ).toThrow(LedgerIntegrityError);
            return;
          }
          expect(() => verifyChain(tampered, WRITER.publicKey)).toThrow(LedgerIntegrityError);
        },
      ),
      { numRuns: 150 },
    );
  });
});
