import {
  createCipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
} from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromBase64Url, toBase64Url, utf8Decode, utf8Encode } from '../encoding/bytes.js';
import { createEnvelope } from '../encoding/envelope.js';
import { READINGS_JSON } from '../encoding/json-codecs.js';
import { isHealthItError } from '../errors/index.js';
import type { Envelope } from '../schemas/envelope.js';
import { createInProcessTransport } from '../transport/in-process.js';
import { signEnvelope, verifyEnvelopeSignature } from './envelope-signature.js';
import { createIdentity } from './identity.js';
import {
  MAX_SEALED_PLAINTEXT,
  openBytes,
  openEnvelope,
  SEAL_DOMAIN,
  SEALED_CONTENT_TYPE,
  SealError,
  sealBytes,
  sealEnvelope,
} from './seal.js';
import { nativeSealBackend, nobleSealBackend } from './seal-backend.js';

const platform = createIdentity({
  id: 'platform',
  kind: 'service',
  sealingSecretKey: new Uint8Array(32).fill(3),
});
const intruder = createIdentity({
  id: 'platform',
  kind: 'service',
  sealingSecretKey: new Uint8Array(32).fill(4),
});
const device = createIdentity({
  id: 'monitor-7',
  kind: 'device',
  signingSecretKey: new Uint8Array(32).fill(7),
});
const RECIPIENT = { id: platform.id, sealingKey: platform.sealing.publicKey };
const OPENER = { id: platform.id, secretKey: platform.sealing.secretKey };
const PAYLOAD = '[{"deviceId":"monitor-7","patientId":"patient-4711","metric":"spo2","value":87}]';

function envelope(seq = 1): Envelope {
  return createEnvelope({
    source: 'monitor-7',
    seq,
    ts: Date.UTC(2026, 0, 1),
    contentType: READINGS_JSON,
    payload: utf8Encode(PAYLOAD),
  });
}

function reason(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof SealError ? e.reason : `not a SealError: ${String(e)}`;
  }
  return undefined;
}

/** The box of a sealed envelope, as mutable JSON. */
function boxOf(e: Envelope): Record<string, unknown> {
  return JSON.parse(utf8Decode(fromBase64Url(e.payload))) as Record<string, unknown>;
}
function withBox(e: Envelope, change: (box: Record<string, unknown>) => void): Envelope {
  const box = boxOf(e);
  change(box);
  return { ...e, payload: toBase64Url(utf8Encode(JSON.stringify(box))) };
}

