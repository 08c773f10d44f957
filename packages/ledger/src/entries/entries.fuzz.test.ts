/**
 * Fuzzing the ledger entry decoders: `decodeEntry` (canonical bytes) and `parseEntry` (any JSON
 * value). Every input gives an entry or an `EntryError` — nothing else, in bounded time.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byteInputs, deepJsonText, jsonBytes, jsonInputs } from '../../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzTimeout } from '../../../../test/fuzz/fuzz.js';
import { BODIES, ORIGIN, signer, T0 } from '../../test/entries-fixtures.js';
import { decodeEntry, encodeEntry } from './codec.js';
import { type EntryKind, ZERO_HASH } from './index.js';
import { parseEntry } from './parse.js';
import { signEntry } from './signatures.js';

const ALICE = signer(1);
const entries = (Object.keys(BODIES) as EntryKind[]).map((kind, i) =>
  signEntry(
    {
      origin: ORIGIN,
      kind,
      stream: `device:d-${i}`,
      seq: i,
      prev: i === 0 ? ZERO_HASH : 'e'.repeat(64),
      ts: T0 + i,
      body: BODIES[kind],
    } as never,
    ALICE,
  ),
);
const encoded = entries.map((e) => encodeEntry(e));

describe('ledger entry fuzzing', () => {
  it(
    'decodeEntry: mutated canonical bytes, mutated JSON and random bytes give an entry or an EntryError',
    () => {
      const r = fuzz({
        name: 'ledger decodeEntry (bytes)',
        inputs: fc.oneof(
          { arbitrary: byteInputs(encoded), weight: 2 },
          { arbitrary: jsonInputs(entries).map(jsonBytes), weight: 2 },
          { arbitrary: deepJsonText, weight: 1 },
        ),
        run: (bytes) => {
          decodeEntry(bytes);
          return 'accepted';
        },
      });
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(2_000),
  );

  it(
    'parseEntry: mutated entries and random JSON give an entry or an EntryError',
    () => {
      const r = fuzz({
        name: 'ledger parseEntry (JSON value)',
        inputs: jsonInputs(entries),
        run: (value) => {
          parseEntry(value);
          return 'accepted';
        },
      });
      expect(r.returned).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(2_000),
  );
});
