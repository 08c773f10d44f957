/** Standard base64 (RFC 4648 section 4, with padding) as used by C2SP signed notes. */

const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Standard, padded base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Decodes standard, padded base64, accepting only the canonical encoding (the one
 * {@link encodeBase64} produces: no whitespace, padding present, unused trailing bits zero), so one
 * byte string has exactly one textual form. Returns `undefined` for anything else.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!CANONICAL.test(text)) return undefined;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return encodeBase64(bytes) === text ? bytes : undefined;
}
