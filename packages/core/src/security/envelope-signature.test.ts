import { createHash } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, utf8Encode } from '../encoding/bytes.js';
import { createEnvelope } from '../encoding/envelope.js';
import { READINGS_JSON } from '../encoding/json-codecs.js';
import type { Envelope } from '../schemas/envelope.js';
import { sha256HexOfText, sha256HexOfTextPortable } from './digest.js';
import { ed25519Sign } from './ed25519.js';
import { envelopeSigningInput, signEnvelope, verifyEnvelopeSignature } from './envelope-signature.js';
import { createIdentity } from './identity.js';

const device = createIdentity({
  id: 'monitor-7',
  kind: 'device',
  signingSecretKey: new Uint8Array(32).fill(7),
});
const other = createIdentity({
  id: 'monitor-8',
  kind: 'device',
  signingSecretKey: new Uint8Array(32).fill(8),
});
const keys = (kid: string) => (kid === device.keyId ? device.signing.publicKey : undefined);

function batch(seq = 1): Envelope {
  return createEnvelope({
    source: 'monitor-7',
    seq,
    ts: Date.UTC(2026, 0, 1),
    contentType: READINGS_JSON,
    payload: utf8Encode('[{"id":"monitor-7:1","value":97}]'),
  });
}

describe('envelope signatures (one per batch)', () => {
  it('a signed envelope verifies under its sender key; the signature covers every field', () => {
    const signed = signEnvelope(batch(), { keyId: device.keyId, secretKey: device.signing.secretKey });
    expect(signed.sig).toMatchObject({ alg: 'Ed25519', kid: device.keyId });
    expect(verifyEnvelopeSignature(signed, keys)).toEqual({ ok: true, keyId: device.keyId });
  });

  it('attack: any change to id, source, seq, ts, content type or payload → bad-signature (fast-check)', () => {
    const signed = signEnvelope(batch(), { keyId: device.keyId, secretKey: device.signing.secretKey });
    const changes: ((e: Envelope) => Envelope)[] = [
      (e) => ({ ...e, id: `${e.id}x` }),
      (e) => ({ ...e, source: 'monitor-9' }),
      (e) => ({ ...e, seq: e.seq + 1 }),
      (e) => ({ ...e, ts: e.ts + 1 }),
      (e) => ({ ...e, contentType: 'application/json' }),
    ];
    for (const change of changes)
      expect(verifyEnvelopeSignature(change(signed), keys)).toMatchObject({
        ok: false,
        reason: 'bad-signature',
      });
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (at, flip) => {
        const bytes = fromBase64Url(signed.payload);
        const i = at % bytes.length;
        bytes[i] = (bytes[i] as number) ^ flip;
        const tampered = { ...signed, payload: toBase64Url(bytes) };
        expect(verifyEnvelopeSignature(tampered, keys)).toMatchObject({ ok: false, reason: 'bad-signature' });
      }),
    );
  });

  it('attack: a device impersonating another (its own signature under the victim’s key id) → bad-signature', () => {
    const forged = signEnvelope(batch(), { keyId: device.keyId, secretKey: other.signing.secretKey });
    expect(verifyEnvelopeSignature(forged, keys)).toEqual({
      ok: false,
      reason: 'bad-signature',
      keyId: device.keyId,
    });
  });

  it('unsigned, or signed by a key the registry does not give for this sender → unsigned / unknown-key', () => {
    expect(verifyEnvelopeSignature(batch(), keys)).toEqual({ ok: false, reason: 'unsigned' });
    const byOther = signEnvelope(batch(), { keyId: other.keyId, secretKey: other.signing.secretKey });
    expect(verifyEnvelopeSignature(byOther, keys)).toEqual({
      ok: false,
      reason: 'unknown-key',
      keyId: other.keyId,
    });
  });

  it('attack: a signature made for another purpose over the same JSON (no domain prefix) does not verify', () => {
    const { sig: _s, ...unsigned } = batch();
    const input = envelopeSigningInput(batch());
    const withoutDomain = input.subarray(utf8Encode('healthit-envelope/v1\n').length);
    const crossProtocol = {
      ...unsigned,
      sig: {
        alg: 'Ed25519' as const,
        kid: device.keyId,
        value: toBase64Url(ed25519Sign(withoutDomain, device.signing.secretKey)),
      },
    };
    expect(verifyEnvelopeSignature(crossProtocol, keys)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('attack: a malleated signature (S + L) or non-base64url signature text → bad-signature', () => {
    const signed = signEnvelope(batch(), { keyId: device.keyId, secretKey: device.signing.secretKey });
    const sig = fromBase64Url(signed.sig?.value ?? '');
    const L = ed25519.Point.Fn.ORDER;
    let s = sig.subarray(32).reduceRight((n, x) => (n << 8n) + BigInt(x), 0n) + L;
    const malleated = sig.slice();
    for (let i = 32; i < 64; i++, s >>= 8n) malleated[i] = Number(s & 0xffn);
    const m = {
      ...signed,
      sig: { alg: 'Ed25519' as const, kid: device.keyId, value: toBase64Url(malleated) },
    };
    expect(verifyEnvelopeSignature(m, keys)).toMatchObject({ ok: false, reason: 'bad-signature' });
    const junk = { ...signed, sig: { alg: 'Ed25519' as const, kid: device.keyId, value: '!!' } };
    expect(verifyEnvelopeSignature(junk, keys)).toMatchObject({ ok: false, reason: 'bad-signature' });
  });
});

describe('envelopeSigningInput', () => {
  it('is the domain and the RFC 8785 JSON of the header with the SHA-256 of the payload text (checked with node:crypto)', () => {
    const e = batch();
    const expected =
      'healthit-envelope/v1\n' +
      JSON.stringify({
        contentType: e.contentType,
        id: e.id,
        payloadSha256: createHash('sha256').update(e.payload, 'utf8').digest('hex'),
        seq: e.seq,
        source: e.source,
        ts: e.ts,
        v: 1,
      });
    expect(new TextDecoder().decode(envelopeSigningInput(e))).toBe(expected);
    expect(sha256HexOfTextPortable(e.payload)).toBe(sha256HexOfText(e.payload));
  });
});
