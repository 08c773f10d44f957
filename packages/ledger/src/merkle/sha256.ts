import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** The length in bytes of a SHA-256 digest, and so of every Merkle hash. */
export const HASH_LENGTH = 32;

/** The slice of `node:crypto` used here, reached without a static import (see {@link sha256Backend}). */
interface NodeCrypto {
  hash?: (algorithm: string, data: Uint8Array, outputEncoding: 'buffer') => Uint8Array;
  createHash: (algorithm: string) => {
    update(data: Uint8Array): unknown;
    digest(): Uint8Array;
  };
}

function loadNodeCrypto(): NodeCrypto | undefined {
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    const mod = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
    return typeof mod?.createHash === 'function' ? mod : undefined;
  } catch {
    return undefined;
  }
}

/** A plain `Uint8Array` view of a Node `Buffer` (no copy), so results compare equal everywhere. */
function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** SHA-256 of one buffer with Node's native implementation. */
function nativeDigestOf(crypto: NodeCrypto): (data: Uint8Array) => Uint8Array {
  const { hash } = crypto;
  if (typeof hash === 'function') return (data) => plain(hash('sha256', data, 'buffer'));
  return (data) => {
    const h = crypto.createHash('sha256');
    h.update(data);
    return plain(h.digest());
  };
}

const nodeCrypto = loadNodeCrypto();
const nativeDigest = nodeCrypto === undefined ? undefined : nativeDigestOf(nodeCrypto);

/**
 * SHA-256 of the concatenation of `parts` with `@noble/hashes` (portable: browsers, workers, any
 * runtime). Same result as {@link sha256}; exported so tests can check both agree.
 * @example
 * ```ts
 * sha256Portable(new TextEncoder().encode('abc')); // ba7816bf...
 * ```
 */
export function sha256Portable(...parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return nobleSha256(parts[0] as Uint8Array);
  const h = nobleSha256.create();
  for (const part of parts) h.update(part);
  return h.digest();
}

/**
 * SHA-256 of the concatenation of `parts` with Node's native `crypto.hash`, or undefined when the
 * runtime is not Node (≥ 20.16, which has `process.getBuiltinModule`).
 */
export const sha256Native: ((...parts: readonly Uint8Array[]) => Uint8Array) | undefined =
  nativeDigest === undefined ? undefined : (...parts) => nativeDigest(concat(parts));

/**
 * Which implementation {@link sha256} uses: `node:crypto` on Node (loaded with
 * `process.getBuiltinModule`, never a static import, so this module still bundles for browsers),
 * `@noble/hashes` elsewhere.
 */
export const sha256Backend: 'node:crypto' | '@noble/hashes' =
  nativeDigest === undefined ? '@noble/hashes' : 'node:crypto';

/**
 * SHA-256 of the concatenation of `parts`: native on Node, `@noble/hashes` elsewhere (see
 * {@link sha256Backend}). Returns a new 32-byte `Uint8Array`. Inputs are not type-checked: pass
 * `Uint8Array`s.
 * @example
 * ```ts
 * toHex(sha256()); // e3b0c442...b855, the SHA-256 of nothing
 * ```
 */
export const sha256: (...parts: readonly Uint8Array[]) => Uint8Array = sha256Native ?? sha256Portable;

/** Hashes `prefix ‖ data ‖ more`. */
type PrefixedHash = (prefix: number, data: Uint8Array, more?: Uint8Array) => Uint8Array;

/**
 * `@noble/hashes` SHA-256 of `prefix ‖ data ‖ more` without allocating a hasher per call: one
 * pristine hasher is cloned into one reused working hasher (`_cloneInto`, part of noble's `Hash`
 * interface). Synchronous, so calls never interleave.
 */
function prefixedPortable(): PrefixedHash {
  const pristine = nobleSha256.create();
  let work = nobleSha256.create();
  const prefixes = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i));
  return (prefix, data, more) => {
    work = pristine._cloneInto(work);
    work.update(prefixes[prefix & 255] as Uint8Array).update(data);
    if (more !== undefined) work.update(more);
    const out = new Uint8Array(HASH_LENGTH);
    work.digestInto(out);
    return out;
  };
}

/** Inputs up to this size are copied into one reused scratch buffer; larger ones get their own. */
const SCRATCH_BYTES = 4096;
/** A Merkle node's input: 0x01 ‖ left ‖ right. */
const NODE_INPUT_BYTES = 65;

/**
 * Native SHA-256 of `prefix ‖ data ‖ more`, copied into a reused scratch buffer (synchronous, so
 * calls never interleave). Measured here, `crypto.hash` beats any JavaScript SHA-256 even on a
 * 65-byte node input, so every size goes native.
 */
function prefixedNative(digest: (data: Uint8Array) => Uint8Array): PrefixedHash {
  const scratch = new Uint8Array(SCRATCH_BYTES);
  const nodeView = scratch.subarray(0, NODE_INPUT_BYTES);
  return (prefix, data, more) => {
    const length = 1 + data.length + (more === undefined ? 0 : more.length);
    const buf = length <= SCRATCH_BYTES ? scratch : new Uint8Array(length);
    buf[0] = prefix;
    buf.set(data, 1);
    if (more !== undefined) buf.set(more, 1 + data.length);
    if (buf !== scratch) return digest(buf);
    return digest(length === NODE_INPUT_BYTES ? nodeView : scratch.subarray(0, length));
  };
}

/**
 * SHA-256 of `prefix ‖ data ‖ more` in one call, the shape of every Merkle hash; the internal fast
 * path behind `leafHash` and `nodeHash`: `crypto.hash` on Node, a reused `@noble/hashes` hasher
 * elsewhere.
 * @internal
 */
export const sha256Prefixed: PrefixedHash =
  nativeDigest === undefined ? prefixedPortable() : prefixedNative(nativeDigest);

/** The `@noble/hashes` variant of {@link sha256Prefixed} (what browsers use), for tests. @internal */
export const sha256PrefixedPortable: PrefixedHash = prefixedPortable();
