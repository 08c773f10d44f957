import { encode, Tag } from 'cbor2';
import { ed25519Sign, ed25519Verify } from '../../security/ed25519.js';
import { UpdateRejectedError } from '../update-rejected-error.js';
import { asArray, asBytes, asInt, asMap, decodeCbor, malformed, untag } from './cbor.js';
import { COSE_ALG, COSE_HEADER, COSE_SIGN1_TAG } from './constants.js';
import { es256Sign, es256Verify } from './es256.js';
import type { SuitSignatureAlgorithm, SuitSigner, SuitTrustedKey } from './types.js';

const EMPTY = new Uint8Array(0);

/** The COSE algorithm id of a signature algorithm. */
export function coseAlgorithmId(algorithm: SuitSignatureAlgorithm): number {
  return algorithm === 'ES256' ? COSE_ALG.ES256 : COSE_ALG.EdDSA;
}

/**
 * The `Sig_structure` of a `COSE_Sign1` (RFC 9052 §4.4): `["Signature1", protected, external_aad
 * = h'', payload]`. SUIT signs a detached payload: the authentication wrapper's digest byte string.
 */
export function sigStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(['Signature1', protectedHeader, EMPTY, payload]);
}

/** A `COSE_Sign1` as read from an authentication block, before its signature is checked. */
export interface ParsedSign1 {
  /** The protected header as its signed byte string. */
  readonly protectedHeader: Uint8Array;
  /** The `alg` of the protected header. */
  readonly algorithm: number;
  /** The attached payload, or `null` (detached, as SUIT signs). */
  readonly payload: Uint8Array | null;
  readonly signature: Uint8Array;
}

/**
 * Reads a `COSE_Sign1_Tagged` without trusting any of it.
 * @throws {UpdateRejectedError} `malformed` for a structure that is not a `COSE_Sign1`;
 *   `signature` for a protected header without `alg`, or with `crit` (no critical header is
 *   understood here, so RFC 9052 §3.1 requires refusing).
 */
export function parseSign1(bytes: Uint8Array, where: string): ParsedSign1 {
  const items = asArray(untag(decodeCbor(bytes, where), COSE_SIGN1_TAG, where), where);
  if (items.length !== 4) throw malformed(where, 'a COSE_Sign1 has exactly four items');
  const protectedHeader = asBytes(items[0], `${where}.protected`);
  const header =
    protectedHeader.length === 0
      ? new Map<unknown, unknown>()
      : asMap(decodeCbor(protectedHeader, `${where}.protected`), `${where}.protected`);
  asMap(items[1], `${where}.unprotected`);
  const payload = items[2] === null ? null : asBytes(items[2], `${where}.payload`);
  const signature = asBytes(items[3], `${where}.signature`, 512);
  if (header.has(COSE_HEADER.crit)) {
    throw new UpdateRejectedError(
      'signature',
      `SUIT ${where}: a critical header parameter is not understood`,
      {
        subject: 'suit-envelope',
        detail: { where },
      },
    );
  }
  if (!header.has(COSE_HEADER.alg)) {
    throw new UpdateRejectedError('signature', `SUIT ${where}: the protected header names no algorithm`, {
      subject: 'suit-envelope',
      detail: { where },
    });
  }
  const algorithm = asInt(header.get(COSE_HEADER.alg), `${where}.protected.alg`);
  return { protectedHeader, algorithm, payload, signature };
}

/**
 * True when `signature` over `message` verifies under `key`: ES256 as raw r‖s (64 bytes) over
 * SHA-256 of the message, high or low S (COSE does not require low S); EdDSA with the strict
 * RFC 8032 rules. Native node:crypto where present for both. False (never a throw) for a
 * malformed signature or key.
 */
export function verifySignature(key: SuitTrustedKey, message: Uint8Array, signature: Uint8Array): boolean {
  return key.algorithm === 'EdDSA'
    ? ed25519Verify(signature, message, key.publicKey)
    : es256Verify(signature, message, key.publicKey);
}

/** Signs a detached payload as a `COSE_Sign1_Tagged` (protected `alg` and, if given, `kid`). */
export function signSign1(signer: SuitSigner, payload: Uint8Array): Uint8Array {
  if (!(signer.secretKey instanceof Uint8Array) || signer.secretKey.length !== 32) {
    throw new RangeError(`A ${signer.algorithm} secret key must be 32 bytes`);
  }
  const header = new Map<number, unknown>([[COSE_HEADER.alg, coseAlgorithmId(signer.algorithm)]]);
  if (signer.keyId !== undefined) header.set(COSE_HEADER.kid, signer.keyId);
  const protectedHeader = encode(header);
  const message = sigStructure(protectedHeader, payload);
  const signature =
    signer.algorithm === 'EdDSA'
      ? ed25519Sign(message, signer.secretKey)
      : es256Sign(message, signer.secretKey);
  return encode(new Tag(COSE_SIGN1_TAG, [protectedHeader, new Map(), null, signature]));
}
