import { ed25519PublicKey, randomSeed } from '../signing.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { createCosignatureVerifier } from './cosignature.js';
import { NoteError } from './errors.js';
import { formatKeyId, isValidKeyName, noteKeyId, SignatureTypes } from './key-id.js';
import {
  createEd25519NoteSigner,
  createEd25519NoteVerifier,
  type NoteSigner,
  type NoteVerifier,
} from './signer.js';

/** A decoded verifier key string `name+keyid+base64(type ‖ public key)`. */
export interface VerifierKey {
  /** Key name. */
  readonly name: string;
  /** Key ID (checked against the name, type and key). */
  readonly keyId: number;
  /** Signature type byte: 0x01 (Ed25519 note signature) or 0x04 (cosignature/v1). */
  readonly type: number;
  /** The public key (32 bytes). */
  readonly publicKey: Uint8Array;
}

/** A decoded signer key string `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`. */
export interface SignerKey {
  /** Key name. */
  readonly name: string;
  /** Key ID of the derived public key. */
  readonly keyId: number;
  /** The 32-byte Ed25519 seed. */
  readonly secretKey: Uint8Array;
  /** The derived public key. */
  readonly publicKey: Uint8Array;
}

function chop(s: string): [string, string] {
  const i = s.indexOf('+');
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

function parseKeyId(hex: string, what: string): number {
  if (!/^[0-9a-fA-F]{8}$/.test(hex))
    throw new NoteError('bad-key', `${what}: the key ID must be 8 hex digits`);
  return Number.parseInt(hex, 16);
}

/**
 * Parses a verifier key (Go `note` vkey format), checking that its key ID matches
 * SHA-256(name ‖ 0x0A ‖ type ‖ key). Types 0x01 and 0x04 with 32-byte Ed25519 keys are supported.
 * @throws {NoteError} `bad-key` for anything else.
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  if (typeof vkey !== 'string') throw new TypeError(`vkey must be a string, got ${typeof vkey}`);
  const [name, rest] = chop(vkey);
  const [hash, b64] = chop(rest);
  if (!isValidKeyName(name)) throw new NoteError('bad-key', 'verifier key: invalid key name');
  const keyId = parseKeyId(hash, `verifier key ${name}`);
  const raw = decodeBase64(b64);
  if (raw === undefined || raw.length !== 33) {
    throw new NoteError('bad-key', `verifier key ${name}: expected base64 of a type byte and a 32-byte key`);
  }
  const type = raw[0] as number;
  if (type !== SignatureTypes.ed25519 && type !== SignatureTypes.cosignatureV1) {
    throw new NoteError('bad-key', `verifier key ${name}: unsupported signature type 0x${type.toString(16)}`);
  }
  const publicKey = raw.slice(1);
  if (noteKeyId(name, type, publicKey) !== keyId) {
    throw new NoteError('bad-key', `verifier key ${name}: key ID ${hash} does not match the key`);
  }
  return Object.freeze({ name, keyId, type, publicKey });
}

/**
 * The verifier key string `name+keyid+base64(type ‖ publicKey)` (type 0x01 by default; 0x04 for a
 * witness cosignature key).
 * @throws {RangeError} for an invalid name or a public key that is not 32 bytes.
 */
export function formatVerifierKey(
  name: string,
  publicKey: Uint8Array,
  type: number = SignatureTypes.ed25519,
): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32)
    throw new RangeError('publicKey must be 32 bytes');
  const keyId = noteKeyId(name, type, publicKey);
  return `${name}+${formatKeyId(keyId)}+${encodeBase64(Uint8Array.of(type, ...publicKey))}`;
}

/**
 * Parses a signer key (Go `note` skey format `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)`),
 * checking the key ID against the derived public key.
 * @throws {NoteError} `bad-key` when it is malformed or its key ID does not match.
 */
export function parseSignerKey(skey: string): SignerKey {
  if (typeof skey !== 'string') throw new TypeError(`skey must be a string, got ${typeof skey}`);
  const [p1, r1] = chop(skey);
  const [p2, r2] = chop(r1);
  const [name, r3] = chop(r2);
  const [hash, b64] = chop(r3);
  if (p1 !== 'PRIVATE' || p2 !== 'KEY')
    throw new NoteError('bad-key', 'signer key must start with PRIVATE+KEY+');
  if (!isValidKeyName(name)) throw new NoteError('bad-key', 'signer key: invalid key name');
  const keyId = parseKeyId(hash, `signer key ${name}`);
  const raw = decodeBase64(b64);
  if (raw === undefined || raw.length !== 33 || raw[0] !== SignatureTypes.ed25519) {
    throw new NoteError('bad-key', `signer key ${name}: expected base64 of 0x01 and a 32-byte Ed25519 seed`);
  }
  const secretKey = raw.slice(1);
  const publicKey = ed25519PublicKey(secretKey);
  if (noteKeyId(name, SignatureTypes.ed25519, publicKey) !== keyId) {
    throw new NoteError('bad-key', `signer key ${name}: key ID ${hash} does not match the key`);
  }
  return Object.freeze({ name, keyId, secretKey, publicKey });
}

/** The signer key string `PRIVATE+KEY+name+keyid+base64(0x01 ‖ seed)` of a named Ed25519 seed. */
export function formatSignerKey(name: string, secretKey: Uint8Array): string {
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== 32)
    throw new RangeError('secretKey must be 32 bytes');
  const keyId = noteKeyId(name, SignatureTypes.ed25519, ed25519PublicKey(secretKey));
  return `PRIVATE+KEY+${name}+${formatKeyId(keyId)}+${encodeBase64(Uint8Array.of(SignatureTypes.ed25519, ...secretKey))}`;
}

/**
 * A new random Ed25519 note key for `name`, as Go's `note.GenerateKey`: keep `skey` secret,
 * publish `vkey`.
 * @example
 * ```ts
 * const { skey, vkey } = generateNoteKey('hospital.example/ledger');
 * ```
 */
export function generateNoteKey(name: string): { readonly skey: string; readonly vkey: string } {
  const seed = randomSeed();
  return Object.freeze({
    skey: formatSignerKey(name, seed),
    vkey: formatVerifierKey(name, ed25519PublicKey(seed)),
  });
}

/**
 * A {@link NoteSigner} from a signer key string.
 * @throws {NoteError} `bad-key` as {@link parseSignerKey}.
 */
export function createNoteSigner(skey: string): NoteSigner {
  const k = parseSignerKey(skey);
  return createEd25519NoteSigner({ name: k.name, secretKey: k.secretKey });
}

/**
 * A {@link NoteVerifier} from a verifier key string: type 0x01 gives an Ed25519 note verifier,
 * type 0x04 a witness cosignature verifier.
 * @throws {NoteError} `bad-key` as {@link parseVerifierKey}, or for a key that is not a canonical
 * prime-order Ed25519 point.
 */
export function createNoteVerifier(vkey: string): NoteVerifier {
  const k = parseVerifierKey(vkey);
  const named = { name: k.name, publicKey: k.publicKey };
  return k.type === SignatureTypes.cosignatureV1
    ? createCosignatureVerifier(named)
    : createEd25519NoteVerifier(named);
}
