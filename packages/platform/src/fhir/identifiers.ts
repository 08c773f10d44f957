/**
 * `Observation.identifier.value` derived from reading ids, so that re-sending a reading yields the
 * same identifier and a conditional create (`If-None-Exist: identifier=<system>|<value>`) never
 * duplicates it.
 *
 * The value is the reading id itself (`monitor-1:42`), or for a blood-pressure panel the systolic
 * and the diastolic reading ids joined by `~` (`bp-1:7~bp-1:8`): `~` is unreserved in URLs and has
 * no meaning in FHIR search, and never occurs in an SDK reading id. `%` and `~` inside an id are
 * percent-encoded (`%25`, `%7E`), so the mapping is injective: distinct reading-id lists never share
 * a value, and {@link readingIdsFromIdentifierValue} recovers the ids.
 */

function escapeId(id: string): string {
  return id.replace(/[%~]/g, (c) => (c === '%' ? '%25' : '%7E'));
}

function unescapeId(part: string): string {
  return part.replace(/%25|%7E/g, (c) => (c === '%25' ? '%' : '~'));
}

/**
 * The identifier value of the Observation made from `readingIds`: one id, or a blood-pressure
 * panel's systolic then diastolic id.
 *
 * @throws {RangeError} when `readingIds` is empty or has more than two ids, or an id is empty.
 * @example
 * ```ts
 * observationIdentifierValue(['monitor-1:42']); // 'monitor-1:42'
 * observationIdentifierValue(['bp-1:7', 'bp-1:8']); // 'bp-1:7~bp-1:8'
 * ```
 */
export function observationIdentifierValue(readingIds: readonly string[]): string {
  if (readingIds.length < 1 || readingIds.length > 2) {
    throw new RangeError(`An Observation is made from one or two readings, got ${readingIds.length} ids`);
  }
  if (readingIds.some((id) => id.length === 0)) throw new RangeError('A reading id must not be empty');
  return readingIds.map(escapeId).join('~');
}

/**
 * The reading ids an identifier value was derived from (the inverse of
 * {@link observationIdentifierValue}).
 *
 * @example
 * ```ts
 * readingIdsFromIdentifierValue('bp-1:7~bp-1:8'); // ['bp-1:7', 'bp-1:8']
 * ```
 */
export function readingIdsFromIdentifierValue(value: string): string[] {
  return value.split('~').map(unescapeId);
}

/** Escapes FHIR search's special characters in a token part (`\`, `|`, `,`, `$`), then URL-encodes it. */
function tokenPart(s: string): string {
  return encodeURIComponent(s.replace(/[\\|,$]/g, (c) => `\\${c}`));
}

/**
 * The search parameter that finds the Observation with `identifier`, for a conditional create
 * (`If-None-Exist` header) or a conditional update (`PUT Observation?…`).
 *
 * @example
 * ```ts
 * identifierSearchParam({ system: 'urn:oid:1.2.3', value: 'bp-1:7~bp-1:8' });
 * // 'identifier=urn%3Aoid%3A1.2.3|bp-1%3A7~bp-1%3A8'
 * ```
 */
export function identifierSearchParam(identifier: {
  readonly system: string;
  readonly value: string;
}): string {
  return `identifier=${tokenPart(identifier.system)}|${tokenPart(identifier.value)}`;
}
