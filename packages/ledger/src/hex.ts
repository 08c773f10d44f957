import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';

/** Lowercase hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return bytesToHex(bytes);
}

/** True when `text` is lowercase hex of exactly `byteLength` bytes. */
export function isLowerHex(text: string, byteLength: number): boolean {
  return text.length === byteLength * 2 && /^[0-9a-f]*$/.test(text);
}

/**
 * Decodes lowercase or uppercase hex of exactly `byteLength` bytes.
 * @throws {TypeError} when `text` is not a string;
 * @throws {RangeError} when it is not hex of that length (`what` names the value in the message).
 */
export function fromHex(text: string, byteLength: number, what: string): Uint8Array {
  if (typeof text !== 'string') throw new TypeError(`${what} must be a hex string, got ${typeof text}`);
  if (text.length !== byteLength * 2 || !/^[0-9a-fA-F]*$/.test(text)) {
    throw new RangeError(`${what} must be ${byteLength * 2} hex characters (${byteLength} bytes)`);
  }
  return hexToBytes(text);
}
