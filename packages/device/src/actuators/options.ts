/** Option checks shared by the concrete actuators (programmer-supplied values). */

/** @throws {TypeError} when not a number. @throws {RangeError} when not finite or below `min`. */
export function finiteAtLeast(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value) || value < min) {
    throw new RangeError(`${what} must be a finite number >= ${min}, got ${value}`);
  }
  return value;
}

/** @throws {TypeError} when not a number. @throws {RangeError} when not a finite number > `min`. */
export function finiteAbove(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isFinite(value) || value <= min) {
    throw new RangeError(`${what} must be a finite number > ${min}, got ${value}`);
  }
  return value;
}

/** @throws {TypeError} when not a number. @throws {RangeError} when not an integer in min…max. */
export function integerIn(value: unknown, what: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${what} must be a number, got ${typeof value}`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be an integer in ${min}…${max}, got ${value}`);
  }
  return value;
}

/** Formats a number for a reason: 12 significant digits at most, so float noise does not show. */
export function formatNumber(value: number): string {
  return String(Number(value.toPrecision(12)));
}
