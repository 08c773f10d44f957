import { isBytes } from './bytes.js';
import { sha256, sha256LeafOfUtf8, sha256Prefixed } from './sha256.js';

/** The domain-separation prefix of a leaf hash (RFC 9162 §2.1.1). */
export const LEAF_PREFIX = 0x00;
/** The domain-separation prefix of an interior node hash (RFC 9162 §2.1.1). */
export const NODE_PREFIX = 0x01;

/**
 * The root of the empty tree: SHA-256 of nothing, `e3b0c442...b855` (RFC 9162 §2.1.1). A new
 * array on every call.
 */
export function emptyRoot(): Uint8Array {
  return sha256();
}

/**
 * The hash of a leaf: SHA-256(0x00 ‖ `data`) (RFC 9162 §2.1.1, `MTH({d})`). `data` is the raw
 * entry, never a hash: the prefix keeps a leaf from ever being taken for an interior node.
 * @throws {TypeError} when `data` is not a `Uint8Array`.
 * @example
 * ```ts
 * toHex(leafHash(new Uint8Array())); // 6e340b9c...a01d
 * ```
 */
export function leafHash(data: Uint8Array): Uint8Array {
  if (!isBytes(data)) throw new TypeError(`leafHash: data must be a Uint8Array, got ${typeof data}`);
  return sha256Prefixed(LEAF_PREFIX, data);
}

/**
 * The leaf hash of the UTF-8 bytes of `text`: `leafHash(utf8Encode(text))`, without building the
 * byte array on Node (see `sha256LeafOfUtf8`). For leaves that are text, such as canonical JSON.
 * @internal
 */
export function leafHashOfUtf8(text: string): Uint8Array {
  return sha256LeafOfUtf8(text);
}

/**
 * The hash of an interior node: SHA-256(0x01 ‖ `left` ‖ `right`) (RFC 9162 §2.1.1), where `left`
 * and `right` are the hashes of its two subtrees (32 bytes each in a tree; any bytes accepted).
 * @throws {TypeError} when `left` or `right` is not a `Uint8Array`.
 */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (!isBytes(left) || !isBytes(right)) throw new TypeError('nodeHash: left and right must be Uint8Arrays');
  return sha256Prefixed(NODE_PREFIX, left, right);
}

/** {@link nodeHash} without the type checks, for inputs already known to be hashes. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256Prefixed(NODE_PREFIX, left, right);
}
