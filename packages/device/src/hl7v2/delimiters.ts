/**
 * The separators and escape character of one HL7 v2 message: MSH-1 (field separator) and MSH-2
 * (encoding characters: component, repetition, escape, sub-component and, from v2.7, truncation).
 */
export interface Hl7Delimiters {
  /** The field separator, MSH-1 (usually `|`). */
  readonly field: string;
  /** The component separator, 1st character of MSH-2 (usually `^`). */
  readonly component: string;
  /** The repetition separator, 2nd character of MSH-2 (usually `~`). */
  readonly repetition: string;
  /** The escape character, 3rd character of MSH-2 (usually a backslash). */
  readonly escape: string;
  /** The sub-component separator, 4th character of MSH-2 (usually `&`). */
  readonly subComponent: string;
  /** The v2.7 truncation character (5th character of MSH-2), when the message declares one. */
  readonly truncation?: string;
}

/** The delimiters almost every sender uses: `|^~\&`. The builders in this module always use them. */
export const DEFAULT_HL7_DELIMITERS: Hl7Delimiters = Object.freeze({
  field: '|',
  component: '^',
  repetition: '~',
  escape: '\\',
  subComponent: '&',
});

/** MSH-2 of {@link DEFAULT_HL7_DELIMITERS}. */
export const DEFAULT_ENCODING_CHARACTERS = '^~\\&';

/** True when two delimiter sets are identical. */
export function sameDelimiters(a: Hl7Delimiters, b: Hl7Delimiters): boolean {
  return (
    a.field === b.field &&
    a.component === b.component &&
    a.repetition === b.repetition &&
    a.escape === b.escape &&
    a.subComponent === b.subComponent &&
    a.truncation === b.truncation
  );
}

/**
 * Why a character cannot be a delimiter, or undefined if it can: a delimiter is one printable
 * ASCII character (0x21–0x7E) that is not a letter or a digit. (HL7 recommends `|^~\&`; other
 * characters are allowed, but letters and digits would collide with escape sequences such as
 * `\F\` and `\X0D\`.)
 */
export function delimiterProblem(ch: string): string | undefined {
  const c = ch.charCodeAt(0);
  if (ch.length !== 1 || c < 0x21 || c > 0x7e) {
    return `${JSON.stringify(ch)} is not a printable ASCII character`;
  }
  if ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) {
    return `"${ch}" is a letter or digit`;
  }
  return undefined;
}
