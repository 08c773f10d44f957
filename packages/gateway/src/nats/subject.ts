/** Characters a NATS subject token cannot hold (whitespace, `.`, `*`, `>`), plus `%`, our escape. */
const UNSAFE = /[\s.*>%\p{Cc}]/gu;

const encoder = new TextEncoder();

function escapeChar(ch: string): string {
  let out = '';
  for (const byte of encoder.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/**
 * Turns a record key (a device id) into one NATS subject token: every whitespace or control
 * character, `.`, `*`, `>` and `%` becomes `%XX` per UTF-8 byte, everything else is kept. The
 * mapping is injective and `decodeURIComponent(token)` gives the key back; the empty key becomes
 * `%` (the only token that is a lone `%`).
 *
 * @example
 * ```ts
 * subjectToken('bed 3.monitor'); // 'bed%203%2Emonitor'
 * decodeURIComponent('bed%203%2Emonitor'); // 'bed 3.monitor'
 * ```
 */
export function subjectToken(key: string): string {
  if (typeof key !== 'string') throw new TypeError(`a subject token needs a string, got ${typeof key}`);
  if (key.length === 0) return '%';
  return key.replace(UNSAFE, escapeChar);
}

/** A site, kind or prefix token we accept as is: letters, digits, `_` and `-`. */
const PLAIN_TOKEN = /^[A-Za-z0-9_-]+$/;

/**
 * Checks a subject prefix such as `healthit` or `acme.healthit`: one or more plain tokens
 * (letters, digits, `_`, `-`) separated by dots.
 *
 * @throws {TypeError} when `prefix` is not a string.
 * @throws {RangeError} when a token is empty or holds another character.
 */
export function assertSubjectPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new TypeError(`subjectPrefix must be a string, got ${typeof prefix}`);
  if (!prefix.split('.').every((t) => PLAIN_TOKEN.test(t))) {
    throw new RangeError(
      `subjectPrefix "${prefix}" must be dot-separated tokens of letters, digits, "_" and "-" (e.g. "healthit")`,
    );
  }
}

/**
 * Checks a site name such as `ward-a`: one plain token (letters, digits, `_`, `-`).
 *
 * @throws {TypeError} when `site` is not a string.
 * @throws {RangeError} when it is empty or holds another character.
 */
export function assertSiteName(site: string): void {
  if (typeof site !== 'string') throw new TypeError(`site must be a string, got ${typeof site}`);
  if (!PLAIN_TOKEN.test(site)) {
    throw new RangeError(`site "${site}" must be letters, digits, "_" and "-" only (e.g. "ward-a")`);
  }
}

/** The default stream of a site: `HEALTHIT_` and the site upper-cased, `-` as `_` (`ward-a` → `HEALTHIT_WARD_A`). */
export function defaultStreamName(site: string): string {
  assertSiteName(site);
  return `HEALTHIT_${site.toUpperCase().replaceAll('-', '_')}`;
}

/** The subject of one record: `<prefix>.<site>.<kind>.<key token>`. */
export function recordSubject(prefix: string, site: string, kind: string, key: string): string {
  return `${prefix}.${site}.${subjectToken(kind)}.${subjectToken(key)}`;
}
