import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { utf8Encode } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { signer, unsigned } from '../../test/entries-fixtures.js';
import { canonicalJson } from '../canonical-json.js';
import { fromHex, toHex } from '../hex.js';
import { ed25519Sign } from '../signing.js';
import { entryHash, parseEntry } from './codec.js';
import type { Entry } from './entry.js';
import { EntryError, EntrySignatureError } from './errors.js';
import {
  assertEntrySignatures,
  ENTRY_SIGNING_DOMAIN,
  entrySigningMessage,
  keyIdOf,
  signEntry,
  verifyEntrySignatures,
} from './signatures.js';

const SENDER = signer(1, 'acme-pharma.shipping');
const RECEIVER = signer(2, 'fast-freight.dock');
const MALLORY = signer(3, 'mallory');
const KEYS = new Map([
  [SENDER.keyId, SENDER.publicKey],
  [RECEIVER.keyId, RECEIVER.publicKey],
]);
const transfer = unsigned('custody.transfer');
const signed = signEntry(signEntry(transfer, SENDER), RECEIVER);

function signatureError(fn: () => unknown): EntrySignatureError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EntrySignatureError) return e;
    throw e;
  }
  throw new Error('expected an EntrySignatureError');
}

const withSigs = (e: Entry, signatures: Entry['signatures']): Entry => ({ ...e, signatures }) as Entry;

