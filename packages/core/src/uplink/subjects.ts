/**
 * Names on the wire of an uplink over NATS JetStream, shared by the gateway that publishes and the
 * platform that consumes: one stream per site, one subject per record.
 */

/** The default first subject token(s): records go to `healthit.<site>.<kind>.<key token>`. */
export const UPLINK_SUBJECT_PREFIX = 'healthit';

/** Characters a NATS subject token cannot hold (whitespace, `.`, `*`, `>`), plus `%`, our escape. */
const UNSAFE = /[\s.*>%\p{Cc}]/gu;

/** A site or prefix token we accept as is: letters, digits, `_` and `-`. */
const PLAIN_TOKEN = /^[A-Za-z0-9_-]+$/;

const encoder = new TextEncoder();

function escapeChar(ch: string): string {
  let out = '';
  for (const byte of encoder.encode(ch)) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

/**
 * Checks a site name such as `ward-a`: one plain token (letters, digits, `_`, `-`).
 * @throws {TypeError} when `site` is not a string; {RangeError} when it is empty or holds another character.
 */
export function assertUplinkSite(site: string): void {
  if (typeof site !== 'string') throw new TypeError(`site must be a string, got ${typeof site}`);
  if (!PLAIN_TOKEN.test(site)) {
    throw new RangeError(`site "${site}" must be letters, digits, "_" and "-" only (e.g. "ward-a")`);
  }
}

/**
 * Checks a subject prefix such as `healthit` or `acme.healthit`: plain tokens separated by dots.
 * @throws {TypeError} when `prefix` is not a string; {RangeError} when a token is empty or holds another character.
 */
export function assertUplinkSubjectPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new TypeError(`subjectPrefix must be a string, got ${typeof prefix}`);
  if (!prefix.split('.').every((t) => PLAIN_TOKEN.test(t))) {
    throw new RangeError(
      `subjectPrefix "${prefix}" must be dot-separated tokens of letters, digits, "_" and "-" (e.g. "healthit")`,
    );
  }
}

/**
 * Turns a record key (a device id) into one NATS subject token: every whitespace or control
 * character, `.`, `*`, `>` and `%` becomes `%XX` per UTF-8 byte, everything else is kept. The
 * mapping is injective and {@link uplinkKeyFromToken} gives the key back; the empty key becomes
 * `%` (the only token that is a lone `%`).
 *
 * @throws {TypeError} when `key` is not a string.
 * @example
 * ```ts
 * uplinkSubjectToken('bed 3.monitor'); // 'bed%203%2Emonitor'
 * ```
 */
export function uplinkSubjectToken(key: string): string {
  if (typeof key !== 'string') throw new TypeError(`a subject token needs a string, got ${typeof key}`);
  if (key.length === 0) return '%';
  return key.replace(UNSAFE, escapeChar);
}

/**
 * The record key a subject token stands for (the inverse of {@link uplinkSubjectToken}).
 *
 * @throws {URIError} when the token holds a malformed `%` escape.
 */
export function uplinkKeyFromToken(token: string): string {
  return token === '%' ? '' : decodeURIComponent(token);
}

/**
 * The default stream of a site: `HEALTHIT_` and the site upper-cased, `-` as `_`
 * (`ward-a` → `HEALTHIT_WARD_A`).
 *
 * @throws {TypeError} / {RangeError} when `site` is not one token of letters, digits, `_`, `-`.
 */
export function uplinkStreamName(site: string): string {
  assertUplinkSite(site);
  return `HEALTHIT_${site.toUpperCase().replaceAll('-', '_')}`;
}

/**
 * The subject filter of every record of a site, `<prefix>.<site>.>` (what the site's stream
 * captures and what a platform consumer filters on).
 *
 * @throws {TypeError} / {RangeError} for a malformed site or prefix.
 */
export function uplinkSubjectFilter(site: string, prefix: string = UPLINK_SUBJECT_PREFIX): string {
  assertUplinkSite(site);
  assertUplinkSubjectPrefix(prefix);
  return `${prefix}.${site}.>`;
}

/** The subject of one record: `<prefix>.<site>.<kind>.<key token>`. */
export function uplinkSubject(prefix: string, site: string, kind: string, key: string): string {
  return `${prefix}.${site}.${uplinkSubjectToken(kind)}.${uplinkSubjectToken(key)}`;
}
