import { createHash } from 'node:crypto';
import { isHealthItError, utf8Decode, utf8Encode, ValidationError } from '@healthit/core';
import { describe, expect, it } from 'vitest';
import { BODIES, signer, unsigned } from '../../test/entries-fixtures.js';
import { decodeEntry, encodeEntry, entryHash, parseEntry } from './codec.js';
import { type Entry, MAX_ENTRY_BYTES } from './entry.js';
import { EntryError, type EntryErrorReason } from './errors.js';
import { EntryKinds } from './kinds.js';
import { signEntry } from './signatures.js';

const ALICE = signer(1);
const entry: Entry = signEntry(unsigned('custody.transfer'), ALICE);
const bytes = encodeEntry(entry);
const text = utf8Decode(bytes);

function reasonOf(fn: () => unknown): EntryErrorReason {
  try {
    fn();
  } catch (e) {
    if (e instanceof EntryError) return e.reason;
    throw e;
  }
  throw new Error('expected an EntryError');
}

const decodeText = (t: string) => () => decodeEntry(utf8Encode(t));

describe('encodeEntry / decodeEntry', () => {
  it.each(EntryKinds)('round-trips a signed %s entry byte for byte', (kind) => {
    const e = signEntry(unsigned(kind), ALICE);
    const encoded = encodeEntry(e);
    const decoded = decodeEntry(encoded);
    expect(decoded).toEqual(e);
    expect(encodeEntry(decoded)).toEqual(encoded);
  });

  it('encodes as RFC 8785 JSON: members sorted, no whitespace', () => {
    expect(text.startsWith('{"body":{"conditions":{"excursions":0,')).toBe(true);
    expect(text).not.toMatch(/\s/);
    expect(Object.keys(JSON.parse(text))).toEqual([
      'body',
      'kind',
      'origin',
      'prev',
      'seq',
      'signatures',
      'stream',
      'ts',
    ]);
  });

  it('entryHash is the RFC 9162 leaf hash SHA-256(0x00 || encoding), recomputed with node:crypto', () => {
    const expected = createHash('sha256').update(Uint8Array.of(0)).update(bytes).digest('hex');
    expect(entryHash(entry)).toBe(expected);
  });
});

describe('non-canonical encodings are rejected', () => {
  const cases: [string, string][] = [
    ['reordered keys', JSON.stringify({ kind: entry.kind, ...JSON.parse(text) })],
    ['whitespace between tokens', text.replace('"kind":', '"kind": ')],
    ['pretty-printed', JSON.stringify(JSON.parse(text), null, 2)],
    ['a trailing line feed', `${text}\n`],
    ['a byte-order mark', `\uFEFF${text}`],
    ['an escaped character that needs no escape', text.replace('"acme-pharma"', '"\\u0061cme-pharma"')],
    ['an escaped solidus', text.replace('ledger.example.org/cold-chain', 'ledger.example.org\\/cold-chain')],
    ['-0 for 0', text.replace('"excursions":0', '"excursions":-0')],
    ['1.0 vs 1 (2100.0)', text.replace('2100', '2100.0')],
    ['an exponent (21e2)', text.replace('2100', '21e2')],
    ['a duplicate key (same value)', text.replace('{"body":', '{"seq":0,"body":')],
    ['a duplicate key (other value first)', text.replace('{"body":', '{"kind":"key.revoke","body":')],
  ];
  it.each(cases)('%s', (_name, variant) => {
    expect(variant).not.toBe(text);
    expect(reasonOf(decodeText(variant))).toBe('non-canonical');
  });

  it('the canonical text itself decodes', () => {
    expect(decodeEntry(utf8Encode(text))).toEqual(entry);
  });

  it('uppercase hex is not a second encoding of a hash (schema: lowercase only)', () => {
    const sig = entry.signatures[0]?.sig ?? '';
    const upper = text.replace(sig, sig.toUpperCase());
    expect(upper).not.toBe(text);
    expect(reasonOf(decodeText(upper))).toBe('invalid');
  });
});