describe('sealBytes / openBytes', () => {
  it('equals the same construction written with node:crypto alone (X25519, HKDF-SHA256, ChaCha20-Poly1305)', () => {
    const esk = new Uint8Array(32).fill(9);
    const aad = utf8Encode(`${SEAL_DOMAIN}{"any":"context"}`);
    const plaintext = utf8Encode(PAYLOAD);
    const sealed = sealBytes(plaintext, platform.sealing.publicKey, aad, { ephemeralSecretKey: esk });

    const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64url');
    const privateKey = createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', d: b64(esk), x: b64(sealed.ephemeralPublicKey) },
      format: 'jwk',
    });
    const publicKey = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: b64(platform.sealing.publicKey) },
      format: 'jwk',
    });
    const shared = diffieHellman({ privateKey, publicKey });
    const salt = Buffer.concat([sealed.ephemeralPublicKey, platform.sealing.publicKey]);
    const info = Buffer.concat([Buffer.from(SEAL_DOMAIN), createHash('sha256').update(aad).digest()]);
    const okm = Buffer.from(hkdfSync('sha256', shared, salt, info, 44));
    const cipher = createCipheriv('chacha20-poly1305', okm.subarray(0, 32), okm.subarray(32), {
      authTagLength: 16,
    });
    cipher.setAAD(aad, { plaintextLength: plaintext.length });
    const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    expect(Buffer.from(sealed.ciphertext).toString('hex')).toBe(expected.toString('hex'));
    expect(utf8Decode(openBytes(sealed, platform.sealing.secretKey, aad))).toBe(PAYLOAD);
  });

  it('the node:crypto and @noble backends agree: same bytes for a fixed ephemeral key, and each opens what the other sealed', () => {
    expect(nativeSealBackend?.name).toBe('node:crypto');
    const native = nativeSealBackend as NonNullable<typeof nativeSealBackend>;
    const aad = utf8Encode('ctx');
    const plaintext = utf8Encode(PAYLOAD);
    const esk = new Uint8Array(32).fill(11);
    const a = sealBytes(plaintext, platform.sealing.publicKey, aad, {
      ephemeralSecretKey: esk,
      backend: native,
    });
    const b = sealBytes(plaintext, platform.sealing.publicKey, aad, {
      ephemeralSecretKey: esk,
      backend: nobleSealBackend,
    });
    expect(a).toEqual(b);
    const fresh = sealBytes(plaintext, platform.sealing.publicKey, aad, { backend: native });
    expect(openBytes(fresh, platform.sealing.secretKey, aad, { backend: nobleSealBackend })).toEqual(
      plaintext,
    );
    const viaNoble = sealBytes(plaintext, platform.sealing.publicKey, aad, { backend: nobleSealBackend });
    expect(openBytes(viaNoble, platform.sealing.secretKey, aad, { backend: native })).toEqual(plaintext);
    expect(reason(() => sealBytes(plaintext, new Uint8Array(32), aad, { backend: native }))).toBe(
      'authentication',
    );
    expect(reason(() => sealBytes(plaintext, new Uint8Array(32), aad, { backend: nobleSealBackend }))).toBe(
      'authentication',
    );
  });

  it('property: every round trip opens; a fresh ephemeral key per seal (two seals of one message differ)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.uint8Array({ maxLength: 64 }), (plaintext, aad) => {
        const a = sealBytes(plaintext, platform.sealing.publicKey, aad);
        const b = sealBytes(plaintext, platform.sealing.publicKey, aad);
        expect(openBytes(a, platform.sealing.secretKey, aad)).toEqual(plaintext);
        expect(a.ephemeralPublicKey).not.toEqual(b.ephemeralPublicKey);
      }),
      { numRuns: 50 },
    );
  });

  it('attack: a flipped bit anywhere in the ciphertext or the ephemeral key, or other associated data → authentication (fast-check)', () => {
    const aad = utf8Encode('ctx');
    const sealed = sealBytes(utf8Encode(PAYLOAD), platform.sealing.publicKey, aad);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 0, max: 7 }), fc.boolean(), (at, bit, inKey) => {
        const ct = sealed.ciphertext.slice();
        const epk = sealed.ephemeralPublicKey.slice();
        const target = inKey ? epk : ct;
        const i = at % target.length;
        target[i] = (target[i] as number) ^ (1 << bit);
        const r = reason(() =>
          openBytes({ ephemeralPublicKey: epk, ciphertext: ct }, platform.sealing.secretKey, aad),
        );
        expect(r).toBe('authentication');
      }),
      { numRuns: 200 },
    );
    expect(reason(() => openBytes(sealed, platform.sealing.secretKey, utf8Encode('ctx2')))).toBe(
      'authentication',
    );
  });

  it('attack: a low-order recipient key (all-zero shared secret) is refused', () => {
    expect(reason(() => sealBytes(utf8Encode('x'), new Uint8Array(32), utf8Encode('')))).toBe(
      'authentication',
    );
  });

  it('attack: oversized plaintext or ciphertext, a short ciphertext or a bad ephemeral key are refused before any work', () => {
    const big = new Uint8Array(MAX_SEALED_PLAINTEXT + 1);
    expect(reason(() => sealBytes(big, platform.sealing.publicKey, new Uint8Array()))).toBe('oversized');
    const epk = new Uint8Array(32).fill(5);
    expect(
      reason(() =>
        openBytes(
          { ephemeralPublicKey: epk, ciphertext: new Uint8Array(MAX_SEALED_PLAINTEXT + 17) },
          platform.sealing.secretKey,
          new Uint8Array(),
        ),
      ),
    ).toBe('oversized');
    expect(
      reason(() =>
        openBytes(
          { ephemeralPublicKey: epk, ciphertext: new Uint8Array(15) },
          platform.sealing.secretKey,
          new Uint8Array(),
        ),
      ),
    ).toBe('malformed');
    expect(
      reason(() =>
        openBytes(
          { ephemeralPublicKey: epk.subarray(1), ciphertext: new Uint8Array(16) },
          platform.sealing.secretKey,
          new Uint8Array(),
        ),
      ),
    ).toBe('malformed');
  });
});

