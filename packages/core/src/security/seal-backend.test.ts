/**
 * Known-answer tests of the sealed envelope's three primitives, from their RFCs, through both
 * backends (node:crypto and @noble): X25519 (RFC 7748 §6.1), HKDF-SHA256 (RFC 5869 A.1) and
 * ChaCha20-Poly1305 (RFC 8439 §2.8.2).
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../encoding/bytes.js';
import { nativeSealBackend, nobleSealBackend, type SealBackend } from './seal-backend.js';

const backends: [string, SealBackend][] = [['@noble', nobleSealBackend]];
if (nativeSealBackend !== undefined) backends.push(['node:crypto', nativeSealBackend]);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe.each(backends)('seal primitives, RFC test vectors (%s)', (_name, backend) => {
  it('X25519: RFC 7748 §6.1 (Alice and Bob)', () => {
    const alice = hexToBytes('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bob = hexToBytes('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const alicePublic = backend.x25519PublicKey(alice);
    const bobPublic = backend.x25519PublicKey(bob);
    expect(hex(alicePublic)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(bobPublic)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(hex(backend.x25519Agree(alice, bobPublic))).toBe(shared);
    expect(hex(backend.x25519Agree(bob, alicePublic))).toBe(shared);
  });

  it('HKDF-SHA256: RFC 5869 A.1', () => {
    const okm = backend.hkdfSha256(
      new Uint8Array(22).fill(0x0b),
      hexToBytes('000102030405060708090a0b0c'),
      hexToBytes('f0f1f2f3f4f5f6f7f8f9'),
      42,
    );
    expect(hex(okm)).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('ChaCha20-Poly1305: RFC 8439 §2.8.2, and a flipped tag bit is refused', () => {
    const key = hexToBytes('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hexToBytes('070000004041424344454647');
    const aad = hexToBytes('50515253c0c1c2c3c4c5c6c7');
    const plaintext = utf8Encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const sealed = backend.seal(key, nonce, aad, plaintext);
    expect(hex(sealed)).toBe(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b' +
        '1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
        '3ff4def08e4b7a9de576d26586cec64b6116' +
        '1ae10b594f09e26a7e902ecbd0600691',
    );
    expect(backend.open(key, nonce, aad, sealed)).toEqual(plaintext);
    const tampered = sealed.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 0x01;
    expect(() => backend.open(key, nonce, aad, tampered)).toThrow();
  });
});
