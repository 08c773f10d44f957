import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { ed25519PublicKey, isStrictEd25519PublicKey } from './ed25519.js';

/** Who an identity belongs to. */
export type IdentityKind = 'device' | 'gateway' | 'service' | 'person';

/** The kinds of {@link IdentityKind}. */
export const IDENTITY_KINDS: readonly IdentityKind[] = ['device', 'gateway', 'service', 'person'];

/**
 * A party's keys: an Ed25519 key pair that signs (envelopes, batches, commands, ledger entries) and
 * an X25519 key pair that others seal messages to. Secret keys never leave their owner; share
 * {@link publicIdentity}.
 */
export interface Identity {
  /** The party's id (device id, gateway id, service or user name). */
  readonly id: string;
  /** Who the identity belongs to: a device, gateway, service or person. */
  readonly kind: IdentityKind;
  /** {@link keyIdOf} the signing public key. */
  readonly keyId: string;
  /** The Ed25519 key pair that signs: 32-byte public key and 32-byte secret key (seed). */
  readonly signing: { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array };
  /** The X25519 key pair others seal messages to: 32-byte public and secret keys. */
  readonly sealing: { readonly publicKey: Uint8Array; readonly secretKey: Uint8Array };
}

/** What others may know of an {@link Identity}: its ids and public keys. */
export interface PublicIdentity {
  /** The party's id (device id, gateway id, service or user name), as in its {@link Identity}. */
  readonly id: string;
  /** Who the identity belongs to: a device, gateway, service or person. */
  readonly kind: IdentityKind;
  /** {@link keyIdOf} the signing public key: lowercase hex SHA-256 of `signingKey`. */
  readonly keyId: string;
  /** Ed25519 public key (32 bytes). */
  readonly signingKey: Uint8Array;
  /** X25519 public key (32 bytes). */
  readonly sealingKey: Uint8Array;
}

/**
 * The key id of an Ed25519 public key: lowercase hex SHA-256 of its 32 bytes (the same convention
 * as the ledger's `entries.keyIdOf`).
 */
export function keyIdOf(publicKey: Uint8Array): string {
  return bytesToHex(sha256(publicKey));
}

/** Options of {@link createIdentity}. */
export interface CreateIdentityOptions {
  /** The party's id (device id, gateway id, service or user name); must not be empty. */
  readonly id: string;
  /** Who the identity belongs to, one of {@link IDENTITY_KINDS}. */
  readonly kind: IdentityKind;
  /** 32-byte Ed25519 secret key (seed). Default: fresh from the CSPRNG. */
  readonly signingSecretKey?: Uint8Array;
  /** 32-byte X25519 secret key. Default: fresh from the CSPRNG. */
  readonly sealingSecretKey?: Uint8Array;
}

function secret(bytes: Uint8Array | undefined, what: string): Uint8Array {
  if (bytes === undefined) return randomBytes(32);
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw new RangeError(`${what} must be 32 bytes`);
  return bytes.slice();
}

/**
 * Creates an identity: fresh (CSPRNG) Ed25519 and X25519 key pairs, or the ones of given secret
 * keys (e.g. from a key store or a secure element's export).
 * @throws {RangeError} for an empty id, an unknown kind, or a secret key that is not 32 bytes.
 * @example
 * ```ts
 * const monitor = createIdentity({ id: 'monitor-7', kind: 'device' });
 * registry.add(publicIdentity(monitor));
 * ```
 */
export function createIdentity(options: CreateIdentityOptions): Identity {
  if (typeof options.id !== 'string' || options.id.length === 0)
    throw new RangeError('id must be a non-empty string');
  if (!IDENTITY_KINDS.includes(options.kind)) {
    throw new RangeError(`kind must be one of ${IDENTITY_KINDS.join(', ')}, got ${String(options.kind)}`);
  }
  const signingSecret = secret(options.signingSecretKey, 'signingSecretKey');
  const sealingSecret = secret(options.sealingSecretKey, 'sealingSecretKey');
  const signingPublic = ed25519PublicKey(signingSecret);
  if (!isStrictEd25519PublicKey(signingPublic))
    throw new RangeError('signingSecretKey gives an unusable key');
  return Object.freeze({
    id: options.id,
    kind: options.kind,
    keyId: keyIdOf(signingPublic),
    signing: Object.freeze({ publicKey: signingPublic, secretKey: signingSecret }),
    sealing: Object.freeze({ publicKey: x25519.getPublicKey(sealingSecret), secretKey: sealingSecret }),
  });
}

/** The shareable part of an identity (no secret key). */
export function publicIdentity(identity: Identity): PublicIdentity {
  return Object.freeze({
    id: identity.id,
    kind: identity.kind,
    keyId: identity.keyId,
    signingKey: identity.signing.publicKey.slice(),
    sealingKey: identity.sealing.publicKey.slice(),
  });
}