describe('malformed, invalid and oversized entries are rejected', () => {
  it('bytes that are not UTF-8 or not JSON: malformed', () => {
    expect(reasonOf(() => decodeEntry(Uint8Array.of(0x7b, 0xff, 0x7d)))).toBe('malformed');
    expect(reasonOf(decodeText(text.slice(0, -1)))).toBe('malformed');
    expect(reasonOf(decodeText(''))).toBe('malformed');
  });

  it('an unknown member at the top level or in a body: invalid, naming it', () => {
    const top = { ...JSON.parse(text), extra: 1 };
    const err = (() => {
      try {
        decodeEntry(utf8Encode(JSON.stringify(top)));
      } catch (e) {
        return e as EntryError;
      }
      throw new Error('accepted');
    })();
    expect(err.reason).toBe('invalid');
    expect(err.code).toBe('validation/invalid');
    expect(err.cause).toBeInstanceOf(ValidationError);
    expect(err.message).toMatch(/extra/);
    expect(() => parseEntry({ ...entry, body: { ...entry.body, patientId: 'p-1' } })).toThrow(/patientId/);
  });

  it('an unknown kind: invalid', () => {
    expect(reasonOf(() => parseEntry({ ...entry, kind: 'reading.delete' }))).toBe('invalid');
    expect(reasonOf(() => parseEntry({ ...entry, kind: undefined }))).toBe('invalid');
  });

  it('a body of another kind: invalid', () => {
    expect(reasonOf(() => parseEntry({ ...entry, kind: 'key.revoke' }))).toBe('invalid');
  });

  it('seq 0 must link to the zero hash; seq must be a safe integer', () => {
    expect(reasonOf(() => parseEntry({ ...entry, prev: 'a'.repeat(64) }))).toBe('invalid');
    expect(parseEntry({ ...entry, seq: 1, prev: 'a'.repeat(64) }).seq).toBe(1);
    expect(reasonOf(() => parseEntry({ ...entry, seq: 2 ** 53, prev: 'a'.repeat(64) }))).toBe('invalid');
    expect(reasonOf(() => parseEntry({ ...entry, seq: 1.5, prev: 'a'.repeat(64) }))).toBe('invalid');
  });

  it(`bytes over MAX_ENTRY_BYTES (${MAX_ENTRY_BYTES}) are refused before parsing`, () => {
    const huge = new Uint8Array(MAX_ENTRY_BYTES + 1).fill(0x20); // not even JSON
    expect(reasonOf(() => decodeEntry(huge))).toBe('oversized');
    const padded = text.replace('"sealIntact":true', `"notes":"${'x'.repeat(1000)}","sealIntact":true`);
    expect(decodeEntry(utf8Encode(padded)).kind).toBe('custody.transfer');
  });

  it('a JSON entry over MAX_ENTRY_BYTES is oversized even though only its size is wrong', () => {
    const padded = text.replace(
      '"sealIntact":true',
      `"notes":"${'x'.repeat(MAX_ENTRY_BYTES)}","sealIntact":true`,
    );
    expect(reasonOf(decodeText(padded))).toBe('oversized');
  });

  it('the schema bounds keep every valid entry under MAX_ENTRY_BYTES (worst case encodes)', () => {
    const hardwareIds = Array.from(
      { length: 256 },
      (_, i) => `${String(i).padStart(3, '0')}${'h'.repeat(125)}`,
    );
    const body = { ...BODIES['firmware.authorize'], hardwareIds, version: '\u0001'.repeat(64) };
    const signatures = Array.from({ length: 16 }, (_, i) => ({
      keyId: `${String(i).padStart(2, '0')}${'k'.repeat(126)}`,
      sig: 'a'.repeat(128),
    }));
    const worst = { ...unsigned('firmware.authorize', { body }), signatures } as Entry;
    const size = encodeEntry(worst).length;
    expect(size).toBeGreaterThan(30_000);
    expect(size).toBeLessThan(MAX_ENTRY_BYTES);
    // One more of anything is refused by the schema, not silently encoded:
    expect(
      reasonOf(() =>
        encodeEntry({ ...worst, body: { ...body, hardwareIds: [...hardwareIds, 'x'] } } as Entry),
      ),
    ).toBe('invalid');
    const sigs = [...signatures, { keyId: 'zz', sig: 'a'.repeat(128) }];
    expect(reasonOf(() => encodeEntry({ ...worst, signatures: sigs }))).toBe('invalid');
  });

  it('errors are HealthItErrors with codec codes', () => {
    try {
      decodeEntry(new Uint8Array(MAX_ENTRY_BYTES + 1));
    } catch (e) {
      expect(isHealthItError(e, 'codec/decode')).toBe(true);
      return;
    }
    throw new Error('accepted');
  });

  it('decodeEntry refuses non-bytes with a TypeError', () => {
    expect(() => decodeEntry(text as unknown as Uint8Array)).toThrow(TypeError);
  });
});
