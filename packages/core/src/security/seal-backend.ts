import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes } from '@noble/hashes/utils.js';
import { fromBase64Url, toBase64Url } from '../encoding/bytes.js';
import { cachedPrivateKey, nodeCryptoModule } from './node-crypto.js';

/**
 * The primitives a seal is made of, behind one interface: node:crypto (OpenSSL) on Node, found at
 * run time with `process.getBuiltinModule` so this module still bundles for browsers, and
 * `@noble/curves`, `@noble/hashes` and `@noble/ciphers` elsewhere. Both give the same bytes (tested).
 * {@link sealBytes} and {@link openBytes} pick the native one when present; their `backend` option
 * overrides it (tests compare the two).
 */
export interface SealBackend {
  /** Which implementation this is: `node:crypto` (native) or `@noble` (portable). */
  readonly name: 'node:crypto' | '@noble';
  /** A key pair for one message: fresh from the CSPRNG, or of the given secret key (tests). */
  ephemeral(secretKey?: Uint8Array): Ephemeral;
  /** The 32-byte X25519 public key of a 32-byte secret key. */
  x25519PublicKey(secretKey: Uint8Array): Uint8Array;
  /** X25519; throws on a low-order public key (all-zero result) or a malformed key. */
  x25519Agree(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array;
  /** HKDF with SHA-256 (RFC 5869): `length` bytes of output keying material from `ikm`, `salt` and `info`. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /** ChaCha20-Poly1305: ciphertext ‖ 16-byte tag. */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws when the tag does not verify. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array;
}

/** An ephemeral X25519 key pair: its public key, and agreement with a peer (throws like `x25519Agree`). */
export interface Ephemeral {
  /** The pair's 32-byte X25519 public key, sent with the sealed message. */
  readonly publicKey: Uint8Array;
  /** The 32-byte X25519 shared secret with a peer's 32-byte public key; throws like `x25519Agree`. */
  agree(publicKey: Uint8Array): Uint8Array;
}

function nonZero(shared: Uint8Array): Uint8Array {
  if (shared.every((b) => b === 0)) throw new Error('all-zero X25519 shared secret');
  return shared;
}

/** The `@noble` backend (portable). */
export const nobleSealBackend: SealBackend = {
  name: '@noble',
  ephemeral(secretKey) {
    const secret = secretKey ?? x25519.utils.randomSecretKey();
    return {
      publicKey: x25519.getPublicKey(secret),
      agree: (publicKey) => nonZero(x25519.getSharedSecret(secret, publicKey)),
    };
  },
  x25519PublicKey: (secretKey) => x25519.getPublicKey(secretKey),
  x25519Agree: (secretKey, publicKey) => nonZero(x25519.getSharedSecret(secretKey, publicKey)),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  seal: (key, nonce, aad, plaintext) => chacha20poly1305(key, nonce, aad).encrypt(plaintext),
  open: (key, nonce, aad, sealed) => chacha20poly1305(key, nonce, aad).decrypt(sealed),
};

/** The slice of node:crypto used here (typed locally: no static node:crypto import). */
interface KeyObjectLike {
  export(options: { format: 'jwk' }): { x?: string };
}
interface AeadLike {
  setAAD(aad: Uint8Array, options: { plaintextLength: number }): unknown;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}
interface NodeCrypto {
  generateKeyPairSync(type: 'x25519'): { privateKey: KeyObjectLike; publicKey: KeyObjectLike };
  createPrivateKey(options: { key: Uint8Array; format: 'der'; type: 'pkcs8' }): KeyObjectLike;
  createPublicKey(
    options: { key: { kty: 'OKP'; crv: 'X25519'; x: string }; format: 'jwk' } | KeyObjectLike,
  ): KeyObjectLike;
  diffieHellman(options: { privateKey: KeyObjectLike; publicKey: KeyObjectLike }): Uint8Array;
  hkdfSync(
    digest: 'sha256',
    ikm: Uint8Array,
    salt: Uint8Array,
    info: Uint8Array,
    length: number,
  ): ArrayBuffer;
  createCipheriv(
    algorithm: 'chacha20-poly1305',
    key: Uint8Array,
    iv: Uint8Array,
    options: { authTagLength: 16 },
  ): AeadLike & { getAuthTag(): Uint8Array };
  createDecipheriv(
    algorithm: 'chacha20-poly1305',
    key: Uint8Array,
    iv: Uint8Array,
    options: { authTagLength: 16 },
  ): AeadLike & { setAuthTag(tag: Uint8Array): unknown };
}

/** DER prefix of a PKCS #8 X25519 private key; the 32-byte secret follows. */
const PKCS8_X25519 = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

function nativeBackend(crypto: NodeCrypto): SealBackend {
  // KeyObjects and public keys of secret keys, by array identity (see `cachedPrivateKey`): a
  // recipient opening many envelopes with one key imports it and derives its public key once
  const privateKeys = new WeakMap<Uint8Array, KeyObjectLike>();
  const publicKeys = new WeakMap<Uint8Array, Uint8Array>();
  const privateKey = (secretKey: Uint8Array): KeyObjectLike =>
    cachedPrivateKey(crypto.createPrivateKey, PKCS8_X25519, secretKey, privateKeys);
  const aeadOptions = { authTagLength: 16 } as const;
  const rawPublic = (key: KeyObjectLike): Uint8Array => {
    const x = key.export({ format: 'jwk' }).x;
    if (x === undefined) throw new Error('no X25519 public key');
    return fromBase64Url(x);
  };
  const agree = (secret: KeyObjectLike, publicKey: Uint8Array): Uint8Array => {
    if (publicKey.length !== 32) throw new Error('X25519 public key must be 32 bytes');
    const pub = crypto.createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: toBase64Url(publicKey) },
      format: 'jwk',
    });
    return nonZero(new Uint8Array(crypto.diffieHellman({ privateKey: secret, publicKey: pub })));
  };
  return {
    name: 'node:crypto',
    ephemeral(secretKey) {
      // a generated pair is much cheaper than importing a given secret (PKCS #8 parsing)
      const pair =
        secretKey === undefined
          ? crypto.generateKeyPairSync('x25519')
          : { privateKey: privateKey(secretKey), publicKey: crypto.createPublicKey(privateKey(secretKey)) };
      return {
        publicKey: rawPublic(pair.publicKey),
        agree: (publicKey) => agree(pair.privateKey, publicKey),
      };
    },
    x25519PublicKey(secretKey) {
      let key = publicKeys.get(secretKey);
      if (key === undefined) {
        key = rawPublic(crypto.createPublicKey(privateKey(secretKey)));
        publicKeys.set(secretKey, key);
      }
      return key;
    },
    x25519Agree: (secretKey, publicKey) => agree(privateKey(secretKey), publicKey),
    hkdfSha256: (ikm, salt, info, length) =>
      new Uint8Array(crypto.hkdfSync('sha256', ikm, salt, info, length)),
    seal(key, nonce, aad, plaintext) {
      const c = crypto.createCipheriv('chacha20-poly1305', key, nonce, aeadOptions);
      c.setAAD(aad, { plaintextLength: plaintext.length });
      return concatBytes(c.update(plaintext), c.final(), c.getAuthTag());
    },
    open(key, nonce, aad, sealed) {
      if (sealed.length < 16) throw new Error('shorter than the tag');
      const d = crypto.createDecipheriv('chacha20-poly1305', key, nonce, aeadOptions);
      const ciphertext = sealed.subarray(0, sealed.length - 16);
      d.setAAD(aad, { plaintextLength: ciphertext.length });
      d.setAuthTag(sealed.subarray(sealed.length - 16));
      return concatBytes(d.update(ciphertext), d.final()); // final throws when the tag does not verify
    },
  };
}

function loadNative(): SealBackend | undefined {
  const mod = nodeCryptoModule() as Partial<NodeCrypto> | undefined;
  if (mod === undefined || typeof mod.diffieHellman !== 'function' || typeof mod.hkdfSync !== 'function') {
    return undefined;
  }
  return nativeBackend(mod as NodeCrypto);
}

/** node:crypto when present, `@noble` otherwise. @internal */
export const nativeSealBackend: SealBackend | undefined = loadNative();
/** What seals use: {@link nativeSealBackend} when present, else {@link nobleSealBackend}. @internal */
export const sealBackend: SealBackend = nativeSealBackend ?? nobleSealBackend;
