import { describe, expect, it } from 'vitest';
import { ATTACKER, ledgerWith, rechain, WRITER, withFields } from '../test/fixtures.js';
import { GENESIS_HASH, type LedgerEntry } from './entry.js';
import { type IntegrityReason, LedgerIntegrityError } from './errors.js';
import { toHex } from './hex.js';
import { createChainVerifier, verifyChain, verifyEntry } from './verify.js';

/** Runs `fn`, expecting a LedgerIntegrityError; returns it. */
function integrityError(fn: () => unknown): LedgerIntegrityError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(LedgerIntegrityError);
    return e as LedgerIntegrityError;
  }
  throw new Error('expected a LedgerIntegrityError, but verification passed');
}

function expectFailure(
  entries: readonly unknown[],
  want: { code: 'ledger/integrity' | 'ledger/signature'; reason: IntegrityReason; index: number },
  publicKey: Uint8Array | string = WRITER.publicKey,
): LedgerIntegrityError {
  const error = integrityError(() => verifyChain(entries, publicKey));
  expect({ code: error.code, reason: error.reason, index: error.index }).toEqual(want);
  expect(error.retryable).toBe(false);
  return error;
}

const { entries: chain } = await ledgerWith(6);
const at = (i: number): LedgerEntry => chain[i] as LedgerEntry;

describe('verifyChain: an untampered log', () => {
  it('verifies with only the public key (bytes or hex) and reports length and head', () => {
    const result = verifyChain(chain, WRITER.publicKey);
    expect(result).toEqual({ ok: true, length: 6, head: at(5).entryHash });
    expect(verifyChain(chain, toHex(WRITER.publicKey))).toEqual(result);
  });

  it('verifies entries that went through JSON (what a third party downloads)', () => {
    expect(verifyChain(JSON.parse(JSON.stringify(chain)), WRITER.publicKey).length).toBe(6);
  });

  it('verifies the empty log, whose head is 64 zeros', () => {
    expect(verifyChain([], WRITER.publicKey)).toEqual({ ok: true, length: 0, head: GENESIS_HASH });
  });

  it('links entry 0 to 64 zeros and each entry to the hash of the one before', () => {
    expect(at(0).prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < chain.length; i++) expect(at(i).prevHash).toBe(at(i - 1).entryHash);
  });
});

