import { p256 } from '@noble/curves/nist.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { toBase64Url } from '../../encoding/bytes.js';
import { nodeCryptoModule } from '../../security/node-crypto.js';

/** Which ES256 implementation verifies: node:crypto (OpenSSL) where present, or @noble/curves. */
export type Es256Backend = 'auto' | 'native' | 'noble';

/** The slice of node:crypto used here (typed locally: no static node:crypto import). */
interface NodeCryptoSubset {
  createPublicKey(options: {
    key: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
    format: 'jwk';
  }): unknown;
  verify(
    algorithm: 'sha256',
    data: Uint8Array,
    key: { key: unknown; dsaEncoding: 'ieee-p1363' },
    signature: Uint8Array,
  ): boolean;
}

/** Declared bound of the imported-key cache; when full, the oldest entry is evicted (FIFO). */
const KEY_CACHE_SIZE = 64;
const nativeKeys = new Map<string, unknown>();

let nodeCrypto: NodeCryptoSubset | null | undefined;

function loadNodeCrypto(): NodeCryptoSubset | null {
  if (nodeCrypto === undefined) {
    const mod = nodeCryptoModule() as Partial<NodeCryptoSubset> | undefined;
    nodeCrypto =
      mod && typeof mod.verify === 'function' && typeof mod.createPublicKey === 'function'
        ? (mod as NodeCryptoSubset)
        : null;
  }
  return nodeCrypto;
}

/** The node:crypto KeyObject of an SEC 1 P-256 point (validated by @noble first), cached. */
function nativeKey(crypto: NodeCryptoSubset, publicKey: Uint8Array): unknown {
  const id = bytesToHex(publicKey);
  let key = nativeKeys.get(id);
  if (key === undefined) {
    const point = p256.Point.fromBytes(publicKey).toBytes(false);
    key = crypto.createPublicKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: toBase64Url(point.subarray(1, 33)),
        y: toBase64Url(point.subarray(33)),
      },
      format: 'jwk',
    });
    if (nativeKeys.size >= KEY_CACHE_SIZE) nativeKeys.delete(nativeKeys.keys().next().value as string);
    nativeKeys.set(id, key);
  }
  return key;
}

/**
 * Verifies an ES256 signature (ECDSA P-256 over SHA-256 of `message`, raw r‖s of 64 bytes, high or
 * low S as COSE allows) under an SEC 1 public key (65 bytes uncompressed or 33 compressed):
 * node:crypto where present, @noble/curves elsewhere; both give the same verdict (tested). False for
 * a malformed signature or key, never a throw.
 */
export function es256Verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  backend: Es256Backend = 'auto',
): boolean {
  if (signature.length !== 64) return false;
  const crypto = backend === 'noble' ? null : loadNodeCrypto();
  try {
    if (crypto !== null) {
      return crypto.verify(
        'sha256',
        message,
        { key: nativeKey(crypto, publicKey), dsaEncoding: 'ieee-p1363' },
        signature,
      );
    }
    return p256.verify(signature, message, publicKey, { prehash: true, lowS: false });
  } catch {
    return false;
  }
}

/** An ES256 signature (raw r‖s, low S, deterministic per RFC 6979) of `message` with a 32-byte secret key. */
export function es256Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return p256.sign(message, secretKey, { prehash: true, lowS: true });
}
