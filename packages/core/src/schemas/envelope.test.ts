import { describe, expect, it } from 'vitest';
import { expectRejected } from '../../test/expect-invalid.js';
import { parse } from '../validate.js';
import { Envelope, EnvelopeSignature } from './envelope.js';

const T0 = Date.UTC(2025, 0, 1);

const unsigned = {
  v: 1,
  id: 'mon-1:7',
  source: 'mon-1',
  seq: 7,
  ts: T0,
  contentType: 'application/vnd.healthit.readings+json',
  payload: 'W3siaWQiOiJtb24tMTo3In1d',
} as const;

const signed = {
  ...unsigned,
  sig: { alg: 'Ed25519', kid: 'mon-1#1', value: 'c2lnbmF0dXJl' },
} as const;

function reject(input: unknown, path: string) {
  return expectRejected(Envelope, 'Envelope', input, path);
}

describe('Envelope: valid input', () => {
  it('accepts a signed envelope', () => {
    expect(parse(Envelope, 'Envelope', signed)).toEqual(signed);
  });

  it('accepts an unsigned envelope and adds no signature', () => {
    const e = parse(Envelope, 'Envelope', unsigned);
    expect(e).toEqual(unsigned);
    expect('sig' in e).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['one byte (2 characters)', 'Zg'],
    ['two bytes (3 characters)', 'Zm8'],
    ['three bytes (4 characters)', 'Zm9v'],
    ['the URL-safe characters', '-_-_'],
  ])('accepts a %s payload', (_why, payload) => {
    expect(parse(Envelope, 'Envelope', { ...unsigned, payload }).payload).toBe(payload);
  });

  it('accepts sequence number 0 and timestamp 0', () => {
    expect(parse(Envelope, 'Envelope', { ...unsigned, seq: 0, ts: 0 })).toMatchObject({ seq: 0, ts: 0 });
  });
});

describe('Envelope: invalid input names the field', () => {
  it.each(['v', 'id', 'source', 'seq', 'ts', 'contentType', 'payload'] as const)(
    'rejects a missing %s',
    (field) => {
      const { [field]: _gone, ...rest } = signed;
      reject(rest, field);
    },
  );

  it.each([
    ['version 2', { v: 2 }, 'v'],
    ['version "1"', { v: '1' }, 'v'],
    ['an empty id', { id: '' }, 'id'],
    ['an id over 300 characters', { id: 'e'.repeat(301) }, 'id'],
    ['an empty source', { source: '' }, 'source'],
    ['a source over 128 characters', { source: 's'.repeat(129) }, 'source'],
    ['a negative seq', { seq: -1 }, 'seq'],
    ['a fractional seq', { seq: 0.5 }, 'seq'],
    ['a negative ts', { ts: -1 }, 'ts'],
    ['an empty contentType', { contentType: '' }, 'contentType'],
    ['a padded payload', { payload: 'Zg==' }, 'payload'],
    ['a standard-base64 payload (+ and /)', { payload: '+/+/' }, 'payload'],
    ['a payload with whitespace', { payload: 'Zm9v Zm9v' }, 'payload'],
    ['a payload of 4n+1 characters (no byte string encodes to it)', { payload: 'Zm9vZ' }, 'payload'],
    ['a one-character payload', { payload: 'Z' }, 'payload'],
    ['a binary payload', { payload: new Uint8Array([1, 2]) }, 'payload'],
    ['a signature with another algorithm', { sig: { ...signed.sig, alg: 'ES256' } }, 'sig.alg'],
    ['a signature without a key id', { sig: { ...signed.sig, kid: '' } }, 'sig.kid'],
    ['a signature without a value', { sig: { alg: 'Ed25519', kid: 'k' } }, 'sig.value'],
    ['a signature with an unknown field', { sig: { ...signed.sig, x5c: [] } }, 'sig'],
    ['a null signature', { sig: null }, 'sig'],
  ])('rejects %s', (_why, override, path) => {
    reject({ ...signed, ...override }, path);
  });

  it('names the payload rule in the message', () => {
    expect(reject({ ...unsigned, payload: 'Zg==' }, 'payload').message).toContain(
      'payload: must be base64url without padding',
    );
  });

  it('rejects unknown fields (strict)', () => {
    expect(reject({ ...signed, ttlMs: 1000 }, '').message).toContain('"ttlMs"');
  });
});

describe('EnvelopeSignature', () => {
  it('accepts an Ed25519 signature and rejects other shapes', () => {
    expect(parse(EnvelopeSignature, 'EnvelopeSignature', signed.sig)).toEqual(signed.sig);
    expectRejected(EnvelopeSignature, 'EnvelopeSignature', { ...signed.sig, alg: 'ed25519' }, 'alg');
    expectRejected(EnvelopeSignature, 'EnvelopeSignature', { ...signed.sig, value: '' }, 'value');
  });
});
