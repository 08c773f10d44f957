import { base64urlnopad } from '@scure/base';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// Node's Buffer encodes UTF-8 and decodes base64url natively, much faster than TextEncoder or a
// JS decoder; base64url decoding silently skips characters outside the alphabet, so decoded bytes
// are checked (see `decodeCanonical`). Looked up on globalThis so that browser bundles neither
// import nor need it.
const NodeBuffer = (
  globalThis as {
    Buffer?: {
      from(
        text: string,
        encoding: 'base64url' | 'utf8',
      ): Uint8Array & { toString(encoding: 'base64url'): string };
    };
  }
).Buffer;

/** Short strings are encoded into a shared slab of this many bytes (see {@link utf8Encode}). */
const SLAB_BYTES = 64 * 1024;
/** Strings up to this many UTF-16 units go to the slab (at most 3 bytes each). */
const SLAB_MAX_TEXT = 2048;
let slab = new Uint8Array(0);
let slabOffset = 0;

/**
 * UTF-8 encodes a string (lone surrogates become U+FFFD, as with TextEncoder). Short strings are
 * written with `TextEncoder.encodeInto` into a shared 64 KiB slab and returned as disjoint views
 * of it (about twice as fast as `Buffer.from` and four times as fast as `TextEncoder.encode` for
 * the ~200-byte records of the gateway's hot path): the view's `byteOffset` matters, as for any
 * Uint8Array, and a slab stays in memory while any view of it does. Long strings get their own
 * buffer (Node's `Buffer` where present).
 */
export function utf8Encode(text: string): Uint8Array {
  if (text.length > SLAB_MAX_TEXT) {
    if (NodeBuffer === undefined) return encoder.encode(text);
    const bytes = NodeBuffer.from(text, 'utf8');
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  if (slab.length - slabOffset < text.length * 3) {
    slab = new Uint8Array(SLAB_BYTES);
    slabOffset = 0;
  }
  const start = slabOffset;
  const { written } = encoder.encodeInto(text, start === 0 ? slab : slab.subarray(start));
  slabOffset = start + written;
  return slab.subarray(start, slabOffset);
}

/** Decodes UTF-8, rejecting malformed byte sequences. @throws {TypeError} on invalid UTF-8. */
export function utf8Decode(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** base64url without padding (RFC 4648 §5). */
export function toBase64Url(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

const BASE64URL_CHARS = /^[A-Za-z0-9_-]*$/;
/** The last string {@link isBase64UrlText} accepted: checking it again is one comparison. */
let lastValid = '';
/**
 * The bytes of `lastValid` when it was decoded while being checked (it is canonical), for the
 * {@link fromBase64Url} that usually follows; handed out once, then forgotten.
 */
let lastBytes: Uint8Array | undefined;

/**
 * The bytes of `text` when it is canonical base64url without padding, else undefined. Node's
 * decoder skips characters outside the alphabet and ignores unused bits; its encoder writes only
 * the alphabet, canonically and without padding: so the bytes encode back to `text` exactly when
 * `text` is in the alphabet, not of length 4n+1, and canonical. Decoding and encoding natively is
 * several times faster than scanning a payload with a regular expression.
 */
function decodeCanonical(Buffer: NonNullable<typeof NodeBuffer>, text: string): Uint8Array | undefined {
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text
    ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    : undefined;
}

/**
 * True when `text` is base64url without padding: only the URL-safe alphabet, and not a length of
 * 4n+1 (which encodes no byte string). Canonical tails are checked by {@link fromBase64Url}.
 * Remembers the last string it accepted (and, when it is canonical, its bytes), so that
 * validating an envelope and then decoding its payload scans and decodes a payload once.
 */
export function isBase64UrlText(text: string): boolean {
  if (text === lastValid) return true;
  if (text.length % 4 === 1) return false;
  const bytes = NodeBuffer === undefined ? undefined : decodeCanonical(NodeBuffer, text);
  if (bytes === undefined && !BASE64URL_CHARS.test(text)) return false;
  lastValid = text;
  lastBytes = bytes;
  return true;
}

/**
 * Decodes base64url without padding.
 * @throws {Error} on characters outside the alphabet or a length of 4n+1 (encodes no byte string).
 */
export function fromBase64Url(text: string): Uint8Array {
  if (NodeBuffer === undefined) return base64urlnopad.decode(text);
  let bytes: Uint8Array | undefined;
  if (text === lastValid && lastBytes !== undefined) {
    bytes = lastBytes;
    lastBytes = undefined;
  } else if (text.length % 4 !== 1) {
    bytes = decodeCanonical(NodeBuffer, text);
  }
  if (bytes === undefined) {
    throw new Error(`Invalid (or non-canonical) base64url string of length ${text.length}`);
  }
  return bytes;
}