describe('verifyChain: the attacks it resists', () => {
  it('tampered body: detected as an entry-hash mismatch at that entry', () => {
    const tampered = chain.map((e, i) => (i === 3 ? withFields(e, { body: { n: 3, note: 'edited' } }) : e));
    const error = expectFailure(tampered, { code: 'ledger/integrity', reason: 'entry-hash', index: 3 });
    expect(error.actual).toBe(at(3).entryHash);
    expect(error.message).toMatch(/entry 3 .*altered/);
  });

  it('tampered body with a recomputed entryHash: the old signature does not cover the new hash', () => {
    const edited = withFields(at(2), { type: 'other-type' });
    const forgedHash = rechain([...chain.slice(0, 2), edited], ATTACKER, 2)[2] as LedgerEntry;
    const tampered = chain.map((e, i) =>
      i === 2 ? withFields(forgedHash, { signature: at(2).signature }) : e,
    );
    expectFailure(tampered, { code: 'ledger/signature', reason: 'signature', index: 2 });
  });

  it('tampered prevHash: detected as a broken link', () => {
    const tampered = chain.map((e, i) => (i === 4 ? withFields(e, { prevHash: at(2).entryHash }) : e));
    const error = expectFailure(tampered, { code: 'ledger/integrity', reason: 'prev-hash', index: 4 });
    expect(error.expected).toBe(at(3).entryHash);
    expect(error.actual).toBe(at(2).entryHash);
  });

  it('tampered ts or index: detected', () => {
    const ts = chain.map((e, i) => (i === 1 ? withFields(e, { ts: e.ts + 1 }) : e));
    expectFailure(ts, { code: 'ledger/integrity', reason: 'entry-hash', index: 1 });
    const index = chain.map((e, i) => (i === 1 ? withFields(e, { index: 7 }) : e));
    expectFailure(index, { code: 'ledger/integrity', reason: 'index', index: 1 });
  });

  it('reordered entries: detected at the first entry out of place', () => {
    const swapped = [at(0), at(1), at(3), at(2), at(4), at(5)];
    const error = expectFailure(swapped, { code: 'ledger/integrity', reason: 'index', index: 2 });
    expect(error.actual).toBe('3');
  });

  it('reordered entries with renumbered indices: the links and hashes no longer match', () => {
    const swapped = [at(0), at(1), withFields(at(3), { index: 2 }), withFields(at(2), { index: 3 })];
    expectFailure(swapped, { code: 'ledger/integrity', reason: 'prev-hash', index: 2 });
  });

  it('deleted entry in the middle: detected at the gap', () => {
    const deleted = chain.filter((_, i) => i !== 2);
    expectFailure(deleted, { code: 'ledger/integrity', reason: 'index', index: 2 });
  });

  it('deleted entry in the middle, later entries renumbered: the link to the deleted entry is missing', () => {
    const deleted = chain.filter((_, i) => i !== 2).map((e, i) => withFields(e, { index: i }));
    expectFailure(deleted, { code: 'ledger/integrity', reason: 'prev-hash', index: 2 });
  });

  it('truncated tail: NOT detected without a known head (documented limitation)', () => {
    // Every prefix of a valid chain is a valid chain.
    expect(verifyChain(chain.slice(0, 4), WRITER.publicKey)).toEqual({
      ok: true,
      length: 4,
      head: at(3).entryHash,
    });
  });

  it('truncated tail: detected against a known head (e.g. a receipt the verifier holds)', () => {
    const knownHead = { length: 6, head: at(5).entryHash, logId: WRITER.logId };
    const error = integrityError(() => verifyChain(chain.slice(0, 4), WRITER.publicKey, { knownHead }));
    expect({ code: error.code, reason: error.reason, index: error.index }).toEqual({
      code: 'ledger/integrity',
      reason: 'truncated',
      index: 5,
    });
    // A receipt of an earlier entry also detects cutting below it, and a longer log is fine.
    const receipt = { length: 3, head: at(2).entryHash };
    expect(
      integrityError(() => verifyChain(chain.slice(0, 2), WRITER.publicKey, { knownHead: receipt })).reason,
    ).toBe('truncated');
    expect(verifyChain(chain, WRITER.publicKey, { knownHead: receipt }).length).toBe(6);
  });

  it('truncated and re-extended by the writer key holder: a known head detects the fork', () => {
    // Someone with the key drops entries 4-5 and appends different ones: the chain itself is valid.
    const rewritten = rechain(
      [...chain.slice(0, 4), withFields(at(4), { body: 'rewritten' }), at(5)],
      WRITER,
      4,
    );
    expect(verifyChain(rewritten, WRITER.publicKey).length).toBe(6);
    const knownHead = { length: 5, head: at(4).entryHash };
    const error = integrityError(() => verifyChain(rewritten, WRITER.publicKey, { knownHead }));
    expect({ reason: error.reason, index: error.index, expected: error.expected }).toEqual({
      reason: 'fork',
      index: 4,
      expected: at(4).entryHash,
    });
  });

  it('forged signature: random bytes or one flipped bit are rejected', () => {
    const random = chain.map((e, i) => (i === 5 ? withFields(e, { signature: 'ab'.repeat(64) }) : e));
    expectFailure(random, { code: 'ledger/signature', reason: 'signature', index: 5 });
    const sig = at(0).signature;
    const flipped = `${sig.slice(0, 10)}${(Number.parseInt(sig[10] as string, 16) ^ 1).toString(16)}${sig.slice(11)}`;
    const oneBit = chain.map((e, i) => (i === 0 ? withFields(e, { signature: flipped }) : e));
    expectFailure(oneBit, { code: 'ledger/signature', reason: 'signature', index: 0 });
  });

  it('entry signed by another key: an attacker appends a well-linked entry with their own key', () => {
    const appended = rechain([...chain, withFields(at(5), { body: { injected: true } })], ATTACKER, 6);
    expect(appended[6]?.prevHash).toBe(at(5).entryHash);
    const error = expectFailure(appended, { code: 'ledger/signature', reason: 'signature', index: 6 });
    expect(error.message).toMatch(/forged or signed by another key/);
  });

  it('entry signed by another key: an attacker replaces a middle entry and re-signs everything after it', () => {
    const replaced = rechain(
      chain.map((e, i) => (i === 3 ? withFields(e, { body: 'replaced' }) : e)),
      ATTACKER,
      3,
    );
    expectFailure(replaced, { code: 'ledger/signature', reason: 'signature', index: 3 });
  });

  it('replaced public key: a whole log re-signed by another key verifies only under that key', () => {
    const forged = rechain(chain, ATTACKER);
    expect(verifyChain(forged, ATTACKER.publicKey).length).toBe(6);
    expectFailure(forged, { code: 'ledger/signature', reason: 'signature', index: 0 });
    const error = integrityError(() =>
      verifyChain(chain, WRITER.publicKey, {
        knownHead: { length: 6, head: at(5).entryHash, logId: ATTACKER.logId },
      }),
    );
    expect({ code: error.code, reason: error.reason, index: error.index }).toEqual({
      code: 'ledger/signature',
      reason: 'log-id',
      index: -1,
    });
  });

  it('malformed entries: missing members, extra members, wrong types are refused as malformed', () => {
    const { signature: _s, ...unsigned } = at(1);
    for (const bad of [unsigned, { ...at(1), extra: 1 }, { ...at(1), ts: '0' }, null, 'entry']) {
      const tampered = chain.map((e, i) => (i === 1 ? bad : e));
      const error = expectFailure(tampered, { code: 'ledger/integrity', reason: 'malformed', index: 1 });
      expect(error.cause).toBeDefined();
    }
  });
});

