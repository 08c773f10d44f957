import { createHash } from 'node:crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { ed25519PublicKey } from './ed25519.js';
import { createIdentity, keyIdOf, publicIdentity } from './identity.js';

describe('identities', () => {
  it('fresh identities have distinct keys; given secret keys give the same identity again', () => {
    const a = createIdentity({ id: 'monitor-7', kind: 'device' });
    const b = createIdentity({ id: 'monitor-7', kind: 'device' });
    expect(a.keyId).not.toBe(b.keyId);
    const seeded = createIdentity({
      id: 'gw-1',
      kind: 'gateway',
      signingSecretKey: new Uint8Array(32).fill(1),
      sealingSecretKey: new Uint8Array(32).fill(2),
    });
    expect(seeded.signing.publicKey).toEqual(ed25519PublicKey(new Uint8Array(32).fill(1)));
    expect(seeded.sealing.publicKey).toEqual(x25519.getPublicKey(new Uint8Array(32).fill(2)));
    expect(seeded.keyId).toBe(createHash('sha256').update(seeded.signing.publicKey).digest('hex'));
    expect(keyIdOf(seeded.signing.publicKey)).toBe(seeded.keyId);
  });

  it('the public identity carries no secret key', () => {
    const me = createIdentity({ id: 'platform', kind: 'service' });
    const shared = publicIdentity(me);
    expect(Object.keys(shared).sort()).toEqual(['id', 'keyId', 'kind', 'sealingKey', 'signingKey']);
    const text = JSON.stringify(shared, (_k, v) =>
      v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v,
    );
    expect(text).not.toContain(Buffer.from(me.signing.secretKey).toString('hex'));
    expect(text).not.toContain(Buffer.from(me.sealing.secretKey).toString('hex'));
  });

  it('refuses an empty id, an unknown kind and secret keys that are not 32 bytes', () => {
    expect(() => createIdentity({ id: '', kind: 'device' })).toThrow(RangeError);
    expect(() => createIdentity({ id: 'x', kind: 'robot' as never })).toThrow(/kind/);
    expect(() => createIdentity({ id: 'x', kind: 'person', signingSecretKey: new Uint8Array(31) })).toThrow(
      /signingSecretKey/,
    );
    expect(() => createIdentity({ id: 'x', kind: 'person', sealingSecretKey: new Uint8Array(33) })).toThrow(
      /sealingSecretKey/,
    );
  });
});
