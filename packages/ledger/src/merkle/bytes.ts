import { HASH_LENGTH } from './sha256.js';

/** True for a `Uint8Array` (including a Node `Buffer` or one from another realm). */
export function isBytes(value: unknown): value is Uint8Array {
  return (
    value instanceof Uint8Array ||
    (ArrayBuffer.isView(value) &&
      (value as { constructor?: { name?: unknown } }).constructor?.name === 'Uint8Array')
  );
}

/** True for a 32-byte `Uint8Array`: the shape of every Merkle hash. */
export function isHash(value: unknown): value is Uint8Array {
  return isBytes(value) && value.length === HASH_LENGTH;
}

/** Byte equality of two byte arrays (not constant-time: Merkle hashes are public). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True for a tree size or index: a non-negative safe integer. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Checks a size or index argument of a proof generator.
 * @throws {TypeError} when `value` is not a number; {RangeError} when it is not a non-negative safe integer.
 */
export function assertCount(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!isCount(value)) throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
}

/**
 * Checks a list of raw leaves.
 * @throws {TypeError} when `leaves` is not an array of `Uint8Array`s.
 */
export function assertLeaves(leaves: unknown): asserts leaves is readonly Uint8Array[] {
  if (!Array.isArray(leaves))
    throw new TypeError(`leaves must be an array of Uint8Array, got ${typeof leaves}`);
  for (let i = 0; i < leaves.length; i++) {
    if (!isBytes(leaves[i]))
      throw new TypeError(`leaves[${i}] must be a Uint8Array, got ${typeof leaves[i]}`);
  }
}