/** Ed25519's group order L. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

describe('entry signatures', () => {
  it('the signing message is the domain tag followed by the canonical entry without signatures', () => {
    const { signatures: _s, ...rest } = signed;
    const expected = `${ENTRY_SIGNING_DOMAIN}${canonicalJson(rest as never)}`;
    expect(new TextDecoder().decode(entrySigningMessage(signed))).toBe(expected);
    expect(ENTRY_SIGNING_DOMAIN).toBe('healthit-ledger-entry/v2\n');
    expect(entrySigningMessage(signed)).toEqual(entrySigningMessage(transfer));
  });

  it('two parties sign in any order and get the same entry, signatures sorted', () => {
    expect(signEntry(signEntry(transfer, RECEIVER), SENDER)).toEqual(signed);
    expect(signed.signatures.map((s) => s.keyId)).toEqual(['acme-pharma.shipping', 'fast-freight.dock']);
    const report = assertEntrySignatures(signed, KEYS, {
      minSigners: 2,
      requiredKeyIds: [SENDER.keyId, RECEIVER.keyId],
    });
    expect(report).toEqual({
      ok: true,
      keyIds: [SENDER.keyId, RECEIVER.keyId],
      duplicates: [],
      failures: [],
    });
  });

  it('verifies with a lookup function and hex public keys too', () => {
    const lookup = (id: string) =>
      id === SENDER.keyId ? toHex(SENDER.publicKey) : id === RECEIVER.keyId ? RECEIVER.publicKey : undefined;
    expect(verifyEntrySignatures(signed, lookup).ok).toBe(true);
  });

  it('agrees with node:crypto (RFC 8032) on every signature', () => {
    const message = entrySigningMessage(signed);
    for (const { keyId, sig } of signed.signatures) {
      const raw = KEYS.get(keyId) as Uint8Array;
      const key = createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]),
        format: 'der',
        type: 'spki',
      });
      expect(nodeVerify(null, message, key, fromHex(sig, 64, 'sig'))).toBe(true);
    }
  });

  it('keyIdOf is the hex SHA-256 of the public key', () => {
    expect(keyIdOf(SENDER.publicKey)).toMatch(/^[0-9a-f]{64}$/);
    expect(keyIdOf(SENDER.publicKey)).not.toBe(keyIdOf(RECEIVER.publicKey));
  });

  it('refuses to sign twice with the same key id', () => {
    expect(() => signEntry(signed, SENDER)).toThrow(/already signed/);
  });

  describe('attacks', () => {
    it('bad signature: one flipped bit', () => {
      const [first, second] = signed.signatures;
      const sig = fromHex(first?.sig ?? '', 64, 'sig');
      sig[10] = (sig[10] as number) ^ 1;
      const forged = withSigs(signed, [{ keyId: SENDER.keyId, sig: toHex(sig) }, second as never]);
      const report = verifyEntrySignatures(forged, KEYS);
      expect(report.ok).toBe(false);
      expect(report.failures).toEqual([{ index: 0, keyId: SENDER.keyId, reason: 'bad-signature' }]);
      expect(report.keyIds).toEqual([RECEIVER.keyId]);
      const e = signatureError(() => assertEntrySignatures(forged, KEYS));
      expect(e.reason).toBe('bad-signature');
      expect(e.code).toBe('ledger/signature');
      expect(e.message).toContain(SENDER.keyId);
    });

    it('bad signature: the entry was changed after signing', () => {
      const changed = parseEntry({ ...signed, body: { ...signed.body, to: 'mallory-logistics' } });
      const report = verifyEntrySignatures(changed, KEYS);
      expect(report.failures.map((f) => f.reason)).toEqual(['bad-signature', 'bad-signature']);
      expect(entryHash(changed)).not.toBe(entryHash(signed));
    });

    it('bad signature: a signature moved from another entry, or claimed under another key id', () => {
      const other = signEntry(unsigned('custody.transfer', { seq: 1, prev: entryHash(signed) }), SENDER);
      expect(verifyEntrySignatures(withSigs(signed, other.signatures), KEYS).failures[0]?.reason).toBe(
        'bad-signature',
      );
      const relabelled = withSigs(signed, [{ keyId: RECEIVER.keyId, sig: signed.signatures[0]?.sig ?? '' }]);
      expect(verifyEntrySignatures(relabelled, KEYS).failures[0]?.reason).toBe('bad-signature');
    });

    it('unknown key id: rejected with its reason, even next to valid signatures', () => {
      const withMallory = signEntry(signed, MALLORY);
      const report = verifyEntrySignatures(withMallory, KEYS);
      expect(report.ok).toBe(false);
      expect(report.failures).toEqual([{ index: 2, keyId: 'mallory', reason: 'unknown-key' }]);
      expect(signatureError(() => assertEntrySignatures(withMallory, KEYS)).reason).toBe('unknown-key');
    });

    it('duplicated signature: the same key twice counts once and is reported', () => {
      const first = signed.signatures[0] as Entry['signatures'][number];
      const dup = withSigs(signed, [first, first, signed.signatures[1] as never]);
      const report = verifyEntrySignatures(dup, KEYS);
      expect(report.ok).toBe(true);
      expect(report.keyIds).toEqual([SENDER.keyId, RECEIVER.keyId]);
      expect(report.duplicates).toEqual([SENDER.keyId]);
      const onlySender = withSigs(signed, [first, first]);
      const e = signatureError(() => assertEntrySignatures(onlySender, KEYS, { minSigners: 2 }));
      expect(e.reason).toBe('insufficient');
      expect(e.message).toMatch(/1 distinct signer.*duplicated: acme-pharma.shipping/);
    });

    it('signature over another domain: the same content signed without the v2 tag, or with the v1 tag', () => {
      const { signatures: _s, ...rest } = signed;
      const json = canonicalJson(rest as never);
      for (const message of [
        json,
        `healthit-ledger-entry-v1\n${json}`,
        `healthit-ledger-entry/v3\n${json}`,
      ]) {
        const sig = toHex(ed25519Sign(utf8Encode(message), SENDER.secretKey));
        const report = verifyEntrySignatures(withSigs(signed, [{ keyId: SENDER.keyId, sig }]), KEYS);
        expect(report.failures).toEqual([{ index: 0, keyId: SENDER.keyId, reason: 'bad-signature' }]);
      }
    });

    it('Ed25519 malleability: S + L (non-canonical S) is rejected, as node:crypto rejects it', () => {
      const sig = fromHex(signed.signatures[0]?.sig ?? '', 64, 'sig');
      let s = 0n;
      for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i] as number);
      let malleated = s + L;
      for (let i = 0; i < 32; i++) {
        sig[32 + i] = Number(malleated & 0xffn);
        malleated >>= 8n;
      }
      const e = withSigs(signed, [{ keyId: SENDER.keyId, sig: toHex(sig) }]);
      expect(verifyEntrySignatures(e, KEYS).failures[0]?.reason).toBe('bad-signature');
      const key = createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), SENDER.publicKey]),
        format: 'der',
        type: 'spki',
      });
      expect(nodeVerify(null, entrySigningMessage(e), key, sig)).toBe(false);
    });

    it('a malformed configured public key fails its signatures instead of throwing', () => {
      const keys = new Map<string, string | Uint8Array>([
        [SENDER.keyId, 'zz'],
        [RECEIVER.keyId, RECEIVER.publicKey],
      ]);
      expect(verifyEntrySignatures(signed, keys).failures).toEqual([
        { index: 0, keyId: SENDER.keyId, reason: 'bad-signature' },
      ]);
    });

    it('no signatures at all is not ok; a required key that did not sign is reported', () => {
      const bare = withSigs(signed, []);
      expect(verifyEntrySignatures(bare, KEYS).ok).toBe(false);
      expect(signatureError(() => assertEntrySignatures(bare, KEYS)).reason).toBe('insufficient');
      const one = signEntry(transfer, SENDER);
      expect(
        signatureError(() => assertEntrySignatures(one, KEYS, { requiredKeyIds: [RECEIVER.keyId] })).reason,
      ).toBe('missing-signer');
    });

    it('unsorted signatures are not a second encoding of the same entry', () => {
      const reversed = [...signed.signatures].reverse();
      expect(() => parseEntry(withSigs(signed, reversed))).toThrow(EntryError);
    });
  });
});
