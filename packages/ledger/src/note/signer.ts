import { ed25519PublicKey, ed25519Sign } from '../signing.js';
import { type Ed25519Backend, ed25519VerifyStrict, isStrictEd25519PublicKey } from './ed25519.js';
import { NoteError } from './errors.js';
import { formatKeyId, isValidKeyName, noteKeyId, SignatureTypes } from './key-id.js';

/** Identifies a note key: the (name, key ID) pair that signature lines carry. */
export interface NoteKeyIdentity {
  /** Key name (no spaces, no `+`), e.g. `example.com/log`. */
  readonly name: string;
  /** 32-bit key ID (see {@link noteKeyId}). */
  readonly keyId: number;
  /** Signature type byte (0x01 note signature, 0x04 cosignature). */
  readonly type: number;
  /** The raw public key (32 bytes for Ed25519). */
  readonly publicKey: Uint8Array;
}

/** Checks note signatures of one key. */
export interface NoteVerifier extends NoteKeyIdentity {
  /** True when `signature` (the bytes after the key ID) is valid over the note `text` (UTF-8). Never throws. */
  verify(text: Uint8Array, signature: Uint8Array): boolean;
}

/** Produces note signatures with one key. */
export interface NoteSigner extends NoteKeyIdentity {
  /** The signature bytes (without the key ID) over the note `text` (UTF-8). */
  sign(text: Uint8Array): Uint8Array;
}

/** An Ed25519 key pair with a key name. */
export interface NamedSecretKey {
  /** Key name (no spaces, no `+`). */
  readonly name: string;
  /** The 32-byte Ed25519 secret key (RFC 8032 seed). */
  readonly secretKey: Uint8Array;
}

/** An Ed25519 public key with a key name. */
export interface NamedPublicKey {
  /** Key name (no spaces, no `+`). */
  readonly name: string;
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array;
}

/** `name+keyid`, the way errors name a key. */
export function keyLabel(key: { readonly name: string; readonly keyId: number }): string {
  return `${key.name}+${formatKeyId(key.keyId)}`;
}

/** @internal Checks a named secret key and derives its public key. */
export function checkNamedSecretKey(key: NamedSecretKey): Uint8Array {
  if (!isValidKeyName(key?.name))
    throw new NoteError('bad-key', `invalid key name ${JSON.stringify(key?.name)}`);
  if (!(key.secretKey instanceof Uint8Array) || key.secretKey.length !== 32) {
    throw new NoteError('bad-key', `key ${key.name}: secretKey must be 32 bytes`);
  }
  return ed25519PublicKey(key.secretKey);
}

/** @internal Checks a named public key under the strict Ed25519 rule set. */
export function checkNamedPublicKey(key: NamedPublicKey): void {
  if (!isValidKeyName(key?.name))
    throw new NoteError('bad-key', `invalid key name ${JSON.stringify(key?.name)}`);
  if (!(key.publicKey instanceof Uint8Array) || !isStrictEd25519PublicKey(key.publicKey)) {
    throw new NoteError(
      'bad-key',
      `key ${key.name}: publicKey is not a canonical prime-order Ed25519 public key (32 bytes)`,
    );
  }
}

/**
 * A signer of Ed25519 note signatures (signature type 0x01), interoperable with Go's
 * `golang.org/x/mod/sumdb/note`. Deterministic: the same key and text give the same signature.
 * @throws {NoteError} `bad-key` for an invalid name or a secret key that is not 32 bytes.
 * @example
 * ```ts
 * const signer = createEd25519NoteSigner({ name: 'example.com/log', secretKey: seed });
 * const note = signNote('hello\n', [signer]);
 * ```
 */
export function createEd25519NoteSigner(key: NamedSecretKey): NoteSigner {
  const publicKey = checkNamedSecretKey(key);
  const secretKey = Uint8Array.from(key.secretKey);
  return Object.freeze({
    name: key.name,
    keyId: noteKeyId(key.name, SignatureTypes.ed25519, publicKey),
    type: SignatureTypes.ed25519,
    publicKey,
    sign: (text: Uint8Array) => ed25519Sign(text, secretKey),
  });
}

/**
 * A verifier of Ed25519 note signatures (signature type 0x01) under the strict rule set of
 * {@link ed25519VerifyStrict}.
 * @throws {NoteError} `bad-key` for an invalid name or public key.
 */
export function createEd25519NoteVerifier(
  key: NamedPublicKey,
  backend: Ed25519Backend = 'auto',
): NoteVerifier {
  checkNamedPublicKey(key);
  const publicKey = Uint8Array.from(key.publicKey);
  return Object.freeze({
    name: key.name,
    keyId: noteKeyId(key.name, SignatureTypes.ed25519, publicKey),
    type: SignatureTypes.ed25519,
    publicKey,
    verify: (text: Uint8Array, signature: Uint8Array) =>
      ed25519VerifyStrict(signature, text, publicKey, backend),
  });
}
