import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** The length in bytes of a SHA-256 digest, and so of every Merkle hash. */
export const HASH_LENGTH = 32;

/** The slice of `node:crypto` used here, reached without a static import (see {@link sha256Backend}). */
interface NodeCrypto {
  hash?: (algorithm: string, data: Uint8Array | string, outputEncoding: 'latin1') => string;
  createHash: (algorithm: string) => {
    update(data: Uint8Array | string): unknown;
    digest(encoding: 'latin1'): string;
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

/**
 * Native SHA-256 of bytes, or of the UTF-8 of a string, as a 32-character latin1 string (one
 * character per digest byte). A string result is what makes the native path fast: measured here,
 * `crypto.hash(…, 'buffer')` spends most of its time creating the `Buffer`, and a latin1 string
 * copied into a `Uint8Array` costs less than half as much.
 */
type Latin1Digest = (data: Uint8Array | string) => string;

function nativeLatin1Of(crypto: NodeCrypto): Latin1Digest {
  const { hash } = crypto;
  if (typeof hash === 'function') return (data) => hash('sha256', data, 'latin1');
  return (data) => {
    const h = crypto.createHash('sha256');
    h.update(data);
    return h.digest('latin1');
  };
}

/** Copies a 32-character latin1 digest into `out` at `offset`. */
function copyLatin1(digest: string, out: Uint8Array, offset: number): void {
  for (let i = 0; i < HASH_LENGTH; i++) out[offset + i] = digest.charCodeAt(i);
}

/** SHA-256 of one buffer with Node's native implementation, as a new plain `Uint8Array`. */
function nativeDigestOf(latin1: Latin1Digest): (data: Uint8Array) => Uint8Array {
  return (data) => {
    const out = new Uint8Array(HASH_LENGTH);
    copyLatin1(latin1(data), out, 0);
    return out;
  };
}

const nodeCrypto = loadNodeCrypto();
const nativeLatin1 = nodeCrypto === undefined ? undefined : nativeLatin1Of(nodeCrypto);
const nativeDigest = nativeLatin1 === undefined ? undefined : nativeDigestOf(nativeLatin1);

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
 * 65-byte node input, so every size goes native; the digest comes back as a latin1 string (see
 * {@link Latin1Digest}).
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

/** SHA-256(0x00 ‖ UTF-8 of `text`): a Merkle leaf hash of text. */
type LeafOfUtf8 = (text: string) => Uint8Array;

/** Reused by {@link leafOfUtf8Portable}: UTF-8 of a text up to this many bytes goes here. */
const UTF8_SCRATCH_BYTES = 4096;

function leafOfUtf8Portable(): LeafOfUtf8 {
  const prefixed = prefixedPortable();
  const encoder = new TextEncoder();
  const scratch = new Uint8Array(UTF8_SCRATCH_BYTES);
  return (text) => {
    // 3 bytes per UTF-16 code unit is the most UTF-8 needs (a surrogate pair: 4 bytes for 2 units)
    if (text.length * 3 > UTF8_SCRATCH_BYTES) return prefixed(0x00, encoder.encode(text));
    const { written } = encoder.encodeInto(text, scratch);
    return prefixed(0x00, scratch.subarray(0, written));
  };
}

/**
 * Native: the string `"\u0000" + text` goes to `crypto.hash` as is; Node encodes it as UTF-8, where
 * U+0000 is the one byte 0x00, so no byte array is built at all.
 */
function leafOfUtf8Native(latin1: Latin1Digest): LeafOfUtf8 {
  return (text) => {
    const out = new Uint8Array(HASH_LENGTH);
    copyLatin1(latin1(`\u0000${text}`), out, 0);
    return out;
  };
}

/**
 * The Merkle leaf hash of the UTF-8 bytes of `text`, `leafHash(utf8Encode(text))`, without
 * encoding the text into a byte array first on Node. Lone surrogates are encoded as U+FFFD, as
 * `utf8Encode` and `TextEncoder` do. The fast path behind reading-batch roots.
 * @internal
 */
export const sha256LeafOfUtf8: LeafOfUtf8 =
  nativeLatin1 === undefined ? leafOfUtf8Portable() : leafOfUtf8Native(nativeLatin1);

/** The `@noble/hashes` variant of {@link sha256LeafOfUtf8}, for tests. @internal */
export const sha256LeafOfUtf8Portable: LeafOfUtf8 = leafOfUtf8Portable();

/** Writes SHA-256 of `data` into `out[offset, offset + 32)`. `out` may be `data` itself. */
type DigestInto = (data: Uint8Array, out: Uint8Array, offset: number) => void;

function digestIntoPortable(): DigestInto {
  const digest = new Uint8Array(HASH_LENGTH);
  const pristine = nobleSha256.create();
  let work = nobleSha256.create();
  return (data, out, offset) => {
    work = pristine._cloneInto(work);
    work.update(data).digestInto(digest);
    out.set(digest, offset);
  };
}

function digestIntoNative(latin1: Latin1Digest): DigestInto {
  return (data, out, offset) => copyLatin1(latin1(data), out, offset);
}

/**
 * SHA-256 of `data` written into `out` at `offset`, allocating nothing on Node (the digest comes
 * back as a latin1 string): the step of loops that chain node hashes through one reused buffer,
 * such as inclusion proof verification. The digest is complete before it is written, so `out`
 * may be `data`.
 * @internal
 */
export const sha256Into: DigestInto =
  nativeLatin1 === undefined ? digestIntoPortable() : digestIntoNative(nativeLatin1);

/** The `@noble/hashes` variant of {@link sha256Into}, for tests. @internal */
export const sha256IntoPortable: DigestInto = digestIntoPortable();
