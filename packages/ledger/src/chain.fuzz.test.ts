/**
 * Fuzzing `verifyChain`, the verifier of the hash-chained ledger that trusts nothing but the log's
 * public key. A six-entry log (as a third party downloads it: parsed JSON) is
 *
 * - mutated as JSON: entries deleted, duplicated, swapped, retyped, stringified, grown; indices,
 *   links, hashes, bodies and signatures changed; deep nesting (a member nested up to 50 000
 *   levels); or replaced by random JSON;
 * - or attacked with edits that keep every entry well-formed (reordered, deleted, duplicated, a hex
 *   digit changed, re-hashed, re-signed by another key), so that the link, hash and signature
 *   checks are reached;
 *
 * and verified with or without a known head (the genuine head, an earlier one, a forked or a longer
 * one, with or without the log id). Every input ends in a verified chain or a
 * `LedgerIntegrityError` naming the failed check; a chain that verifies must be exactly a prefix of
 * the genuine log, reaching any known head given.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deepJsonTextInside, jsonInputs } from '../../../test/fuzz/arbitraries.js';
import { fuzz, fuzzRuns, fuzzTimeout } from '../../../test/fuzz/fuzz.js';
import { ATTACKER, ledgerWith, rechain, WRITER } from '../test/fixtures.js';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, hashEntry, type LedgerEntry } from './entry.js';
import { LedgerIntegrityError } from './errors.js';
import { logIdOf } from './key.js';
import { type KnownHead, verifyChain } from './verify.js';

const RUNS = fuzzRuns(500); // up to six signatures checked per input
const { entries } = await ledgerWith(6);
const CHAIN = JSON.parse(JSON.stringify(entries)) as LedgerEntry[];
const at = (i: number): LedgerEntry => CHAIN[i] as LedgerEntry;
const LOG_ID = logIdOf(WRITER.publicKey);
/** Shorter chains too: every prefix of a valid chain is valid. */
const TEMPLATES = [CHAIN, CHAIN.slice(0, 2), []];

/** Known heads: genuine (full, earlier, with the log id), and ones the genuine log does not reach. */
const HEADS: readonly (KnownHead | undefined)[] = [
  undefined,
  { length: 6, head: at(5).entryHash },
  { length: 3, head: at(2).entryHash, logId: LOG_ID },
  { length: 0, head: GENESIS_HASH },
  { length: 4, head: 'f'.repeat(64) }, // a fork
  { length: 7, head: at(5).entryHash }, // longer than the log
  { length: 2, head: at(1).entryHash, logId: 'a'.repeat(64) }, // another log
];

/**
 * An attacker's edits that keep every entry well-formed, so that the checks after parsing are
 * reached: entries reordered, deleted or duplicated; a hex digit of a hash or signature changed to
 * another hex digit; a body edited and its `entryHash` recomputed (the old signature kept); the
 * log rebuilt from an entry on and signed by another key.
 */
const attacked: fc.Arbitrary<unknown[]> = fc
  .record({
    op: fc.constantFrom('swap', 'delete', 'duplicate', 'hex', 'rehash', 'rechain'),
    i: fc.nat({ max: 5 }),
    j: fc.nat({ max: 5 }),
    field: fc.constantFrom('prevHash', 'entryHash', 'signature'),
    pos: fc.nat({ max: 127 }),
    digit: fc.nat({ max: 15 }),
  })
  .map(({ op, i, j, field, pos, digit }) => {
    const log = CHAIN.map((e) => ({ ...e }));
    const e = log[i] as LedgerEntry;
    switch (op) {
      case 'swap':
        [log[i], log[j]] = [log[j] as LedgerEntry, e];
        return log;
      case 'delete':
        log.splice(i, 1);
        return log;
      case 'duplicate':
        log.splice(j, 0, { ...e });
        return log;
      case 'hex': {
        const text = e[field];
        const k = pos % text.length;
        log[i] = { ...e, [field]: text.slice(0, k) + digit.toString(16) + text.slice(k + 1) };
        return log;
      }
      case 'rehash': {
        const edited = { ...e, body: { ...(e.body as object), edited: digit } };
        log[i] = { ...edited, entryHash: hashEntry(edited) };
        return log;
      }
      default: {
        // rechain: edit entry i, then rebuild the log from it on and sign it with another key
        const edited = log.map((x, k) => (k === i ? { ...x, ts: x.ts + 1 + digit } : x));
        return rechain(edited, ATTACKER, i);
      }
    }
  })
  .map((log) => JSON.parse(JSON.stringify(log)) as unknown[]);

const same = (a: unknown, b: unknown): boolean => canonicalJson(a as never) === canonicalJson(b as never);

describe('hash-chain ledger fuzzing', () => {
  it(
    'verifyChain: a genuine prefix or a LedgerIntegrityError, with and without a known head',
    () => {
      const r = fuzz({
        name: 'ledger verifyChain (JSON log, known heads)',
        runs: RUNS,
        inputs: fc.record({
          log: fc.oneof(
            { arbitrary: jsonInputs(TEMPLATES), weight: 12 },
            { arbitrary: attacked, weight: 6 },
            {
              // a member nested up to 50 000 levels deep (parsed from text: too deep to build otherwise)
              arbitrary: deepJsonTextInside(TEMPLATES).map(
                (b) => JSON.parse(new TextDecoder().decode(b)) as unknown,
              ),
              weight: 1,
            },
          ),
          head: fc.oneof(
            { arbitrary: fc.constant(undefined), weight: 3 },
            { arbitrary: fc.constantFrom(...HEADS), weight: 2 },
          ),
        }),
        typed: (e) =>
          e instanceof LedgerIntegrityError && e.message.length > 0
            ? `LedgerIntegrityError ${e.code}/${e.reason}`
            : undefined,
        run: ({ log, head }) => {
          // the log as given: an array of entries (anything else is one entry)
          const given: unknown[] = Array.isArray(log) ? log : [log];
          const result = verifyChain(given, WRITER.publicKey, head === undefined ? {} : { knownHead: head });
          const fail = (why: string) => {
            throw new Error(`verifyChain accepted ${why}: ${JSON.stringify(given).slice(0, 300)}`);
          };
          if (result.length !== given.length) fail(`${given.length} entries as a chain of ${result.length}`);
          if (result.length > CHAIN.length) fail('a chain longer than the genuine log');
          for (let i = 0; i < given.length; i++) if (!same(given[i], CHAIN[i])) fail(`a changed entry ${i}`);
          const wantHead = result.length === 0 ? GENESIS_HASH : at(result.length - 1).entryHash;
          if (result.head !== wantHead) fail(`with head ${result.head}`);
          if (head !== undefined) {
            if (result.length < head.length) fail(`a log shorter than the known head of ${head.length}`);
            const reached = head.length === 0 ? GENESIS_HASH : at(head.length - 1).entryHash;
            if (head.head !== reached) fail('a log that forks from the known head');
            if (head.logId !== undefined && head.logId !== LOG_ID) fail('a known head of another log');
          }
          return head === undefined ? `verified ${result.length}` : `verified ${result.length} (known head)`;
        },
      });
      expect(r.outcomes['verified 6']).toBeGreaterThan(0);
      expect(r.rejected).toBeGreaterThan(r.runs / 2);
    },
    fuzzTimeout(3_000, RUNS),
  );
});