describe('verifyChain: arguments', () => {
  it('refuses a public key that is not an Ed25519 key, and a malformed known head', () => {
    expect(() => verifyChain(chain, new Uint8Array(31))).toThrow(RangeError);
    expect(() => verifyChain(chain, 'zz'.repeat(32))).toThrow(RangeError);
    expect(() => verifyChain(chain, 42 as unknown as string)).toThrow(TypeError);
    expect(() =>
      verifyChain(chain, WRITER.publicKey, { knownHead: { length: -1, head: GENESIS_HASH } }),
    ).toThrow(RangeError);
    expect(() =>
      verifyChain(chain, WRITER.publicKey, { knownHead: { length: 0, head: at(0).entryHash } }),
    ).toThrow(RangeError);
  });
});

describe('createChainVerifier and verifyEntry', () => {
  it('streams, and continues from a verified head', () => {
    const first = createChainVerifier(WRITER.publicKey);
    for (const e of chain.slice(0, 3)) first.push(e);
    const rest = createChainVerifier(WRITER.publicKey, { start: first.result() });
    for (const e of chain.slice(3)) rest.push(e);
    expect(rest.result()).toEqual(verifyChain(chain, WRITER.publicKey));
    expect(() => createChainVerifier(WRITER.publicKey, { start: first.result() }).push(at(4))).toThrow(
      LedgerIntegrityError,
    );
  });

  it('verifyEntry checks one entry against a receipt-holder’s key without its neighbours', () => {
    expect(verifyEntry(at(4), WRITER.publicKey)).toEqual(at(4));
    expect(() => verifyEntry(at(4), ATTACKER.publicKey)).toThrow(/signed by another key/);
    expect(() => verifyEntry(withFields(at(4), { body: 'x' }), WRITER.publicKey)).toThrow(/altered/);
    expect(() => verifyEntry(withFields(at(0), { prevHash: at(1).entryHash }), WRITER.publicKey)).toThrow(
      LedgerIntegrityError,
    );
  });
});
