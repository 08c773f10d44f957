const VERSION = /^(0|[1-9]\d{0,8})(\.(0|[1-9]\d{0,8})){0,3}$/;

/**
 * True for a firmware version as used here: one to four dot-separated decimal numbers without
 * leading zeros, each below 10⁹ (`2`, `2.4`, `2.4.1`, `2.4.1.17`).
 */
export function isFirmwareVersion(version: unknown): version is string {
  return typeof version === 'string' && VERSION.test(version);
}

/**
 * Compares two firmware versions numerically, component by component; a missing component counts
 * as 0 (`2.4` equals `2.4.0`).
 *
 * @returns a negative number when `a` is older than `b`, 0 when equal, positive when newer.
 * @throws {RangeError} when either is not a {@link isFirmwareVersion}.
 * @example
 * ```ts
 * compareFirmwareVersions('2.10.0', '2.9.3') > 0; // true
 * ```
 */
export function compareFirmwareVersions(a: string, b: string): number {
  for (const v of [a, b])
    if (!isFirmwareVersion(v))
      throw new RangeError(`Not a firmware version (like 2.4.1): ${JSON.stringify(v)}`);
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
