const SEGMENT = /^[A-Za-z0-9_~+-][A-Za-z0-9._~+-]*$/;
const ROLE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const TOP_LEVEL = new Set(['root', 'targets', 'snapshot', 'timestamp']);

/**
 * True when `path` is an acceptable TUF target path here: `/`-separated segments of
 * `[A-Za-z0-9._~+-]`, none empty, none starting with `.` (so no `.`/`..` and no hidden files), at
 * most 255 characters. Such a path is the same string in a URL, a file name and a map key.
 */
export function isTargetPath(path: string): boolean {
  return (
    typeof path === 'string' &&
    path.length > 0 &&
    path.length <= 255 &&
    path.split('/').every((segment) => SEGMENT.test(segment))
  );
}

/** @throws {RangeError} when `path` fails {@link isTargetPath}. */
export function assertTargetPath(path: string): void {
  if (!isTargetPath(path))
    throw new RangeError(
      `Invalid target path ${JSON.stringify(path)}: use '/'-separated segments of [A-Za-z0-9._~+-], none starting with '.'`,
    );
}

/**
 * @throws {RangeError} when `name` is not a delegated role name (`[A-Za-z0-9][A-Za-z0-9._-]*`, at
 * most 64 characters, not a top-level role name).
 */
export function assertDelegatedRoleName(name: string): void {
  if (typeof name !== 'string' || !ROLE_NAME.test(name) || TOP_LEVEL.has(name))
    throw new RangeError(
      `Invalid delegated role name ${JSON.stringify(name)}: use [A-Za-z0-9][A-Za-z0-9._-]*, not a top-level role name`,
    );
}

/**
 * Where a consistent-snapshot repository publishes a target: its file name prefixed with the
 * hex digest, e.g. `po-200/2.4.1.bin` → `po-200/<sha256>.2.4.1.bin` (TUF §5.7.3, as tuf-js asks).
 */
export function hashPrefixedPath(path: string, hexDigest: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0
    ? `${hexDigest}.${path}`
    : `${path.slice(0, slash + 1)}${hexDigest}.${path.slice(slash + 1)}`;
}
