import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { assertDistinctKeys } from './distinct-keys.js';
import { createTufKey } from './tuf-key.js';

const doc = (signed: unknown) => new TextEncoder().encode(JSON.stringify({ signed, signatures: [] }));

describe('assertDistinctKeys', () => {
  it('accepts distinct keys, and leaves non-JSON to tuf-js', () => {
    const [a, b] = [createTufKey(), createTufKey()];
    expect(() =>
      assertDistinctKeys(doc({ _type: 'root', keys: { [a.keyId]: a.json, [b.keyId]: b.json } }), 'root'),
    ).not.toThrow();
    expect(() => assertDistinctKeys(new TextEncoder().encode('{'), 'root')).not.toThrow();
    expect(() => assertDistinctKeys(doc({ _type: 'targets', targets: {} }), 'targets')).not.toThrow();
  });

  it('refuses one key under two ids, in root keys or delegation keys, whatever its spelling', () => {
    const key = createTufKey();
    const pem = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(key.publicKey).toString('base64url') },
      format: 'jwk',
    })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const asPem = { ...key.json, keyval: { public: pem } };
    for (const signed of [
      { _type: 'root', keys: { a: key.json, b: key.json } },
      { _type: 'root', keys: { a: key.json, b: asPem } },
      {
        _type: 'targets',
        delegations: {
          keys: { a: key.json, b: { ...key.json, keyval: { public: key.json.keyval.public.toUpperCase() } } },
        },
      },
    ]) {
      let thrown: unknown;
      try {
        assertDistinctKeys(doc(signed), 'metadata/2.root.json');
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(UpdateRejectedError);
      expect(thrown).toMatchObject({
        reason: 'signature',
        subject: 'metadata/2.root.json',
        detail: { keyIds: ['a', 'b'] },
      });
    }
  });
});