describe('sealed envelopes', () => {
  it('round trip: the recipient gets back the envelope as made, with the device id', () => {
    const sealed = sealEnvelope(envelope(), RECIPIENT);
    expect(sealed.contentType).toBe(SEALED_CONTENT_TYPE);
    const opened = openEnvelope(sealed, OPENER);
    expect(opened.envelope).toEqual(envelope());
    expect(opened.deviceId).toBe('monitor-7');
  });

  it('attack: eavesdropping through the broker — what the broker relays holds no byte of the payload (patient id, value)', async () => {
    const transport = createInProcessTransport();
    const relayed: Uint8Array[] = [];
    const sub = transport.subscribe('devices/+/readings').subscribe((m) => relayed.push(m.payload));
    const signed = signEnvelope(sealEnvelope(envelope(), RECIPIENT), {
      keyId: device.keyId,
      secretKey: device.signing.secretKey,
    });
    await transport.publish('devices/monitor-7/readings', utf8Encode(JSON.stringify(signed)));
    const seen = utf8Decode(relayed[0] ?? new Uint8Array());
    expect(seen).toContain('monitor-7'); // routing metadata stays visible
    for (const secret of [
      'patient-4711',
      'spo2',
      '"value":87',
      toBase64Url(utf8Encode(PAYLOAD)).slice(0, 12),
    ]) {
      expect(seen).not.toContain(secret);
    }
    // … and what the broker holds opens for the platform only
    const received = JSON.parse(seen) as Envelope;
    expect(verifyEnvelopeSignature(received, () => device.signing.publicKey).ok).toBe(true);
    expect(utf8Decode(fromBase64Url(openEnvelope(received, OPENER).envelope.payload))).toBe(PAYLOAD);
    expect(
      reason(() => openEnvelope(received, { id: 'platform', secretKey: intruder.sealing.secretKey })),
    ).toBe('authentication');
    sub.unsubscribe();
    await transport.close();
  });

  it('attack: a broker changing the envelope’s id, source, seq or ts, or the box’s device, content type, recipient or key → refused', () => {
    const sealed = sealEnvelope(envelope(), RECIPIENT);
    const cases: [string, Envelope, string][] = [
      ['id', { ...sealed, id: 'monitor-7:2' }, 'authentication'],
      ['source', { ...sealed, source: 'monitor-9' }, 'authentication'],
      ['seq', { ...sealed, seq: 2 }, 'authentication'],
      ['ts', { ...sealed, ts: sealed.ts + 1 }, 'authentication'],
      [
        'dev',
        withBox(sealed, (b) => {
          b.dev = 'monitor-9';
        }),
        'authentication',
      ],
      [
        'cty',
        withBox(sealed, (b) => {
          b.cty = 'application/json';
        }),
        'authentication',
      ],
      [
        'epk',
        withBox(sealed, (b) => {
          b.epk = toBase64Url(new Uint8Array(32).fill(5));
        }),
        'authentication',
      ],
      [
        'rcp',
        withBox(sealed, (b) => {
          b.rcp = 'gateway-1';
        }),
        'misdirected',
      ],
      [
        'ct',
        withBox(sealed, (b) => {
          b.ct = `A${String(b.ct).slice(1)}`;
        }),
        'authentication',
      ],
    ];
    for (const [what, e, expected] of cases)
      expect([what, reason(() => openEnvelope(e, OPENER))]).toEqual([what, expected]);
  });

  it('attack: a replayed sealed envelope opens again (sealing does not stop replays: the replay guard does)', () => {
    const sealed = sealEnvelope(envelope(), RECIPIENT);
    expect(openEnvelope(sealed, OPENER).envelope.seq).toBe(1);
    expect(openEnvelope(sealed, OPENER).envelope.seq).toBe(1);
  });

  it('attack: malformed and oversized sealed envelopes get a typed error, never a crash', () => {
    const sealed = sealEnvelope(envelope(), RECIPIENT);
    const cases: [Envelope, string][] = [
      [envelope(), 'malformed'], // not sealed
      [{ ...sealed, payload: toBase64Url(utf8Encode('not json')) }, 'malformed'],
      [
        withBox(sealed, (b) => {
          b.extra = 1;
        }),
        'malformed',
      ],
      [
        withBox(sealed, (b) => {
          b.alg = 'AES-128-ECB';
        }),
        'malformed',
      ],
      [
        withBox(sealed, (b) => {
          b.epk = 'short';
        }),
        'malformed',
      ],
      [{ ...sealed, payload: 'A'.repeat(2_000_000) }, 'oversized'],
    ];
    for (const [e, expected] of cases) {
      let error: unknown;
      try {
        openEnvelope(e, OPENER);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SealError);
      expect((error as SealError).reason).toBe(expected);
      expect(isHealthItError(error)).toBe(true);
    }
  });
});
