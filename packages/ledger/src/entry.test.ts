import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import type { JsonValue } from '@healthit/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { WRITER } from '../test/fixtures.js';
import { canonicalJson } from './canonical-json.js';
import { ENTRY_DOMAIN, encodeEntry, GENESIS_HASH, hashEntry, LedgerEntry, signEntry } from './entry.js';

const fields = {
  index: 0,
  prevHash: GENESIS_HASH,
  ts: 1735689600000,
  type: 'reading-batch',
  body: { z: [1, 2.5, 'é', true], a: null, é: { y: 1e21, x: -0 } },
} as const satisfies { body: JsonValue } & Record<string, unknown>;

/** The bytes the README documents, written out by hand. */
const EXPECTED_TEXT =
  'healthit-ledger-entry-v1\n' +
  '{"body":{"a":null,"z":[1,2.5,"é",true],"é":{"x":0,"y":1e+21}},"index":0,' +
  `"prevHash":"${'0'.repeat(64)}","ts":1735689600000,"type":"reading-batch"}`;

describe('entry format (what a third party re-implements from the README)', () => {
  it('hashes the domain prefix followed by the RFC 8785 canonical JSON of the five fields', () => {
    expect(ENTRY_DOMAIN).toBe('healthit-ledger-entry-v1\n');
    expect(new TextDecoder().decode(encodeEntry(fields))).toBe(EXPECTED_TEXT);
  });

  it('entryHash is SHA-256 of those bytes, recomputed with node:crypto', () => {
    const independent = createHash('sha256').update(EXPECTED_TEXT, 'utf8').digest('hex');
    expect(hashEntry(fields)).toBe(independent);
    expect(independent).toBe('e374ba7560b5e6354b19f2355b8b08178c8bba2f88a7287b0c505ebb3b482545');
  });

  it('signature is Ed25519 over the 32 raw hash bytes, verified and re-made with node:crypto', () => {
    const entry = signEntry(fields, WRITER);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), WRITER.publicKey]);
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), WRITER.secretKey]);
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' });
    const hashBytes = Buffer.from(entry.entryHash, 'hex');
    expect(verify(null, hashBytes, publicKey, Buffer.from(entry.signature, 'hex'))).toBe(true);
    // Ed25519 is deterministic: node's own signature is the same bytes.
    expect(sign(null, hashBytes, privateKey).toString('hex')).toBe(entry.signature);
    // Not a signature over the hex text or over the preimage.
    expect(verify(null, Buffer.from(entry.entryHash), publicKey, Buffer.from(entry.signature, 'hex'))).toBe(
      false,
    );
    expect(verify(null, encodeEntry(fields), publicKey, Buffer.from(entry.signature, 'hex'))).toBe(false);
  });

  it('commits to every field: changing any one changes the hash', () => {
    const base = hashEntry(fields);
    const variants = [
      { ...fields, index: 1 },
      { ...fields, prevHash: `1${GENESIS_HASH.slice(1)}` },
      { ...fields, ts: fields.ts + 1 },
      { ...fields, type: 'reading-batch ' },
      { ...fields, body: { ...fields.body, a: false } },
      { ...fields, body: null },
    ];
    const hashes = new Set(variants.map((v) => hashEntry(v)));
    expect(hashes.size).toBe(variants.length);
    expect(hashes.has(base)).toBe(false);
  });

  it('does not depend on member order, and ignores members outside the five fields', () => {
    const reordered = {
      body: fields.body,
      type: fields.type,
      ts: fields.ts,
      prevHash: fields.prevHash,
      index: 0,
    };
    expect(hashEntry(reordered)).toBe(hashEntry(fields));
    const entry = signEntry(fields, WRITER);
    expect(hashEntry(entry)).toBe(entry.entryHash);
  });

  it('the schema output is a LedgerEntry and parsing refuses unknown members and uppercase hex', () => {
    expectTypeOf<ReturnType<typeof LedgerEntry.parse>>().toExtend<LedgerEntry>();
    const entry = signEntry(fields, WRITER);
    expect(LedgerEntry.safeParse(entry).success).toBe(true);
    expect(LedgerEntry.safeParse({ ...entry, extra: 1 }).success).toBe(false);
    expect(LedgerEntry.safeParse({ ...entry, entryHash: entry.entryHash.toUpperCase() }).success).toBe(false);
    expect(LedgerEntry.safeParse({ ...entry, type: '' }).success).toBe(false);
    expect(LedgerEntry.safeParse({ ...entry, index: 1.5 }).success).toBe(false);
  });
});

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units and serialises numbers as ECMAScript does', () => {
    // RFC 8785 section 3.2.3 sorting example, abridged: U+FB33 sorts after the surrogate pair of U+1F600.
    const members = {
      '\ufb33': 'Hebrew',
      '\u20ac': 'Euro',
      '\r': 'CR',
      '1': 'One',
      '\ud83d\ude00': 'Smiley',
      ö: 'o',
    };
    expect(canonicalJson(members)).toBe(
      '{"\\r":"CR","1":"One","ö":"o","€":"Euro","😀":"Smiley","\ufb33":"Hebrew"}',
    );
    expect(canonicalJson([1e21, 1e-7, 0.1 + 0.2, 333333333.3333333, -0, 100])).toBe(
      '[1e+21,1e-7,0.30000000000000004,333333333.3333333,0,100]',
    );
    expect(canonicalJson({ s: '\u001f\u2028"\\' })).toBe('{"s":"\\u001f\u2028\\"\\\\"}');
  });
});
